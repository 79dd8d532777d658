from pathlib import Path

import numpy as np
import pytest

from stdp_emo.config import ExperimentConfig
from stdp_emo.encoding import audio_input_shape
from stdp_emo.errors import DataError
from stdp_emo.fileio import atomic_directory, write_text
from stdp_emo.records import Model, RunRecord, load_model, save_model
from stdp_emo.simulate import spike_counts


CFG = ExperimentConfig().replace(train={"epochs": 2}, audio={"n_mfcc": 2},
                                 network={"dense_n_neurons": 3}, encoding={"population_bins": 4})
SHAPE = audio_input_shape(CFG.encoding, 2, CFG.audio.n_frames)          # (1, 4, 4): ON/OFF x 2 x 4
N_SYN = 3 * int(np.prod(SHAPE))


def _model(**info):
    """A consistent model of CFG's network (3 neurons, fully connected to 16 inputs)."""
    arrays = {"w__audio_input_to_audio_exc": np.arange(float(N_SYN)),
              "theta__audio": np.ones(3) * 0.02,
              "assignments": np.array([0, 1, -1]), "scale_low": np.zeros(2),
              "scale_high": np.ones(2)}
    base = {"classes": ["a", "b"], "split": {"train_ids": ["x"], "test_ids": ["y"]},
            "input_shapes": {"audio": list(SHAPE)}}
    return Model(CFG, arrays, {**base, **info})


def test_model_round_trip_without_pickles(tmp_path):
    path = save_model(_model(), "m", home=tmp_path)
    m = load_model(path)
    assert m.config.train.epochs == 2 and m.info["classes"] == ["a", "b"]
    np.testing.assert_array_equal(m.arrays["assignments"], [0, 1, -1])
    np.testing.assert_array_equal(m.arrays["w__audio_input_to_audio_exc"], np.arange(float(N_SYN)))
    with np.load(path / "network.npz", allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)


def test_single_modality_layout_of_version_0_1_still_loads(tmp_path):
    path = save_model(_model(), "m", home=tmp_path)
    with np.load(path / "network.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["w"] = arrays.pop("w__audio_input_to_audio_exc")
    arrays["theta"] = arrays.pop("theta__audio")
    np.savez(path / "network.npz", **arrays)
    m = load_model(path)
    np.testing.assert_array_equal(m.arrays["w__audio_input_to_audio_exc"], np.arange(float(N_SYN)))
    assert "w" not in m.arrays and m.arrays["theta__audio"].shape == (3,)


def test_models_from_before_the_population_code_load_as_image_code_models(tmp_path):
    assert ExperimentConfig().encoding.audio_code == "population"            # today's default
    # an image-code network: 2 MFCCs x n_frames, windows of 10 frames, 2 features per position
    cfg = CFG.replace(encoding={"audio_code": "image"}, network={"n_features": 2})
    n_pos = (cfg.audio.n_frames - 10) // 10 + 1
    arrays = {"w__audio_input_to_audio_exc": np.full(n_pos * 2 * 20, 0.1),
              "theta__audio": np.zeros(n_pos * 2), "assignments": np.zeros(n_pos * 2, int),
              "scale_low": np.zeros(2), "scale_high": np.ones(2)}
    info = {"classes": ["a"], "split": {"train_ids": [], "test_ids": []},
            "input_shapes": {"audio": [1, 2, cfg.audio.n_frames]}}
    path = save_model(Model(cfg, arrays, info), "m", home=tmp_path)
    assert load_model(path).config.encoding.audio_code == "image"
    text = (path / "config.toml").read_text()
    old = "\n".join(ln for ln in text.splitlines()
                    if not ln.startswith(("audio_code", "population_", "vote", "dense_n_neurons",
                                          "normalisation")))
    (path / "config.toml").write_text(old)
    m = load_model(path)
    assert m.config.encoding.audio_code == "image" and m.config.train.vote == "mean"
    assert m.config.train.epochs == 2                                       # the rest as written


def test_models_are_never_overwritten(tmp_path):
    a = save_model(_model(), "m", home=tmp_path)
    b = save_model(_model(), "m", home=tmp_path)
    assert a != b and a.exists() and b.exists()


def test_interrupted_model_write_leaves_nothing(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with atomic_directory(tmp_path / "m") as tmp:
            write_text(tmp / "config.toml", "x")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_corrupt_model_is_refused_with_one_line(tmp_path):
    path = save_model(_model(), "m", home=tmp_path)
    (path / "network.npz").write_bytes(b"garbage")
    with pytest.raises(DataError, match="network.npz: unreadable") as e:
        load_model(path)
    assert "\n" not in str(e.value)
    with pytest.raises(DataError, match="not a model directory"):
        load_model(tmp_path / "nothing")


def test_run_records_are_unique(tmp_path):
    a, b = RunRecord("synthetic", "t", home=tmp_path), RunRecord("synthetic", "t", home=tmp_path)
    try:
        assert a.path != b.path and a.path.parent == tmp_path / "synthetic"
        assert (a.path / "log.txt").exists()
    finally:
        a.close()
        b.close()


def test_spike_counts_only_count_presentation_window():
    # sample length 500 ms, presentation 350 ms
    i = np.array([0, 1, 1, 0, 2])
    t = np.array([10.0, 349.0, 360.0, 510.0, 999.0])
    c = spike_counts(i, t, 2, 3, 500.0, 350.0)
    np.testing.assert_array_equal(c, [[1, 1, 0], [1, 0, 0]])


def test_compiled_project_key_separates_configs_and_shapes():
    from stdp_emo.config import EncodingConfig, NetworkConfig
    from stdp_emo.network.composition import compose
    from stdp_emo.network.topology import audio_topology, conv_topology
    from stdp_emo.simulate import project_key

    topo = audio_topology(8, 40, 10, 10, 4)
    vis = conv_topology((2, 20, 20), (10, 10), (10, 10), 4)
    net, enc = NetworkConfig(n_features=4), EncodingConfig()

    def key_of(mode="audio", t=topo, n=net, e=enc, **kw):
        kw = {"learning": True, "chunk_size": 16, **kw}
        return project_key(compose(mode, {"audio": t, "visual": vis}, n), n, e, **kw)

    key = key_of()
    assert key == key_of()
    others = [
        key_of(t=audio_topology(8, 50, 10, 10, 4)),
        key_of(n=NetworkConfig(n_features=4, spike_block_ms=5.0)),
        key_of(e=EncodingConfig(max_rate_hz=80.0)),
        key_of(learning=False),
        key_of(chunk_size=8),
        key_of("visual"),
        key_of("crossmodal"),
        key_of("early_fusion"),
        key_of("crossmodal", n=NetworkConfig(n_features=4, cross_p_connect=0.5)),
    ]
    assert key not in others and len(set(others)) == len(others)


def test_compiled_project_key_follows_the_parameter_constants(monkeypatch):
    """Constants are compiled into the project: editing parameters.py must give a new key."""
    from pathlib import Path

    from stdp_emo.config import EncodingConfig, NetworkConfig
    from stdp_emo.network import parameters
    from stdp_emo.network.composition import compose
    from stdp_emo.network.topology import audio_topology
    from stdp_emo.simulate import project_key

    net, enc = NetworkConfig(n_features=4), EncodingConfig()
    comp = compose("audio", {"audio": audio_topology(8, 40, 10, 10, 4)}, net)
    key = project_key(comp, net, enc, learning=True, chunk_size=4)
    source = Path(parameters.__file__).read_bytes()
    real_read = Path.read_bytes

    def edited(self):
        data = real_read(self)
        return data + b"\n# edited\n" if data == source else data

    monkeypatch.setattr(Path, "read_bytes", edited)
    assert project_key(comp, net, enc, learning=True, chunk_size=4) != key


def test_run_status_complete_failed_and_interrupted(tmp_path):
    import json

    ok = RunRecord("synthetic", "ok", home=tmp_path)
    ok.close()
    assert json.loads((ok.path / "status.json").read_text()) == {"status": "complete"}
    bad = RunRecord("synthetic", "bad", home=tmp_path)
    bad.fail(DataError("clips.wav: cannot read audio"))
    bad.close()
    assert json.loads((bad.path / "status.json").read_text()) == {
        "status": "failed", "error": "clips.wav: cannot read audio"}
    assert "run failed: clips.wav: cannot read audio" in (bad.path / "log.txt").read_text()
    cut = RunRecord("synthetic", "cut", home=tmp_path)
    cut.fail(KeyboardInterrupt())
    cut.close()
    assert json.loads((cut.path / "status.json").read_text())["status"] == "interrupted"


def _saved(tmp_path, **info):
    return save_model(_model(**info), "m", home=tmp_path)


def test_model_json_without_its_keys_is_one_line(tmp_path):
    path = _saved(tmp_path)
    (path / "model.json").write_text("{}")
    with pytest.raises(DataError, match=r"model.json: missing or malformed 'classes'"):
        load_model(path)


def test_network_file_of_another_model_is_refused_before_compiling(tmp_path):
    path = _saved(tmp_path)
    other = Model(CFG.replace(network={"dense_n_neurons": 5}),
                  {"w__audio_input_to_audio_exc": np.zeros(5 * 16), "theta__audio": np.zeros(5),
                   "assignments": np.zeros(5, int), "scale_low": np.zeros(2),
                   "scale_high": np.ones(2)},
                  {"classes": ["a"], "split": {"train_ids": [], "test_ids": []},
                   "input_shapes": {"audio": list(SHAPE)}})
    other_path = save_model(other, "other", home=tmp_path)
    (path / "network.npz").write_bytes((other_path / "network.npz").read_bytes())
    with pytest.raises(DataError, match=r"'w__audio_input_to_audio_exc' has 80 entries, but the "
                                        r"network of .*config.toml has 48 synapses"):
        load_model(path)


def test_edited_coefficient_count_and_nan_weights_are_refused(tmp_path):
    path = _saved(tmp_path)
    text = (path / "config.toml").read_text()
    (path / "config.toml").write_text(text.replace("n_mfcc = 2", "n_mfcc = 13"))
    with pytest.raises(DataError, match=r"config.toml: its \[audio\] / \[encoding\] give an audio "
                                        r"input of shape \(1, 26, 4\)"):
        load_model(path)
    path = _saved(tmp_path)
    with np.load(path / "network.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["w__audio_input_to_audio_exc"][3] = np.nan
    np.savez(path / "network.npz", **arrays)
    with pytest.raises(DataError, match="'w__audio_input_to_audio_exc' has non-finite values"):
        load_model(path)


def test_random_bytes_give_no_unpickling_advice(tmp_path):
    path = _saved(tmp_path)
    (path / "network.npz").write_bytes(np.random.default_rng(0).bytes(4000))
    with pytest.raises(DataError) as e:
        load_model(path)
    assert "pickle" not in str(e.value) and "network.npz: unreadable" in str(e.value)


def test_non_ascii_model_names_are_kept(tmp_path):
    assert save_model(_model(), "émotion-情绪", home=tmp_path).name == "émotion-情绪"
    assert save_model(_model(), "../..", home=tmp_path).name == "model"


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
        from test_records import _model
        from stdp_emo.records import save_model
        m = _model()
        m.arrays["padding"] = np.zeros(3_000_000)          # ~24 MB: the write takes a while
        while True:
            save_model(m, "m", home={str(tmp_path)!r})
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
        assert load_model(path).arrays["padding"].size == 3_000_000
    # what a kill leaves is a hidden temporary folder, never taken for a model ...
    left = [p for p in tmp_path.iterdir() if p not in models]
    assert all(p.name.startswith(".") for p in left)
    # ... and the next write in that folder removes it (its writer's process is gone)
    save_model(_model(), "after", home=tmp_path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
