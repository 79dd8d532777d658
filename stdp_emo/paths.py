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
