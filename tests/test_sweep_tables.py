"""Sweep result tables (stdp_emo.sweep.tables): rows, CSV, Markdown, figure data, result files."""
import csv
import io
import json

import numpy as np
import pytest

from stdp_emo import sweep

AXES = [("network.window", [5, 10, 20]), ("network.n_features", [4, 8]), ("train.seed", [0, 1])]


def _hand_rows():
    rows = []
    for w in (5, 10, 20):
        for f in (4, 8):
            for s in (0, 1):
                pid = f"w{w}f{f}s{s}"
                vals = {"network.window": w, "network.n_features": f, "train.seed": s}
                if (w, f, s) == (20, 8, 1):
                    rec = {"status": "failed", "error": "KilledWorker: boom | x"}
                elif (w, f, s) == (20, 8, 0):
                    rec = None
                else:
                    acc = w / 100 + f / 100 + s / 10
                    rec = {"status": "done", "accuracy": acc, "uar": acc / 2, "seconds": 3.0,
                           "run_dir": f"points/{pid}/runs/x", "n_classes": 8}
                rows.append(sweep.make_row(pid, vals, rec))
    return rows


def test_tables_from_hand_made_results(tmp_path):
    rows = _hand_rows()
    keys = [k for k, _ in AXES]
    md = sweep.to_markdown(rows, keys).splitlines()
    assert md[0] == ("| point | network.window | network.n_features | train.seed | status | accuracy "
                     "| UAR | seconds | run / error |")
    assert len(md) == 2 + 12
    assert "| w5f4s0 | 5 | 4 | 0 | done | 0.0900 | 0.0450 | 3.0 | points/w5f4s0/runs/x |" in md
    assert any("failed" in line and "boom \\| x" in line for line in md)
    table = list(csv.DictReader(io.StringIO(sweep.to_csv(rows, keys))))
    assert len(table) == 12 and table[0]["network.window"] == "5"
    assert float(table[1]["accuracy"]) == pytest.approx(0.19)
    assert table[-1]["status"] == "failed" and "boom" in table[-1]["error"]
    assert table[-2]["status"] == "pending" and table[-2]["accuracy"] == ""

    fd = sweep.figure_data(rows, AXES)
    assert fd.x_key == "network.window" and fd.line_key == "network.n_features"
    assert fd.x_values == [5, 10, 20] and fd.line_values == [4, 8]
    assert fd.averaged_over == ["train.seed"] and fd.chance == pytest.approx(1 / 8)
    # mean over seeds: (a + a + 0.1) / 2, std 0.05
    assert fd.mean[0, 0] == pytest.approx(0.09 + 0.05) and fd.spread[0, 0] == pytest.approx(0.05)
    assert fd.count[1, 2] == 0 and np.isnan(fd.mean[1, 2])     # (20, 8): nothing finished
    assert fd.mean[0, 2] == pytest.approx(0.24 + 0.05)

    out = sweep.write_results(tmp_path, AXES, rows, meta={"dataset": "synthetic"})
    assert set(out) == {"json", "csv", "md", "png"}
    doc = json.loads((tmp_path / "sweep.json").read_text())
    assert doc["summary"] == {"total": 12, "done": 10, "failed": 1, "pending": 1}
    assert doc["grid"]["network.window"] == [5, 10, 20]
    assert (tmp_path / "sweep.png").stat().st_size > 5000
    assert not list(tmp_path.glob(".*tmp"))                    # atomic writes left nothing behind


def test_figure_without_window_axis_uses_the_first_axis():
    axes = [("train.modality", ["audio", "visual"]), ("train.seed", [0, 1])]
    rows = [sweep.make_row(f"{m}{s}", {"train.modality": m, "train.seed": s},
                           {"status": "done", "accuracy": 0.5 + s / 10, "uar": 0.5})
            for m in ("audio", "visual") for s in (0, 1)]
    fd = sweep.figure_data(rows, axes)
    assert fd.x_key == "train.modality" and fd.line_key is None
    assert fd.mean.shape == (1, 2) and fd.mean[0, 1] == pytest.approx(0.55)
    fig = sweep.sweep_figure(rows, axes)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["audio", "visual"]
    assert ax.get_xlabel() == "train.modality"
    # sweep.sweep_figure draws figure_data with the plotting package's sweep_figure
    from stdp_emo.plotting import sweep_figure

    ax2 = sweep_figure(fd, "t").axes[0]
    assert [t.get_text() for t in ax2.get_xticklabels()] == ["audio", "visual"]
    assert ax2.get_title().startswith("t\nmean over train.seed")
