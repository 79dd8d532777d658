"""Data for a config: split, validation holdout, class limits, action-unit pairing, usable clips."""
import numpy as np
import pytest

from stdp_emo.config import DataConfig
from stdp_emo.datasets.base import Clip, Dataset
from stdp_emo.preparation import experiment_split, limit_per_class


def _dataset(n_actors=10, per_class=4, n_classes=4):
    clips = [Clip(f"{a:02d}-{c}-{k}", f"{a:02d}", c, None)
             for a in range(1, n_actors + 1) for c in range(n_classes) for k in range(per_class)]
    return Dataset("toy", __import__("pathlib").Path("."), tuple("abcd"[:n_classes]), tuple(clips))


@pytest.mark.parametrize("kind", ["random", "speaker"])
def test_validation_holdout_is_inside_training_part(kind):
    ds = _dataset()
    tr, te = experiment_split(ds, DataConfig(split=kind, seed=3))
    vtr, vval = experiment_split(ds, DataConfig(split=kind, seed=3, holdout="validation"))
    assert set(vtr) | set(vval) == set(tr)          # the test split is never used
    assert not set(vval) & set(te) and not set(vtr) & set(vval)
    if kind == "speaker":
        assert not set(ds.actors[vtr]) & set(ds.actors[vval])


def test_limit_per_class():
    ds = _dataset()
    small = limit_per_class(ds, 5, seed=0)
    assert np.all(np.bincount(small.labels) == 5)
    assert limit_per_class(ds, 0, seed=0) is ds


def test_prepare_pairs_action_units_and_leaves_out_clips_without_them(tmp_path):
    import soundfile as sf

    from stdp_emo.config import ExperimentConfig
    from stdp_emo.preparation import prepare

    rng = np.random.default_rng(0)
    rows = ["clip," + ",".join(["AU01_r", "AU12_r", "AU12_c"])]
    for actor in (1, 2):
        d = tmp_path / "ravdess" / f"Actor_{actor:02d}"
        d.mkdir(parents=True)
        for emo in range(1, 9):
            for rep in (1, 2):
                code = f"01-{emo:02d}-01-01-{rep:02d}-{actor:02d}"
                t = np.arange(16000) / 16000
                sf.write(d / f"03-{code}.wav", (0.3 * np.sin(2 * np.pi * (100 + 20 * emo) * t)
                                                * (0.5 + 0.5 * rng.random())), 16000)
                if not (actor == 2 and emo == 8 and rep == 2):      # one trial has no AU row
                    rows.append(f"01-{code},{emo / 2},{rng.random()},{rng.random()}")
    (tmp_path / "ravdess_au").mkdir()
    (tmp_path / "ravdess_au" / "openface_au_clip_means.csv").write_text("\n".join(rows) + "\n")
    cfg = ExperimentConfig().replace(
        data={"dataset": "ravdess", "root": str(tmp_path / "ravdess")},
        audio={"kind": "mfcc", "n_mfcc": 8, "n_mels": 32, "n_frames": 40},
        visual={"source": "au"}, encoding={"au_copies": 2},
        train={"modality": "crossmodal"}, network={"dense_n_neurons": 4, "au_n_neurons": 3})
    prep = prepare(cfg, progress=False)
    missing = "01-08-01-01-02-02"
    assert prep.feature_info["clips_without_au"] == [missing]
    assert "31 of 32 clips paired" in prep.feature_info["description"]
    ids = {prep.dataset.clips[k].id for k in np.r_[prep.train_idx, prep.test_idx]}
    assert missing not in ids and len(ids) == 31
    x = prep.inputs["visual"]
    # ON/OFF contrast code (default): 3 units x 2 channels x 2 copies
    assert x.shape == (32, 12) and x.min() >= 0 and x.max() <= 1
    np.testing.assert_array_equal(x[:, :6], x[:, 6:])                   # 2 copies
    on, off = x[:, :3], x[:, 3:6]
    assert np.all((on == 0) | (off == 0))                     # a value is above or below the mean
    assert prep.composition.projection("visual_input_to_visual_exc").n_synapses == 3 * 12
    enc = prep.au_encoder
    assert enc.scale.shape == enc.mean.shape == enc.sd.shape == (3,)
    # fitted on the training clips only
    from stdp_emo.encoding import au_rates

    np.testing.assert_allclose(enc.mean, au_rates(prep_values(prep), enc.scale)[prep.train_idx]
                               .mean(axis=0))


def prep_values(prep):
    """The AU values behind ``prep.inputs['visual']`` (first copy, ON minus OFF undone)."""
    enc = prep.au_encoder
    x = prep.inputs["visual"][:, :6]
    z = (x[:, :3] - x[:, 3:]) * enc.enc.au_contrast_sd
    return (z * enc.sd + enc.mean) * enc.scale


def test_prepare_plain_action_unit_rates_with_contrast_off(tmp_path):
    """``au_contrast_sd = 0``: the scaled values themselves, 0 stays silent."""
    from stdp_emo.encoding import AUEncoder
    from stdp_emo.config import EncodingConfig

    values = np.array([[0.0, 2.0], [1.0, 4.0], [3.0, 0.0]])
    plain = AUEncoder.fit(values, EncodingConfig(au_contrast_sd=0.0, au_copies=1))
    assert plain.channels == 1
    x = plain(np.array([[0.0, 0.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(x[0], 0.0)
    assert x.shape == (2, 2) and x.max() <= 1
    onoff = AUEncoder.fit(values, EncodingConfig(au_contrast_sd=2.0, au_copies=1))
    z = onoff(values)
    assert onoff.channels == 2 and z.shape == (3, 4)
    # the training mean itself gives no input; 1 s.d. above it half the ON rate, and
    # 1 s.d. below it half the OFF rate
    mean = onoff.scale * onoff.mean
    np.testing.assert_allclose(onoff(mean[None, :]), 0.0, atol=1e-12)
    np.testing.assert_allclose(onoff((mean + onoff.scale * onoff.sd)[None, :]), [[.5, .5, 0, 0]])
    np.testing.assert_allclose(onoff((mean - onoff.scale * onoff.sd)[None, :]), [[0, 0, .5, .5]])
    # and survives the model's arrays (a model from before the code has no au_mean: plain)
    again = AUEncoder.from_arrays(onoff.to_arrays(), onoff.enc)
    np.testing.assert_array_equal(again(values), z)
    old = AUEncoder.from_arrays({"au_scale": onoff.scale}, onoff.enc)
    assert old.channels == 1


def test_visual_training_without_a_usable_video_stops_before_training(tmp_path):
    import soundfile as sf

    from stdp_emo.config import ExperimentConfig
    from stdp_emo.errors import DataError
    from stdp_emo.preparation import prepare

    d = tmp_path / "Actor_01"
    d.mkdir()
    for emo in range(1, 9):
        for rep in (1, 2):
            code = f"01-{emo:02d}-01-01-{rep:02d}-01"
            sf.write(d / f"03-{code}.wav", 0.3 * np.sin(np.arange(8000) / 5.0), 16000)
            (d / f"02-{code}.mp4").write_bytes(b"not a video" * 40)
    cfg = ExperimentConfig().replace(data={"dataset": "ravdess", "root": str(tmp_path)},
                                     visual={"crop_size": 40}, train={"modality": "visual"})
    with pytest.raises(DataError, match=r"no usable clips for visual \(train 0, test 0\): 0 of "
                                        r"16 clips have a readable face video"):
        prepare(cfg, progress=False)


def _tiny_ravdess(root, actors=(1, 2, 3)):
    import soundfile as sf

    rng = np.random.default_rng(1)
    for actor in actors:
        d = root / f"Actor_{actor:02d}"
        d.mkdir(parents=True)
        for emo in range(1, 9):
            t = np.arange(8000) / 16000
            sig = 0.3 * np.sin(2 * np.pi * (90 + 15 * emo + 40 * actor) * t) * (0.5 + 0.5 * rng.random())
            sf.write(d / f"03-01-{emo:02d}-01-01-01-{actor:02d}.wav", sig, 16000)
    return root


def test_prepare_fits_the_speaker_subspace_on_training_speakers_or_names_the_key(tmp_path):
    from stdp_emo.config import ExperimentConfig
    from stdp_emo.errors import ConfigError
    from stdp_emo.preparation import prepare

    root = _tiny_ravdess(tmp_path / "ravdess")
    base = ExperimentConfig().replace(
        data={"dataset": "ravdess", "root": str(root), "split": "speaker"},
        audio={"kind": "mfcc", "n_mfcc": 8, "n_mels": 32, "n_frames": 40})
    plain = prepare(base, progress=False)
    assert plain.encoder.subspace is None
    prep = prepare(base.replace(audio={"speaker_subspace_dims": 1}), progress=False)
    assert len(set(prep.dataset.actors[prep.train_idx])) == 2       # one actor held out
    assert prep.encoder.subspace.dims == 1
    assert not np.allclose(prep.inputs["audio"], plain.inputs["audio"])
    # the same projection encodes the held-out actor's clips as the model would
    te = prep.test_idx
    from stdp_emo.features.audio import extract_dataset

    feats, n_valid, _ = extract_dataset(prep.dataset, base.audio, progress=False)
    np.testing.assert_allclose(prep.encoder(feats[te], n_valid[te]), prep.inputs["audio"][te])
    with pytest.raises(ConfigError, match=r"\[audio\] speaker_subspace_dims = 2: .* 2 speakers"):
        prepare(base.replace(audio={"speaker_subspace_dims": 2}), progress=False)


def test_training_sizes_the_dense_layer_per_clip_and_a_stored_split_keeps_its_size(tmp_path):
    from stdp_emo.config import ExperimentConfig
    from stdp_emo.preparation import prepare

    root = _tiny_ravdess(tmp_path / "ravdess")                  # 3 actors x 8 clips
    base = ExperimentConfig().replace(
        data={"dataset": "ravdess", "root": str(root), "split": "random", "test_fraction": 0.25},
        audio={"kind": "mfcc", "n_mfcc": 8, "n_mels": 32, "n_frames": 40},
        network={"dense_n_neurons": 5})
    fixed = prepare(base, progress=False)
    assert fixed.config == base and fixed.topology.n_neurons == 5
    per_clip = base.replace(network={"dense_n_neurons": 0, "neurons_per_clip": 0.5})
    prep = prepare(per_clip, progress=False)
    assert len(prep.train_idx) == 16                            # 2 of 3 clips per class
    assert prep.config.network.dense_n_neurons == 8 == prep.topology.n_neurons
    assert prep.config.network.neurons_per_clip == 0.5     # the rule stays recorded
    # a trained model's config (resolved size) on its stored split, or on other clips,
    # keeps that size: nothing is re-sized from the clips it is shown
    ids = [c.id for c in prep.dataset.clips]
    again = prepare(prep.config, progress=False, split_ids=(ids[:2], ids[2:]))
    assert again.topology.n_neurons == 8 and again.config == prep.config


def test_former_module_name_still_gives_prepare():
    """Outside tools (../shared/tools/input_ceiling.py) import stdp_emo.experiment.prepare."""
    from stdp_emo import experiment, preparation

    assert experiment.prepare is preparation.prepare
    assert experiment.prepare_for_model is preparation.prepare_for_model
