"""Running sweeps (stdp_emo.sweep.runner, .points, .cli): resume, failed and killed points, a real sweep.

Grid parsing: tests/test_sweep_grid.py; result tables: tests/test_sweep_tables.py.
"""
import json
import os
from pathlib import Path

import pytest

from stdp_emo import config as C
from stdp_emo import sweep

REPO = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ CLI
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
