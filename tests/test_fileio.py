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
