"""report.html and the figure commands, from a run record and a TrainedModel written by the real writers."""
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
from stdp_emo import evaluation  # noqa: E402
from stdp_emo.model import Split, TrainedModel  # noqa: E402
from stdp_emo.network.state import NetworkState  # noqa: E402
from stdp_emo.records import RunRecord  # noqa: E402
from stdp_emo.report import write_report  # noqa: E402

CLASSES = list(EMOTIONS_RAVDESS)


def _tiny_config():
    # the hand-made arrays below are laid out for the paper's image code (8 x 40 inputs)
    return ExperimentConfig().replace(audio={"n_mfcc": 8, "n_mels": 32, "n_frames": 40},
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


def metrics_accuracy(run_dir) -> float:
    return json.loads((run_dir / "metrics.json").read_text())["unsupervised"]["accuracy"]


def _no_data(text: str) -> str:
    return re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "", text)


def test_report_has_every_section_and_is_self_contained(run_dir, tmp_path):
    raster = plotting.save_figure(plotting.raster_figure(
        {"audio input": (np.array([1.0, 2.0]), np.array([0, 1]), 2)}, classes=CLASSES,
        present_ms=350, rest_ms=150, title="r"), tmp_path / "raster.png")
    path = write_report(run_dir, raster_images=[raster])
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
    assert f"{metrics_accuracy(run_dir):.3f}" in html and "0.850" in html
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

    assert main(["report", str(run_dir), "--model", str(model_dir), "--rasters", "0"]) == 0
    assert capsys.readouterr().out.strip() == str(run_dir / "report.html")
    html = (run_dir / "report.html").read_text()
    assert 'id="receptive-fields"' in html and 'id="rasters"' not in html


@pytest.mark.parametrize("argv", [
    ["plot", "weights", "{tmp}/missing"],
    ["plot", "weights", "{run}"],                          # a run dir is not a model dir
    ["plot", "confusion", "{tmp}/missing"],
    ["plot", "confusion", "{tmp}"],                        # no metrics.json
    ["plot", "confusion", "{run}", "--out", "{tmp}/c.bmp"],
    ["report", "{tmp}/missing"],
    ["report", "{run}", "--model", "{tmp}/missing"],
    ["report", "{run}", "--rasters", "-1"],
    ["plot", "compare", "{tmp}/missing"],
    ["plot", "compare", "{run}"],                          # no compare.json
    ["plot", "compare", "{bad}"],                          # compare.json without runs
])
def test_cli_errors_exit_2(argv, tmp_path, run_dir, capsys):
    bad = tmp_path / "bad_compare"
    bad.mkdir()
    (bad / "compare.json").write_text(json.dumps({"dataset": "x", "summary": []}))
    argv = [a.format(tmp=tmp_path, run=run_dir, bad=bad) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err


# ------------------------------------------------------------------ rasters of test samples
def _fake_record(calls):
    """A stand-in for frozen.record_sample: hand-made spikes, no network."""
    def record_sample(model, sample_id, root=None, trace_neurons=0):
        calls.append((str(model.path), sample_id))
        rng = np.random.default_rng(len(calls))
        groups = {"audio input": (rng.uniform(0, 350, 50), rng.integers(0, 320, 50), 320),
                  "audio excitatory": (rng.uniform(0, 350, 12), rng.integers(0, 16, 12), 16),
                  "audio inhibitory": (rng.uniform(0, 350, 5), rng.integers(0, 16, 5), 16)}
        return {"groups": groups, "assignments": {"audio excitatory": np.arange(16) % 9 - 1},
                "classes": CLASSES, "true": "neutral", "predicted": "angry",
                "sample_id": sample_id, "split": "test", "present_ms": 350.0, "rest_ms": 150.0,
                "retries": len(calls) % 2}
    return record_sample


def test_pick_raster_samples_correct_and_wrong_spread_over_classes():
    from stdp_emo.evaluation import pick_raster_samples

    ids = ["a", "b", "c", "d", "e", "f", "a"]
    y_true = [0, 0, 1, 2, 2, 3, 0]
    y_pred = [0, 0, 1, 0, 1, 3, 0]
    assert pick_raster_samples(ids, y_true, y_pred, 4) == [("a", True), ("c", True),
                                                           ("d", False), ("e", False)]
    assert pick_raster_samples(ids, y_true, y_pred, 3) == [("a", True), ("c", True), ("d", False)]
    # not enough wrong ones: correct ones fill in (and the other way round)
    assert [ok for _, ok in pick_raster_samples(ids, y_true, y_pred, 6)] == [True] * 4 + [False] * 2
    assert pick_raster_samples(ids[:2], y_true[:2], [1, 1], 2) == [("a", False), ("b", False)]
    assert pick_raster_samples(ids, y_true, y_pred, 0) == []


def test_report_draws_recorded_rasters_of_correct_and_wrong_samples(run_dir, model_dir,
                                                                   monkeypatch):
    import stdp_emo.frozen as frozen

    calls = []
    monkeypatch.setattr(frozen, "record_sample", _fake_record(calls))
    recordings, note = frozen.record_rasters(run_dir, 4)
    assert note is None and len(recordings) == 4
    html = write_report(run_dir, recordings=recordings).read_text()
    assert len(calls) == 4 and {c[0] for c in calls} == {str(model_dir)}
    preds = json.loads((run_dir / "predictions.json").read_text())
    truth = dict(zip(preds["test_ids"], zip(preds["y_true"], preds["y_pred"])))
    assert [truth[s][0] == truth[s][1] for _, s in calls] == [True, True, False, False]
    section = html.split('<section id="rasters">')[1].split("</section>")[0]
    assert section.count('src="data:image/png;base64,') == 4
    assert section.count("correctly classified:") == 2 and section.count("MISCLASSIFIED:") == 2
    assert f"sample {calls[0][1]} (test split): true neutral, predicted angry" in section
    assert "higher intensity" in section                                   # retries in the title
    assert html.count('src="data:image/png;base64,') == 3 + 4     # + confusion, per-class, fields


def test_report_notes_rasters_that_cannot_be_recorded(run_dir, monkeypatch):
    import stdp_emo.frozen as frozen

    def fail(model, sample_id, root=None, trace_neurons=0):
        raise DataError(f"/data/synthetic: sample '{sample_id}' not found")

    monkeypatch.setattr(frozen, "record_sample", fail)
    recordings, note = frozen.record_rasters(run_dir, 4)
    html = write_report(run_dir, recordings=recordings, raster_note=note).read_text()
    assert "could not be recorded" in html and "not found" in html
    assert html.count('src="data:image/png;base64,') == 3
    (run_dir / "predictions.json").unlink()
    assert frozen.record_rasters(run_dir, 4) == ([], "predictions.json not found: no spike "
                                                     "rasters recorded.")
    (run_dir / "model.json").unlink()
    assert frozen.record_rasters(run_dir, 4)[1].startswith("No readable model for this run")


def test_report_never_runs_the_network(run_dir, monkeypatch):
    """A view draws what it is given: without recordings there is no rasters section."""
    import stdp_emo.frozen as frozen

    def forbidden(*a, **k):
        raise AssertionError("the report ran the network")

    monkeypatch.setattr(frozen, "record_sample", forbidden)
    html = write_report(run_dir).read_text()
    assert 'id="rasters"' not in html


def test_cli_report_rasters_flag(run_dir, monkeypatch, capsys):
    import stdp_emo.frozen as frozen

    calls = []
    monkeypatch.setattr(frozen, "record_sample", _fake_record(calls))
    assert main(["report", str(run_dir), "--rasters", "2"]) == 0
    assert len(calls) == 2
    assert (run_dir / "report.html").read_text().count("MISCLASSIFIED:") == 1


# ------------------------------------------------------------------ compare runs
@pytest.fixture
def compare_dir(tmp_path):
    from compare_data import write_compare

    d = tmp_path / "runs" / "compare" / "20250101-000000_compare"
    write_compare(d)
    (d / "log.txt").write_text("INFO compare started\n")
    return d


def test_plot_compare_writes_figure(compare_dir, tmp_path):
    from stdp_emo.report import plot_compare

    png = plot_compare(compare_dir)
    assert png == compare_dir / "compare.png"
    h, w = mpimg.imread(png).shape[:2]
    assert w >= 1200 and h >= 900
    svg = plot_compare(compare_dir, tmp_path / "c.svg")
    assert "<svg" in svg.read_text()


def test_report_of_compare_run(compare_dir):
    data = json.loads((compare_dir / "compare.json").read_text())
    html = write_report(compare_dir).read_text()
    for sid in ("compare-protocol", "compare-summary", "compare-figure", "compare-per-class",
                "compare-robustness", "compare-energy", "compare-runs", "log"):
        assert f'<section id="{sid}">' in html, sid
    for sid in ("metrics", "confusion", "rasters"):
        assert f'<section id="{sid}">' not in html, sid
    assert html.count('src="data:image/png;base64,') == 1                  # the comparison figure
    rest = _no_data(html)
    assert "http" not in rest.lower() and "<script" not in rest
    assert "&lt;test&gt;" in html and "<test>" not in html
    summary = html.split('<section id="compare-summary">')[1].split("</section>")[0]
    assert summary.count("<tr>") == 1 + 7                                  # header + 7 (mode, features)
    s = data["summary"][0]
    assert f"{s['accuracy_mean']:.3f} \u00b1 {s['accuracy_std']:.3f}" in summary
    best = max(data["summary"], key=lambda r: r["accuracy_mean"])
    assert f"<b>{best['accuracy_mean']:.3f} \u00b1" in summary
    rob = html.split('<section id="compare-robustness">')[1].split("</section>")[0]
    assert rob.count("<tr>") == 1 + 7 and "20 dB SNR" in rob and "0.5 ev/px/s" in rob
    assert "crossmodal (mfcc)" in rob
    energy = html.split('<section id="compare-energy">')[1].split("</section>")[0]
    assert energy.count("<tr>") == 1 + 7 and "41.4" in energy and "1.2e+06" in energy
    assert "37.6" in energy                                                 # ANN / SNN ratio
    runs = html.split('<section id="compare-runs">')[1].split("</section>")[0]
    assert runs.count("<tr>") == 1 + len(data["runs"])


def test_report_of_compare_run_without_robustness_or_energy(tmp_path):
    from compare_data import write_compare

    d = tmp_path / "cmp"
    write_compare(d, with_robustness=False, with_energy=False)
    html = write_report(d).read_text()
    assert "No robustness conditions" in html and "No energy estimates" in html
    assert html.count('src="data:image/png;base64,') == 1


def test_compare_json_errors(tmp_path):
    from stdp_emo.report import load_compare

    d = tmp_path / "cmp"
    d.mkdir()
    with pytest.raises(DataError, match="missing compare.json"):
        load_compare(d)
    (d / "compare.json").write_text("{not json")
    with pytest.raises(DataError, match="unreadable"):
        load_compare(d)
    (d / "compare.json").write_text(json.dumps({"runs": [{"mode": "audio"}]}))
    with pytest.raises(DataError, match=r"runs\[0\] lacks"):
        write_report(d)
    (d / "compare.json").write_text(json.dumps({"runs": [], "summary": []}))
    with pytest.raises(DataError, match="no runs"):
        write_report(d)


def test_cli_plot_compare_and_report(compare_dir, capsys):
    assert main(["plot", "compare", str(compare_dir)]) == 0
    assert capsys.readouterr().out.strip() == str(compare_dir / "compare.png")
    assert main(["report", str(compare_dir)]) == 0
    assert 'id="compare-summary"' in (compare_dir / "report.html").read_text()


def test_trace_panel_puts_neurons_in_columns():
    from stdp_emo.report import trace_panel

    t = np.arange(5.0)
    v = np.array([[-65.0, -60, -55, -65, -64], [-70.0, -69, -68, -67, -66]])   # (k, n_t)
    panel = trace_panel({"t_ms": t, "neurons": np.array([3, 7]), "v_mv": v,
                         "threshold_mv": v + 12})
    assert set(panel) == {"v_mV", "threshold_mV"}
    np.testing.assert_array_equal(panel["v_mV"][1], v.T)          # (n_t, k): one line per neuron
    np.testing.assert_array_equal(panel["threshold_mV"][0], t)
    assert trace_panel(None) is None
    assert trace_panel({"t_ms": t, "neurons": np.array([], int), "v_mv": v[:0],
                        "threshold_mv": v[:0]}) is None


# ------------------------------------------------------------------ cross-modal weights
def test_block_means_on_hand_made_values():
    from stdp_emo.plotting import block_means

    m = block_means([1.0, 3.0, 5.0, 7.0, 100.0], [0, 0, 1, 1, -1], [0, 0, 0, 2, 1], 2, 3)
    np.testing.assert_array_equal(m[0, 0], 2.0)                 # mean of 1 and 3
    assert m[1, 0] == 5.0 and m[1, 2] == 7.0
    assert np.isnan(m[0, 1]) and np.isnan(m[1, 1])              # empty blocks; -1 left out


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
                         np.arange(16) % 8, CLASSES, Split(["a"], ["b"]),
                         encoding={"scale_low": np.zeros(8), "scale_high": np.ones(8)},
                         provenance={"dataset": "synthetic", "run_dir": "x"})
    return model.save("cross", home=tmp_path / "models"), w


def test_cross_weight_figure_of_a_crossmodal_model(crossmodal_model_dir, capsys):
    from stdp_emo.report import cross_weight_figure_for

    mdir, w = crossmodal_model_dir
    fig = cross_weight_figure_for(TrainedModel.load(mdir))
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == 1 + len(CLASSES)
    by_position = images[0].get_array()
    assert by_position.shape == (4, 4)                         # 4 audio x 2x2 visual positions
    np.testing.assert_allclose(by_position, np.tile([0.1, 0.2, 0.3, 0.4], (4, 1)))
    np.testing.assert_allclose(images[1].get_array(), [[0.1, 0.2], [0.3, 0.4]])

    assert main(["plot", "weights", str(mdir)]) == 0
    out = capsys.readouterr().out.split()
    assert out == [str(mdir / "receptive_fields.png"), str(mdir / "receptive_fields_cross.png")]
    assert mpimg.imread(out[1]).shape[0] > 200


def test_no_cross_weight_figure_for_an_audio_model(model_dir):
    from stdp_emo.report import cross_weight_figure_for

    assert cross_weight_figure_for(TrainedModel.load(model_dir)) is None


def test_report_shows_cross_weights_of_a_crossmodal_model(run_dir, crossmodal_model_dir):
    mdir, _ = crossmodal_model_dir
    html = write_report(run_dir, mdir).read_text()
    section = html.split('<section id="receptive-fields">')[1].split("</section>")[0]
    assert "Visual -&gt; audio" in section or "Visual -> audio" in section
    assert section.count('src="data:image/png;base64,') == 2


def test_report_source_imports_no_stage_that_runs_the_network():
    """Views draw what they are given: report.py names no simulator, trainer or runner."""
    import ast
    from pathlib import Path

    import stdp_emo.report as report

    tree = ast.parse(Path(report.__file__).read_text())
    names = {"." * n.level + (n.module or "") for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    runners = ("simulate", "frozen", "training", "preparation", "experiment", "inference",
               "network.builder", "network.namespace")
    assert not {m for m in names if m.split(".")[0] == "brian2" or m.lstrip(".") in runners}
