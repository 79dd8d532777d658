"""Run records and trained models written by the real writers, for the view tests."""
import numpy as np
import pytest

from stdp_emo import EMOTIONS_RAVDESS, evaluation
from stdp_emo.config import ExperimentConfig, to_toml
from stdp_emo.model import Split, TrainedModel
from stdp_emo.network.state import NetworkState
from stdp_emo.records import RunRecord

CLASSES = list(EMOTIONS_RAVDESS)


def _tiny_config():
    # the hand-made arrays below are laid out for the paper's image code (8 x 40 inputs)
    return ExperimentConfig().replace(audio={"kind": "mfcc", "n_mfcc": 8, "n_mels": 32, "n_frames": 40},
                                      encoding={"audio_code": "image"},
                                      network={"n_features": 4})


@pytest.fixture
def model_dir(tmp_path):
    rng = np.random.default_rng(0)
    n_neurons, fan_in = 4 * 4, 8 * 10                       # 4 positions x 4 features, 8 x 10
    model = TrainedModel(
        _tiny_config(), {"audio": (1, 8, 40)},
        NetworkState({"audio_input_to_audio_exc": rng.uniform(0, 1, n_neurons * fan_in)},
                     {"audio": np.zeros(n_neurons)}),
        np.array([0, 1, 2, 3, 4, 5, 6, 7, -1, 0, 0, 1, 4, 4, 4, -1]), CLASSES,
        Split(["a"], ["b"]), encoding={"scale_low": np.zeros(8), "scale_high": np.ones(8)},
        provenance={"dataset": "synthetic", "run_dir": "x"})
    return model.save("tiny", home=tmp_path / "models")


@pytest.fixture
def run_dir(tmp_path, model_dir):
    conf = np.diag([2, 1, 0, 3, 2, 1, 2, 0]).astype(int)
    conf[2, 0] = 2
    conf[7, 4] = 1
    y_true, y_pred = [], []
    for t, p in zip(*np.nonzero(conf)):
        y_true += [int(t)] * int(conf[t, p])
        y_pred += [int(p)] * int(conf[t, p])
    unsupervised = evaluation.metrics(np.array(y_true), np.array(y_pred), CLASSES)
    unsupervised.update(silent_test_samples=0, neurons_assigned=14)
    readout = evaluation.metrics(np.array(y_true), np.array(y_true), CLASSES)
    readout.update(supervised=True, accuracy=0.9, uar=0.85)
    metrics = {
        "dataset": "synthetic", "description": "SYNTHETIC <tones> & noise", "split": "speaker",
        "features": "mfcc", "modality": "audio", "n_train": 40, "n_test": int(conf.sum()),
        "unsupervised": unsupervised, "linear_readout_supervised": readout,
        "timings_s": {"train_s": 12.5}, "seconds_per_sample": {"train": 0.1, "test": 0.05},
    }
    record = RunRecord("synthetic", "test", home=tmp_path / "runs")
    try:
        record.write_json("metrics.json", metrics)
        record.write_json("predictions.json", {
            "test_ids": [f"s{k:02d}" for k in range(len(y_true))], "y_true": y_true,
            "y_pred": y_pred})
        record.write_json("split.json", {
            "n_train": 40, "n_test": int(conf.sum()), "train_actors": ["01", "02"],
            "test_actors": ["05", "06"], "shared_actors": [], "kind": "speaker", "seed": 0,
            "holdout": "test", "class_counts": {
                "train": {c: 5 for c in CLASSES},
                "test": {c: int(n) for c, n in zip(CLASSES, conf.sum(1))}}})
        record.write_text("config.toml", to_toml(_tiny_config()))
        record.write_json("model.json", {"model_dir": str(model_dir)})
        import logging
        logging.getLogger("stdp_emo.test").info("started")
    finally:
        record.close()
    return record.path


@pytest.fixture
def compare_dir(tmp_path):
    from compare_data import write_compare

    d = tmp_path / "runs" / "compare" / "20250101-000000_compare"
    write_compare(d)
    (d / "log.txt").write_text("INFO compare started\n")
    return d


@pytest.fixture
def crossmodal_model_dir(tmp_path):
    from stdp_emo.network.composition import compose
    from stdp_emo.network.topology import audio_topology, conv_topology

    cfg = _tiny_config().replace(train={"modality": "crossmodal"})
    net = cfg.network
    topo = {"audio": audio_topology(8, 40, net.window, net.stride, net.n_features),
            "visual": conv_topology((2, 20, 20), (10, 10), (10, 10), net.n_features)}
    comp = compose("crossmodal", topo, net)
    cross = comp.projection("visual_exc_to_audio_exc")
    # weights grow with the visual window position: the figure must show it
    w = 0.1 * (cross.pre // net.n_features + 1).astype(float)
    weights = {p.name: np.full(p.n_synapses, 0.1) for p in comp.projections}
    weights["visual_exc_to_audio_exc"] = w
    model = TrainedModel(cfg, {"audio": (1, 8, 40), "visual": (2, 20, 20)},
                         NetworkState(weights, {"audio": np.zeros(16), "visual": np.zeros(16)}),
                         # (both layers vote: 16 audio + 16 visual neurons, [train] vote_layers)
                         np.arange(32) % 8, CLASSES, Split(["a"], ["b"]),
                         encoding={"scale_low": np.zeros(8), "scale_high": np.ones(8)},
                         provenance={"dataset": "synthetic", "run_dir": "x"})
    return model.save("cross", home=tmp_path / "models"), w
