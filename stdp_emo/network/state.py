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


def initial_state(comp: Composition, net: NetworkConfig, seed: int,
                  samples: dict | None = None) -> NetworkState:
    """Initial weights and theta ``theta_init``.

    ``net.w_init = "random"``: DC15-code weights ``(rand + 0.01) * w_init_max``.
    ``"samples"`` (imprinting): every excitatory neuron of a layer fed by an input
    starts from the input code of one training sample (drawn without replacement
    while there are enough, no labels), at the synapses it has, plus the DC15
    random part scaled by ``w_init_max`` times the mean of that code, and is then
    scaled to its column sum ``norm_total`` and clipped at ``w_max``.  Other
    projections (visual -> audio, exc -> multimodal) start random as in DC15.

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
            w = x[picks[p.target][p.post], p.pre]
            w = w + weights[p.name] * max(float(x.mean()), 1e-3)
            total = np.bincount(p.post, weights=w, minlength=n_post)
            w = w * (p.norm_total / np.maximum(total, 1e-12))[p.post]
            weights[p.name] = np.minimum(w, net.w_max)
    theta = {layer.name: np.full(layer.n_neurons, net.theta_init_mv * 1e-3)
             for layer in comp.layers}
    return NetworkState(weights, theta)
