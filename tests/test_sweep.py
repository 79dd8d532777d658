"""Parameter sweeps: grid parsing, result tables, resume, failed and killed points, a real sweep."""
import csv
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest

from stdp_emo import config as C
from stdp_emo import sweep
from stdp_emo.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]

GRID = """
[grid]
"network.window" = [5, 10, 20]
"network.n_features" = [20, 60]
"train.seed" = [0, 1]

[base.train]
epochs = 2
"""


# ------------------------------------------------------------------ grid parsing
def test_grid_points_are_the_product_with_stable_ids():
    g = sweep.parse_grid(GRID, "g.toml", dataset="synthetic")
    assert g.keys == ["network.window", "network.n_features", "train.seed"]
    pts = g.points()
    assert len(pts) == 12 and len({p.id for p in pts}) == 12
    p = pts[-1]
    assert p.values == {"network.window": 20, "network.n_features": 60, "train.seed": 1}
    assert (p.config.network.window, p.config.network.n_features, p.config.train.seed) == (20, 60, 1)
    assert p.config.train.epochs == 2                      # [base]
    assert p.id == p.config.digest()
    again = sweep.parse_grid(GRID, "g.toml", dataset="synthetic").points()
    assert [q.id for q in again] == [q.id for q in pts]


def test_grid_base_config_and_nested_tables():
    base = C.ExperimentConfig().replace(network={"stride": 7}, data={"dataset": "ravdess"})
    g = sweep.parse_grid('[grid.network]\nwindow = [3, 4]\n[base.audio]\nkind = "mel"\n',
                         "g.toml", base=base, dataset="synthetic")
    assert g.keys == ["network.window"]
    cfgs = [p.config for p in g.points()]
    assert [c.network.window for c in cfgs] == [3, 4]
    assert all(c.network.stride == 7 and c.audio.kind == "mel" for c in cfgs)
    assert all(c.data.dataset == "synthetic" for c in cfgs)   # DATASET wins over the config


@pytest.mark.parametrize("text, needle", [
    ('[grid]\n"nosuch.window" = [1]\n', "'nosuch.window': unknown section 'nosuch'"),
    ('[grid]\n"network.nope" = [1]\n', "'network.nope': unknown field 'nope' of [network]"),
    ('[grid]\n"window" = [1]\n', "'window': keys are \"section.field\""),
    ('[grid]\n"network.window" = ["a"]\n', "'network.window' = 'a': [network].window: expected an integer"),
    ('[grid]\n"network.window" = [5, 0]\n', "'network.window' = 0: [network].window: must be > 0"),
    ('[grid]\n"train.modality" = ["smell"]\n', "'train.modality' = 'smell'"),
    ('[grid]\n"network.window" = 5\n', "'network.window': expected a list of values"),
    ('[grid]\n"network.window" = []\n', "'network.window': empty list"),
    ('[grid]\n"network.window" = [5, 5]\n', "repeated values"),
    ('[grid]\n"data.dataset" = ["ravdess"]\n', "'data.dataset': cannot be swept"),
    ('[grid]\n', "no [grid] table"),
    ('[grid]\n"network.window" = [5]\n[other]\nx = 1\n', "unknown table [other]"),
    ('[grid]\n"network.window" = [5]\n[base.network]\nnope = 1\n', "[base]: [network]: unknown key 'nope'"),
    ('[grid]\n"network.window" = [5]\n[base.nope]\nx = 1\n', "[base]: unknown section [nope]"),
    ('[grid\n', "not valid TOML"),
    ('[grid]\n"audio.fmax_hz" = [7000.0, 9000.0]\n"audio.sample_rate_hz" = [16000]\n',
     "fmax_hz: 9000.0 exceeds the Nyquist"),
])
def test_bad_grids_are_one_line_errors_naming_file_and_key(text, needle):
    with pytest.raises(ConfigError) as e:
        sweep.parse_grid(text, "grids/g.toml").points()
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("grids/g.toml: ")
    assert needle in msg


def test_modality_values_come_from_the_config_not_a_list_of_our_own():
    import typing

    for m in typing.get_args(typing.get_type_hints(C.TrainConfig)["modality"]):
        (point,) = sweep.parse_grid(f'[grid]\n"train.modality" = ["{m}"]\n').points()
        assert point.values == {"train.modality": m} and point.config.train.modality == m


def test_missing_grid_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read grid file"):
        sweep.load_grid(tmp_path / "none.toml")


def test_cli_errors_are_one_line(tmp_path, capsys):
    from stdp_emo.cli import main

    g = tmp_path / "g.toml"
    g.write_text('[grid]\n"network.widow" = [5]\n')
    assert main(["sweep", "synthetic", "--grid", str(g), "--runs-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "network.widow" in err and "\n" not in err
    assert main(["sweep", "synthetic"]) == 2
    assert "--grid" in capsys.readouterr().err
    assert not list(tmp_path.glob("*/*"))          # nothing was started


# ------------------------------------------------------------------ result tables
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


def test_sweep_lines_draws_one_line_per_feature_count():
    import matplotlib.pyplot as plt

    from stdp_emo.plotting import sweep_lines

    fig, ax = plt.subplots()
    mean = np.array([[0.2, 0.3, np.nan], [0.25, 0.35, 0.4]])
    lines = sweep_lines(ax, [5, 10, 20], mean, spread=np.full_like(mean, 0.02),
                        labels=["4 features", "8 features"], chance=0.125)
    assert len(lines) == 2
    assert list(lines[0].get_xdata()) == [5, 10]              # NaN point left out
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["4 features", "8 features"]
    with pytest.raises(ValueError):
        sweep_lines(ax, [5, 10], mean)
    plt.close(fig)


# ------------------------------------------------------------------ running (fake jobs)
def job_ok(cfg, point_dir):
    """Fake training: accuracy from the config, a call counter in the point dir."""
    with open(Path(point_dir) / "calls.txt", "a") as fh:
        fh.write(f"{os.getpid()}\n")
    acc = cfg.network.window / 100 + cfg.network.n_features / 1000
    return {"accuracy": acc, "uar": acc, "n_classes": 8, "run_dir": str(Path(point_dir) / "runs")}


def job_fails_window_20(cfg, point_dir):
    if cfg.network.window == 20:
        raise ValueError("window 20 is not supported by this fake job")
    return job_ok(cfg, point_dir)


def job_kills_window_20(cfg, point_dir):
    if cfg.network.window == 20:
        os._exit(1)                                # the worker process dies
    return job_ok(cfg, point_dir)


SMALL = '[grid]\n"network.window" = [5, 10, 20]\n"network.n_features" = [4]\n'


def _calls(sweep_dir):
    return {p.name: len((p / "calls.txt").read_text().split()) if (p / "calls.txt").exists() else 0
            for p in (Path(sweep_dir) / "points").iterdir()}


@pytest.fixture(scope="module")
def thread_client():
    import dask

    with dask.config.set(sweep.local_cluster_config()):
        client = sweep.local_client(2, processes=False)
    yield client
    client.close()
    client.cluster.close()


def test_failed_point_is_recorded_and_resume_runs_only_unfinished(tmp_path, thread_client):
    grid = sweep.parse_grid(SMALL, "g.toml", dataset="synthetic")
    lines = []
    res = sweep.run_sweep(grid, runs_home=tmp_path, client=thread_client, job=job_fails_window_20,
                          features=False, echo=lines.append)
    assert res.sweep_dir.parent == tmp_path / "synthetic" and res.sweep_dir.name.endswith("_sweep")
    assert [r["status"] for r in res.rows] == ["done", "done", "failed"]
    bad = res.rows[2]
    err = json.loads((res.sweep_dir / "points" / bad["id"] / "error.json").read_text())
    assert err["kind"] == "exception" and "window 20 is not supported" in err["error"]
    assert "Traceback" in err["traceback"]
    assert any("failed: ValueError" in s for s in lines)
    assert any("points done 2 / running 0 / failed 1 / total 3" in s for s in lines)
    ok = json.loads((res.sweep_dir / "points" / res.rows[0]["id"] / "result.json").read_text())
    assert ok["accuracy"] == pytest.approx(0.054) and ok["values"] == {"network.window": 5,
                                                                       "network.n_features": 4}
    assert ok["run_dir"] == f"points/{res.rows[0]['id']}/runs"     # relative to the sweep dir
    assert _calls(res.sweep_dir) == {r["id"]: (1 if r["status"] == "done" else 0) for r in res.rows}
    for f in ("sweep.json", "sweep.csv", "sweep.md", "sweep.png", "grid.toml", "config.toml",
              "log.txt"):
        assert (res.sweep_dir / f).is_file(), f

    again = sweep.run_sweep(grid, resume=res.sweep_dir, client=thread_client, job=job_ok,
                            features=False, echo=None)
    assert again.sweep_dir == res.sweep_dir.resolve()
    assert (again.ran, again.skipped) == (1, 2)
    assert [r["status"] for r in again.rows] == ["done"] * 3
    assert set(_calls(res.sweep_dir).values()) == {1}              # nobody ran twice
    assert not (res.sweep_dir / "points" / bad["id"] / "error.json").exists()
    doc = json.loads((res.sweep_dir / "sweep.json").read_text())
    assert doc["summary"]["done"] == 3 and doc["points"][2]["accuracy"] == pytest.approx(0.204)

    # everything finished: a resume runs nothing and starts no cluster
    third = sweep.run_sweep(grid, resume=res.sweep_dir, job=job_fails_window_20, features=False,
                            echo=None)
    assert (third.ran, third.skipped) == (0, 3)


def test_resume_via_cli_checks_the_directory(tmp_path, capsys):
    from stdp_emo.cli import main

    assert main(["sweep", "synthetic", "--resume", str(tmp_path)]) == 2
    assert "not a sweep directory" in capsys.readouterr().err


def test_killed_worker_fails_only_its_point(tmp_path):
    grid = sweep.parse_grid('[grid]\n"network.window" = [20, 5, 10, 15]\n', "g.toml",
                            dataset="synthetic")
    lines = []
    res = sweep.run_sweep(grid, runs_home=tmp_path, workers=2, job=job_kills_window_20,
                          features=False, echo=lines.append)
    status = {r["values"]["network.window"]: r["status"] for r in res.rows}
    assert status == {20: "failed", 5: "done", 10: "done", 15: "done"}
    killed = next(r for r in res.rows if r["status"] == "failed")
    err = json.loads((res.sweep_dir / "points" / killed["id"] / "error.json").read_text())
    assert err["kind"] == "killed" and "KilledWorker" in err["error"]
    assert not (res.sweep_dir / "points" / killed["id"] / "result.json").exists()
    pids = {int(x) for p in (res.sweep_dir / "points").iterdir() if (p / "calls.txt").exists()
            for x in (p / "calls.txt").read_text().split()}
    assert os.getpid() not in pids                         # ran in worker processes
    table = (res.sweep_dir / "sweep.md").read_text()
    assert "killed" in table or "died" in table


# ------------------------------------------------------------------ a real sweep
@pytest.mark.slow
def test_real_two_point_sweep_on_two_workers(tmp_path, monkeypatch, standalone_cache, capsys):
    from stdp_emo.cli import main

    data = REPO / "datasets"
    monkeypatch.setenv("STDP_EMO_DATA", str(data if (data / "synthetic").is_dir()
                                            else tmp_path / "datasets"))
    monkeypatch.setenv("STDP_EMO_CACHE", str(standalone_cache))
    monkeypatch.chdir(tmp_path)
    g = tmp_path / "grid.toml"
    g.write_text('[grid]\n"network.dense_n_neurons" = [3, 4]\n')
    argv = ["sweep", "synthetic", "--grid", str(g), "--config", str(REPO / "configs" / "tiny.toml"),
            "--workers", "2", "--runs-dir", str(tmp_path / "runs")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "points done 2 / running 0 / failed 0 / total 2" in out
    (sweep_dir,) = (tmp_path / "runs" / "synthetic").iterdir()
    doc = json.loads((sweep_dir / "sweep.json").read_text())
    assert [p["values"]["network.dense_n_neurons"] for p in doc["points"]] == [3, 4]
    for p in doc["points"]:
        assert p["status"] == "done" and 0.0 <= p["accuracy"] <= 1.0 and 0.0 <= p["uar"] <= 1.0
        metrics = json.loads((sweep_dir / p["run_dir"] / "metrics.json").read_text())
        assert metrics["unsupervised"]["accuracy"] == p["accuracy"]
        assert (sweep_dir / p["model_dir"] / "network.npz").is_file()
        cfg = C.load(sweep_dir / "points" / p["id"] / "config.toml")
        assert cfg.digest() == p["id"] and cfg.data.max_per_class == 6     # tiny.toml as base
    assert (sweep_dir / "sweep.png").stat().st_size > 5000
    assert not list((tmp_path / "runs").glob("*/*_synthetic_*"))  # points stay inside the sweep

    assert main(argv[:2] + ["--resume", str(sweep_dir), "--quiet"]) == 0
    assert "2 already finished, 0 to run" in capsys.readouterr().out


def job_slow(cfg, point_dir):
    import time

    time.sleep(0.6)
    return job_ok(cfg, point_dir)


def test_progress_lines_count_running_points(tmp_path, thread_client):
    grid = sweep.parse_grid('[grid]\n"network.window" = [5, 10]\n', "g.toml", dataset="synthetic")
    lines = []
    res = sweep.run_sweep(grid, runs_home=tmp_path, client=thread_client, job=job_slow,
                          features=False, echo=lines.append)
    assert len(res.done) == 2
    progress = [s.split("] ", 1)[1] for s in lines if "points done" in s]
    # one point at a time per process (Brian2's device is global): the two threads take turns
    assert "points done 0 / running 1 / failed 0 / total 2" in progress
    assert progress[-1] == "points done 2 / running 0 / failed 0 / total 2"
    assert len(progress) == len(set(progress))              # a line per change only
