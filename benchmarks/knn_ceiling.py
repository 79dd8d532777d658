"""Benchmark: the k-NN ceiling of a config's exact network inputs, random and speaker splits.

A trained layer stores its training clips and votes like a soft k-nearest-neighbour over
them (``benchmarks/prototype_diagnostic.py``), so the best k-NN of its inputs bounds what
the unsupervised vote can reach.  For a config (``--set`` overrides), on validation data
only (``[data] holdout = "validation"``; it never reads the test split), split seeds
``--seeds``: cosine k-NN majority votes (:func:`feature_ceiling.topk_vote`) on the inputs
:func:`stdp_emo.preparation.prepare` builds.  Labels only name the stored clips (as the
network's labelling does).  Seconds once the features are cached.

Usage::

    python benchmarks/knn_ceiling.py [--root DIR] [--config FILE.toml] [--set SECTION.KEY=VALUE ...]
        [--k 1 5 10 20 40] [--seeds 0 1] [--out FILE.json]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from _common import REPO, apply_overrides, machine_info, write_result
from feature_ceiling import topk_vote

DEFAULT_ROOT = REPO.parent / "shared" / "data" / "ravdess"


def ceiling(cfg, ks, seeds) -> dict:
    """``{split: {"k<K>": [accuracy per seed], "k<K>_mean": mean}}`` for the audio inputs."""
    from stdp_emo.preparation import prepare

    out = {}
    for split in ("random", "speaker"):
        row: dict = {}
        for seed in seeds:
            c = cfg.replace(data={"split": split, "seed": seed, "holdout": "validation"})
            p = prepare(c, progress=False)
            x, y = p.inputs["audio"].astype(np.float64), p.dataset.labels
            for k in ks:
                pred = topk_vote(x[p.train_idx], y[p.train_idx], x[p.test_idx], k,
                                 len(p.dataset.classes))
                row.setdefault(f"k{k}", []).append(float(np.mean(pred == y[p.test_idx])))
        row.update({f"{key}_mean": float(np.mean(v)) for key, v in list(row.items())})
        out[split] = row
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    ap.add_argument("--config", type=Path, default=None, help="base config (default: the defaults)")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    ap.add_argument("--k", type=int, nargs="+", default=[1, 5, 10, 20, 40])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    from stdp_emo import config as C
    from stdp_emo.errors import ConfigError, DataError

    if not args.root.is_dir():
        print(f"error: {args.root}: RAVDESS folder not found", file=sys.stderr)
        return 2
    if min(args.k) < 1:
        print(f"error: --k {min(args.k)}: must be >= 1", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        base = C.load(args.config) if args.config else C.ExperimentConfig()
        cfg = apply_overrides(base.replace(data={"dataset": "ravdess", "root": str(args.root)}),
                              args.set)
        res = ceiling(cfg, args.k, args.seeds)
    except (ConfigError, DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for split, row in res.items():
        print(f"{split:8s} " + "  ".join(f"{k}-NN {100 * row[f'k{k}_mean']:5.1f}" for k in args.k))
    write_result({"benchmark": "knn_ceiling", "machine": machine_info(), "config": str(args.config or "defaults"), "overrides": args.set,
                  "seeds": args.seeds, "holdout": "validation", "accuracy": res,
                  "wall_s": time.perf_counter() - t0}, "knn_ceiling.json", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
