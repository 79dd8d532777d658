"""Shared bits of the benchmark scripts: machine description and result files.

Scripts run as ``python benchmarks/<name>.py``, so this folder is on ``sys.path``.
"""
from __future__ import annotations

import json
import os
import platform
import resource
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


def machine_info() -> dict:
    """Python version, CPU count, architecture, host name and load average now."""
    return {"python": platform.python_version(), "cpus": os.cpu_count(),
            "machine": platform.machine(), "node": platform.node(),
            "load_average": list(os.getloadavg())}


def peak_memory_mib() -> dict:
    """Peak resident memory (MiB) of this process and of its largest finished child process.

    ``getrusage`` high-water marks (Linux reports KiB): the benchmark's whole run so far,
    simulation, feature extraction and evaluation together; a child process (an evaluation
    worker, a feature-extraction worker, a standalone binary) is counted separately.
    """
    def mib(who):
        return round(resource.getrusage(who).ru_maxrss / 1024.0, 1)

    return {"self": mib(resource.RUSAGE_SELF), "largest_child": mib(resource.RUSAGE_CHILDREN)}


def apply_overrides(cfg, items: list[str]):
    """``cfg`` with ``SECTION.KEY=VALUE`` overrides applied (each VALUE a TOML literal).

    A malformed item raises ``stdp_emo.errors.ConfigError`` naming it; unknown
    sections or keys are refused by ``ExperimentConfig.replace``.
    """
    import tomllib

    from stdp_emo.errors import ConfigError

    overrides: dict = {}
    for item in items:
        key, eq, value = item.partition("=")
        section, dot, field = key.partition(".")
        if not (eq and dot and section and field):
            raise ConfigError(f"--set {item!r}: expected SECTION.KEY=VALUE")
        try:
            overrides.setdefault(section, {})[field] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"--set {item!r}: the value is not a TOML literal ({e})") from None
    return cfg.replace(**overrides) if overrides else cfg


def write_result(result: dict, name: str, out: Path | None = None) -> Path:
    """Write ``result`` as JSON to ``out`` (default ``benchmarks/results/<name>``), atomically.

    ``result["peak_memory_mib"]`` is set to :func:`peak_memory_mib` at the time of writing.
    """
    from stdp_emo.fileio import write_text

    result["peak_memory_mib"] = peak_memory_mib()
    dest = Path(out) if out is not None else RESULTS / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    write_text(dest, json.dumps(result, indent=2, default=str) + "\n")
    print(f"written {dest}", file=sys.stderr)
    return dest


def counts_cli(description: str, runs_metavar: str):
    """The argument parser shared by the scripts that read finished runs' ``counts.npz``:
    positional runs, ``--vote`` (one of :data:`stdp_emo.evaluation.VOTES`), ``--out``."""
    import argparse

    from stdp_emo.evaluation import VOTES

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("runs", nargs="+", metavar=runs_metavar)
    ap.add_argument("--vote", default="proportion", choices=VOTES)
    ap.add_argument("--out", default=None)
    return ap


def run_classes(run_dir) -> list[str]:
    """Class names of a run, in label order (its ``metrics.json``); DataError if unreadable."""
    from stdp_emo.records import load_metrics

    return list(load_metrics(run_dir)["unsupervised"]["per_class_accuracy"])
