"""The one place where configuration numbers become Brian2 quantities."""
from __future__ import annotations

import brian2 as b2

from ..config import EncodingConfig, NetworkConfig
from . import parameters as P


def quantity(p: P.Param, value: float | None = None):
    """``value`` (default ``p.value``) times the Brian2 unit named by ``p.unit``."""
    v = p.value if value is None else value
    return v if p.unit == "1" else v * getattr(b2, p.unit)


def build_namespace(net: NetworkConfig, enc: EncodingConfig) -> dict:
    """Namespace of every constant used by :mod:`stdp_emo.network.equations`.

    Parameters
    ----------
    net : NetworkConfig
        Learning and connection parameters (overrides of the defaults in
        :mod:`stdp_emo.network.parameters`).
    enc : EncodingConfig
        Presentation timing.

    Returns
    -------
    dict
        Name -> Brian2 quantity (or float for dimensionless values).  Names
        ending in ``_exc`` / ``_inh`` belong to the excitatory / inhibitory
        neurons and are mapped onto the template names by substitution.
    """
    ms, mV = b2.ms, b2.mV
    return {
        # excitatory neurons
        "v_rest_exc": quantity(P.V_REST_EXC), "v_reset_exc": quantity(P.V_RESET_EXC),
        "v_thresh_exc": quantity(P.V_THRESH_EXC), "theta_offset": quantity(P.THETA_OFFSET),
        "tau_mem_exc": quantity(P.TAU_MEM_EXC), "E_exc": quantity(P.E_EXC),
        "E_inh_exc": quantity(P.E_INH_EXC), "tau_ge": quantity(P.TAU_GE), "tau_gi": quantity(P.TAU_GI),
        "theta_plus": net.theta_plus_mv * mV, "tau_theta": net.tau_theta_ms * ms,
        "spike_block": net.spike_block_ms * ms,
        # inhibitory neurons
        "v_rest_inh": quantity(P.V_REST_INH), "v_reset_inh": quantity(P.V_RESET_INH),
        "v_thresh_inh": quantity(P.V_THRESH_INH), "tau_mem_inh": quantity(P.TAU_MEM_INH),
        "E_inh_inh": quantity(P.E_INH_INH),
        # fixed weights
        "w_exc_inh": net.w_exc_inh, "w_inh_exc": net.w_inh_exc,
        # plasticity
        "eta": net.eta, "x_tar": net.x_tar, "mu": net.mu, "nu_pre": net.nu_pre,
        "nu_post": net.nu_post, "tau_pre": net.tau_pre_ms * ms, "tau_post1": net.tau_post1_ms * ms,
        "tau_post2": net.tau_post2_ms * ms, "w_max": net.w_max,
        # presentation
        "present": enc.present_ms * ms,
    }


def milliseconds(value_ms: float):
    """A time given in ms (config field ``*_ms``) as a Brian2 quantity."""
    return value_ms * b2.ms


def hertz(values):
    """Rates given in Hz as a Brian2 quantity."""
    return values * b2.Hz


def volts(values):
    """Values given in V (stored thresholds ``theta``) as a Brian2 quantity."""
    return values * b2.volt


def seconds(values):
    """Times given in s as a Brian2 quantity."""
    return values * b2.second


def run_quantities(net: NetworkConfig, enc: EncodingConfig, sample_ms: float) -> dict:
    """Quantities of one compiled run: ``theta_init``, clock ``dt``, ``sample_duration``."""
    return {"theta_init": net.theta_init_mv * b2.mV, "dt": milliseconds(enc.dt_ms),
            "sample_duration": milliseconds(sample_ms)}


def in_units(values, unit: str):
    """Brian2 values as plain numbers in ``unit`` (``"ms"``, ``"mV"``), for results."""
    import numpy as np

    return np.asarray(values / getattr(b2, unit))


def refractory(kind: str):
    """Refractory period of ``"exc"`` or ``"inh"`` neurons."""
    return quantity(P.REFRAC_EXC if kind == "exc" else P.REFRAC_INH)


def initial_v(kind: str):
    """Initial membrane potential: rest.

    DC15-code starts 40 mV below rest; here every sample start (t = 0
    included) clears v to rest (``SAMPLE_START_CLEAR`` in the equations), so
    the start value is rest too.
    """
    rest = P.V_REST_EXC if kind == "exc" else P.V_REST_INH
    return quantity(rest)
