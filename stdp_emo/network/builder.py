"""Compose Brian2 networks from layer and synapse pieces.

Every mode (audio-only, visual-only, early fusion, cross-modal) is a
composition of the same three pieces:

* :func:`add_input` -- a Poisson input group ``<name>_input`` whose rates come
  from a TimedArray ``<name>_stim`` (one row per sample);
* :func:`add_layer` -- an excitatory group ``<name>_exc`` with adaptive
  thresholds, one-to-one inhibitory partners ``<name>_inh`` and lateral
  inhibition through ``<name>_inh_pool``;
* :func:`add_plastic_projection` -- STDP synapses ``<source>_to_<target>``
  with per-neuron weight normalisation.

Objects are named after the data flow (``audio_input_to_audio_exc``,
``spikes_audio_exc``) and every group gets an explicit namespace.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import brian2 as b2
import numpy as np

from . import equations as eq
from .composition import Composition, InputSpec, LayerSpec, ProjectionSpec
from .namespace import hertz, initial_v, milliseconds, refractory, seconds
from .rng import brian2_function
from .topology import ConvTopology

#: Integration of the conductance LIF neurons.  Exponential Euler is exact for each variable
#: given the others over a step, so v stays within [E_inh, E_exc] however large the
#: conductances.  Forward Euler (used here until 2026-12-01) with dt = 0.5 ms overshoots once
#: gi * dt / tau_mem > 2, i.e. when a few dozen inhibitory neurons fire in one step: v then
#: swings to thousands of mV, the layer fires in bursts, and more inhibition made *more*
#: spikes (measured on RAVDESS: one validation clip, 47,616 spikes in 768 neurons; with
#: DC15's weights the tiny test network's layer reached -2,159 mV).  The inhibition pool decays exactly
#: too, so that ``gi = gi_pool - gi_self`` stays >= 0.
NEURON_METHOD = "exponential_euler"


#: sampling interval of membrane traces (ms), a multiple of the simulation step
TRACE_DT_MS = 1.0


def substitute(code: str, **names: str) -> str:
    """Rename identifiers in a code string (names only, never numbers)."""
    for old, new in names.items():
        if not re.fullmatch(r"[A-Za-z_]\w*", new):
            raise ValueError(f"substitute() takes identifiers only, got {new!r}")
        code = re.sub(rf"\b{old}\b", new, code)
    return code


@dataclass
class BuiltNetwork:
    """A constructed (not yet run) network and handles on its named objects.

    Attributes
    ----------
    network : brian2.Network
    objects : dict
        Every Brian2 object by name.
    stim : dict
        Input name -> rate TimedArray (shape (n_samples, n_inputs), Hz).
    stream : brian2.TimedArray
        Per-sample random stream numbers, shape (n_samples,).
    plastic : list of str
        Names of plastic synapse objects.
    exc_layers : list of str
        Names of the layers (``"audio"`` for ``audio_exc``...).
    monitors : dict
        Layer or group name -> SpikeMonitor.
    namespace : dict
        Constants shared by every object (plus ``sample_duration``).
    clock : brian2.Clock
        The simulation clock of every object.
    """

    network: b2.Network
    namespace: dict = field(default_factory=dict)
    clock: b2.Clock | None = None
    objects: dict = field(default_factory=dict)
    stim: dict = field(default_factory=dict)
    stream: b2.TimedArray | None = None
    plastic: list = field(default_factory=list)
    exc_layers: list = field(default_factory=list)
    monitors: dict = field(default_factory=dict)

    def add(self, *objs) -> None:
        for o in objs:
            self.objects[o.name] = o
            self.network.add(o)

    def __getitem__(self, name: str):
        return self.objects[name]


def new_network(n_samples: int, ns: dict, dt, sample_duration, stream_values=None) -> BuiltNetwork:
    """An empty network with its clock and the per-sample stream TimedArray."""
    clock = b2.Clock(dt=dt, name="sim_clock")
    values = np.zeros(n_samples) if stream_values is None else np.asarray(stream_values, float)
    stream = b2.TimedArray(values, dt=sample_duration, name="stim_stream")
    return BuiltNetwork(network=b2.Network(name="network"), stream=stream,
                        namespace=dict(ns, sample_duration=sample_duration), clock=clock)


def add_input(built: BuiltNetwork, name: str, n_inputs: int, n_samples: int,
              onset=None, segments: int = 1) -> b2.NeuronGroup:
    """Poisson input group ``<name>_input`` driven by the TimedArray ``<name>_stim``.

    The rate of input ``i`` during sample ``s`` is ``<name>_stim.values[s, i]``
    (Hz) from ``onset`` to ``onset + present`` after the sample start, 0 otherwise.
    Input groups draw from disjoint random streams (``index_offset``).

    With ``segments > 1`` (temporal presentation) the rate changes every
    ``present / segments``: ``<name>_stim`` has :func:`segment_rows` rows per sample
    (the segments, then silent rows for the rest), and row ``s * rows + j`` holds
    segment ``j`` of sample ``s``; segment boundaries fall at whole multiples of the
    segment length after the sample start, the input window still opens at ``onset``.
    """
    ns = built.namespace
    rows, seg = segment_rows(ns, segments)
    stim = b2.TimedArray(hertz(np.zeros((n_samples * rows, n_inputs))),
                         dt=ns["sample_duration"] / rows, name=f"{name}_stim")
    group_ns = {"stim": stim, "stim_stream": built.stream, "hash_uniform": brian2_function(),
                "present": ns["present"],
                "input_onset": milliseconds(0.0) if onset is None else onset,
                # inputs of a second group draw with other indices: independent spike trains
                "index_offset": int(sum(ta.values.shape[1] for ta in built.stim.values()))}
    temporal = segments > 1
    group = b2.NeuronGroup(n_inputs, eq.INPUT_TEMPORAL if temporal else eq.INPUT,
                           threshold=eq.INPUT_THRESHOLD, reset=eq.INPUT_RESET,
                           method="exact", clock=built.clock, namespace=group_ns,
                           name=f"{name}_input")
    group.next_spike = seconds(np.inf)
    group.t_last = seconds(-1e9)
    start = group.run_regularly(eq.INPUT_TEMPORAL_SAMPLE_START if temporal else eq.INPUT_SAMPLE_START,
                                dt=ns["sample_duration"], when="start", order=-10,
                                name=f"{name}_input_sample_start")
    built.add(group, start)
    if temporal:
        built.add(group.run_regularly(eq.INPUT_SEGMENT_START, dt=seg, when="start", order=-9,
                                      name=f"{name}_input_segment_start"))
    built.stim[name] = stim
    return group


def segment_rows(ns: dict, segments: int) -> tuple[int, object]:
    """``(stim rows per sample, segment length)`` of an input shown in ``segments`` parts:
    ``(1, sample_duration)`` for one; else the sample (presentation and rest) is a whole
    number of segments of ``present / segments`` (checked by the config)."""
    if segments <= 1:
        return 1, ns["sample_duration"]
    seg = ns["present"] / segments
    rows = int(round(float(ns["sample_duration"] / seg)))
    if abs(float(ns["sample_duration"] / seg) - rows) > 1e-9:
        raise ValueError(f"a sample of {ns['sample_duration']} is not a whole number of "
                         f"{segments}-segment parts of {ns['present']}")
    return rows, seg


def add_layer(built: BuiltNetwork, name: str, pool_of_neuron: np.ndarray, learning: bool,
              theta_init, inhibition_impl: str = "pool",
              sources: tuple[str, ...] = ()) -> b2.NeuronGroup:
    """Excitatory layer ``<name>_exc`` with inhibitory partners and lateral inhibition.

    Parameters
    ----------
    pool_of_neuron : ndarray of int, shape (n_neurons,)
        Inhibition pool of every excitatory neuron: an inhibitory spike
        reaches every *other* excitatory neuron of the same pool.
    learning : bool
        Adaptive threshold on (theta grows and decays) or frozen.
    theta_init : Quantity
        Initial theta.
    inhibition_impl : {"pool", "pairwise"}
        ``pool``: O(N) synapses through a per-pool summed conductance (default);
        ``pairwise``: the straightforward DC15 form, one synapse per pair of
        neurons of a pool (O(N^2); kept as the reference the tests compare to).
    sources : tuple of str
        Names of the groups with plastic projections onto this layer: each
        gets its own column sum ``wsum_<source>`` (normalised separately).
    """
    if inhibition_impl not in ("pool", "pairwise"):
        raise ValueError(f"unknown inhibition_impl {inhibition_impl!r}")
    pairwise = inhibition_impl == "pairwise"
    ns = built.namespace
    clock = built.clock
    n = len(pool_of_neuron)
    n_pools = int(pool_of_neuron.max()) + 1
    exc_eqs = (b2.Equations(eq.CONDUCTANCE_LIF, v_rest="v_rest_exc", tau_mem="tau_mem_exc",
                            E_inh="E_inh_exc")
               + b2.Equations(eq.INH_INHIBITION if pairwise else eq.EXC_INHIBITION)
               + b2.Equations(eq.THETA_PLASTIC if learning else eq.THETA_FROZEN))
    for src in sources:
        exc_eqs += b2.Equations(eq.WSUM, wsum=wsum_name(src))
    exc = b2.NeuronGroup(n, exc_eqs, threshold=eq.EXC_THRESHOLD,
                         reset=eq.EXC_RESET_PLASTIC if learning else eq.EXC_RESET_FROZEN,
                         refractory=refractory("exc"), method=NEURON_METHOD, clock=clock,
                         namespace=dict(ns), name=f"{name}_exc")
    inh_eqs = (b2.Equations(eq.CONDUCTANCE_LIF, v_rest="v_rest_inh", tau_mem="tau_mem_inh",
                            E_inh="E_inh_inh") + b2.Equations(eq.INH_INHIBITION))
    inh = b2.NeuronGroup(n, inh_eqs, threshold=eq.INH_THRESHOLD, reset=eq.INH_RESET,
                         refractory=refractory("inh"), method=NEURON_METHOD, clock=clock,
                         namespace=dict(ns), name=f"{name}_inh")
    exc.v = initial_v("exc")
    inh.v = initial_v("inh")
    exc.theta = theta_init
    exc.t_last = seconds(-1e9)
    inh.t_last = seconds(-1e9)
    for group, v_rest, gi_own in ((exc, "v_rest_exc", "gi" if pairwise else "gi_self"),
                                  (inh, "v_rest_inh", "gi")):
        built.add(group.run_regularly(substitute(eq.SAMPLE_START_CLEAR, v_rest=v_rest,
                                                 gi_own=gi_own),
                                      dt=ns["sample_duration"], when="start", order=2,
                                      name=f"{group.name}_sample_start"))
    exc_to_inh = b2.Synapses(exc, inh, on_pre=eq.EXC_TO_INH, clock=clock, namespace=dict(ns),
                             name=f"{name}_exc_to_{name}_inh")
    exc_to_inh.connect(j="i")
    built.add(exc, inh, exc_to_inh)
    pools = np.asarray(pool_of_neuron, dtype=np.int64)
    if pairwise:
        inh_to_exc = b2.Synapses(inh, exc, on_pre=eq.INH_TO_EXC, clock=clock, namespace=dict(ns),
                                 name=f"{name}_inh_to_{name}_exc")
        ii, jj = np.nonzero((pools[:, None] == pools[None, :]) & ~np.eye(n, dtype=bool))
        inh_to_exc.connect(i=ii.astype(np.int32), j=jj.astype(np.int32))
        built.add(inh_to_exc)
    else:
        pool = b2.NeuronGroup(n_pools, eq.POOL, method="exact", clock=clock, namespace=dict(ns),
                              name=f"{name}_inh_pool")
        clear_pool = pool.run_regularly(eq.SAMPLE_START_CLEAR_POOL, dt=ns["sample_duration"],
                                        when="start", order=2,
                                        name=f"{name}_inh_pool_sample_start")
        exc.gi_pool = b2.linked_var(pool, "g", index=pools)
        inh_to_pool = b2.Synapses(inh, pool, on_pre=eq.INH_TO_POOL, clock=clock,
                                  namespace=dict(ns), name=f"{name}_inh_to_{name}_inh_pool")
        inh_to_pool.connect(i=np.arange(n, dtype=np.int32), j=pools.astype(np.int32))
        inh_to_self = b2.Synapses(inh, exc, on_pre=eq.INH_TO_SELF, clock=clock,
                                  namespace=dict(ns), name=f"{name}_inh_to_{name}_exc_self")
        inh_to_self.connect(j="i")
        built.add(pool, clear_pool, inh_to_pool, inh_to_self)
    monitor = b2.SpikeMonitor(exc, name=f"spikes_{name}_exc")
    built.add(monitor)
    built.exc_layers.append(name)
    built.monitors[name] = monitor
    return exc


def wsum_name(source: str) -> str:
    """Name of the target-neuron variable holding the column sum of weights from ``source``."""
    return f"wsum_{source}"


def add_plastic_projection(built: BuiltNetwork, source: b2.NeuronGroup, target: b2.NeuronGroup,
                           pre: np.ndarray, post: np.ndarray, rule: str, learning: bool,
                           norm_total: float, gain: float = 1.0) -> b2.Synapses:
    """STDP synapses ``<source>_to_<target>`` with per-target weight normalisation.

    The target layer must have been made with ``source.name`` among its ``sources``.

    Parameters
    ----------
    source, target : NeuronGroup
        The source needs a ``t_last`` variable, the target ``t_last``, ``ge``, ``wsum``.
    pre, post : ndarray of int32
        Connectivity.
    rule : {"paper", "trace"}
        Learning rule (see :mod:`stdp_emo.network.equations`).
    learning : bool
        Plastic (rule applied, normalisation at every sample start) or frozen.
    norm_total : float
        Column sum every target neuron's weights are normalised to.
    gain : float
        Conductance a presynaptic spike opens per unit weight (``w_gain``).
    """
    wsum = wsum_name(source.name)
    norm_name = f"norm_total_{source.name}"
    ns = dict(built.namespace, norm_total=norm_total, wsum_floor=1e-300, w_gain=float(gain))
    if not learning:
        on_pre, on_post = eq.ON_PRE_FROZEN, None
    elif rule == "paper":
        on_pre, on_post = eq.PAPER_ON_PRE, eq.PAPER_ON_POST
    elif rule == "trace":
        on_pre, on_post = eq.TRACE_ON_PRE, eq.TRACE_ON_POST
    else:
        raise ValueError(f"unknown STDP rule {rule!r}")
    if learning:
        on_pre, on_post = (substitute(c, wsum_post=f"{wsum}_post") for c in (on_pre, on_post))
    syn = b2.Synapses(source, target, model=eq.PLASTIC_MODEL, on_pre=on_pre, on_post=on_post,
                      clock=built.clock, namespace=ns,
                      name=f"{source.name}_to_{target.name}")
    syn.connect(i=np.asarray(pre, np.int32), j=np.asarray(post, np.int32))
    built.add(syn)
    if learning:
        norm_syn = syn.run_regularly(substitute(eq.NORMALISE_SYNAPSES, wsum_post=f"{wsum}_post"),
                                     dt=ns["sample_duration"], when="start", order=0,
                                     name=f"{syn.name}_normalise")
        norm_exc = target.run_regularly(substitute(eq.NORMALISE_NEURONS, wsum=wsum,
                                                   norm_total=norm_name),
                                        dt=ns["sample_duration"], when="start", order=1,
                                        name=f"{syn.name}_normalise_{wsum}")
        target.namespace[norm_name] = norm_total
        built.add(norm_syn, norm_exc)
    built.plastic.append(syn.name)
    return syn


def build(comp: Composition, ns: dict, *, learning: bool, rule: str, n_samples: int, theta_init,
          dt, sample_duration, inhibition_impl: str = "pool",
          record_all: bool = False) -> BuiltNetwork:
    """Brian2 objects of a :class:`~stdp_emo.network.composition.Composition`.

    Every mode is built from the same pieces: one :func:`add_input` per input,
    one :func:`add_layer` per layer, one :func:`add_plastic_projection` per
    projection.  ``record_all`` adds spike monitors on the input and inhibitory
    groups (``spikes_<name>_input``, ``spikes_<name>_inh``) for raster plots.
    """
    built = new_network(n_samples, ns, dt, sample_duration)
    groups = {}
    for spec in comp.inputs:
        groups[f"{spec.name}_input"] = add_input(built, spec.name, spec.n_inputs, n_samples,
                                                 onset=milliseconds(spec.onset_ms),
                                                 segments=spec.segments)
    for layer in comp.layers:
        sources = tuple(p.source for p in comp.projections if p.target == layer.name)
        groups[f"{layer.name}_exc"] = add_layer(built, layer.name, layer.pools, learning,
                                                theta_init, inhibition_impl, sources)
    for p in comp.projections:
        add_plastic_projection(built, groups[p.source], groups[f"{p.target}_exc"], p.pre, p.post,
                               rule, learning, p.norm_total, p.gain)
    if record_all:
        named = [(f"{s.name}_input", f"{s.name}_input") for s in comp.inputs]
        named += [(f"{layer.name}_inh", f"{layer.name}_inh") for layer in comp.layers]
        for group_name, label in named:
            mon = b2.SpikeMonitor(built[group_name], name=f"spikes_{group_name}")
            built.add(mon)
            built.monitors[label] = mon
        readout = built[f"{comp.readout}_exc"]
        built.add(b2.StateMonitor(readout, ["v", "theta"], record=True, dt=milliseconds(TRACE_DT_MS),
                                  name=f"state_{readout.name}"))
    return built


def build_single_modality(topo: ConvTopology, name: str, ns: dict, *, learning: bool, rule: str,
                          inhibition: str, n_samples: int, norm_per_synapse: float, theta_init,
                          dt, sample_duration, inhibition_impl: str = "pool",
                          record_all: bool = False) -> BuiltNetwork:
    """Input -> convolution-window excitatory layer (audio-only or visual-only mode)."""
    pools = topo.position if inhibition == "window" else np.zeros(topo.n_neurons, np.int32)
    comp = Composition(name, [InputSpec(name, topo.n_inputs)], [LayerSpec(name, pools)],
                       [ProjectionSpec(f"{name}_input", name, topo.pre, topo.post,
                                       norm_per_synapse * topo.fan_in)], name, {name: topo})
    return build(comp, ns, learning=learning, rule=rule, n_samples=n_samples,
                 theta_init=theta_init, dt=dt, sample_duration=sample_duration,
                 inhibition_impl=inhibition_impl, record_all=record_all)
