"""TrainedModel: the models/<name>/ layout (plain .npz + TOML/JSON), versions, checks, geometry."""
import json
from pathlib import Path

import numpy as np
import pytest

from stdp_emo.config import ExperimentConfig
from stdp_emo.encoding import audio_input_shape
from stdp_emo.errors import DataError
from stdp_emo.model import SCHEMA, Split, TrainedModel
from stdp_emo.network.state import NetworkState

CFG = ExperimentConfig().replace(train={"epochs": 2}, audio={"kind": "mfcc", "n_mfcc": 2},
                                 network={"dense_n_neurons": 3}, encoding={"population_bins": 4})
SHAPE = audio_input_shape(CFG.encoding, 2, CFG.audio.n_frames)          # (1, 4, 4): ON/OFF x 2 x 4
N_SYN = 3 * int(np.prod(SHAPE))
PROJ = "audio_input_to_audio_exc"


def make_model(cfg=CFG, n=3, shape=SHAPE, **kw) -> TrainedModel:
    """A consistent model of ``cfg``'s audio network (``n`` neurons fully connected)."""
    n_syn = n * int(np.prod(shape))
    fields = dict(vote_weights=np.ones(n), fallback_class=1,
                  encoding={"scale_low": np.zeros(2), "scale_high": np.ones(2)},
                  provenance={"dataset": "synthetic", "accuracy": 0.5})
    fields.update(kw)
    return TrainedModel(cfg, {"audio": shape},
                        NetworkState({PROJ: np.arange(float(n_syn)) / n_syn},
                                     {"audio": np.full(n, 0.02)}),
                        np.arange(n) % 2 - (np.arange(n) == n - 1), ["a", "b"],
                        Split(["x1", "x2"], ["y"]), **fields)


def test_round_trip_keeps_every_field_and_writes_no_pickles(tmp_path):
    m = make_model()
    path = m.save("m", home=tmp_path)
    assert m.path == path and sorted(p.name for p in path.iterdir()) == \
        ["config.toml", "model.json", "network.npz"]
    back = TrainedModel.load(path)
    assert back.config == CFG and back.classes == ["a", "b"] and back.input_shapes == {"audio": SHAPE}
    assert back.split == Split(["x1", "x2"], ["y"]) and back.fallback_class == 1
    np.testing.assert_array_equal(back.assignments, m.assignments)
    np.testing.assert_array_equal(back.vote_weights, np.ones(3))
    np.testing.assert_array_equal(back.weights(PROJ), m.weights(PROJ))
    np.testing.assert_array_equal(back.state.theta["audio"], np.full(3, 0.02))
    assert back.provenance["accuracy"] == 0.5 and back.provenance["dataset"] == "synthetic"
    assert back.readout == "audio" and back.composition.n_synapses == N_SYN
    assert json.loads((path / "model.json").read_text())["schema"] == SCHEMA
    with np.load(path / "network.npz", allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)


def test_an_inconsistent_model_is_refused_before_anything_is_written(tmp_path):
    m = make_model()
    m.state.weights[PROJ] = np.zeros(5)
    with pytest.raises(DataError, match=r"'w__audio_input_to_audio_exc' has 5 entries"):
        m.save("m", home=tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_model_from_a_newer_version_names_the_schema(tmp_path):
    path = make_model().save("m", home=tmp_path)
    info = json.loads((path / "model.json").read_text())
    (path / "model.json").write_text(json.dumps({**info, "schema": SCHEMA + 1}))
    with pytest.raises(DataError, match=rf"model schema {SCHEMA + 1}, written by a newer "
                                        rf"stdp_emo .* reads schemas 1 to {SCHEMA}") as e:
        TrainedModel.load(path)
    assert "\n" not in str(e.value)


def test_schema_1_models_without_the_key_still_load(tmp_path):
    path = make_model().save("m", home=tmp_path)
    info = json.loads((path / "model.json").read_text())
    del info["schema"]
    (path / "model.json").write_text(json.dumps(info))
    assert TrainedModel.load(path).classes == ["a", "b"]


def test_single_modality_layout_of_version_0_1_still_loads(tmp_path):
    path = make_model().save("m", home=tmp_path)
    with np.load(path / "network.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["w"] = arrays.pop("w__audio_input_to_audio_exc")
    arrays["theta"] = arrays.pop("theta__audio")
    np.savez(path / "network.npz", **arrays)
    info = json.loads((path / "model.json").read_text())
    info.pop("schema"), info.pop("input_shapes")          # 0.1 stored one input shape
    (path / "model.json").write_text(json.dumps(info))
    m = TrainedModel.load(path)
    np.testing.assert_array_equal(m.weights(PROJ), np.arange(float(N_SYN)) / N_SYN)
    assert list(m.state.weights) == [PROJ] and m.state.theta["audio"].shape == (3,)


def test_models_from_before_the_population_code_load_as_image_code_models(tmp_path):
    assert ExperimentConfig().encoding.audio_code == "population"            # today's default
    # an image-code network: 2 MFCCs x n_frames, windows of 10 frames, 2 features per position
    cfg = CFG.replace(encoding={"audio_code": "image"}, network={"n_features": 2})
    n_pos = (cfg.audio.n_frames - 10) // 10 + 1
    m = TrainedModel(cfg, {"audio": (1, 2, cfg.audio.n_frames)},
                     NetworkState({PROJ: np.full(n_pos * 2 * 20, 0.1)},
                                  {"audio": np.zeros(n_pos * 2)}),
                     np.zeros(n_pos * 2, int), ["a"], Split([], []),
                     encoding={"scale_low": np.zeros(2), "scale_high": np.ones(2)})
    path = m.save("m", home=tmp_path)
    assert TrainedModel.load(path).config.encoding.audio_code == "image"
    text = (path / "config.toml").read_text()
    old = "\n".join(ln for ln in text.splitlines()
                    if not ln.startswith(("audio_code", "population_", "vote", "dense_n_neurons",
                                          "normalisation")))
    (path / "config.toml").write_text(old)
    m = TrainedModel.load(path)
    assert m.config.encoding.audio_code == "image" and m.config.train.vote == "mean"
    assert m.config.train.epochs == 2                                       # the rest as written


def test_models_are_never_overwritten(tmp_path):
    a = make_model().save("m", home=tmp_path)
    b = make_model().save("m", home=tmp_path)
    assert a != b and a.exists() and b.exists() and b.name == "m-2"


def test_corrupt_model_is_refused_with_one_line(tmp_path):
    path = make_model().save("m", home=tmp_path)
    (path / "network.npz").write_bytes(b"garbage")
    with pytest.raises(DataError, match="network.npz: unreadable") as e:
        TrainedModel.load(path)
    assert "\n" not in str(e.value)
    with pytest.raises(DataError, match="not a model directory"):
        TrainedModel.load(tmp_path / "nothing")


def test_model_json_without_its_keys_is_one_line(tmp_path):
    path = make_model().save("m", home=tmp_path)
    (path / "model.json").write_text("{}")
    with pytest.raises(DataError, match=r"model.json: missing or malformed 'classes'"):
        TrainedModel.load(path)


def test_network_file_of_another_model_is_refused_before_compiling(tmp_path):
    path = make_model().save("m", home=tmp_path)
    other = make_model(CFG.replace(network={"dense_n_neurons": 5}), n=5).save("o", home=tmp_path)
    (path / "network.npz").write_bytes((other / "network.npz").read_bytes())
    with pytest.raises(DataError, match=r"'w__audio_input_to_audio_exc' has 80 entries, but the "
                                        r"network of .*config.toml has 48 synapses"):
        TrainedModel.load(path)


def test_edited_coefficient_count_and_nan_weights_are_refused(tmp_path):
    path = make_model().save("m", home=tmp_path)
    text = (path / "config.toml").read_text()
    (path / "config.toml").write_text(text.replace("n_mfcc = 2", "n_mfcc = 13"))
    with pytest.raises(DataError, match=r"config.toml: its \[audio\] / \[encoding\] give an audio "
                                        r"input of shape \(1, 26, 4\)"):
        TrainedModel.load(path)
    path = make_model().save("m", home=tmp_path)
    with np.load(path / "network.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["w__audio_input_to_audio_exc"][3] = np.nan
    np.savez(path / "network.npz", **arrays)
    with pytest.raises(DataError, match="'w__audio_input_to_audio_exc' has non-finite values"):
        TrainedModel.load(path)


def test_random_bytes_give_no_unpickling_advice(tmp_path):
    path = make_model().save("m", home=tmp_path)
    (path / "network.npz").write_bytes(np.random.default_rng(0).bytes(4000))
    with pytest.raises(DataError) as e:
        TrainedModel.load(path)
    assert "pickle" not in str(e.value) and "network.npz: unreadable" in str(e.value)


def test_non_ascii_model_names_are_kept(tmp_path):
    assert make_model().save("émotion-情绪", home=tmp_path).name == "émotion-情绪"
    assert make_model().save("../..", home=tmp_path).name == "model"


def test_receptive_fields_follow_the_composition_not_a_guess():
    """Image code, windows of 10 frames: row k holds neuron k's window, in (C, wh, ww) order."""
    cfg = CFG.replace(encoding={"audio_code": "image"}, network={"n_features": 2})
    frames = cfg.audio.n_frames
    n_pos = (frames - 10) // 10 + 1
    m = TrainedModel(cfg, {"audio": (1, 2, frames)},
                     NetworkState({PROJ: np.zeros(n_pos * 2 * 20)}, {"audio": np.zeros(n_pos * 2)}),
                     np.zeros(n_pos * 2, int), ["a"], Split([], []),
                     encoding={"scale_low": np.zeros(2), "scale_high": np.ones(2)})
    p = m.composition.projection(PROJ)
    m.state.weights[PROJ] = p.pre.astype(float)          # each weight = its input's index
    rf, window, layer = m.receptive_fields()
    assert window == (1, 2, 10) and layer == "audio" and rf.shape == (n_pos * 2, 20)
    topo = m.composition.topologies["audio"]
    for k in (0, 1, 2 * n_pos - 1):                     # neuron k sits at position k // 2
        np.testing.assert_array_equal(rf[k], topo.window_inputs(k // 2))
    # vision: square windows over both polarities
    vcfg = cfg.replace(train={"modality": "visual"}, network={"n_features": 3})
    vm = TrainedModel(vcfg, {"visual": (2, 20, 20)},
                      NetworkState({"visual_input_to_visual_exc": np.zeros(12 * 200)},
                                   {"visual": np.zeros(12)}),
                      np.zeros(12, int), ["a"], Split([], []))
    vp = vm.composition.projection("visual_input_to_visual_exc")
    vm.state.weights[vp.name] = 1000.0 * vp.post + vp.pre
    vrf, vwin, _ = vm.receptive_fields()
    assert vwin == (2, 10, 10) and vrf.shape == (12, 200)
    np.testing.assert_array_equal(vrf[4], 4000.0 + vm.composition.topologies["visual"].window_inputs(1))
    # the population code: one fully connected window, the whole input
    rf, window, _ = make_model().receptive_fields()
    assert window == SHAPE and rf.shape == (3, int(np.prod(SHAPE)))


def test_data_config_and_metrics_come_from_where_it_was_trained(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.json").write_text(json.dumps({"unsupervised": {"accuracy": 0.25}}))
    cfg = CFG.replace(data={"dataset": "ravdess"})
    m = make_model(cfg, provenance={"dataset_root": "/data/ravdess", "run_dir": str(run)})
    assert m.data_config().data.root == "/data/ravdess"
    assert m.data_config("/elsewhere").data.root == "/elsewhere"
    assert m.metrics == {"unsupervised": {"accuracy": 0.25}}
    assert make_model().metrics is None


def test_sigkill_while_writing_models_leaves_only_complete_models(tmp_path):
    import signal
    import subprocess
    import sys
    import textwrap
    import time

    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import numpy as np
        from test_model import make_model
        m = make_model()
        m.encoding["code_mean"] = np.zeros(3_000_000)       # ~24 MB: the write takes a while
        while True:
            m.save("m", home={str(tmp_path)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.time() + 60
    while time.time() < deadline and len(list(tmp_path.glob("m*"))) < 2:
        time.sleep(0.01)
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    models = sorted(tmp_path.glob("m*"))             # the visible folders: finished models only
    assert len(models) >= 2
    for path in models:
        assert TrainedModel.load(path).encoding["code_mean"].size == 3_000_000
    # what a kill leaves is a hidden temporary folder, never taken for a model ...
    left = [p for p in tmp_path.iterdir() if p not in models]
    assert all(p.name.startswith(".") for p in left)
    # ... and the next write in that folder removes it (its writer's process is gone)
    make_model().save("after", home=tmp_path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_training_metrics_are_found_from_another_working_folder(tmp_path, monkeypatch):
    # a model saved under <root>/models records its run as "runs/..." relative to <root>
    import json as _json

    from stdp_emo.model import TrainedModel
    src = TrainedModel.__dict__["metrics"]
    run = tmp_path / "runs" / "synthetic" / "r1"
    run.mkdir(parents=True)
    (run / "metrics.json").write_text(_json.dumps({"n_test": 3}))
    fake = type("M", (), {"provenance": {"run_dir": "runs/synthetic/r1"},
                          "path": tmp_path / "models" / "m"})()
    (tmp_path / "models" / "m").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "models")
    assert src.fget(fake) == {"n_test": 3}


def crossmodal_au_model(vote_layers: str, n_assignments=None) -> TrainedModel:
    """A cross-modal model on action units (3 audio, 2 visual neurons), consistent unless
    ``n_assignments`` says otherwise."""
    from stdp_emo.network.composition import composition_for

    cfg = CFG.replace(train={"modality": "crossmodal", "vote_layers": vote_layers},
                      visual={"source": "au"}, network={"au_n_neurons": 2})
    shapes = {"audio": SHAPE, "visual": (1, 35, 2)}
    comp = composition_for(cfg, shapes)
    state = NetworkState({p.name: np.full(p.n_synapses, 0.1) for p in comp.projections},
                         {layer.name: np.zeros(layer.n_neurons) for layer in comp.layers})
    k = comp.n_voting if n_assignments is None else n_assignments
    return TrainedModel(cfg, shapes, state, np.arange(k) % 2, ["a", "b"], Split(["x"], ["y"]),
                        encoding={"scale_low": np.zeros(2), "scale_high": np.ones(2)})


def test_a_model_whose_layers_all_vote_stores_one_label_per_voting_neuron(tmp_path):
    with pytest.raises(DataError, match=r"'assignments' has 3 entries.*5 audio\+visual neurons"):
        crossmodal_au_model("all", 3).save("short", home=tmp_path)
    m = crossmodal_au_model("all")
    assert m.composition.n_voting == 3 + 2
    back = TrainedModel.load(m.save("m", home=tmp_path))
    assert back.composition.vote_layers == ("audio", "visual")
    np.testing.assert_array_equal(back.assignments, np.arange(5) % 2)
    info = json.loads((back.path / "model.json").read_text())
    assert info["vote_layers"] == ["audio", "visual"]
    assert (info["n_neurons"], info["n_voting"]) == (3, 5)     # readout layer; every voter


def test_models_from_before_vote_layers_keep_their_readout_layer_vote(tmp_path):
    path = crossmodal_au_model("readout").save("old", home=tmp_path)
    toml = path / "config.toml"
    text = toml.read_text()
    assert 'vote_layers = "readout"' in text
    toml.write_text(text.replace('vote_layers = "readout"\n', ""))
    back = TrainedModel.load(path)
    assert back.config.train.vote_layers == "readout"
    assert back.composition.vote_layers == ("audio",) and back.assignments.size == 3


def test_models_from_before_cross_fan_in_are_rebuilt_with_the_same_connections(tmp_path):
    path = crossmodal_au_model("all").save("old", home=tmp_path)
    toml = path / "config.toml"
    text = toml.read_text()
    assert "cross_fan_in = 768" in text and 'layer_vote = "per_layer"' in text
    old = text.replace('layer_vote = "per_layer"\n', "")
    toml.write_text(old.replace("cross_fan_in = 768", "cross_p_connect = 1.0"))
    back = TrainedModel.load(path)
    # all-to-all from the 2-neuron visual layer; before layer_vote the layers were pooled
    assert back.config.network.cross_fan_in == 2 and back.config.train.layer_vote == "pooled"
    assert back.composition.projection("visual_exc_to_audio_exc").n_synapses == 2 * 3
    toml.write_text(old.replace("cross_fan_in = 768", "cross_p_connect = 0.3"))
    with pytest.raises(DataError, match=r"cross_p_connect = 0.3 cannot be rebuilt .* 2-neuron"):
        TrainedModel.load(path)


def test_models_from_before_fusion_visual_fan_in_keep_an_all_to_all_multimodal_layer(tmp_path):
    from stdp_emo.network.composition import composition_for

    cfg = CFG.replace(train={"modality": "early_fusion"}, visual={"source": "au"},
                      network={"fusion_n_neurons": 4, "fusion_visual_fan_in": 10})
    shapes = {"audio": SHAPE, "visual": (1, 35, 2)}
    comp = composition_for(cfg, shapes)
    visual = comp.projection("visual_input_to_fusion_exc")
    assert visual.n_synapses < 70 * 4                          # thinned by the fan-in of 10
    state = NetworkState({p.name: np.full(p.n_synapses, 0.1) for p in comp.projections},
                         {layer.name: np.zeros(layer.n_neurons) for layer in comp.layers})
    path = TrainedModel(cfg, shapes, state, np.arange(4) % 2, ["a", "b"], Split(["x"], ["y"]),
                        encoding={"scale_low": np.zeros(2), "scale_high": np.ones(2)}
                        ).save("ef", home=tmp_path)
    assert TrainedModel.load(path).composition.projection(visual.name).n_synapses == visual.n_synapses
    toml = path / "config.toml"
    toml.write_text(toml.read_text().replace("fusion_visual_fan_in = 10\n", ""))
    # written before the key: all-to-all, so its stored weights no longer fit
    with pytest.raises(DataError, match="visual_input_to_fusion_exc"):
        TrainedModel.load(path)


def test_a_speaker_subspace_travels_with_the_model_and_must_match_its_config(tmp_path):
    cfg = CFG.replace(audio={"speaker_subspace_dims": 1})
    sub = {"subspace_mean": np.zeros(2), "subspace_sd": np.ones(2),
           "subspace_basis": np.array([[0.0], [1.0]])}
    enc = {"scale_low": np.zeros(2), "scale_high": np.ones(2), **sub}
    back = TrainedModel.load(make_model(cfg, encoding=enc).save("s", home=tmp_path))
    np.testing.assert_array_equal(back.encoding["subspace_basis"], [[0.0], [1.0]])
    assert back.encoder.subspace.dims == 1
    with pytest.raises(DataError, match=r"'subspace_basis' has shape \(2, 1\), but .* asks for 2"):
        make_model(CFG.replace(audio={"speaker_subspace_dims": 2}), encoding=enc).save("t", home=tmp_path)
    with pytest.raises(DataError, match="missing array 'subspace_mean'"):
        make_model(cfg).save("u", home=tmp_path)
    with pytest.raises(DataError, match="trained with a speaker subspace"):
        make_model(CFG, encoding=enc).save("v", home=tmp_path)
