"""Run records: unique folders, status, log, and the readers of what runs wrote."""
import json
from pathlib import Path

import pytest

from stdp_emo.errors import DataError
from stdp_emo.fileio import atomic_directory, write_text
from stdp_emo.records import (RunRecord, find_model_dir, load_compare, load_metrics,
                              resolve_recorded)


def test_run_records_are_unique(tmp_path):
    a, b = RunRecord("synthetic", "t", home=tmp_path), RunRecord("synthetic", "t", home=tmp_path)
    try:
        assert a.path != b.path and a.path.parent == tmp_path / "synthetic"
        assert (a.path / "log.txt").exists()
    finally:
        a.close()
        b.close()


def test_interrupted_directory_write_leaves_nothing(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with atomic_directory(tmp_path / "m") as tmp:
            write_text(tmp / "config.toml", "x")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_run_status_complete_failed_and_interrupted(tmp_path):
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


def test_readers_give_one_line_errors_and_find_the_model(tmp_path):
    with pytest.raises(DataError, match="not a run directory"):
        load_metrics(tmp_path / "nope")
    (tmp_path / "metrics.json").write_text("{")
    with pytest.raises(DataError, match=r"metrics.json: unreadable"):
        load_metrics(tmp_path)
    (tmp_path / "metrics.json").write_text(json.dumps({"unsupervised": {"accuracy": 1}}))
    with pytest.raises(DataError, match="no unsupervised confusion"):
        load_metrics(tmp_path)
    with pytest.raises(DataError, match="missing compare.json"):
        load_compare(tmp_path)
    assert find_model_dir(tmp_path) is None
    assert find_model_dir(tmp_path, {"model_dir": "/m/a"}).as_posix() == "/m/a"
    (tmp_path / "model.json").write_text(json.dumps({"model_dir": "/m/b"}))
    assert find_model_dir(tmp_path, {"model_dir": "/m/a"}).as_posix() == "/m/b"


def test_recorded_relative_model_path_is_found_from_another_folder(tmp_path, monkeypatch):
    # a run made from <root> records "models/m"; read back from elsewhere it still resolves
    root = tmp_path / "project"
    run_dir = root / "runs" / "ravdess" / "20261202_compare"
    run_dir.mkdir(parents=True)
    (root / "models" / "m").mkdir(parents=True)
    (run_dir / "model.json").write_text(json.dumps({"model_dir": "models/m"}))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert find_model_dir(run_dir) == (root / "models" / "m").resolve()
    assert resolve_recorded("models/m", run_dir) == (root / "models" / "m").resolve()
    # nothing matches: the recorded path comes back unchanged (callers report it)
    assert resolve_recorded("models/gone", run_dir) == Path("models/gone")
    monkeypatch.chdir(root)
    assert resolve_recorded("models/m", run_dir) == Path("models/m")
