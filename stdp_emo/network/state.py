"""The learnt state of a network (weights and adaptive thresholds) and where it starts.

numpy only: a trained model holds a :class:`NetworkState`; :mod:`stdp_emo.simulate`
turns it into Brian2 ``run_args``.  Array names in model files and checkpoints:
``w__<projection>`` (n_synapses,) and ``theta__<layer>`` (n_neurons,, volt), spelled
only here (:func:`weight_key`, :func:`theta_key`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import NetworkConfig
from .composition import Composition

WEIGHT_PREFIX, THETA_PREFIX = "w__", "theta__"


def weight_key(projection: str) -> str:
    """Array name of a projection's weights in model files and checkpoints."""
    return f"{WEIGHT_PREFIX}{projection}"


def theta_key(layer: str) -> str:
    """Array name of a layer's adaptive thresholds in model files and checkpoints."""
    return f"{THETA_PREFIX}{layer}"


@dataclass
class NetworkState:
    """Learnt state of a network (what a model file stores).

    Attributes
    ----------
    weights : dict
        Projection name (``audio_input_to_audio_exc``...) -> weights, shape
        (n_synapses,), in the order of the projection's ``pre``/``post``.
    theta : dict
        Layer name (``audio``...) -> adaptive threshold of every excitatory
        neuron, shape (n_neurons,), volt.
    """

    weights: dict
    theta: dict

    def copy(self) -> "NetworkState":
        return NetworkState({k: v.copy() for k, v in self.weights.items()},
                            {k: v.copy() for k, v in self.theta.items()})

    def to_arrays(self) -> dict:
        """Flat arrays for a model file: ``w__<projection>``, ``theta__<layer>``."""
        out = {weight_key(k): v for k, v in self.weights.items()}
        out.update({theta_key(k): v for k, v in self.theta.items()})
        return out

    @classmethod
    def from_arrays(cls, arrays) -> "NetworkState":
        """Inverse of :meth:`to_arrays`."""
        nw, nt = len(WEIGHT_PREFIX), len(THETA_PREFIX)
        return cls({k[nw:]: np.asarray(v, float) for k, v in arrays.items()
                    if k.startswith(WEIGHT_PREFIX)},
                   {k[nt:]: np.asarray(v, float) for k, v in arrays.items()
                    if k.startswith(THETA_PREFIX)})


def imprint_picks(n_samples: int, n_neurons: int, rng: np.random.Generator) -> np.ndarray:
    """Which training sample each neuron imprints: distinct samples while there are enough,
    else every sample equally often (whole random permutations, the last one cut short)."""
    if n_neurons <= n_samples:
        return rng.choice(n_samples, n_neurons, replace=False)
    rounds = -(-n_neurons // n_samples)
    return np.concatenate([rng.permutation(n_samples) for _ in range(rounds)])[:n_neurons]


def _normalised(w: np.ndarray, p, n_post: int, w_max: float) -> np.ndarray:
    """``w`` scaled to the column sum ``p.norm_total`` of every target neuron, clipped at ``w_max``."""
    total = np.bincount(p.post, weights=w, minlength=n_post)
    return np.minimum(w * (p.norm_total / np.maximum(total, 1e-12))[p.post], w_max)


def layer_responses(comp: Composition, layer: str, weights: dict, x: np.ndarray) -> np.ndarray:
    """Expected drive ``x . w_k`` of every neuron ``k`` of ``layer`` from its input, per row of ``x``.

    Parameters
    ----------
    x : ndarray, shape (n_rows, n_inputs)
        Input values (in [0, 1]) of the layer's input ``<layer>_input``.

    Returns
    -------
    ndarray, shape (n_rows, n_neurons)
    """
    from scipy.sparse import csr_matrix

    p = next(q for q in comp.projections if q.source == f"{layer}_input" and q.target == layer)
    w = csr_matrix((weights[p.name], (p.post, p.pre)),
                   shape=(comp.layer(layer).n_neurons, x.shape[1]))
    return np.asarray((w @ np.asarray(x, float).T).T)


def cooccurrence_weights(comp: Composition, p, weights: dict, samples: dict, picks: dict,
                         net: NetworkConfig) -> np.ndarray:
    """Imprinted weights of an excitatory -> excitatory projection (``visual_exc`` -> ``audio``).

    Every target neuron imprinted one training clip (``picks``); it is connected to the
    ``net.cross_init_top`` source neurons whose imprinted input weights respond most to
    *the same clip's* source input (its face): the synapses Hebbian learning would
    strengthen had that clip been presented, so no labels are used, only the pairing
    of the two modalities of a clip.  Every synapse keeps 1e-3 of its DC15 random
    weight (which breaks ties); every column is then normalised to
    ``p.norm_total`` and clipped at ``w_max``.

    Returns
    -------
    ndarray, shape (p.n_synapses,), in the order of ``p.pre`` / ``p.post``.
    """
    src = p.source[: -len("_exc")]
    x = np.asarray(samples[src], float)[picks[p.target]]         # the target's imprint clips
    score = layer_responses(comp, src, weights, x)[p.post, p.pre]
    order = np.lexsort((-score, p.post))                          # by target, best first
    post_sorted = p.post[order]
    rank = np.empty(p.n_synapses, np.int64)
    rank[order] = np.arange(p.n_synapses) - np.searchsorted(post_sorted, post_sorted)
    w = (rank < net.cross_init_top).astype(float) + weights[p.name] * 1e-3
    return _normalised(w, p, comp.layer(p.target).n_neurons, net.w_max)


def initial_state(comp: Composition, net: NetworkConfig, seed: int,
                  samples: dict | None = None) -> NetworkState:
    """Initial weights and theta ``theta_init``.

    ``net.w_init = "random"``: DC15-code weights ``(rand + 0.01) * w_init_max``.
    ``"samples"`` (imprinting): every excitatory neuron of a layer fed by an input
    starts from the input code of one training sample (drawn without replacement
    while there are enough, no labels; of a temporal input, one segment of it drawn
    at random), at the synapses it has, plus the DC15
    random part scaled by ``w_init_max`` times the mean of that code, and is then
    scaled to its column sum ``norm_total`` and clipped at ``w_max``.  Other
    projections (visual -> audio, exc -> multimodal) start random as in DC15, except
    with ``net.cross_init = "cooccurrence"``: see :func:`cooccurrence_weights`.

    Parameters
    ----------
    samples : dict, optional
        Input name -> training rows, values in [0, 1], shape (n_samples, n_inputs);
        needed for ``"samples"``.

    Projections draw in the composition's order from one generator seeded with ``seed``.
    """
    rng = np.random.default_rng(seed)
    weights = {p.name: (rng.random(p.n_synapses) + 0.01) * net.w_init_max
               for p in comp.projections}
    if net.w_init == "samples":
        if not samples:
            raise ValueError("w_init = 'samples' needs the training samples")
        picks = {}      # per target layer: the clip each neuron imprints, for all its inputs
        for p in comp.projections:
            if not p.source.endswith("_input"):
                continue
            x = np.asarray(samples[p.source[: -len("_input")]], float)
            n_post = comp.layer(p.target).n_neurons
            if p.target not in picks:
                picks[p.target] = imprint_picks(len(x), n_post, rng)
            rows = x[picks[p.target]]
            spec = comp.input(p.source[: -len("_input")])
            if spec.segments > 1:       # temporal input: one segment of the clip, drawn
                seg = rng.integers(0, spec.segments, n_post)
                rows = rows.reshape(n_post, spec.segments, spec.n_inputs)[np.arange(n_post), seg]
            w = rows[p.post, p.pre]
            w = w + weights[p.name] * max(float(x.mean()), 1e-3)
            weights[p.name] = _normalised(w, p, n_post, net.w_max)
        if net.cross_init == "cooccurrence":
            for p in comp.projections:
                if p.source.endswith("_exc") and p.target in picks:
                    weights[p.name] = cooccurrence_weights(comp, p, weights, samples, picks, net)
    theta = {layer.name: np.full(layer.n_neurons, net.theta_init_mv * 1e-3)
             for layer in comp.layers}
    return NetworkState(weights, theta)
