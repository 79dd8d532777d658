"""Counter-based random numbers for the Poisson inputs.

Brian2's standalone ``rand()`` is seeded once at compile time, so successive
runs of one compiled binary would replay the same stream.  Inputs therefore
draw from a stateless hash instead:

    u = uniform(stream, i, k)   in (0, 1)

for input neuron ``i``, its ``k``-th draw within a sample, and a per-sample
``stream`` number derived from (seed, epoch, sample).  The spike trains depend
only on these three numbers, not on how samples are grouped into runs, which
makes chunked, resumed and sharded simulations reproduce a single long run.

The hash is splitmix64 (Steele, Lea & Flood 2014) applied three times; the C++
and numpy implementations give bit-identical results.
"""
from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)

CPP_CODE = r"""
static inline uint64_t _stdp_emo_mix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static inline double hash_uniform(double stream, int32_t i, int32_t k) {
    uint64_t z = _stdp_emo_mix64((uint64_t)stream);
    z = _stdp_emo_mix64(z ^ (uint64_t)(uint32_t)i);
    z = _stdp_emo_mix64(z ^ (uint64_t)(uint32_t)k);
    return ((double)(z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
"""


def _mix64(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = z + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def hash_uniform(stream, i, k) -> np.ndarray:
    """Uniform numbers in (0, 1), vectorised (numpy twin of the C++ function).

    Parameters
    ----------
    stream : float or array
        Non-negative integer-valued stream number (exact below 2**53).
    i, k : int or array
        Neuron index and draw counter.
    """
    stream = np.asarray(stream, dtype=np.float64).astype(np.uint64)
    i = np.asarray(i).astype(np.int64).astype(np.uint32).astype(np.uint64)
    k = np.asarray(k).astype(np.int64).astype(np.uint32).astype(np.uint64)
    z = _mix64(stream)
    z = _mix64(z ^ i)
    z = _mix64(z ^ k)
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)


def sample_streams(seed: int, epoch: int, sample_ids: np.ndarray) -> np.ndarray:
    """Stream number of every presentation, shape like ``sample_ids``, float64.

    Parameters
    ----------
    seed : int
        Experiment seed.
    epoch : int
        Epoch (or phase: labelling and testing use their own values).
    sample_ids : array of int
        Position-independent identifier of each presentation (e.g. dataset
        index * 16 + retry number).
    """
    base = _mix64(np.uint64(seed) ^ _mix64(np.uint64(epoch)))
    s = _mix64(base ^ np.asarray(sample_ids).astype(np.uint64))
    return (s >> np.uint64(12)).astype(np.float64)          # < 2**52: exact as float64


def brian2_function():
    """The Brian2 :class:`~brian2.core.functions.Function` ``hash_uniform(stream, i, k)``."""
    from brian2 import Function
    from brian2.core.functions import DEFAULT_FUNCTIONS  # noqa: F401  (ensures registry)

    f = Function(hash_uniform, arg_units=[1, 1, 1], return_unit=1,
                 arg_types=["float", "integer", "integer"], return_type="float",
                 stateless=True, auto_vectorise=False)
    f.implementations.add_implementation("cpp", code=CPP_CODE, name="hash_uniform")
    return f
