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
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import brian2 as b2
import numpy as np
from tqdm.auto import tqdm

from .config import EncodingConfig, NetworkConfig
from .network.builder import BuiltNetwork, build_single_modality
from .network.namespace import build_namespace
from .network.rng import sample_streams
from .network.topology import ConvTopology
from .paths import cache_home

log = logging.getLogger(__name__)

b2.prefs.logging.file_log = False
b2.prefs.logging.std_redirection = False
b2.prefs.logging.console_log_level = "WARNING"


@dataclass
class NetworkState:
    """Learnt state of a single-modality network (what a model file stores).

    Attributes
    ----------
    w : ndarray, shape (n_synapses,)
        Input -> excitatory weights, in the order of ``topology.pre/post``.
    theta : ndarray, shape (n_neurons,)
        Adaptive threshold of every excitatory neuron, in volt.
    """

    w: np.ndarray
    theta: np.ndarray

    def copy(self) -> "NetworkState":
        return NetworkState(self.w.copy(), self.theta.copy())


def initial_state(topo: ConvTopology, net: NetworkConfig, seed: int) -> NetworkState:
    """DC15-code initial weights ``(rand + 0.01) * w_init_max`` and theta ``theta_init``."""
    rng = np.random.default_rng(seed)
    w = (rng.random(topo.pre.size) + 0.01) * net.w_init_max
    theta = np.full(topo.n_neurons, net.theta_init_mv * 1e-3)
    return NetworkState(w, theta)


def project_key(topo: ConvTopology, name: str, net: NetworkConfig, enc: EncodingConfig, *,
                learning: bool, chunk_size: int, record_all: bool = False) -> str:
    """Key of a compiled standalone project: everything that shapes the generated code.

    Constants are compiled into the code, so the full network and encoding
    configs are part of the key, with the topology, the mode, the chunk size,
    the Brian2 version and the equation templates.  Two configs never share a
    project directory (concurrent runs would otherwise run each other's binary).
    """
    from .network import equations

    payload = {"shape": [list(topo.input_shape), list(topo.window), list(topo.stride),
                         topo.n_features],
               "name": name, "learning": bool(learning), "chunk_size": int(chunk_size),
               "record_all": bool(record_all),
               "network": dataclasses.asdict(net), "encoding": dataclasses.asdict(enc),
               "brian2": b2.__version__,
               "templates": hashlib.sha256(Path(equations.__file__).read_bytes()).hexdigest()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class CompiledNetwork:
    """A single-modality network compiled for ``chunk_size`` samples per run.

    Parameters
    ----------
    topo : ConvTopology
        Input -> excitatory connectivity.
    name : str
        Modality name (``"audio"``, ``"visual"``), used in object names.
    net, enc : NetworkConfig, EncodingConfig
    learning : bool
        Plasticity and adaptive thresholds on (training) or frozen (labelling, test).
    chunk_size : int
        Samples per binary run.
    cache_dir : Path, optional
        Root of compiled projects (default ``paths.cache_home()``).
    record_all : bool
        Also record input and inhibitory spikes (for :meth:`record`).
    """

    def __init__(self, topo: ConvTopology, name: str, net: NetworkConfig, enc: EncodingConfig,
                 *, learning: bool, chunk_size: int, cache_dir: Path | None = None,
                 record_all: bool = False):
        self.record_all = record_all
        self.topo, self.name, self.net, self.enc = topo, name, net, enc
        self.learning, self.chunk_size = learning, int(chunk_size)
        self.sample_ms = enc.present_ms + enc.rest_ms
        key = project_key(topo, name, net, enc, learning=learning, chunk_size=self.chunk_size,
                          record_all=record_all)
        root = Path(cache_dir) if cache_dir is not None else cache_home()
        self.project_dir = (root / "standalone" / f"{name}-{'learn' if learning else 'frozen'}-{key}").resolve()
        self.timings: dict[str, float] = {}
        self._build()

    # ------------------------------------------------------------------ build
    def _build(self) -> None:
        t0 = time.perf_counter()
        with _locked(self.project_dir.parent / f".{self.project_dir.name}.lock"):
            b2.set_device("cpp_standalone", directory=str(self.project_dir), build_on_run=False)
            b2.device.reinit()
            b2.device.activate(directory=str(self.project_dir), build_on_run=False)
            b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j2", "-s"]
            ns = build_namespace(self.net, self.enc)
            ms = b2.ms
            self.built: BuiltNetwork = build_single_modality(
                self.topo, self.name, ns, learning=self.learning, rule=self.net.stdp_rule,
                inhibition=self.net.inhibition, n_samples=self.chunk_size,
                norm_per_synapse=self.net.norm_per_synapse,
                theta_init=self.net.theta_init_mv * b2.mV, dt=self.enc.dt_ms * ms,
                sample_duration=self.sample_ms * ms, record_all=self.record_all)
            self.built.network.run(self.chunk_size * self.sample_ms * ms, namespace={})
            t1 = time.perf_counter()
            b2.device.build(directory=str(self.project_dir), compile=True, run=False,
                            with_output=False)
            self.device = b2.get_device()
        self.timings["codegen_s"] = t1 - t0
        self.timings["compile_s"] = time.perf_counter() - t1

    @property
    def synapses(self):
        return self.built[f"{self.name}_input_to_{self.name}_exc"]

    @property
    def exc(self):
        return self.built[f"{self.name}_exc"]

    # -------------------------------------------------------------------- run
    def run_chunk(self, rates_hz: np.ndarray, streams: np.ndarray, state: NetworkState,
                  ) -> tuple[np.ndarray, NetworkState | None]:
        """Present ``chunk_size`` samples.

        Parameters
        ----------
        rates_hz : ndarray, shape (chunk_size, n_inputs)
            Input rates in Hz during each presentation.
        streams : ndarray, shape (chunk_size,)
            Random stream number of each presentation (see :mod:`~stdp_emo.network.rng`).
        state : NetworkState
            Weights and thresholds at the start of the chunk.

        Returns
        -------
        counts : ndarray of int, shape (chunk_size, n_neurons)
            Excitatory spikes of every neuron during each presentation window.
        state : NetworkState or None
            State at the end (``None`` when frozen: unchanged).
        """
        spikes, new_state = self._run(rates_hz, streams, state)
        i, t_ms = spikes[self.name]
        return spike_counts(i, t_ms, self.chunk_size, self.topo.n_neurons, self.sample_ms,
                            self.enc.present_ms), new_state

    def record(self, rates_hz: np.ndarray, streams: np.ndarray, state: NetworkState) -> dict:
        """Spikes of every monitored group: ``{group: (neuron index, time ms)}``.

        Groups are ``<name>`` (excitatory) and, with ``record_all``,
        ``<name>_input`` and ``<name>_inh``.
        """
        return self._run(rates_hz, streams, state)[0]

    def _run(self, rates_hz, streams, state):
        k = self.chunk_size
        if rates_hz.shape != (k, self.topo.n_inputs):
            raise ValueError(f"rates shape {rates_hz.shape} != {(k, self.topo.n_inputs)}")
        syn, exc = self.synapses, self.exc
        run_args = {self.built.stim[self.name]: np.ascontiguousarray(rates_hz, float) * b2.Hz,
                    self.built.stream: np.asarray(streams, float),
                    syn.w: np.asarray(state.w, float),
                    exc.theta: np.asarray(state.theta, float) * b2.volt}
        if self.learning:
            wsum = np.bincount(self.topo.post, weights=state.w, minlength=self.topo.n_neurons)
            run_args[exc.wsum] = wsum
        t0 = time.perf_counter()
        with _locked(self.project_dir.parent / f".{self.project_dir.name}.lock"):
            try:
                self.device.run(directory=str(self.project_dir), with_output=False, run_args=run_args)
                spikes = {key: (np.asarray(mon.i[:]), np.asarray(mon.t[:] / b2.ms))
                          for key, mon in self.built.monitors.items()}
                new_state = (NetworkState(np.asarray(syn.w[:]).copy(), np.asarray(exc.theta[:]).copy())
                             if self.learning else None)
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


def spike_counts(i: np.ndarray, t_ms: np.ndarray, n_samples: int, n_neurons: int,
                 sample_ms: float, present_ms: float) -> np.ndarray:
    """Spike counts per sample and neuron inside the presentation windows.

    Parameters
    ----------
    i, t_ms : ndarray
        Neuron index and time (ms) of every spike.
    Returns
    -------
    ndarray of int64, shape (n_samples, n_neurons)
    """
    s = np.floor(t_ms / sample_ms).astype(np.int64)
    keep = (t_ms - s * sample_ms < present_ms) & (s < n_samples)
    flat = s[keep] * n_neurons + i[keep].astype(np.int64)
    return np.bincount(flat, minlength=n_samples * n_neurons).reshape(n_samples, n_neurons)


@dataclass
class PresentResult:
    """Outcome of :func:`present`.

    Attributes
    ----------
    counts : ndarray of int, shape (n_samples, n_neurons)
        Counts of each sample's last presentation.
    presentations : int
        Presentations made, retries included.
    retries : ndarray of int, shape (n_samples,)
        Re-presentations of each sample.
    state : NetworkState
        Final state (training) or the unchanged input state (frozen).
    seconds : float
        Wall time.
    """

    counts: np.ndarray
    presentations: int
    retries: np.ndarray
    state: NetworkState
    seconds: float
    stats: dict = field(default_factory=dict)


def present(compiled: CompiledNetwork, features: np.ndarray, state: NetworkState, *,
            seed: int, phase: int, order: np.ndarray | None = None, progress: bool = True,
            desc: str = "samples") -> PresentResult:
    """Present samples (in ``order``) to a compiled network, chunk by chunk.

    Parameters
    ----------
    compiled : CompiledNetwork
    features : ndarray, shape (n_samples, n_inputs)
        Feature values in [0, 1]; rate = value * max_rate_hz * intensity.
    state : NetworkState
        Start state.  Training updates it chunk by chunk.
    seed, phase : int
        Random streams depend on (seed, phase, sample index, retry) only,
        so results do not depend on the chunk size.
    order : ndarray of int, optional
        Presentation order (default: 0..n-1).
    """
    enc = compiled.enc
    n = features.shape[0]
    order = np.arange(n) if order is None else np.asarray(order)
    k = compiled.chunk_size
    counts = np.zeros((n, compiled.topo.n_neurons), dtype=np.int64)
    retries = np.zeros(n, dtype=np.int64)
    queue = [(int(s), 0) for s in order]
    presentations = 0
    t0 = time.perf_counter()
    bar = tqdm(total=n, desc=desc, unit="sample", disable=not progress, leave=False)
    while queue:
        batch, queue = queue[:k], queue[k:]
        idx = np.array([s for s, _ in batch])
        retry = np.array([r for _, r in batch])
        rates = np.zeros((k, compiled.topo.n_inputs))
        rates[: len(batch)] = (features[idx] * enc.max_rate_hz
                               * (1.0 + retry * enc.intensity_step)[:, None])
        stream_ids = np.zeros(k, dtype=np.int64)
        stream_ids[: len(batch)] = idx * 16 + retry
        streams = sample_streams(seed, phase, stream_ids)
        c, new_state = compiled.run_chunk(rates, streams, state)
        if new_state is not None:
            state = new_state
        presentations += len(batch)
        c = c[: len(batch)]
        counts[idx] = c
        retries[idx] = retry
        low = c.sum(axis=1) < enc.min_spikes
        again = [(int(s), int(r) + 1) for s, r, lo in zip(idx, retry, low)
                 if lo and r < enc.max_retries]
        queue.extend(again)
        bar.update(len(batch) - len(again))
        bar.set_postfix(spikes=f"{c.sum(axis=1).mean():.0f}/sample")
    bar.close()
    secs = time.perf_counter() - t0
    tot = counts.sum(axis=1)
    stats = {"spikes_per_sample_mean": float(tot.mean()) if n else 0.0,
             "spikes_per_sample_median": float(np.median(tot)) if n else 0.0,
             "samples_below_min_spikes": int((tot < enc.min_spikes).sum()),
             "retried_samples": int((retries > 0).sum())}
    return PresentResult(counts, presentations, retries, state, secs, stats)
