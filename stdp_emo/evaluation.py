"""Labelling, classification and metrics of a trained network, plus supervised classifiers.

Unsupervised readout (Diehl & Cook 2015): with plasticity off, the network's
excitatory spike counts in response to the training samples give each neuron
the class to which it responds most on average (:func:`assign_labels`); a test
sample is classified as the class whose assigned neurons respond most on
average (:func:`predict`).

Supervised references, reported separately and marked ``"supervised": True``:
a logistic regression on the spike counts (:func:`linear_readout`, how much
class information the representation holds) and an RBF SVM on fixed-length
vectors (:func:`svm_on_vectors`; on summary statistics of the audio features it
is the benchmark's reference baseline, :func:`stdp_emo.baselines.svm_baseline`).
Their hyper-parameters are chosen by cross-validation inside the training split
only.  This module works on arrays only: it imports no feature code and no Brian2.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC


UNASSIGNED = -1
"""Assignment of a neuron that never fired in response to the training set."""

_INNER_FOLDS = 3
_LOGREG_C = (0.01, 0.1, 1.0, 10.0)
_SVM_C = (0.1, 1.0, 10.0, 100.0)
_SVM_GAMMA_FACTORS = (0.25, 1.0, 4.0)  # times 1 / n_features (= sklearn's "scale" on standardised inputs)


# ------------------------------------------------------------------ unsupervised readout
def assign_labels(counts: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Class of each neuron: the class with its highest mean response.

    Parameters
    ----------
    counts : ndarray, shape (n_samples, n_neurons)
        Spike counts of the frozen network in response to the training samples.
    labels : ndarray of int, shape (n_samples,)
        Class of each training sample, 0..n_classes-1.
    n_classes : int

    Returns
    -------
    ndarray of int64, shape (n_neurons,)
        Class index, or :data:`UNASSIGNED` (-1) for neurons that never fired.
        The mean is taken over the samples of each class (so a frequent class
        does not win by having more samples); classes without samples are
        never assigned; ties go to the lowest class index.
    """
    counts = np.asarray(counts, dtype=np.float64)
    labels = np.asarray(labels)
    mean = np.full((n_classes, counts.shape[1]), -np.inf)
    for c in range(n_classes):
        of_class = labels == c
        if of_class.any():
            mean[c] = counts[of_class].mean(axis=0)
    assignments = np.argmax(mean, axis=0).astype(np.int64)
    assignments[counts.sum(axis=0) == 0] = UNASSIGNED
    return assignments


VOTES = ("mean", "normalised", "proportion")
"""The unsupervised classifiers (``[train] vote``); see :func:`vote_weights`."""


def layer_groups(sizes) -> np.ndarray:
    """``groups`` for :func:`vote_weights`: layer index of every neuron of layers of these
    sizes, side by side, ``(sum(sizes),)``."""
    return np.repeat(np.arange(len(sizes), dtype=np.int64), [int(n) for n in sizes])


def vote_weights(counts: np.ndarray, labels: np.ndarray, assignments: np.ndarray,
                 n_classes: int, vote: str = "mean", groups: np.ndarray | None = None
                 ) -> np.ndarray:
    """How much a spike of each neuron counts for each class.

    A sample's class scores are ``counts @ weights`` (:func:`class_scores`).
    Only a neuron's assigned class gets weight, so every variant is still a
    vote of labelled neurons; they differ in how much a spike is worth:

    ``mean`` (DC15)
        ``1 / n_c``: the mean count of the ``n_c`` neurons assigned to class c.
    ``normalised``
        ``1 / (n_c * r_n)`` with ``r_n`` the neuron's mean response to the
        labelling samples: every neuron's response is relative to its usual
        level, so a few neurons that fire for everything do not decide.
    ``proportion`` (BindsNET ``proportion_weighting``)
        ``p[n, c] / n_c`` with ``p[n, c]`` the fraction of the neuron's
        class-mean responses that falls on class c: weakly selective neurons count less.

    Parameters
    ----------
    counts : ndarray, shape (n_samples, n_neurons)
        Frozen responses to the labelling (training) samples.
    labels : ndarray of int, shape (n_samples,)
    assignments : ndarray of int, shape (n_neurons,)
        From :func:`assign_labels` (-1 = unassigned, weight 0).
    n_classes : int
    vote : {"mean", "normalised", "proportion"}
    groups : ndarray of int, shape (n_neurons,), optional
        Layer of each neuron (``train.layer_vote = "per_layer"``): ``n_c`` is then
        counted within the neuron's layer, so every layer's vote for a class is its own
        class mean and a large layer does not outvote a small one by its size alone.
        Default: one group (one class mean over all neurons, ``"pooled"``).

    Returns
    -------
    ndarray of float64, shape (n_neurons, n_classes)
    """
    if vote not in VOTES:
        raise ValueError(f"unknown vote {vote!r} (one of {', '.join(VOTES)})")
    counts = np.asarray(counts, dtype=np.float64)
    assignments = np.asarray(assignments)
    n_neurons = assignments.size
    weights = np.zeros((n_neurons, n_classes))
    assigned = assignments >= 0
    rows = np.flatnonzero(assigned)
    cls = assignments[assigned]
    if groups is not None and np.shape(groups) != (n_neurons,):
        raise ValueError(f"groups of shape {np.shape(groups)} for {n_neurons} neurons")
    group = (np.zeros(n_neurons, np.int64) if groups is None
             else np.asarray(groups, np.int64))[rows]
    key = group * n_classes + cls                      # (layer, class) of each assigned neuron
    n_per_class = np.bincount(key, minlength=int(key.max(initial=0)) + 1).astype(np.float64)
    worth = 1.0 / n_per_class[key]
    if vote == "normalised":
        worth = worth / counts[:, rows].mean(axis=0)   # assigned neurons fired, so > 0
    elif vote == "proportion":
        labels = np.asarray(labels)
        means = np.zeros((n_classes, n_neurons))
        for c in range(n_classes):
            if (labels == c).any():
                means[c] = counts[labels == c].mean(axis=0)
        worth = worth * means[cls, rows] / means[:, rows].sum(axis=0)
    weights[rows, cls] = worth
    return weights


def strongest(counts: np.ndarray, assignments: np.ndarray, k: int) -> np.ndarray:
    """Each sample's counts with all but its ``k`` most active labelled neurons set to 0.

    A neuron ties into the ``k`` when its count equals the ``k``-th largest (so the
    result does not depend on neuron order); unassigned neurons (-1) never take a place
    and neurons that did not fire are never kept.

    Parameters
    ----------
    counts : ndarray, shape (n_samples, n_neurons)
    assignments : ndarray of int, shape (n_neurons,)
    k : int
        ``0``: keep every neuron (the plain vote).

    Returns
    -------
    ndarray of float64, shape (n_samples, n_neurons)
    """
    if k < 0:
        raise ValueError(f"top_k must be >= 0, got {k}")
    counts = np.where(np.asarray(assignments) >= 0, np.asarray(counts, dtype=np.float64), 0.0)
    if k == 0 or k >= counts.shape[1]:
        return counts
    kth = -np.partition(-counts, k - 1, axis=1)[:, k - 1:k]
    return np.where((counts >= kth) & (counts > 0), counts, 0.0)


def class_scores(counts: np.ndarray, assignments: np.ndarray, n_classes: int,
                 weights: np.ndarray | None = None, top_k: int = 0) -> np.ndarray:
    """Vote of the labelled neurons for each class.

    Parameters
    ----------
    counts : ndarray, shape (n_samples, n_neurons)
    assignments : ndarray of int, shape (n_neurons,)
        From :func:`assign_labels`.
    n_classes : int
    weights : ndarray, shape (n_neurons, n_classes), optional
        From :func:`vote_weights`; default the ``mean`` vote of DC15.
    top_k : int
        Only each sample's ``top_k`` most active labelled neurons vote
        (:func:`strongest`); 0 = all.

    Returns
    -------
    ndarray, shape (n_samples, n_classes), float64
        Default: the mean spike count of the neurons assigned to each class;
        0 for a class that no neuron is assigned to.
    """
    # unassigned neurons weigh 0 anyway: only a top-k vote needs the masked copy
    counts = (strongest(counts, assignments, top_k) if top_k
              else np.asarray(counts, dtype=np.float64))
    if weights is None:
        weights = vote_weights(np.ones((1, len(assignments))), np.zeros(1, np.int64),
                               assignments, n_classes, "mean")
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (counts.shape[1], n_classes):
        raise ValueError(f"vote weights of shape {weights.shape} for {counts.shape[1]} neurons "
                         f"and {n_classes} classes")
    return counts @ weights


def predict(counts: np.ndarray, assignments: np.ndarray, n_classes: int,
            fallback: int = 0, weights: np.ndarray | None = None, top_k: int = 0) -> np.ndarray:
    """Class with the highest :func:`class_scores`.

    Parameters
    ----------
    counts : ndarray, shape (n_samples, n_neurons)
    assignments : ndarray of int, shape (n_neurons,)
    n_classes : int
    fallback : int
        Prediction for samples whose scores are all 0 (no assigned neuron
        fired, see :func:`silent_samples`); pass the training set's majority class.
    weights : ndarray, shape (n_neurons, n_classes), optional
        From :func:`vote_weights` (default: the DC15 mean vote).
    top_k : int
        Only each sample's ``top_k`` most active labelled neurons vote (0 = all).

    Returns
    -------
    ndarray of int64, shape (n_samples,)
        Ties between classes go to the lowest class index.
    """
    scores = class_scores(counts, assignments, n_classes, weights, top_k)
    pred = np.argmax(scores, axis=1).astype(np.int64)
    pred[~(scores > 0).any(axis=1)] = fallback
    return pred


def label_and_predict(label_counts: np.ndarray, y_label: np.ndarray, test_counts: np.ndarray,
                      n_classes: int, vote: str = "mean", fallback: int = 0,
                      groups: np.ndarray | None = None) -> np.ndarray:
    """The whole unsupervised classifier: label neurons on one set of responses, classify another.

    :func:`assign_labels`, then :func:`vote_weights` (``vote``), then :func:`predict`.

    Parameters
    ----------
    label_counts : ndarray, shape (n_label, n_neurons)
        Responses to the labelling samples, classes ``y_label``.
    test_counts : ndarray, shape (n_test, n_neurons)
        Responses of the same neurons to the samples to classify.
    groups : ndarray of int, shape (n_neurons,), optional
        Layer of each neuron for a per-layer vote (see :func:`vote_weights`).

    Returns
    -------
    ndarray of int64, shape (n_test,)
    """
    a = assign_labels(label_counts, y_label, n_classes)
    w = vote_weights(label_counts, y_label, a, n_classes, vote, groups)
    return predict(test_counts, a, n_classes, fallback=fallback, weights=w)


def silent_samples(counts: np.ndarray) -> np.ndarray:
    """Samples that made no excitatory neuron fire.

    Parameters
    ----------
    counts : ndarray, shape (n_samples, n_neurons)

    Returns
    -------
    ndarray of bool, shape (n_samples,)
        These are classified as the ``fallback`` class by :func:`predict` (as
        are the rarer samples that only made unassigned neurons fire).
    """
    return np.asarray(counts).sum(axis=1) == 0


# ------------------------------------------------------------------ metrics
def metrics(y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[str]) -> dict:
    """Accuracy, unweighted average recall, per-class recall and confusion matrix.

    Parameters
    ----------
    y_true, y_pred : ndarray of int, shape (n,)
        Class indices into ``classes``.
    classes : sequence of str
        Class names.

    Returns
    -------
    dict
        ``accuracy`` (fraction correct), ``uar`` (mean recall over the classes
        present in ``y_true`` = balanced accuracy), ``per_class_accuracy``
        (name -> recall, None for classes absent from ``y_true``),
        ``confusion`` (list of lists, rows = true, columns = predicted class,
        ``len(classes)`` square) and ``n``.  Plain Python types (JSON-ready).
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    k = len(classes)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or y_true.size == 0:
        raise ValueError(f"need two equal, non-empty 1-D label arrays, got {y_true.shape} "
                         f"and {y_pred.shape}")
    if min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= k:
        raise ValueError(f"labels must be in 0..{k - 1}")
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (y_true, y_pred), 1)
    support = confusion.sum(axis=1)
    recall = {name: (float(confusion[c, c] / support[c]) if support[c] else None)
              for c, name in enumerate(classes)}
    present = [r for r in recall.values() if r is not None]
    return {
        "accuracy": float(np.trace(confusion) / y_true.size),
        "uar": float(np.mean(present)),
        "per_class_accuracy": recall,
        "confusion": confusion.tolist(),
        "n": int(y_true.size),
    }


# ------------------------------------------------------------------ supervised references
def _class_names(classes: Sequence[str] | None, *ys: np.ndarray) -> list[str]:
    if classes is not None:
        return list(classes)
    return [str(c) for c in range(int(max(np.max(y) for y in ys)) + 1)]


def _fit_cv(pipeline: Pipeline, grid: dict, x: np.ndarray, y: np.ndarray, seed: int) -> Pipeline:
    """Fit ``pipeline``, choosing ``grid`` by stratified CV (balanced accuracy) on (x, y) only.

    With fewer than 2 samples in some class, no CV is possible: the first
    value of every grid entry is used.
    """
    support = np.bincount(y)
    n_folds = min(_INNER_FOLDS, int(support[support > 0].min()))
    if n_folds < 2:
        return pipeline.set_params(**{k: v[0] for k, v in grid.items()}).fit(x, y)
    cv = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    search = GridSearchCV(pipeline, grid, cv=cv, scoring="balanced_accuracy", n_jobs=1)
    return search.fit(x, y).best_estimator_


def linear_readout(train_counts: np.ndarray, y_train: np.ndarray, test_counts: np.ndarray,
                   y_test: np.ndarray, seed: int, classes: Sequence[str] | None = None) -> dict:
    """Supervised logistic regression on spike counts (a reference, not the paper's readout).

    Counts are transformed with ``log1p`` and standardised (statistics of the
    training split); the inverse regularisation ``C`` is chosen by a 3-fold
    stratified cross-validation inside the training split.

    Parameters
    ----------
    train_counts : ndarray, shape (n_train, n_neurons)
    y_train : ndarray of int, shape (n_train,)
    test_counts : ndarray, shape (n_test, n_neurons)
    y_test : ndarray of int, shape (n_test,)
    seed : int
        Seed of the inner CV folds.
    classes : sequence of str, optional
        Class names (default "0", "1", ...).

    Returns
    -------
    dict
        :func:`metrics` of the test split, plus ``supervised`` (True) and ``C``.
    """
    y_train = np.asarray(y_train, dtype=np.int64)
    model = make_pipeline(FunctionTransformer(np.log1p), StandardScaler(),
                          LogisticRegression(max_iter=5000))
    model = _fit_cv(model, {"logisticregression__C": list(_LOGREG_C)},
                    np.asarray(train_counts, dtype=np.float64), y_train, seed)
    pred = model.predict(np.asarray(test_counts, dtype=np.float64))
    return {**metrics(y_test, pred, _class_names(classes, y_train, y_test)),
            "supervised": True, "C": float(model[-1].C)}


def svm_on_vectors(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                   y_test: np.ndarray, seed: int, classes: Sequence[str] | None = None) -> dict:
    """Supervised RBF SVM on fixed-length vectors (e.g. openSMILE eGeMAPS functionals).

    Inputs are standardised with training statistics; ``C`` (0.1..100) and
    ``gamma`` (0.25, 1, 4 times 1 / n_inputs) are chosen by a 3-fold stratified
    cross-validation inside the training split.

    Parameters
    ----------
    x_train : ndarray, shape (n_train, n_inputs)
    y_train : ndarray of int, shape (n_train,)
    x_test : ndarray, shape (n_test, n_inputs)
    y_test : ndarray of int, shape (n_test,)
    seed : int
        Seed of the inner CV folds.
    classes : sequence of str, optional
        Class names (default "0", "1", ...).

    Returns
    -------
    dict
        :func:`metrics` of the test split, plus ``supervised`` (True), ``C`` and ``gamma``.
    """
    y_train = np.asarray(y_train, dtype=np.int64)
    x_train, x_test = np.asarray(x_train, np.float64), np.asarray(x_test, np.float64)
    gammas = [f / x_train.shape[1] for f in _SVM_GAMMA_FACTORS]
    model = make_pipeline(StandardScaler(), SVC(kernel="rbf"))
    model = _fit_cv(model, {"svc__C": list(_SVM_C), "svc__gamma": gammas}, x_train, y_train, seed)
    pred = model.predict(x_test)
    return {**metrics(y_test, pred, _class_names(classes, y_train, y_test)),
            "supervised": True, "C": float(model[-1].C), "gamma": float(model[-1].gamma)}


# ------------------------------------------------------------------ polarity and energy
#: Valence of each emotion name (RAVDESS, eNTERFACE'05 and synthetic class names).
#: Calm counts as positive (low-arousal positive valence in Russell's circumplex);
#: surprise as positive, as in binary-polarity work on these sets; neutral has none.
POLARITY = {"happy": 1, "happiness": 1, "calm": 1, "surprised": 1, "surprise": 1,
            "sad": -1, "sadness": -1, "angry": -1, "anger": -1, "fearful": -1, "fear": -1,
            "disgust": -1}


def polarity_metrics(y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[str]) -> dict:
    """Positive/negative accuracy derived from class predictions.

    Samples whose true class has no polarity (neutral) are left out; a
    prediction of a class without polarity counts as wrong.

    Returns
    -------
    dict
        ``accuracy`` (None without polar samples), ``n`` (samples scored),
        ``positive`` / ``negative`` (class names of each side).
    """
    pol = np.array([POLARITY.get(c, 0) for c in classes])
    t, p = pol[np.asarray(y_true, int)], pol[np.asarray(y_pred, int)]
    keep = t != 0
    return {"accuracy": float(np.mean(t[keep] == p[keep])) if keep.any() else None,
            "n": int(keep.sum()),
            "positive": [c for c in classes if POLARITY.get(c, 0) > 0],
            "negative": [c for c in classes if POLARITY.get(c, 0) < 0]}


#: Energy per operation at 45 nm (Horowitz 2014), as used by Wang et al. (Spiking Emotions):
#: a 32-bit float accumulate (an SNN synaptic event) and multiply-accumulate (an ANN connection).
PJ_PER_AC = 0.9
PJ_PER_MAC = 4.6


def energy_estimate(ops: dict) -> dict:
    """Energy per sample of the SNN's synaptic events and of a same-size ANN.

    Parameters
    ----------
    ops : dict
        ``synaptic_ops_per_sample`` (accumulates per sample) and ``n_synapses``
        (connections: one multiply-accumulate each in an ANN forward pass).

    Returns
    -------
    dict with ``synaptic_ops_per_sample``, ``snn_energy_uj``, ``ann_macs``,
    ``ann_energy_uj`` (microjoules per sample) and ``ratio`` (ANN / SNN).
    """
    snn = ops["synaptic_ops_per_sample"] * PJ_PER_AC * 1e-6
    ann = ops["n_synapses"] * PJ_PER_MAC * 1e-6
    return {"synaptic_ops_per_sample": float(ops["synaptic_ops_per_sample"]),
            "snn_energy_uj": float(snn), "ann_macs": int(ops["n_synapses"]),
            "ann_energy_uj": float(ann), "ratio": float(ann / snn) if snn else None}


def pick_raster_samples(test_ids, y_true, y_pred, n: int) -> list[tuple[str, bool]]:
    """Test samples to show: ``ceil(n / 2)`` correct and ``n // 2`` wrong ones.

    When one kind is short the other fills in.  Within each kind, samples are
    taken one per true class in turn (classes in order of first appearance),
    so the figures cover several emotions; duplicated ids are taken once.

    Returns
    -------
    list of (sample id, correctly classified)
    """
    correct: dict = {}
    wrong: dict = {}
    seen = set()
    for sid, t, p in zip(test_ids, y_true, y_pred):
        if sid in seen:
            continue
        seen.add(sid)
        (correct if t == p else wrong).setdefault(t, []).append(str(sid))

    def spread(by_class: dict) -> list[str]:
        out, queues = [], [list(v) for v in by_class.values()]
        while any(queues):
            for q in queues:
                if q:
                    out.append(q.pop(0))
        return out

    good, bad = spread(correct), spread(wrong)
    n = max(0, int(n))
    n_bad = min(n // 2, len(bad))
    n_good = min(n - n_bad, len(good))
    n_bad = min(n - n_good, len(bad))
    return [(s, True) for s in good[:n_good]] + [(s, False) for s in bad[:n_bad]]
