"""Benchmark: would a second (hierarchical) prototype layer on a network's spike counts help?

Before building a second Diehl & Cook layer that learns on the first layer's spike
counts, this measures what such a layer can at best do, from a finished run's
``counts.npz`` (:mod:`stdp_emo.late_fusion`), with the same labelling and vote as the
network (:func:`stdp_emo.evaluation.label_and_predict`):

* ``first_layer_vote``: the run's own unsupervised vote (reproduces its figure);
* ``second_layer_kmeans_K``: K second-layer neurons as ideal hard winner-take-all
  prototypes of the L2-normalised count vectors (k-means on the labelling samples, the
  converged state of competitive learning), each sample answered by its nearest prototype;
  neurons labelled and voting as in the network; mean over ``--kmeans-seeds``;
* ``second_layer_imprinted``: one prototype per labelling sample (a layer that imprints
  every sample, cosine nearest neighbour): the ceiling of prototype matching on the code.

Labels are used only to name neurons, as in the network (unsupervised). Prints a table
and writes JSON.

Usage::

    python benchmarks/second_layer_proxy.py RUN_DIR [RUN_DIR ...] [--layer audio]
        [--k 64 160 400] [--kmeans-seeds 0 1] [--vote proportion] [--out FILE.json]
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np

from _common import counts_cli, machine_info, run_classes, write_result


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (all-zero rows stay zero), float64."""
    x = np.asarray(x, dtype=np.float64)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, n, out=np.zeros_like(x), where=n > 0)


def winner_responses(protos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """One-hot responses, shape (n_samples, n_protos): each row of unit vectors ``x``
    answered by its most similar (cosine) prototype; an all-zero row answers nothing."""
    sim = x @ protos.T
    out = np.zeros_like(sim)
    live = np.abs(x).sum(axis=1) > 0
    out[np.flatnonzero(live), sim[live].argmax(axis=1)] = 1.0
    return out


def proxy_accuracies(label: np.ndarray, y_label: np.ndarray, test: np.ndarray,
                     y_test: np.ndarray, n_classes: int, ks=(64, 160, 400),
                     kmeans_seeds=(0, 1), vote: str = "proportion") -> dict:
    """Accuracy of the first-layer vote and of ideal second prototype layers.

    Parameters
    ----------
    label, test : ndarray, shape (n_label, n_neurons), (n_test, n_neurons)
        First-layer spike counts of the labelling and test samples.
    y_label, y_test : ndarray of int
        Their classes, 0..n_classes-1.

    Returns
    -------
    dict
        ``first_layer_vote``, ``second_layer_imprinted``, ``second_layer_kmeans_<K>``
        (mean over seeds) and ``second_layer_kmeans_<K>_per_seed``.
    """
    from sklearn.cluster import KMeans

    from stdp_emo.evaluation import label_and_predict

    fallback = int(np.bincount(y_label, minlength=n_classes).argmax())

    def vote_acc(lc, tc):
        pred = label_and_predict(lc, y_label, tc, n_classes, vote, fallback)
        return float(np.mean(pred == y_test))

    a, b = unit_rows(label), unit_rows(test)
    out = {"first_layer_vote": vote_acc(label, test),
           "second_layer_imprinted": vote_acc(winner_responses(a, a), winner_responses(a, b))}
    for k in ks:
        if k > len(a):
            raise ValueError(f"--k {k}: more prototypes than the {len(a)} labelling samples")
        per_seed = []
        for s in kmeans_seeds:
            protos = unit_rows(KMeans(k, n_init=1, random_state=s).fit(a).cluster_centers_)
            per_seed.append(vote_acc(winner_responses(protos, a), winner_responses(protos, b)))
        out[f"second_layer_kmeans_{k}"] = float(np.mean(per_seed))
        out[f"second_layer_kmeans_{k}_per_seed"] = per_seed
    return out


def main(argv=None) -> int:
    ap = counts_cli(__doc__.split("\n\n")[0], "RUN_DIR")
    ap.add_argument("--layer", default="audio", help="which layer's counts (default audio)")
    ap.add_argument("--k", type=int, nargs="+", default=[64, 160, 400])
    ap.add_argument("--kmeans-seeds", type=int, nargs="+", default=[0, 1])
    args = ap.parse_args(argv)
    from stdp_emo.errors import DataError
    from stdp_emo.late_fusion import read_counts

    results = {}
    try:
        for d in args.runs:
            parts = read_counts(d)
            if args.layer not in parts["label"]:
                raise DataError(f"{d}: no layer {args.layer!r} in its counts "
                                f"(has {', '.join(parts['label'])})")
            n_classes = len(run_classes(d))
            results[str(d)] = proxy_accuracies(
                parts["label"][args.layer], parts["y_label"], parts["test"][args.layer],
                parts["y_test"], n_classes, args.k, args.kmeans_seeds, args.vote)
    except (ValueError, DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for d, acc in results.items():
        print(d)
        for k, v in acc.items():
            if not k.endswith("_per_seed"):
                print(f"  {k:30s} {100 * v:5.1f} %")
    result = {"benchmark": "second_layer_proxy", "when": time.strftime("%Y-%m-%d %H:%M:%S"),
              "machine": machine_info(), "vote": args.vote, "layer": args.layer,
              "k": args.k, "kmeans_seeds": args.kmeans_seeds, "accuracy": results}
    write_result(result, "second_layer_proxy.json", args.out)
    print(json.dumps({"accuracy": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
