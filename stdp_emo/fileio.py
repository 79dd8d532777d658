"""Atomic writes: write to a temporary file beside the target, then rename.

A crash or Ctrl-C while writing leaves either the old file or no file, never a
half-written one.  Directories (trained models) are written the same way: into
a temporary sibling directory that is renamed into place when complete.

Every :class:`OSError` raised while writing (permission, read-only file system,
full disk) becomes one :class:`~stdp_emo.errors.WriteError` line naming the
folder and what is wrong.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np

from .errors import WriteError, write_error


@contextlib.contextmanager
def writing(target: str | os.PathLike) -> Iterator[None]:
    """Turn an :class:`OSError` raised in the block into a one-line :class:`WriteError`."""
    try:
        yield
    except WriteError:
        raise
    except FileExistsError:
        raise
    except OSError as e:
        raise write_error(target, e) from None


def make_dir(path: str | os.PathLike, exist_ok: bool = True) -> Path:
    """``mkdir -p``, with a one-line :class:`WriteError` on failure."""
    path = Path(path)
    with writing(path.parent):
        path.mkdir(parents=True, exist_ok=exist_ok)
    return path


def claim_dir(parent: str | os.PathLike, name: str) -> Path:
    """Create and return ``parent/name``, or ``name-2``, ``-3``... the first that is free.

    Each candidate is claimed by ``mkdir`` itself (no check-then-create), so processes
    that start in the same second get distinct directories.
    """
    parent = Path(parent)
    make_dir(parent)
    k = 1
    while True:
        path = parent / (name if k == 1 else f"{name}-{k}")
        try:
            with writing(parent):
                path.mkdir()
            return path
        except FileExistsError:
            k += 1


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it onto ``target`` on success.

    Parameters
    ----------
    target : path
        Final file name.
    suffix : str
        Suffix of the temporary file (some writers, e.g. ``np.savez``, need the
        right extension).
    """
    target = Path(target)
    with writing(target.parent):
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(target.parent)
        fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(target), suffix=suffix + ".tmp",
                                   dir=target.parent)
        os.close(fd)
        tmp = Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
    try:
        with writing(target.parent):
            yield tmp
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(target: str | os.PathLike, text: str) -> Path:
    """Atomically write ``text`` (UTF-8) to ``target``."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_json(target: str | os.PathLike, obj) -> Path:
    """Atomically write ``obj`` as indented JSON (numpy scalars/arrays converted)."""
    return write_text(target, json.dumps(obj, indent=2, default=_json_default) + "\n")


def write_npz(target: str | os.PathLike, **arrays: np.ndarray) -> Path:
    """Atomically write arrays to an uncompressed ``.npz`` (no pickles allowed on read)."""
    with atomic_path(target, suffix=".npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
    return Path(target)


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary directory that becomes ``target`` when the block succeeds.

    ``target`` must not exist yet (nothing is ever overwritten); on any error
    the temporary directory is removed and ``target`` is left untouched.
    """
    target = Path(target)
    if target.exists():
        raise FileExistsError(f"{target}: already exists, refusing to overwrite")
    with writing(target.parent):
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(target.parent)
        tmp = Path(tempfile.mkdtemp(prefix=_tmp_prefix(target), suffix=".tmp", dir=target.parent))
        os.chmod(tmp, 0o777 & ~_umask())
    try:
        with writing(target.parent):
            try:
                yield tmp
            except WriteError as e:     # a file inside: name the folder, not the temporary one
                raise WriteError(str(e).replace(str(tmp), str(target.parent))) from None
            os.rename(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _tmp_prefix(target: Path) -> str:
    return f".{target.name}.pid{os.getpid()}."


_STALE = re.compile(r"^\..*\.pid(\d+)\..*\.tmp$")


def remove_stale(folder: str | os.PathLike) -> list[Path]:
    """Remove temporary files and folders that killed writers left in ``folder``.

    A writer killed outright (``SIGKILL``, power loss) cannot clean up; its
    temporary name carries its process id, so the next writer in the same
    folder removes every temporary whose process no longer runs.  Returns the
    removed paths.
    """
    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        m = _STALE.match(entry.name)
        if not m or _alive(int(m.group(1))):
            continue
        try:
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
            removed.append(entry)
        except OSError:
            pass                        # not ours to remove (permissions): leave it
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def npz_problem(e: Exception) -> str:
    """What is wrong with a ``.npz`` that numpy refused, without numpy's advice to unpickle."""
    text = str(e)
    if "allow_pickle" in text or "pickled" in text:
        return "not a numpy .npz archive, or damaged"
    return " ".join(text.split()) or type(e).__name__


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _json_default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
