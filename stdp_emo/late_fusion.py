"""Late fusion: the decision-level control for the cross-modal network.

Every run record keeps the frozen network's spike counts (``counts.npz``, written
by :func:`write_counts`): each excitatory layer's counts for the labelling
(training) samples and the test samples, with the samples' ids and classes.
:func:`late_fusion` joins the counts of separately trained networks (an
audio-only and a visual-only network, same split), labels every neuron of
both, and lets them all vote, exactly as a cross-modal network with
``[train] vote_layers = "all"`` does, but without any visual -> audio synapse.
The gap between the two says what the cross-modal synapses add beyond
combining the two modalities' votes.  Still unsupervised: the labels only
name the neurons, as in every mode.

``counts.npz``: ``label__<layer>`` (n_label, n_neurons) and ``test__<layer>``
(n_test, n_neurons) int32 spike counts; ``label_ids``, ``test_ids`` (str);
``y_label``, ``y_test`` (int, class indices of ``classes`` in metrics.json).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import evaluation
from .errors import DataError
from .fileio import npz_problem, write_npz

COUNTS = "counts.npz"
PHASES = ("label", "test")


def write_counts(run_dir: str | Path, label_counts: dict, test_counts: dict, label_ids,
                 test_ids, y_label, y_test) -> Path:
    """Write a run's frozen spike counts (``layer -> (n_samples, n_neurons)`` dicts)."""
    arrays = {f"{phase}__{name}": np.asarray(c, dtype=np.int32)
              for phase, counts in zip(PHASES, (label_counts, test_counts))
              for name, c in counts.items()}
    return write_npz(Path(run_dir) / COUNTS, **arrays,
                     label_ids=np.asarray(list(label_ids), dtype=str),
                     test_ids=np.asarray(list(test_ids), dtype=str),
                     y_label=np.asarray(y_label, dtype=np.int64),
                     y_test=np.asarray(y_test, dtype=np.int64))


def read_counts(run_dir: str | Path) -> dict:
    """A run's ``counts.npz``: ``label`` / ``test`` (layer -> counts), ids and classes.

    Raises
    ------
    DataError
        One line naming the file: missing, unreadable, or inconsistent shapes.
    """
    path = Path(run_dir) / COUNTS
    if not path.is_file():
        raise DataError(f"{path}: no spike counts (runs made before counts were recorded "
                        "have none; train again)")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as e:          # noqa: BLE001 - any unreadable archive is one DataError
        raise DataError(f"{path}: unreadable ({npz_problem(e)})") from None
    missing = [k for k in ("label_ids", "test_ids", "y_label", "y_test") if k not in arrays]
    if missing:
        raise DataError(f"{path}: missing array(s) {missing}")
    out = {"label_ids": arrays["label_ids"].tolist(), "test_ids": arrays["test_ids"].tolist(),
           "y_label": arrays["y_label"], "y_test": arrays["y_test"]}
    for phase in PHASES:
        layers = {k.split("__", 1)[1]: v for k, v in arrays.items() if k.startswith(f"{phase}__")}
        n = len(out[f"{phase}_ids"])
        bad = [k for k, v in layers.items() if v.ndim != 2 or v.shape[0] != n]
        if not layers or bad:
            raise DataError(f"{path}: {phase} counts {bad or 'absent'} do not match "
                            f"{n} {phase} samples")
        out[phase] = layers
    if len(out["y_label"]) != len(out["label_ids"]) or len(out["y_test"]) != len(out["test_ids"]):
        raise DataError(f"{path}: classes and ids differ in length")
    return out


def check_same_samples(parts: list[dict]) -> None:
    """Raise :class:`DataError` unless there are >= 2 runs, all on the same samples."""
    if len(parts) < 2:
        raise DataError("late fusion needs at least two runs")
    for p in parts[1:]:
        for key in ("label_ids", "test_ids"):
            if p[key] != parts[0][key]:
                raise DataError(f"late fusion: the runs' {key.replace('_', ' ')} differ "
                                "(not the same split)")


def joint_vote(parts: list[dict], n_classes: int, vote: str,
               layer_vote: str = "pooled") -> np.ndarray:
    """Predicted test classes when every layer of ``parts`` is labelled and votes together,
    pooled or per layer (``train.layer_vote``; a sample none of them answers goes to the
    labelling samples' majority class)."""
    y_label = parts[0]["y_label"]
    fallback = int(np.bincount(y_label, minlength=n_classes).argmax())
    lc = [c for p in parts for c in p["label"].values()]
    tc = np.concatenate([c for p in parts for c in p["test"].values()], axis=1)
    groups = (evaluation.layer_groups([c.shape[1] for c in lc])
              if layer_vote == "per_layer" else None)
    return evaluation.label_and_predict(np.concatenate(lc, axis=1), y_label, tc, n_classes,
                                        vote, fallback, groups)


def late_fusion(parts: list[dict], classes, vote: str = "mean", layer_vote: str = "pooled") -> dict:
    """Label every layer of separately trained networks together and let them all vote.

    Parameters
    ----------
    parts : list of dict
        :func:`read_counts` results of runs on the same samples (same ids, same order).
    classes : sequence of str
        Class names (index order of ``y_label`` / ``y_test``).
    vote : str
        Vote weighting (:data:`~stdp_emo.evaluation.VOTES`).
    layer_vote : {"pooled", "per_layer"}
        How the layers are combined (``train.layer_vote``, as a cross-modal network's
        every-layer vote).

    Returns
    -------
    dict
        :func:`~stdp_emo.evaluation.metrics` of the joint vote, with
        ``polarity`` and ``accuracy_by_part`` (each run's own layers voting alone:
        the single-modality accuracies, re-derived from the same counts).

    Raises
    ------
    DataError
        The runs were not presented the same samples.
    """
    check_same_samples(parts)
    y_test = parts[0]["y_test"]
    pred = joint_vote(parts, len(classes), vote, layer_vote)
    out = evaluation.metrics(y_test, pred, classes)
    out["polarity"] = evaluation.polarity_metrics(y_test, pred, classes)
    out["accuracy_by_part"] = [float(np.mean(joint_vote([p], len(classes), vote, layer_vote)
                                             == y_test)) for p in parts]
    return out


def late_fusion_robustness(parts: list[dict], degraded: list[dict], classes,
                           vote: str = "mean", layer_vote: str = "pooled") -> dict:
    """Late-fusion accuracy when some networks see degraded test inputs.

    Every network keeps its neurons' labels from its own clean labelling counts;
    under a condition, a network that was evaluated under it votes with those
    test counts, the others with their clean ones (vision conditions degrade only
    the visual network's input, audio noise only the audio network's).

    Parameters
    ----------
    parts : list of dict
        :func:`read_counts` results of the runs (clean counts).
    degraded : list of dict
        Per run, ``(condition, level) -> {layer: (n_test, n_neurons) counts}`` of its
        frozen network on degraded test inputs (same layers and samples as its
        clean test counts); ``{}`` for a run degraded by no condition.
    classes : sequence of str
    vote, layer_vote : str
        As for :func:`late_fusion`.

    Returns
    -------
    dict
        ``(condition, level) -> accuracy`` for every condition of any run, in
        order of first appearance.

    Raises
    ------
    DataError
        Degraded counts whose layers or shapes differ from the run's clean test counts.
    """
    if len(degraded) != len(parts):
        raise DataError("late fusion robustness: one dict of degraded counts per run")
    check_same_samples(parts)
    for p, d in zip(parts, degraded):
        clean = {k: v.shape for k, v in p["test"].items()}
        for cond, layers in d.items():
            shapes = {k: np.shape(v) for k, v in layers.items()}
            if shapes != clean:
                raise DataError(f"late fusion robustness: counts under {cond} have layers / "
                                f"shapes {shapes}, the clean test counts {clean}")
    y_test = parts[0]["y_test"]
    out = {}
    for cond in dict.fromkeys(c for d in degraded for c in d):
        joint = [{**p, "test": d.get(cond, p["test"])} for p, d in zip(parts, degraded)]
        out[cond] = float(np.mean(joint_vote(joint, len(classes), vote, layer_vote) == y_test))
    return out
