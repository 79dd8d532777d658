"""The built-in synthetic speech dataset in the RAVDESS layout (the default dataset).

:func:`load` finds the set (default ``data_home() / "synthetic"``) and reads it
with the RAVDESS loader; :func:`ensure` checks that it is complete and current
and otherwise has the generator (:func:`stdp_emo.generators.speech.generate`)
write it, in a temporary folder swapped in when complete.  How the speech is
made is described in :mod:`stdp_emo.generators.speech` and
:mod:`stdp_emo.generators.voice`.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import ConfigError, DataError
from ..generators.speech import DEFAULTS, GENERATOR_VERSION, MANIFEST, generate
from ..generators.voice import design
from ..paths import data_home
from .base import Dataset


def ensure(root: str | os.PathLike | None = None, **kw) -> Path:
    """Return a complete synthetic set at ``root``, generating it if needed.

    A set is complete when its manifest has the current generator version, the
    parameters given in ``kw`` (parameters not given are not compared) and
    every clip file exists.  A missing, empty, incomplete or outdated set is
    (re)generated in a temporary folder and swapped in, so an interrupted run
    never leaves a half-made set.

    Parameters
    ----------
    root : path or None
        Default ``data_home() / "synthetic"``.
    **kw
        Generator parameters (see :func:`generate`).

    Returns
    -------
    Path
        ``root``.

    Raises
    ------
    DataError
        If ``root`` exists, is not empty and was not made by this generator
        (it is never overwritten), or is a file.
    """
    root = Path(root) if root else data_home() / "synthetic"
    unknown = set(kw) - set(DEFAULTS)
    if unknown:
        raise ConfigError(f"synthetic: unknown generator parameter(s) {', '.join(sorted(unknown))} "
                          f"(allowed: {', '.join(DEFAULTS)})")
    manifest = _read_manifest(root)
    if manifest is not None and _is_complete(root, manifest, kw):
        return root
    if root.exists() and not root.is_dir():
        raise DataError(f"{root}: not a folder (expected the synthetic data set or nothing)")
    if root.exists() and manifest is None and any(root.iterdir()):
        raise DataError(f"{root}: exists but is not a synthetic data set (no {MANIFEST}); "
                        f"remove it or choose another folder")
    params = {**DEFAULTS, **{k: v for k, v in (manifest or {}).items() if k in DEFAULTS}, **kw}
    if not root.exists():
        try:
            return generate(root, **params)
        except (OSError, DataError):
            # another process may have made the same set meanwhile
            if _is_complete(root, _read_manifest(root) or {}, kw):
                return root
            raise
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".new", dir=root.parent))
    staging.rmdir()
    try:
        generate(staging, **params)
        _swap(staging, root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root


def load(root: str | os.PathLike | None = None, **kw) -> Dataset:
    """The synthetic set at ``root`` (generated on first use) as a :class:`Dataset`.

    Parameters
    ----------
    root : path or None
        Default ``data_home() / "synthetic"``.
    **kw
        Generator parameters, see :func:`ensure`.

    Returns
    -------
    Dataset
        ``name="synthetic"``, the 8 RAVDESS classes; audio, and face videos
        once they have been rendered (then described as SIMULATED faces).
    """
    from dataclasses import replace

    from . import ravdess

    dataset = ravdess.load(ensure(root, **kw))
    desc = "synthetic speech (built-in generator)"
    if any(c.video_path is not None for c in dataset.clips):
        desc += " + SIMULATED faces (rendered)"
    return replace(dataset, name="synthetic", description=desc)


def _read_manifest(root: Path) -> dict | None:
    """The manifest of a set, or None if there is none or it is unreadable."""
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _is_complete(root: Path, manifest: dict, wanted: dict) -> bool:
    """Whether ``root`` holds a current, complete set with the ``wanted`` parameters."""
    if manifest.get("generator_version") != GENERATOR_VERSION:
        return False
    if any(manifest.get(k) != v for k, v in wanted.items()):
        return False
    n_actors = manifest.get("n_actors")
    if not isinstance(n_actors, int) or not 1 <= n_actors <= 24:
        return False
    return all((root / t.relpath).is_file() for t in design(n_actors))


def _swap(new: Path, root: Path) -> None:
    """Replace the folder ``root`` by ``new`` (the old one is deleted after the swap)."""
    old = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".old", dir=root.parent))
    old.rmdir()
    os.rename(root, old)
    os.rename(new, root)
    shutil.rmtree(old, ignore_errors=True)
