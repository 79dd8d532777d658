"""Atomic writes: every OSError becomes one line naming the folder; nothing half-written stays."""
import errno
import os

import numpy as np
import pytest

from stdp_emo import fileio
from stdp_emo.errors import WriteError


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_is_one_line_naming_the_folder_and_leaves_nothing(tmp_path, monkeypatch):
    (tmp_path / "old.txt").write_text("kept")
    monkeypatch.setattr(fileio.os, "replace", _full_disk)
    with pytest.raises(WriteError) as e:
        fileio.write_text(tmp_path / "old.txt", "new")
    assert str(e.value) == f"{tmp_path}: cannot write (no space left on the device)"
    assert (tmp_path / "old.txt").read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt"]     # no temporary file


def test_read_only_folder_is_named(tmp_path, monkeypatch):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(fileio.tempfile, "mkstemp", read_only)
    with pytest.raises(WriteError, match=r"cannot write \(read-only file system\)") as e:
        fileio.write_npz(tmp_path / "sub" / "a.npz", x=np.zeros(2))
    assert str(tmp_path / "sub") in str(e.value) and "\n" not in str(e.value)


def test_failure_inside_a_model_folder_names_the_models_folder(tmp_path, monkeypatch):
    real_replace = os.replace

    def fail_on_npz(src, dst):
        if str(dst).endswith(".npz"):
            raise OSError(errno.ENOSPC, "no space")
        return real_replace(src, dst)

    monkeypatch.setattr(fileio.os, "replace", fail_on_npz)
    with pytest.raises(WriteError) as e:
        with fileio.atomic_directory(tmp_path / "models" / "m") as tmp:
            fileio.write_text(tmp / "config.toml", "x")
            fileio.write_npz(tmp / "network.npz", w=np.zeros(3))
    assert str(e.value) == f"{tmp_path / 'models'}: cannot write (no space left on the device)"
    assert list((tmp_path / "models").iterdir()) == []        # no half-written model


def test_existing_target_is_never_overwritten(tmp_path):
    (tmp_path / "m").mkdir()
    with pytest.raises(FileExistsError):
        with fileio.atomic_directory(tmp_path / "m"):
            pass


def test_remove_stale_removes_only_temporaries_of_dead_writers(tmp_path):
    import subprocess
    import sys

    from stdp_emo.fileio import remove_stale
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    gone = tmp_path / f".m.pid{dead}.abc.tmp"
    (gone / "sub").mkdir(parents=True)
    gone_file = tmp_path / f".network.npz.pid{dead}.x1.npz.tmp"
    gone_file.write_bytes(b"half")
    mine = tmp_path / f".m.pid{os.getpid()}.def.tmp"
    mine.mkdir()
    other = tmp_path / ".hidden-but-not-ours"
    other.mkdir()
    assert sorted(remove_stale(tmp_path)) == sorted([gone, gone_file])
    assert mine.exists() and other.exists() and not gone.exists()


def test_claim_dir_skips_taken_names(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run-2").mkdir()
    (tmp_path / "run-2" / "keep.txt").write_text("x")
    got = fileio.claim_dir(tmp_path, "run")
    assert got == tmp_path / "run-3" and got.is_dir()
    assert (tmp_path / "run-2" / "keep.txt").read_text() == "x"


def test_claim_dir_gives_simultaneous_claimants_distinct_folders(tmp_path, monkeypatch):
    # Every claimant first sees the same free name (as processes that start in the
    # same second do); mkdir decides who gets it, the others move on.
    import threading
    n = 8
    barrier = threading.Barrier(n)
    real_mkdir = type(tmp_path).mkdir

    def racing_mkdir(self, *a, **k):
        if self.parent == tmp_path and self.name == "run":
            try:
                barrier.wait(timeout=5)
            except threading.BrokenBarrierError:
                pass
        return real_mkdir(self, *a, **k)

    monkeypatch.setattr(type(tmp_path), "mkdir", racing_mkdir)
    got = []
    threads = [threading.Thread(target=lambda: got.append(fileio.claim_dir(tmp_path, "run")))
               for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == n and len(set(got)) == n
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["run"] + [f"run-{k}" for k in range(2, n + 1)])
