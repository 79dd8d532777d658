"""How many segments should the temporal audio presentation have?  A numpy proxy.

On validation data only (``[data] holdout = "validation"``; a tool for choosing
designs, it never reads the test split), random and speaker splits of
``../shared/data/ravdess``, seeds 0 / 1 (each seed draws its own split, as
``ravdess_audio.py --validation --seed S``).  For ``configs/temporal.toml`` with
``temporal_segments`` S (and ``temporal_taps``) varied, on the exact inputs the
network gets (``preparation.prepare``), a layer of imprinted prototypes is scored
as an ideal winner-take-all would score it:

* every one of ``n`` prototypes (``network.dense_n_neurons``) is one segment of one
  training clip (drawn as ``network.state.initial_state`` draws them), normalised;
* during each segment of a clip the prototype with the largest dot product wins;
* a prototype is labelled with the share of its training-segment wins that fell to
  each class (the proportion vote); a validation clip gets the class with the
  largest summed share over its S segment winners.

S = 1 is the clip-level population code of the same MFCCs (``configs/mfcc.toml``'s
code with 16 tuning curves).  Labels name the prototypes' classes only, as the
network's own labelling does.

Usage::

    python benchmarks/temporal_proxy.py [--root DIR] [--segments 1 7 14 35] [--taps 1 2]
                                        [--out FILE.json]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from _common import REPO, machine_info, write_result  # noqa: E402

DEFAULT_ROOT = REPO.parent / "shared" / "data" / "ravdess"


def segment_wta_vote(x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray,
                     n_segments: int, n_prototypes: int, seed: int) -> float:
    """Accuracy of the proportion vote over per-segment winners of imprinted prototypes.

    Parameters
    ----------
    x : ndarray, shape (n_clips, n_segments * n_inputs)
        Every clip's segment input vectors one after another.
    y : ndarray of int, shape (n_clips,)
    train, test : ndarray of int
        Clip indices.
    """
    n = len(x)
    seg = x.reshape(n, n_segments, -1)
    seg = seg / np.maximum(np.linalg.norm(seg, axis=2, keepdims=True), 1e-12)
    rng = np.random.default_rng(seed)
    clips = rng.choice(train, n_prototypes, replace=len(train) < n_prototypes)
    w = seg[clips, rng.integers(0, n_segments, n_prototypes)]          # (n_prototypes, d)
    n_classes = int(y.max()) + 1

    def winners(idx):
        return np.argmax(seg[idx] @ w.T, axis=2)                        # (len(idx), S)

    wins = np.zeros((n_prototypes, n_classes))
    for c, row in zip(y[train], winners(train)):
        np.add.at(wins[:, c], row, 1)
    share = wins / np.maximum(wins.sum(axis=1, keepdims=True), 1)
    score = share[winners(test)].sum(axis=1)                            # (len(test), classes)
    return float(np.mean(score.argmax(axis=1) == y[test]))


def one_point(split: str, seed: int, segments: int, taps: int, root: Path) -> float:
    from stdp_emo import config as C
    from stdp_emo.preparation import prepare

    cfg = C.load(REPO / "configs" / "temporal.toml")
    code = ({"audio_code": "temporal", "temporal_segments": segments, "temporal_taps": taps}
            if segments > 1 else {"audio_code": "population"})
    cfg = cfg.replace(data={"dataset": "ravdess", "root": str(root), "split": split,
                            "holdout": "validation", "seed": seed}, encoding=code)
    prep = prepare(cfg, progress=False)
    return segment_wta_vote(prep.inputs["audio"], prep.dataset.labels, prep.train_idx,
                            prep.test_idx, segments, prep.config.network.dense_n_neurons, seed)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    ap.add_argument("--segments", type=int, nargs="+", default=[1, 7, 14, 35])
    ap.add_argument("--taps", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if not args.root.is_dir():
        print(f"RAVDESS not found at {args.root}; pass --root", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    result = {"benchmark": "temporal_proxy", "when": time.strftime("%Y-%m-%d %H:%M:%S"),
              "machine": machine_info(), "root": str(args.root), "holdout": "validation",
              "config": "configs/temporal.toml", "points": []}
    for split in ("random", "speaker"):
        for segments in args.segments:
            for taps in (args.taps if segments > 1 else [1]):
                acc = [one_point(split, s, segments, taps, args.root) for s in args.seeds]
                result["points"].append({"split": split, "segments": segments, "taps": taps,
                                         "seeds": args.seeds, "accuracy": acc,
                                         "mean": float(np.mean(acc))})
                print(f"{split:8s} segments {segments:3d} taps {taps}: "
                      + " / ".join(f"{100 * a:.1f}" for a in acc)
                      + f" %  (mean {100 * np.mean(acc):.1f})", flush=True)
    result["wall_s"] = time.perf_counter() - t0
    write_result(result, "temporal_proxy.json", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
