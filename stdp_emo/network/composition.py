"""What a network is made of, without Brian2: inputs, layers and plastic projections.

The four modes of the project differ only in how the same pieces are composed
(:func:`compose`); :func:`stdp_emo.network.builder.build` turns a
:class:`Composition` into Brian2 objects.

================  ===========================================================  ========
mode              plastic projections                                          labelled
================  ===========================================================  ========
``audio``         audio_input -> audio_exc                                     audio
``visual``        visual_input -> visual_exc                                   visual
``early_fusion``  audio_input -> audio_exc, visual_input -> visual_exc,        fusion
                  audio_exc -> fusion_exc, visual_exc -> fusion_exc
``crossmodal``    audio_input -> audio_exc, visual_input -> visual_exc,        audio
                  visual_exc -> audio_exc
================  ===========================================================  ========

In the multimodal modes the audio input starts ``visual_lead_ms`` after the
visual input (MBY19: visual information precedes auditory processing).
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

import numpy as np

from ..config import MODES
from ..encoding import audio_segments
from ..errors import ConfigError
from .topology import ConvTopology, layer_size

log = logging.getLogger(__name__)

MULTIMODAL = ("early_fusion", "crossmodal")
#: seed of the connection pattern of sparse projections (``cross_fan_in`` < visual neurons,
#: ``fusion_visual_fan_in`` < visual sources); fixed so
#: that every training seed shares one compiled network
CONNECTION_SEED = 0


def modalities(mode: str) -> tuple[str, ...]:
    """Input modalities a mode needs: ``("audio",)``, ``("visual",)`` or both."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} (one of {', '.join(MODES)})")
    return ("audio", "visual") if mode in MULTIMODAL else (mode,)


@dataclass(frozen=True)
class InputSpec:
    """A Poisson input group ``<name>_input`` of ``n_inputs`` neurons.

    ``onset_ms``: the presentation of every sample starts this late (ms).
    ``segments``: a sample's presentation shows this many input vectors in turn, each
    for an equal part of it (the temporal audio code); a sample's values are then
    ``segments * n_inputs`` long (:attr:`n_values`).
    """

    name: str
    n_inputs: int
    onset_ms: float = 0.0
    segments: int = 1

    @property
    def n_values(self) -> int:
        """Values per sample: ``segments * n_inputs``."""
        return self.segments * self.n_inputs


@dataclass(frozen=True, eq=False)
class LayerSpec:
    """An excitatory layer ``<name>_exc`` with inhibitory partners.

    ``pools``: inhibition pool of every excitatory neuron, shape (n_neurons,).
    """

    name: str
    pools: np.ndarray

    @property
    def n_neurons(self) -> int:
        return int(self.pools.size)


@dataclass(frozen=True, eq=False)
class ProjectionSpec:
    """Plastic synapses from group ``source`` (``audio_input``, ``visual_exc``...) to layer ``target``.

    Attributes
    ----------
    pre, post : ndarray of int32, shape (n_synapses,)
        Connectivity; weights are stored in this order.
    norm_total : float
        Column sum every target neuron's weights from this source are normalised to.
    gain : float
        Conductance a spike opens per unit weight (1; visual -> audio: ``cross_gain``).
    """

    source: str
    target: str
    pre: np.ndarray
    post: np.ndarray
    norm_total: float
    gain: float = 1.0

    @property
    def name(self) -> str:
        """Brian2 name of the synapses: ``<source>_to_<target>_exc``."""
        return f"{self.source}_to_{self.target}_exc"

    @property
    def n_synapses(self) -> int:
        return int(self.pre.size)


@dataclass(eq=False)
class Composition:
    """A network: inputs, layers, plastic projections and the labelled layer.

    Attributes
    ----------
    mode : str
        One of :data:`stdp_emo.config.MODES`.
    topologies : dict
        Modality -> :class:`ConvTopology` of its input -> excitatory projection.
    readout : str
        The labelled layer: its spikes decide whether a sample is presented again
        (``min_spikes``), and by default only its neurons are labelled and vote.
    voters : tuple of str
        Layers whose neurons are labelled and vote, in this order (their counts are
        concatenated); empty: the readout layer alone (``train.vote_layers``).
    """

    mode: str
    inputs: list[InputSpec]
    layers: list[LayerSpec]
    projections: list[ProjectionSpec]
    readout: str
    topologies: dict = field(default_factory=dict)
    voters: tuple = ()

    @property
    def vote_layers(self) -> tuple[str, ...]:
        """Layers whose neurons are labelled and vote (counts concatenated in this order)."""
        return tuple(self.voters) or (self.readout,)

    @property
    def n_voting(self) -> int:
        """Neurons that are labelled and vote (the length of a model's assignments)."""
        return sum(self.layer(name).n_neurons for name in self.vote_layers)

    def vote_slice(self, layer: str) -> slice | None:
        """Where ``layer``'s neurons lie in the voting neurons (None: it does not vote)."""
        start = 0
        for name in self.vote_layers:
            n = self.layer(name).n_neurons
            if name == layer:
                return slice(start, start + n)
            start += n
        return None

    def voting_counts(self, layer_counts: dict) -> np.ndarray:
        """Counts of the voting neurons, ``(n_samples, n_voting)``, from per-layer counts."""
        return joined_counts(layer_counts, self.vote_layers)

    def input(self, name: str) -> InputSpec:
        """The input ``name`` (``"audio"``, ``"visual"``)."""
        return next(i for i in self.inputs if i.name == name)

    def layer(self, name: str) -> LayerSpec:
        return next(layer for layer in self.layers if layer.name == name)

    def projection(self, name: str) -> ProjectionSpec:
        return next(p for p in self.projections if p.name == name)

    def input_projection(self, modality: str) -> ProjectionSpec:
        """The input -> excitatory projection of one modality."""
        return self.projection(f"{modality}_input_to_{modality}_exc")

    @property
    def n_synapses(self) -> int:
        return sum(p.n_synapses for p in self.projections)

    def signature(self) -> dict:
        """Everything that shapes the generated code (for cache keys)."""
        h = hashlib.sha256()
        for p in self.projections:
            h.update(p.name.encode())
            h.update(np.ascontiguousarray(p.pre, np.int32).tobytes())
            h.update(np.ascontiguousarray(p.post, np.int32).tobytes())
            h.update(repr(float(p.norm_total)).encode())
            if p.gain != 1.0:               # (keys of gain-1 networks as before)
                h.update(repr(float(p.gain)).encode())
        for layer in self.layers:
            h.update(layer.name.encode())
            h.update(np.ascontiguousarray(layer.pools, np.int64).tobytes())
        return {"mode": self.mode, "readout": self.readout,
                "inputs": [[i.name, i.n_inputs, i.onset_ms] + ([i.segments] if i.segments != 1
                                                                 else []) for i in self.inputs],
                "layers": [[layer.name, layer.n_neurons] for layer in self.layers],
                "projections": [[p.name, p.n_synapses] for p in self.projections],
                "connectivity": h.hexdigest()}


def joined_counts(layer_counts: dict, names) -> np.ndarray:
    """Per-layer counts of the layers ``names`` side by side, ``(n_samples, sum of sizes)``."""
    parts = [layer_counts[name] for name in names]
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)


def _with_fan_in(n_pre: int, n_post: int, fan_in: int) -> tuple[np.ndarray, np.ndarray]:
    """``(pre, post)`` with about ``fan_in`` synapses per target: all-to-all when ``fan_in
    >= n_pre``, else each pair connected with probability ``fan_in / n_pre``, drawn from
    :data:`CONNECTION_SEED`."""
    if fan_in >= n_pre:
        pre = np.repeat(np.arange(n_pre, dtype=np.int32), n_post)
        post = np.tile(np.arange(n_post, dtype=np.int32), n_pre)
        return pre, post
    rng = np.random.default_rng(CONNECTION_SEED)
    keep = rng.random((n_pre, n_post)) < fan_in / n_pre
    pre, post = np.nonzero(keep)
    return pre.astype(np.int32), post.astype(np.int32)


def _fusion_fan_in(modality: str, n_sources: int, net) -> int:
    """Synapses per multimodal neuron from ``modality``: every audio source, about
    ``fusion_visual_fan_in`` visual ones."""
    return n_sources if modality == "audio" else net.fusion_visual_fan_in


def compose(mode: str, topologies: dict[str, ConvTopology], net,
            segments: dict[str, int] | None = None) -> Composition:
    """The composition of ``mode`` for the given input topologies.

    Parameters
    ----------
    mode : str
        One of :data:`stdp_emo.config.MODES`.
    topologies : dict
        ``{"audio": ConvTopology, "visual": ConvTopology}`` (the modalities the
        mode needs, see :func:`modalities`).
    net : NetworkConfig
        Inhibition kind, normalisation, lead, fusion size, cross connectivity.
    segments : dict, optional
        Modality -> input vectors shown in turn per sample (default 1; the temporal
        audio code: ``encoding.temporal_segments``).
    """
    segments = segments or {}
    needed = modalities(mode)
    missing = [m for m in needed if m not in topologies]
    if missing:
        raise ValueError(f"mode {mode!r} needs the {', '.join(missing)} topology")
    multimodal = mode in MULTIMODAL
    inputs, layers, projections = [], [], []
    fuse_inputs = mode == "early_fusion" and net.fusion_from == "inputs"
    for m in needed:
        topo = topologies[m]
        onset = net.visual_lead_ms if (multimodal and m == "audio") else 0.0
        inputs.append(InputSpec(m, topo.n_inputs, float(onset), int(segments.get(m, 1))))
        if fuse_inputs:
            continue
        pools = (topo.position if net.inhibition == "window"
                 else np.zeros(topo.n_neurons, np.int32))
        layers.append(LayerSpec(m, np.asarray(pools, np.int32)))
        projections.append(ProjectionSpec(f"{m}_input", m, topo.pre, topo.post,
                                          net.norm_per_synapse * topo.fan_in))
    readout = needed[0]
    if fuse_inputs:
        # feature-level fusion: one layer sees both inputs (each normalised like an input)
        n = layer_size(net, "fusion_n_neurons")
        layers.append(LayerSpec("fusion", np.zeros(n, np.int32)))
        for m in needed:
            n_in = topologies[m].n_inputs
            pre, post = _with_fan_in(n_in, n, _fusion_fan_in(m, n_in, net))
            projections.append(ProjectionSpec(f"{m}_input", "fusion", pre, post,
                                              net.norm_per_synapse * pre.size / n))
        return Composition(mode, inputs, layers, projections, "fusion",
                           {m: topologies[m] for m in needed})
    if mode == "crossmodal":
        n_vis, n_aud = topologies["visual"].n_neurons, topologies["audio"].n_neurons
        pre, post = _with_fan_in(n_vis, n_aud, net.cross_fan_in)
        fan_in = pre.size / n_aud
        projections.append(ProjectionSpec("visual_exc", "audio", pre, post,
                                          net.cross_norm_per_synapse * fan_in,
                                          gain=net.cross_gain))
        readout = "audio"
    elif mode == "early_fusion":
        n = layer_size(net, "fusion_n_neurons")
        layers.append(LayerSpec("fusion", np.zeros(n, np.int32)))
        for m in needed:
            n_src = topologies[m].n_neurons
            pre, post = _with_fan_in(n_src, n, _fusion_fan_in(m, n_src, net))
            projections.append(ProjectionSpec(f"{m}_exc", "fusion", pre, post,
                                              net.fusion_norm_per_synapse * pre.size / n))
        readout = "fusion"
    return Composition(mode, inputs, layers, projections, readout,
                       {m: topologies[m] for m in needed})


def composition_for(cfg, input_shapes: dict) -> Composition:
    """The network of ``cfg``'s mode for inputs of these shapes (training and loading alike).

    Parameters
    ----------
    cfg : ExperimentConfig
    input_shapes : dict
        Modality -> input shape (C, H, W) as stored in a model (audio: (1, n_coeff,
        n_frames) for the image code, (1, n_coeff, bins) for the population code).
    """
    from .topology import audio_layer_topology, conv_topology

    net = cfg.network
    topologies = {}
    try:
        if "audio" in input_shapes:
            topologies["audio"] = audio_layer_topology(cfg.encoding, net,
                                                       tuple(input_shapes["audio"]))
        if "visual" in input_shapes and cfg.visual.source == "au":
            # per-clip action units: one fully connected layer (one inhibition pool)
            shape = tuple(input_shapes["visual"])
            topologies["visual"] = conv_topology(shape, shape[1:], shape[1:],
                                                 layer_size(net, "au_n_neurons"))
        elif "visual" in input_shapes:
            topologies["visual"] = conv_topology(tuple(input_shapes["visual"]),
                                                 (net.window, net.window),
                                                 (net.stride, net.stride), net.n_features)
    except ValueError as e:
        raise ConfigError(f"[network] window = {net.window}, stride = {net.stride}: {e}") from None
    for m, topo in topologies.items():
        unused = topo.unused_inputs()
        if unused:
            log.warning("[network] window = %d, stride = %d: the %s window positions leave %s "
                        "of the %s input unused", net.window, net.stride, m, unused, m)
    comp = compose(cfg.train.modality, topologies, net,
                   {"audio": audio_segments(cfg.encoding)})
    if cfg.train.vote_layers == "all":
        comp.voters = tuple(layer.name for layer in comp.layers)
    return comp
