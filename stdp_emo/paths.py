"""Default locations, relative to the working directory unless overridden.

``datasets/``  raw data and feature caches (git-ignored; env ``STDP_EMO_DATA``)
``models/``    trained networks, ``models/<name>/`` (env ``STDP_EMO_MODELS``)
``runs/``      experiment records, ``runs/<dataset>/<timestamp>_<tag>/`` (env ``STDP_EMO_RUNS``)
``.cache/``    compiled Brian2 standalone projects (env ``STDP_EMO_CACHE``)
"""
from __future__ import annotations

import os
from pathlib import Path


def _env_dir(var: str, default: str) -> Path:
    return Path(os.environ.get(var) or default)


def data_home() -> Path:
    """Folder holding datasets and feature caches."""
    return _env_dir("STDP_EMO_DATA", "datasets")


def models_home() -> Path:
    """Folder holding trained networks."""
    return _env_dir("STDP_EMO_MODELS", "models")


def runs_home() -> Path:
    """Folder holding experiment records."""
    return _env_dir("STDP_EMO_RUNS", "runs")


def cache_home() -> Path:
    """Folder holding compiled simulation code."""
    return _env_dir("STDP_EMO_CACHE", ".cache")


def resolve_recorded(path: str | Path, run_dir: str | Path) -> Path:
    """A path stored in a run record, found again from any working folder.

    Records store paths as they were given when the run was made (by default
    relative to the folder it ran from, e.g. ``models/<name>``). Such a path
    is tried as it stands, then against each folder above ``run_dir`` (the
    record lives at ``<root>/runs/<dataset>/<stamp>_<tag>/``, so ``<root>``
    is one of them). The first candidate that exists is returned; when none
    does, the path as recorded.
    """
    path = Path(path)
    if path.is_absolute() or path.exists():
        return path
    for parent in Path(run_dir).resolve().parents:
        if (parent / path).exists():
            return parent / path
    return path
