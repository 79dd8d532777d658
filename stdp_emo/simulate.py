"""Run networks: compile once with Brian2 ``cpp_standalone``, present many samples.

A :class:`CompiledNetwork` is built and compiled once for a network shape and
a number of samples per run (``chunk_size``).  Every call of
:meth:`CompiledNetwork.run_chunk` runs the same binary with new input rates,
random streams, weights and thresholds passed as Brian2 ``run_args``, so the
per-sample Python overhead is gone and compiled code is reused across runs:
projects live in ``<cache>/standalone/<key>/`` where the key hashes the
network shape, the mode and the chunk size; Brian2 rewrites only changed
files, so a second process re-uses the compiled objects.

:func:`present` streams any number of samples through a compiled network,
re-presenting samples that made fewer than ``min_spikes`` excitatory spikes
with a higher input intensity (DC15-code) in a later chunk.
"""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import gc
import hashlib
import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import brian2 as b2
import numpy as np
from tqdm.auto import tqdm

from .config import EncodingConfig, NetworkConfig
from .encoding import input_rates_hz, phase_encoding, stream_ids
from .network.builder import BuiltNetwork, build, wsum_name
from .network.composition import Composition
from .network.namespace import build_namespace, hertz, in_units, run_quantities, volts
from .network.rng import sample_streams
from .network.state import NetworkState
from .paths import cache_home

log = logging.getLogger(__name__)

b2.prefs.logging.file_log = False
b2.prefs.logging.std_redirection = False
b2.prefs.logging.console_log_level = "WARNING"
# One Ctrl-C must stop training: with Brian2's default, the first SIGINT only asks the
# simulation to stop, and the standalone binary then ends the chunk early and exits 0,
# so a cut-short chunk would be taken as a finished one.  Off, SIGINT raises
# KeyboardInterrupt at once; the chunk in progress is dropped and the checkpoint holds
# the state after the last finished chunk.
b2.prefs.core.stop_on_keyboard_interrupt = False


def project_key(comp: Composition, net: NetworkConfig, enc: EncodingConfig, *,
                learning: bool, chunk_size: int, record_all: bool = False) -> str:
    """Key of a compiled standalone project: everything that shapes the generated code.

    Constants and connectivity are compiled into the project, so the
    composition's signature (shapes and a hash of the connectivity) and the
    full network and encoding configs are part of the key, with the mode,
    the chunk size, the Brian2 version and the source of the modules that
    write the generated code (equation templates, builder, namespace and
    parameter constants).  Two configs never share a project directory.
    """
    from .network import builder, equations, namespace, parameters

    code = b"".join(Path(m.__file__).read_bytes()
                    for m in (equations, builder, namespace, parameters))
    payload = {"composition": comp.signature(),
               "learning": bool(learning), "chunk_size": int(chunk_size),
               "record_all": bool(record_all),
               "network": dataclasses.asdict(net), "encoding": dataclasses.asdict(enc),
               "brian2": b2.__version__,
               "templates": hashlib.sha256(code).hexdigest()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def canonical_main_queue(queue: list) -> list:
    """Put each run of single-value array writes in Brian2's main queue in name order (in place).

    ``Network.run`` sets every clock's ``t`` and ``timestep`` while iterating a set
    of clocks hashed by object id, so their order in ``main.cpp`` changed from
    process to process: the generated ``main.cpp`` differed and the cached project
    was recompiled in every new process.  Writes to different arrays commute, and
    the sort is stable, so writes to the same array keep their order.
    """
    i = 0
    while i < len(queue):
        j = i
        while j < len(queue) and queue[j][0] == "set_by_single_value":
            j += 1
        if j > i + 1:
            queue[i:j] = sorted(queue[i:j], key=lambda entry: entry[1][0])
        i = j + 1 if j == i else j
    return queue


class _Slot:
    """An exclusively held copy of a compiled project (one per concurrent user).

    Slot ``k`` of project ``P`` is the directory ``P-s<k>``, held through an
    advisory lock on ``.P-s<k>.lock`` for the lifetime of the owner.  A new
    slot starts as a copy (file times kept) of a finished slot, so ``make``
    finds nothing to recompile.
    """

    def __init__(self, base: Path):
        base.parent.mkdir(parents=True, exist_ok=True)
        k = 0
        while True:
            lock = open(base.parent / f".{base.name}-s{k}.lock", "w")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                lock.close()
                k += 1
        self._lock = lock
        self.path = base.parent / f"{base.name}-s{k}"
        if not (self.path / _COMPILED).exists():
            done = sorted(base.parent.glob(f"{base.name}-s*/{_COMPILED}"))
            if done:
                src = done[0].parent
                if self.path.exists():
                    shutil.rmtree(self.path)
                # init_*.dat: the run_args arrays of the owner's last run (inputs, weights),
                # rewritten by every run and deleted while it starts one: not copied, or
                # copying beside a running process fails on a vanished file
                shutil.copytree(src, self.path, symlinks=True, ignore=shutil.ignore_patterns(
                    "results", _COMPILED, "init_*.dat"))

    def release(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None


_COMPILED = ".compiled"
_GENERATION = [0]


class CompiledNetwork:
    """A network compiled for ``chunk_size`` samples per run.

    Only the most recently built CompiledNetwork of a process can run (Brian2
    has one standalone device per process); concurrent processes each hold
    their own copy (slot) of the compiled project.

    Parameters
    ----------
    comp : Composition
        Inputs, layers and plastic projections (see :func:`~stdp_emo.network.composition.compose`).
    net, enc : NetworkConfig, EncodingConfig
        ``enc`` as configured: a frozen network presents for ``frozen_present_ms`` when it
        is set (:func:`~stdp_emo.encoding.phase_encoding`; ``self.enc`` is the phase's).
    learning : bool
        Plasticity and adaptive thresholds on (training) or frozen (labelling, test).
    chunk_size : int
        Samples per binary run.
    cache_dir : Path, optional
        Root of compiled projects (default ``paths.cache_home()``).
    record_all : bool
        Also record input and inhibitory spikes (for :meth:`record`).
    """

    def __init__(self, comp: Composition, net: NetworkConfig, enc: EncodingConfig,
                 *, learning: bool, chunk_size: int, cache_dir: Path | None = None,
                 record_all: bool = False):
        self.comp = comp
        self.record_all = record_all
        enc = phase_encoding(enc, learning)
        self.net, self.enc = net, enc
        self.learning, self.chunk_size = learning, int(chunk_size)
        self.sample_ms = enc.present_ms + enc.rest_ms
        #: spikes are counted from the sample start to the end of the latest input
        self.count_ms = enc.present_ms + max(i.onset_ms for i in comp.inputs)
        key = project_key(comp, net, enc, learning=learning, chunk_size=self.chunk_size,
                          record_all=record_all)
        root = Path(cache_dir) if cache_dir is not None else cache_home()
        base = (root / "standalone" / f"{comp.mode}-{'learn' if learning else 'frozen'}-{key}").resolve()
        self.timings: dict[str, float] = {}
        self._slot = _Slot(base)
        self.project_dir = self._slot.path
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Give the project slot back and free the Brian2 objects.

        Brian2 numbers the names of generated code objects when objects of the
        same name are still alive; freeing them keeps the generated code, and
        so the compiled project, identical for the next build of this shape.
        """
        self._slot.release()
        if getattr(self, "built", None) is not None:
            self.built = None
            gc.collect()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        with contextlib.suppress(Exception):
            self.close()

    # ------------------------------------------------------------------ build
    def _build(self) -> None:
        t0 = time.perf_counter()
        b2.set_device("cpp_standalone", directory=str(self.project_dir), build_on_run=False)
        b2.device.reinit()
        # the device held the last network (its networks and code objects) until reinit:
        # collected now, so no dead object holds a name and the generated code, and with it
        # the compiled project, is the same in every process (see close())
        gc.collect()
        b2.device.activate(directory=str(self.project_dir), build_on_run=False)
        b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j2", "-s"]
        ns = build_namespace(self.net, self.enc)
        q = run_quantities(self.net, self.enc, self.sample_ms)
        self.built: BuiltNetwork = build(
            self.comp, ns, learning=self.learning, rule=self.net.stdp_rule,
            n_samples=self.chunk_size, theta_init=q["theta_init"], dt=q["dt"],
            sample_duration=q["sample_duration"], record_all=self.record_all)
        self.built.network.run(self.chunk_size * q["sample_duration"], namespace={})
        canonical_main_queue(b2.get_device().main_queue)
        t1 = time.perf_counter()
        (self.project_dir / _COMPILED).unlink(missing_ok=True)
        b2.device.build(directory=str(self.project_dir), compile=True, run=False,
                        with_output=False)
        (self.project_dir / _COMPILED).touch()
        self.device = b2.get_device()
        _GENERATION[0] += 1
        self._generation = _GENERATION[0]
        self.timings["codegen_s"] = t1 - t0
        self.timings["compile_s"] = time.perf_counter() - t1

    def synapses(self, name: str):
        """The Brian2 synapses of projection ``name``."""
        return self.built[name]

    def exc(self, layer: str):
        """The Brian2 excitatory group of ``layer``."""
        return self.built[f"{layer}_exc"]

    # -------------------------------------------------------------------- run
    def run_chunk(self, rates_hz: dict, streams: np.ndarray, state: NetworkState,
                  ) -> tuple[dict, NetworkState | None]:
        """Present ``chunk_size`` samples.

        Parameters
        ----------
        rates_hz : dict
            Input name -> rates in Hz during each presentation, shape
            (chunk_size, n_values) (a temporal input: its segments one after another).
        streams : ndarray, shape (chunk_size,)
            Random stream number of each presentation (see :mod:`~stdp_emo.network.rng`).
        state : NetworkState
            Weights and thresholds at the start of the chunk.

        Returns
        -------
        counts : dict
            Layer -> excitatory spikes of every neuron during each presentation,
            ndarray of int, shape (chunk_size, n_neurons).
        state : NetworkState or None
            State at the end (``None`` when frozen: unchanged).
        """
        spikes, new_state = self._run(rates_hz, streams, state)
        counts = {}
        for layer in self.comp.layers:
            i, t_ms = spikes[layer.name]
            counts[layer.name] = spike_counts(i, t_ms, self.chunk_size, layer.n_neurons,
                                              self.sample_ms, self.count_ms, self.enc.dt_ms)
        return counts, new_state

    def record(self, rates_hz: dict, streams: np.ndarray, state: NetworkState) -> dict:
        """Spikes of every monitored group: ``{group: (neuron index, time ms)}``.

        Groups are the layer names (excitatory) and, with ``record_all``,
        ``<input>_input`` and ``<layer>_inh``.
        """
        return self._run(rates_hz, streams, state)[0]

    def traces(self, layer: str, neurons: np.ndarray) -> dict:
        """Membrane potential and threshold of some neurons in the last :meth:`record` run.

        Needs ``record_all``.  Returns ``{"t_ms": (n_t,), "neurons": (k,),
        "v_mv": (k, n_t), "threshold_mv": (k, n_t)}``; the threshold is
        ``theta - theta_offset + v_thresh_exc`` (see the equations).
        """
        from .network import parameters as P

        mon = self.built[f"state_{layer}_exc"]
        neurons = np.asarray(neurons, dtype=np.int64)
        v = in_units(mon.v[:], "mV")[neurons]
        theta = in_units(mon.theta[:], "mV")[neurons]
        return {"t_ms": in_units(mon.t[:], "ms"), "neurons": neurons, "v_mv": v,
                "threshold_mv": theta - P.THETA_OFFSET.value + P.V_THRESH_EXC.value}

    def _run(self, rates_hz, streams, state):
        if self.built is None or self._generation != _GENERATION[0]:
            raise RuntimeError("another network was built in this process since this one; "
                               "build it again to run it")
        k = self.chunk_size
        run_args = {self.built.stream: np.asarray(streams, float)}
        for spec in self.comp.inputs:
            r = rates_hz[spec.name]
            if r.shape != (k, spec.n_values):
                raise ValueError(f"{spec.name} rates shape {r.shape} != {(k, spec.n_values)}")
            run_args[self.built.stim[spec.name]] = hertz(stim_rows(r, spec, self.sample_ms,
                                                                   self.enc.present_ms))
        for p in self.comp.projections:
            w = np.asarray(state.weights[p.name], float)
            run_args[self.synapses(p.name).w] = w
            if self.learning:
                exc = self.exc(p.target)
                run_args[getattr(exc, wsum_name(p.source))] = np.bincount(
                    p.post, weights=w, minlength=self.comp.layer(p.target).n_neurons)
        for layer in self.comp.layers:
            run_args[self.exc(layer.name).theta] = volts(np.asarray(state.theta[layer.name], float))
        t0 = time.perf_counter()
        try:
            self.device.run(directory=str(self.project_dir), with_output=False, run_args=run_args)
            spikes = {key: (np.asarray(mon.i[:]), in_units(mon.t[:], "ms"))
                      for key, mon in self.built.monitors.items()}
            new_state = None
            if self.learning:
                new_state = NetworkState(
                    {p.name: np.asarray(self.synapses(p.name).w[:]).copy()
                     for p in self.comp.projections},
                    {layer.name: np.asarray(self.exc(layer.name).theta[:]).copy()
                     for layer in self.comp.layers})
        finally:
            self._forget_run_args()
        self.timings["run_s"] = self.timings.get("run_s", 0.0) + time.perf_counter() - t0
        return spikes, new_state

    def _forget_run_args(self) -> None:
        static = self.project_dir / "static_arrays"
        for name in list(self.device.run_args_arrays):
            with contextlib.suppress(FileNotFoundError):
                (static / name).unlink()
        self.device.run_args_arrays.clear()


def stim_rows(rates_hz: np.ndarray, spec, sample_ms: float, present_ms: float) -> np.ndarray:
    """The rows of an input's stim TimedArray for one chunk.

    Parameters
    ----------
    rates_hz : ndarray, shape (k, spec.n_values)
        Every sample's rates (its ``spec.segments`` input vectors one after another).

    Returns
    -------
    ndarray, shape (k * rows, spec.n_inputs)
        One row per sample (``segments`` 1), or per segment: each sample's segments
        followed by the silent segments of its rest (``rows = sample_ms / (present_ms /
        segments)``).
    """
    r = np.ascontiguousarray(rates_hz, float)
    if spec.segments == 1:
        return r
    rows = int(round(sample_ms * spec.segments / present_ms))
    out = np.zeros((r.shape[0], rows, spec.n_inputs))
    out[:, : spec.segments] = r.reshape(r.shape[0], spec.segments, spec.n_inputs)
    return out.reshape(-1, spec.n_inputs)


def spike_counts(i: np.ndarray, t_ms: np.ndarray, n_samples: int, n_neurons: int,
                 sample_ms: float, present_ms: float, dt_ms: float) -> np.ndarray:
    """Spike counts per sample and neuron inside the presentation windows.

    Spike times are whole time steps; they are compared as step numbers, so a
    spike exactly at a window edge is placed the same way at any time in a run
    (float times there carry rounding that depends on the absolute time).

    Parameters
    ----------
    i, t_ms : ndarray
        Neuron index and time (ms) of every spike.
    sample_ms, present_ms, dt_ms : float
        Sample length (a whole number of steps), counting window from each
        sample start, time step.

    Returns
    -------
    ndarray of int64, shape (n_samples, n_neurons)
    """
    step = np.rint(np.asarray(t_ms, float) / dt_ms).astype(np.int64)
    per_sample = int(round(sample_ms / dt_ms))
    window = int(np.ceil(present_ms / dt_ms - 1e-9))
    s = step // per_sample
    keep = (step - s * per_sample < window) & (s < n_samples)
    flat = s[keep] * n_neurons + i[keep].astype(np.int64)
    return np.bincount(flat, minlength=n_samples * n_neurons).reshape(n_samples, n_neurons)


@dataclass
class PresentResult:
    """Outcome of :func:`present`.

    Attributes
    ----------
    counts : ndarray of int, shape (n_samples, n_voting)
        Counts of the voting neurons (the labelled layer, or every layer with
        ``train.vote_layers = "all"``; :meth:`Composition.voting_counts`) at each
        sample's last presentation.
    presentations : int
        Presentations made, retries included.
    retries : ndarray of int, shape (n_samples,)
        Re-presentations of each sample.
    state : NetworkState
        Final state (training) or the unchanged input state (frozen).
    seconds : float
        Wall time.
    layer_counts : dict
        Layer -> counts like ``counts``, for every layer.
    """

    counts: np.ndarray
    presentations: int
    retries: np.ndarray
    state: NetworkState
    seconds: float
    stats: dict = field(default_factory=dict)
    layer_counts: dict = field(default_factory=dict)


def as_inputs(comp: Composition, features) -> dict:
    """``{input name: (n_samples, n_inputs) array}`` from a dict, or one array for one input."""
    if isinstance(features, dict):
        return features
    if len(comp.inputs) != 1:
        raise ValueError(f"mode {comp.mode!r} needs features of {len(comp.inputs)} inputs as a dict")
    return {comp.inputs[0].name: features}


def chunk_inputs(comp: Composition, features: dict, idx: np.ndarray, retry: np.ndarray,
                 enc: EncodingConfig, k: int, seed: int, phase: int) -> tuple[dict, np.ndarray]:
    """Input rates and random streams of one chunk of ``k`` slots holding samples ``idx``.

    Parameters
    ----------
    features : dict
        Input name -> values in [0, 1], shape (n_samples, n_inputs).
    idx, retry : ndarray of int, shape (m,), m <= k
        Samples of the chunk and their retry numbers; slots after ``m`` stay silent.

    Returns
    -------
    rates : dict
        Input name -> rates in Hz, shape (k, n_values) (``n_inputs`` times the
        input's segments).
    streams : ndarray
        The chunk's random streams (:func:`stdp_emo.network.rng.sample_streams`).
    """
    m = len(idx)
    rates = {}
    for spec in comp.inputs:
        r = np.zeros((k, spec.n_values))
        r[:m] = input_rates_hz(np.asarray(features[spec.name])[idx], enc, retry)
        rates[spec.name] = r
    ids = np.zeros(k, dtype=np.int64)
    ids[:m] = stream_ids(idx, retry)
    return rates, sample_streams(seed, phase, ids)


def present(compiled: CompiledNetwork, features, state: NetworkState, *,
            seed: int, phase: int, order: np.ndarray | None = None, progress: bool = True,
            desc: str = "samples", on_chunk=None, queue=None) -> PresentResult:
    """Present samples (in ``order``) to a compiled network, chunk by chunk.

    Samples making fewer than ``min_spikes`` spikes in the labelled layer are
    presented again at a higher intensity in a later chunk (DC15-code).

    Parameters
    ----------
    compiled : CompiledNetwork
    features : dict or ndarray
        Input name -> values in [0, 1], shape (n_samples, n_inputs) (one array
        for a single-input network); rate = value * max_rate_hz * intensity.
    state : NetworkState
        Start state.  Training updates it chunk by chunk.
    seed, phase : int
        Random streams depend on (seed, phase, sample index, retry) only,
        so results do not depend on the chunk size or on sharding.
    order : ndarray of int, optional
        Presentation order (default: 0..n-1).  Only these rows of the result
        counts are filled.
    on_chunk : callable, optional
        Called as ``on_chunk(queue, state)`` after every chunk with the
        presentations still to make (list of (sample, retry)) and the state:
        enough to resume exactly (a checkpoint).
    queue : list of (int, int), optional
        Resume: the presentations still to make (from ``on_chunk``); ``order``
        is then ignored.
    """
    enc = compiled.enc
    comp = compiled.comp
    features = as_inputs(comp, features)
    n = next(iter(features.values())).shape[0]
    if queue is not None:
        queue = [(int(s), int(r)) for s, r in queue]
        order = np.array(list(dict.fromkeys(s for s, _ in queue)), dtype=np.int64)
    else:
        order = np.arange(n) if order is None else np.asarray(order)
        queue = [(int(s), 0) for s in order]
    k = compiled.chunk_size
    readout = comp.readout
    layer_counts = {layer.name: np.zeros((n, layer.n_neurons), dtype=np.int64)
                    for layer in comp.layers}
    retries = np.zeros(n, dtype=np.int64)
    presentations = 0
    t0 = time.perf_counter()
    bar = tqdm(total=len(order), desc=desc, unit="sample", disable=not progress, leave=False)
    while queue:
        batch, queue = queue[:k], queue[k:]
        idx = np.array([s for s, _ in batch])
        retry = np.array([r for _, r in batch])
        rates, streams = chunk_inputs(comp, features, idx, retry, enc, k, seed, phase)
        counts, new_state = compiled.run_chunk(rates, streams, state)
        if new_state is not None:
            state = new_state
        presentations += len(batch)
        for name, c in counts.items():
            layer_counts[name][idx] = c[: len(batch)]
        retries[idx] = retry
        low = counts[readout][: len(batch)].sum(axis=1) < enc.min_spikes
        again = [(int(s), int(r) + 1) for s, r, lo in zip(idx, retry, low)
                 if lo and r < enc.max_retries]
        queue.extend(again)
        bar.update(len(batch) - len(again))
        bar.set_postfix(spikes=f"{counts[readout][: len(batch)].sum(axis=1).mean():.0f}/sample")
        if on_chunk is not None:
            on_chunk(list(queue), state)
    bar.close()
    secs = time.perf_counter() - t0
    stats = _stats(layer_counts, readout, retries, order, enc.min_spikes)
    return PresentResult(comp.voting_counts(layer_counts), presentations, retries, state, secs,
                         stats, layer_counts)


def _stats(layer_counts: dict, readout: str, retries: np.ndarray, order: np.ndarray,
           min_spikes: int) -> dict:
    """Spike statistics of the presented samples ``order``."""
    tot = layer_counts[readout][order].sum(axis=1)
    m = len(order)
    return {"spikes_per_sample_mean": float(tot.mean()) if m else 0.0,
            "spikes_per_sample_median": float(np.median(tot)) if m else 0.0,
            "samples_below_min_spikes": int((tot < min_spikes).sum()),
            "retried_samples": int((retries[order] > 0).sum()),
            "layer_spikes_per_sample": {name: float(c[order].sum(axis=1).mean()) if m else 0.0
                                        for name, c in layer_counts.items()}}


def _present_shard(job: dict) -> dict:
    """Worker: build (or reuse) the frozen network, present one shard of samples."""
    with CompiledNetwork(job["comp"], job["net"], job["enc"], learning=False,
                         chunk_size=job["chunk_size"], cache_dir=job["cache_dir"]) as frozen:
        res = present(frozen, job["features"], job["state"], seed=job["seed"],
                      phase=job["phase"], order=job["order"], progress=False)
    order = job["order"]
    return {"order": order, "layer_counts": {k: v[order] for k, v in res.layer_counts.items()},
            "retries": res.retries[order], "presentations": res.presentations}


def present_sharded(comp: Composition, net: NetworkConfig, enc: EncodingConfig, features,
                    state: NetworkState, *, seed: int, phase: int, chunk_size: int,
                    workers: int = 2, client=None, cache_dir: Path | None = None,
                    progress: bool = True, desc: str = "samples") -> PresentResult:
    """Frozen presentations of all samples split over worker processes.

    Equal to ``present(order=None)`` on one frozen network: a frozen network's
    responses to a sample depend only on (seed, phase, sample index, retry).
    Each worker runs its own copy (slot) of the compiled project; compile it
    first (e.g. build a frozen :class:`CompiledNetwork` once) so workers only copy it.

    Parameters
    ----------
    workers : int
        Shards (and local processes when no ``client`` is given).
    client : dask.distributed.Client, optional
        Run the shards as Dask tasks (a local or remote cluster) instead of
        local processes.
    """
    features = as_inputs(comp, features)
    n = next(iter(features.values())).shape[0]
    t0 = time.perf_counter()
    shards = [s for s in np.array_split(np.arange(n), max(1, int(workers))) if s.size]
    jobs = [{"comp": comp, "net": net, "enc": enc, "chunk_size": chunk_size,
             "cache_dir": cache_dir, "features": features, "state": state, "seed": seed,
             "phase": phase, "order": s} for s in shards]
    if client is not None:
        futures = client.map(_present_shard, jobs, pure=False)
        parts = client.gather(futures)
    elif len(jobs) == 1:
        parts = [_present_shard(jobs[0])]
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(len(jobs), mp_context=mp.get_context("spawn")) as pool:
            parts = list(tqdm(pool.map(_present_shard, jobs), total=len(jobs), desc=desc,
                              unit="shard", disable=not progress, leave=False))
    layer_counts = {layer.name: np.zeros((n, layer.n_neurons), dtype=np.int64)
                    for layer in comp.layers}
    retries = np.zeros(n, dtype=np.int64)
    for part in parts:
        for k, v in part["layer_counts"].items():
            layer_counts[k][part["order"]] = v
        retries[part["order"]] = part["retries"]
    stats = dict(_stats(layer_counts, comp.readout, retries, np.arange(n), enc.min_spikes),
                 workers=len(jobs))
    return PresentResult(comp.voting_counts(layer_counts), sum(p["presentations"] for p in parts),
                         retries, state, time.perf_counter() - t0, stats, layer_counts)
