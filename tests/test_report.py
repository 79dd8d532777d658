"""report.html and the CLI figure commands, from a run record and a TrainedModel written by the real writers."""
import json
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from run_fixtures import (CLASSES, compare_dir, crossmodal_model_dir, model_dir,  # noqa: E402,F401
                          run_dir)
from stdp_emo import plotting  # noqa: E402
from stdp_emo.cli import main  # noqa: E402
from stdp_emo.errors import DataError  # noqa: E402
from stdp_emo.report import write_report  # noqa: E402


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
    from stdp_emo.records import load_compare

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


def test_report_shows_cross_weights_of_a_crossmodal_model(run_dir, crossmodal_model_dir):
    mdir, _ = crossmodal_model_dir
    html = write_report(run_dir, mdir).read_text()
    section = html.split('<section id="receptive-fields">')[1].split("</section>")[0]
    assert "Visual -&gt; audio" in section or "Visual -> audio" in section
    assert section.count('src="data:image/png;base64,') == 2


def test_report_source_imports_no_stage_that_runs_the_network():
    """Views draw what they are given: report.py and figures.py name no simulator or runner."""
    import ast
    from pathlib import Path

    import stdp_emo.report as report

    runners = ("simulate", "frozen", "training", "preparation", "experiment", "inference",
               "network.builder", "network.namespace")
    for name in ("report.py", "figures.py"):
        tree = ast.parse((Path(report.__file__).parent / name).read_text())
        names = {"." * n.level + (n.module or "") for n in ast.walk(tree)
                 if isinstance(n, ast.ImportFrom)}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert names, name
        assert not {m for m in names if m.split(".")[0] == "brian2" or m.lstrip(".") in runners}, name
