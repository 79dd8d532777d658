"""Benchmark: what does a trained audio layer do with its inputs?  Prototypes vs spikes.

For finished single-layer runs (their ``counts.npz`` and the model each wrote), on the
run's own labelling (training) and test samples and the exact inputs the network got
(:func:`stdp_emo.preparation.prepare_for_model`):

* ``input_knn_K``: K-nearest-neighbour majority vote (cosine) on the inputs, labelled
  by the labelling samples: K = 1 is what memorised prototypes can at best do, larger K
  a softer vote over several stored samples;
* ``prototype_wta``: the learned weight vectors as ideal hard winner-take-all neurons
  (winner = most similar weight vector, cosine), labelled and voting as in the network;
  ``prototype_distinct_winners``: how many neurons win at least one labelling sample;
* ``network_vote`` (reproduces the run), ``network_top_k_K``: the vote of each sample's
  K most active labelled neurons only (:func:`stdp_emo.evaluation.strongest`);
  ``network_winner_is_nearest_prototype_{label,test}``: how often the neuron that
  spikes most is the one whose weights are most similar to the input;
  ``spikes_per_sample``, ``active_neurons``, ``top_neuron_spike_share`` (test samples).

Labels only name neurons and stored samples, as in the network (unsupervised); no
figure here is a supervised classifier.  Prints a table and writes JSON.

Usage::

    python benchmarks/prototype_diagnostic.py RUN_DIR [RUN_DIR ...] [--vote proportion]
        [--knn 1 5 10 20 40] [--top-k 1 3 5 10 20] [--out FILE.json]
"""
from __future__ import annotations

import sys
import time

import numpy as np

from _common import counts_cli, machine_info, run_classes, write_result
from feature_ceiling import topk_vote
from second_layer_proxy import unit_rows, winner_responses


def knn_accuracy(x_label: np.ndarray, y_label: np.ndarray, x_test: np.ndarray,
                 y_test: np.ndarray, n_classes: int, k: int) -> float:
    """Accuracy of a cosine k-nearest-neighbour majority vote
    (:func:`feature_ceiling.topk_vote`; ties: lowest class)."""
    if not 1 <= k <= len(x_label):
        raise ValueError(f"--knn {k}: needs 1 <= K <= {len(x_label)} labelling samples")
    pred = topk_vote(np.asarray(x_label, float), np.asarray(y_label), np.asarray(x_test, float),
                     k, n_classes)
    return float(np.mean(pred == y_test))


def diagnose(x_label, y_label, x_test, y_test, weights, label_counts, test_counts,
             n_classes: int, knn=(1, 5, 10, 20, 40), top_k=(1, 3, 5, 10, 20),
             vote: str = "proportion") -> dict:
    """Prototype and spike figures of one trained layer (see the module docstring).

    Parameters
    ----------
    x_label, x_test : ndarray, shape (n_label, n_inputs), (n_test, n_inputs)
        The network's input rates (fractions of the maximum rate) of the samples.
    y_label, y_test : ndarray of int
    weights : ndarray, shape (n_neurons, n_inputs)
        Input -> layer weights, one row per neuron.
    label_counts, test_counts : ndarray, shape (n_label, n_neurons), (n_test, n_neurons)
        The frozen layer's spike counts for the same samples.

    Returns
    -------
    dict of floats (accuracies and rates as fractions, counts as numbers)
    """
    from stdp_emo import evaluation as E

    y_label, y_test = np.asarray(y_label), np.asarray(y_test)
    label_counts = np.asarray(label_counts, dtype=np.float64)
    test_counts = np.asarray(test_counts, dtype=np.float64)
    fallback = int(np.bincount(y_label, minlength=n_classes).argmax())
    out = {f"input_knn_{k}": knn_accuracy(x_label, y_label, x_test, y_test, n_classes, k)
           for k in knn}
    protos = unit_rows(weights)
    wl, wt = winner_responses(protos, unit_rows(x_label)), winner_responses(protos, unit_rows(x_test))
    out["prototype_wta"] = float(np.mean(
        E.label_and_predict(wl, y_label, wt, n_classes, vote, fallback) == y_test))
    out["prototype_distinct_winners"] = int(wl.any(axis=0).sum())
    out["n_neurons"], out["n_label"] = int(len(weights)), int(len(x_label))
    a = E.assign_labels(label_counts, y_label, n_classes)
    w = E.vote_weights(label_counts, y_label, a, n_classes, vote)
    out["network_vote"] = float(np.mean(
        E.predict(test_counts, a, n_classes, fallback=fallback, weights=w) == y_test))
    for k in top_k:
        out[f"network_top_k_{k}"] = float(np.mean(E.predict(
            test_counts, a, n_classes, fallback=fallback, weights=w, top_k=k) == y_test))
    for name, counts, wins in (("label", label_counts, wl), ("test", test_counts, wt)):
        fired = counts.max(axis=1) > 0
        same = fired & (counts.argmax(axis=1) == wins.argmax(axis=1))
        out[f"network_winner_is_nearest_prototype_{name}"] = float(np.mean(same))
    total = test_counts.sum(axis=1)
    out["spikes_per_sample"] = float(total.mean())
    out["active_neurons"] = float((test_counts > 0).sum(axis=1).mean())
    out["top_neuron_spike_share"] = float(np.mean(
        np.divide(test_counts.max(axis=1), total, out=np.zeros_like(total), where=total > 0)))
    return out


def run_inputs(run_dir):
    """Inputs, classes and weights of the model a run wrote, in the run's sample order."""
    from stdp_emo.errors import DataError
    from stdp_emo.model import TrainedModel
    from stdp_emo.network.composition import modalities
    from stdp_emo.preparation import prepare_for_model
    from stdp_emo.records import find_model_dir

    model_dir = find_model_dir(run_dir)
    if model_dir is None or not model_dir.is_dir():
        raise DataError(f"{run_dir}: the model it wrote is not found ({model_dir})")
    model = TrainedModel.load(model_dir)
    if len(modalities(model.mode)) != 1:
        raise DataError(f"{run_dir}: a {model.mode} model; this diagnostic reads one-layer runs")
    _, prep = prepare_for_model(model, progress=False)
    modality = modalities(model.mode)[0]
    x = prep.inputs[modality].astype(np.float64)
    weights, _, layer = model.receptive_fields(modality)
    if weights.shape[1] != x.shape[1]:
        raise DataError(f"{run_dir}: not a fully connected layer (windows of "
                        f"{weights.shape[1]} of {x.shape[1]} inputs)")
    return modality, prep, x, weights


def main(argv=None) -> int:
    ap = counts_cli(__doc__.split("\n\n")[0], "RUN_DIR")
    ap.add_argument("--knn", type=int, nargs="+", default=[1, 5, 10, 20, 40])
    ap.add_argument("--top-k", type=int, nargs="+", default=[1, 3, 5, 10, 20])
    args = ap.parse_args(argv)
    from stdp_emo.errors import DataError
    from stdp_emo.late_fusion import read_counts

    t0 = time.perf_counter()
    results = {}
    try:
        for d in args.runs:
            modality, prep, x, weights = run_inputs(d)
            parts = read_counts(d)
            y_label = prep.dataset.labels[prep.train_idx]
            y_test = prep.dataset.labels[prep.test_idx]
            if not (np.array_equal(parts["y_label"], y_label)
                    and np.array_equal(parts["y_test"], y_test)):
                raise DataError(f"{d}: its counts are not in the order of its model's split")
            results[str(d)] = diagnose(
                x[prep.train_idx], y_label, x[prep.test_idx], y_test, weights,
                parts["label"][modality], parts["test"][modality], len(run_classes(d)),
                args.knn, args.top_k, args.vote)
    except (ValueError, DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for d, r in results.items():
        print(d)
        for k, v in r.items():
            print(f"  {k:44s} {v:.3f}" if isinstance(v, float) else f"  {k:44s} {v}")
    write_result({"benchmark": "prototype_diagnostic", "machine": machine_info(),
                  "vote": args.vote, "what": __doc__.split("\n\n")[1],
                  "results": results, "wall_s": time.perf_counter() - t0},
                 "prototype_diagnostic.json", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
