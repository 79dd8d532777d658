"""Benchmark: the joint vote of several finished audio runs on the same split (an ensemble).

Every run record keeps its frozen network's spike counts (``counts.npz``,
:mod:`stdp_emo.late_fusion`). Given runs of *different* audio designs on the
same split and samples (e.g. the default, ``configs/hard_competition.toml`` and
``configs/mfcc.toml``, each trained by ``benchmarks/ravdess_audio.py
--validation --seed S``), this labels every neuron of every run on the
labelling samples and lets them all vote, for every combination of the runs,
with the layers' votes pooled (one class mean over all neurons) or per layer
(each network's class means added). Still unsupervised: the labels only name
the neurons, as in a single network. Prints a table and writes JSON.

Usage::

    python benchmarks/ensemble.py NAME=RUN_DIR NAME=RUN_DIR [...] [--vote proportion]
        [--out FILE.json]
"""
from __future__ import annotations

import itertools
import json
import sys
import time

import numpy as np

from _common import counts_cli, machine_info, run_classes, write_result

LAYER_VOTES = ("per_layer", "pooled")


def combination_accuracies(parts: dict, n_classes: int, vote: str) -> dict:
    """Unsupervised accuracy of every combination of ``parts`` (name -> read_counts result).

    Returns ``{"a+b per_layer": acc, ...}``; a single run appears once (``per_layer``: its
    own vote), combinations of two or more under both layer votes.
    """
    from stdp_emo.late_fusion import check_same_samples, joint_vote

    names = list(parts)
    if len(names) > 1:
        check_same_samples([parts[n] for n in names])
    y = parts[names[0]]["y_test"]
    out = {}
    for r in range(1, len(names) + 1):
        for combo in itertools.combinations(names, r):
            for lv in LAYER_VOTES[:1] if r == 1 else LAYER_VOTES:
                pred = joint_vote([parts[n] for n in combo], n_classes, vote, lv)
                out[f"{'+'.join(combo)} {lv}"] = float(np.mean(pred == y))
    return out


def parse_runs(items: list[str]) -> dict:
    """``NAME=RUN_DIR`` items -> ordered ``{name: run_dir}``; a bad item raises ValueError."""
    runs = {}
    for item in items:
        name, eq, path = item.partition("=")
        if not (eq and name and path) or "+" in name or " " in name:
            raise ValueError(f"{item!r}: expected NAME=RUN_DIR (NAME without '+' or spaces)")
        if name in runs:
            raise ValueError(f"{item!r}: the name {name!r} is given twice")
        runs[name] = path
    return runs


def main(argv=None) -> int:
    args = counts_cli(__doc__.split("\n\n")[0], "NAME=RUN_DIR").parse_args(argv)
    from stdp_emo.errors import DataError
    from stdp_emo.late_fusion import read_counts

    try:
        runs = parse_runs(args.runs)
        parts = {name: read_counts(d) for name, d in runs.items()}
        classes = {name: run_classes(d) for name, d in runs.items()}
        if len({tuple(c) for c in classes.values()}) > 1:
            raise DataError(f"the runs name different classes: {classes}")
        acc = combination_accuracies(parts, len(next(iter(classes.values()))), args.vote)
    except (ValueError, DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for k, v in acc.items():
        print(f"{k:48s} {100 * v:5.1f} %")
    result = {"benchmark": "ensemble", "when": time.strftime("%Y-%m-%d %H:%M:%S"),
              "machine": machine_info(), "vote": args.vote, "runs": runs,
              "n_test": len(next(iter(parts.values()))["y_test"]), "accuracy": acc}
    write_result(result, "ensemble.json", args.out)
    print(json.dumps({"accuracy": acc}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
