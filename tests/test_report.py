"""report.html and the figure commands, from a hand-made run record and model."""
import json
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from stdp_emo import EMOTIONS_RAVDESS, plotting  # noqa: E402
from stdp_emo.cli import main  # noqa: E402
from stdp_emo.config import ExperimentConfig, to_toml  # noqa: E402
from stdp_emo.errors import DataError  # noqa: E402
from stdp_emo.records import Model, save_model  # noqa: E402
from stdp_emo.report import write_report  # noqa: E402

CLASSES = list(EMOTIONS_RAVDESS)


def _tiny_config():
    return ExperimentConfig().replace(audio={"n_mfcc": 8, "n_mels": 32, "n_frames": 40},
                                      network={"n_features": 4})


@pytest.fixture
def model_dir(tmp_path):
    rng = np.random.default_rng(0)
    n_neurons, fan_in = 4 * 4, 8 * 10                       # 4 positions x 4 features, 8 x 10
    arrays = {"w": rng.uniform(0, 1, n_neurons * fan_in), "theta": np.zeros(n_neurons),
              "assignments": np.array([0, 1, 2, 3, 4, 5, 6, 7, -1, 0, 0, 1, 4, 4, 4, -1]),
              "scale_low": np.zeros(8), "scale_high": np.ones(8)}
    info = {"classes": CLASSES, "dataset": "synthetic", "modality": "audio",
            "input_shape": [1, 8, 40], "n_neurons": n_neurons,
            "split": {"train_ids": ["a"], "test_ids": ["b"]}, "run_dir": "x"}
    return save_model(Model(_tiny_config(), arrays, info), "tiny", home=tmp_path / "models")


@pytest.fixture
def run_dir(tmp_path, model_dir):
    d = tmp_path / "runs" / "synthetic" / "20250101-000000_test"
    d.mkdir(parents=True)
    conf = np.diag([2, 1, 0, 3, 2, 1, 2, 0]).astype(int)
    conf[2, 0] = 2
    conf[7, 4] = 1
    per_class = {c: (float(conf[k, k] / conf[k].sum()) if conf[k].sum() else None)
                 for k, c in enumerate(CLASSES)}
    metrics = {
        "dataset": "synthetic", "description": "SYNTHETIC <tones> & noise", "split": "speaker",
        "features": "mfcc", "modality": "audio", "n_train": 40, "n_test": int(conf.sum()),
        "unsupervised": {"accuracy": 0.8, "uar": 0.7, "per_class_accuracy": per_class,
                         "confusion": conf.tolist(), "n": int(conf.sum()),
                         "silent_test_samples": 0, "neurons_assigned": 14},
        "linear_readout_supervised": {"accuracy": 0.9, "uar": 0.85, "n": int(conf.sum()),
                                      "per_class_accuracy": {str(k): 0.5 for k in range(8)},
                                      "confusion": conf.tolist(), "supervised": True},
        "timings_s": {"train_s": 12.5}, "seconds_per_sample": {"train": 0.1, "test": 0.05},
    }
    (d / "metrics.json").write_text(json.dumps(metrics))
    (d / "predictions.json").write_text(json.dumps({"test_ids": ["b"] * int(conf.sum()),
                                                    "y_true": [0] * int(conf.sum()),
                                                    "y_pred": [0] * int(conf.sum())}))
    (d / "split.json").write_text(json.dumps({
        "n_train": 40, "n_test": int(conf.sum()), "train_actors": ["01", "02"],
        "test_actors": ["05", "06"], "shared_actors": [], "kind": "speaker", "seed": 0,
        "holdout": "test", "class_counts": {"train": {c: 5 for c in CLASSES},
                                            "test": {c: int(n) for c, n in zip(CLASSES, conf.sum(1))}}}))
    (d / "config.toml").write_text(to_toml(_tiny_config()))
    (d / "log.txt").write_text("INFO started\nINFO done\n")
    (d / "model.json").write_text(json.dumps({"model_dir": str(model_dir)}))
    return d


def _no_data(text: str) -> str:
    return re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "", text)


def test_report_has_every_section_and_is_self_contained(run_dir, tmp_path):
    raster = plotting.save_figure(plotting.raster_figure(
        {"audio input": (np.array([1.0, 2.0]), np.array([0, 1]), 2)}, classes=CLASSES,
        present_ms=350, rest_ms=150, title="r"), tmp_path / "raster.png")
    path = write_report(run_dir, rasters=[raster])
    assert path == run_dir / "report.html"
    html = path.read_text()
    for sid in ("config", "protocol", "metrics", "confusion", "per-class", "receptive-fields",
                "rasters", "log"):
        assert f'<section id="{sid}">' in html, sid
    # confusion, per-class bars, receptive fields, raster
    assert html.count('src="data:image/png;base64,') == 4
    rest = _no_data(html)
    assert "http" not in rest.lower() and "<link" not in rest and "<script" not in rest
    assert "SUPERVISED" in html and "unsupervised STDP" in html
    assert "&lt;tones&gt; &amp; noise" in html and "<tones>" not in html      # escaped
    assert "n_features = 4" in html                                        # the config
    assert "05, 06" in html                                                # test actors
    assert "0.800" in html and "0.850" in html
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".")]   # atomic, no temp left


def test_report_without_model_or_split(run_dir):
    (run_dir / "model.json").unlink()
    (run_dir / "split.json").unlink()
    html = write_report(run_dir).read_text()
    assert "No model directory" in html and "split.json not found" in html
    assert html.count("data:image/png;base64,") == 2


def test_report_errors(tmp_path, run_dir):
    with pytest.raises(DataError, match="no such directory"):
        write_report(tmp_path / "nope")
    with pytest.raises(DataError, match="not a model directory"):
        write_report(run_dir, model_dir=tmp_path / "nope")
    (run_dir / "metrics.json").unlink()
    with pytest.raises(DataError, match="missing metrics.json"):
        write_report(run_dir)


def test_cli_plot_and_report(run_dir, model_dir, tmp_path, capsys):
    assert main(["plot", "weights", str(model_dir)]) == 0
    png = model_dir / "receptive_fields.png"
    assert capsys.readouterr().out.strip() == str(png)
    assert mpimg.imread(png).shape[0] > 100

    assert main(["plot", "confusion", str(run_dir)]) == 0
    assert (run_dir / "confusion.png").stat().st_size > 0
    assert main(["plot", "confusion", str(run_dir), "--out", str(tmp_path / "c.svg")]) == 0
    assert "<svg" in (tmp_path / "c.svg").read_text()
    capsys.readouterr()

    assert main(["report", str(run_dir), "--model", str(model_dir)]) == 0
    assert capsys.readouterr().out.strip() == str(run_dir / "report.html")
    assert 'id="receptive-fields"' in (run_dir / "report.html").read_text()


@pytest.mark.parametrize("argv", [
    ["plot", "weights", "{tmp}/missing"],
    ["plot", "weights", "{run}"],                          # a run dir is not a model dir
    ["plot", "confusion", "{tmp}/missing"],
    ["plot", "confusion", "{tmp}"],                        # no metrics.json
    ["plot", "confusion", "{run}", "--out", "{tmp}/c.bmp"],
    ["report", "{tmp}/missing"],
    ["report", "{run}", "--model", "{tmp}/missing"],
])
def test_cli_errors_exit_2(argv, tmp_path, run_dir, capsys):
    argv = [a.format(tmp=tmp_path, run=run_dir) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err
