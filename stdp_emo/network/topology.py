"""Connectivity of a convolution-window (locally connected) excitatory layer.

Pure numpy; no Brian2.  An input of shape (C, H, W) (audio: (1, n_coeff,
n_frames); vision: (2 polarities, 100, 100)) is flattened C-major
(``index = c*H*W + y*W + x``).  Windows of ``(wh, ww)`` move with stride
``(sh, sw)``; every window position has ``n_features`` excitatory neurons, each
connected to all C*wh*ww inputs of its window.  Weights are *not* shared
across positions (locally connected, as SSK18).  Neuron ``k`` sits at
position ``k // n_features`` and is feature ``k % n_features``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError


@dataclass(frozen=True)
class ConvTopology:
    """Input-to-excitatory connectivity.

    Attributes
    ----------
    input_shape : (C, H, W)
    window, stride : (wh, ww), (sh, sw)
    n_features : int
    positions_hw : (n_y, n_x)
        Number of window positions along height and width.
    pre, post : ndarray of int32, shape (n_synapses,)
        Input index and excitatory neuron index of every synapse, sorted by ``pre``.
    """

    input_shape: tuple[int, int, int]
    window: tuple[int, int]
    stride: tuple[int, int]
    n_features: int
    positions_hw: tuple[int, int]
    pre: np.ndarray
    post: np.ndarray

    @property
    def n_inputs(self) -> int:
        c, h, w = self.input_shape
        return c * h * w

    @property
    def n_positions(self) -> int:
        return self.positions_hw[0] * self.positions_hw[1]

    @property
    def n_neurons(self) -> int:
        return self.n_positions * self.n_features

    @property
    def fan_in(self) -> int:
        return self.input_shape[0] * self.window[0] * self.window[1]

    @property
    def position(self) -> np.ndarray:
        """Window position of every excitatory neuron, shape (n_neurons,), int32."""
        return (np.arange(self.n_neurons) // self.n_features).astype(np.int32)

    def window_inputs(self, position: int) -> np.ndarray:
        """Input indices of one window position, shape (C*wh*ww,), in (C, wh, ww) order."""
        c, h, w = self.input_shape
        py, px = divmod(position, self.positions_hw[1])
        y0, x0 = py * self.stride[0], px * self.stride[1]
        cc, yy, xx = np.meshgrid(np.arange(c), np.arange(y0, y0 + self.window[0]),
                                 np.arange(x0, x0 + self.window[1]), indexing="ij")
        return (cc * h * w + yy * w + xx).ravel()

    def unused_inputs(self) -> str:
        """Which input rows / columns no window position covers ("" when all are used).

        E.g. ``"columns 380-387 (of 388)"`` for windows of 10 frames at stride 10
        over 388 frames.
        """
        _, h, w = self.input_shape
        parts = []
        for axis, n, n_pos, size, step in (("rows", h, self.positions_hw[0], self.window[0],
                                            self.stride[0]),
                                           ("columns", w, self.positions_hw[1], self.window[1],
                                            self.stride[1])):
            used = np.zeros(n, bool)
            for k in range(n_pos):
                used[k * step: k * step + size] = True
            if not used.all():
                parts.append(f"{axis} {_ranges(np.flatnonzero(~used))} (of {n})")
        return ", ".join(parts)

    def signature(self) -> tuple:
        """Hashable description of the shape (for compiled-code caches)."""
        return (self.input_shape, self.window, self.stride, self.n_features)


def conv_topology(input_shape: tuple[int, int, int], window: tuple[int, int],
                  stride: tuple[int, int], n_features: int) -> ConvTopology:
    """Build the connectivity of a convolution-window layer.

    Parameters
    ----------
    input_shape : (C, H, W)
    window : (wh, ww)
        Window size; must fit in (H, W).
    stride : (sh, sw)
    n_features : int
        Neurons per window position.

    Returns
    -------
    ConvTopology
    """
    c, h, w = input_shape
    wh, ww = window
    sh, sw = stride
    if not (0 < wh <= h and 0 < ww <= w and sh > 0 and sw > 0 and n_features > 0):
        raise ValueError(f"window {window} / stride {stride} do not fit input {input_shape}")
    n_y, n_x = (h - wh) // sh + 1, (w - ww) // sw + 1
    topo = ConvTopology(tuple(input_shape), tuple(window), tuple(stride), int(n_features),
                        (n_y, n_x), np.empty(0, np.int32), np.empty(0, np.int32))
    fan_in = topo.fan_in
    win_idx = np.stack([topo.window_inputs(p) for p in range(topo.n_positions)])  # (P, fan_in)
    pre = np.repeat(win_idx, n_features, axis=0).ravel()                       # (P*F*fan_in,)
    post = np.repeat(np.arange(topo.n_neurons), fan_in)
    order = np.lexsort((post, pre))
    return ConvTopology(topo.input_shape, topo.window, topo.stride, topo.n_features,
                        topo.positions_hw, pre[order].astype(np.int32), post[order].astype(np.int32))


def audio_topology(n_coeff: int, n_frames: int, window: int, stride: int,
                   n_features: int) -> ConvTopology:
    """Audio layer: windows span all coefficients and ``window`` frames (MBY19)."""
    return conv_topology((1, n_coeff, n_frames), (n_coeff, window), (n_coeff, stride), n_features)


def audio_layer_topology(enc, net, input_shape: tuple[int, int, int]) -> ConvTopology:
    """The audio layer of a config for its audio input of ``input_shape``.

    Parameters
    ----------
    enc : EncodingConfig
        ``audio_code``: the image code (input (1, n_coeff, n_frames)) gets
        convolution windows along time (``net.window``, ``net.stride``,
        ``net.n_features`` per position, MBY19); the population code a fully
        connected layer of ``net.dense_n_neurons``.
    net : NetworkConfig
    input_shape : (1, H, W)
        From :func:`stdp_emo.encoding.audio_input_shape`.
    """
    _, h, w = input_shape
    if enc.audio_code == "image":
        return audio_topology(h, w, net.window, net.stride, net.n_features)
    return conv_topology(tuple(input_shape), (h, w), (h, w), layer_size(net, "dense_n_neurons"))


def layer_size(net, name: str) -> int:
    """``net.<name>``, a layer size, once resolved (0, per training clip, is resolved when a
    network is trained: :meth:`stdp_emo.config.ExperimentConfig.sized_for_training`)."""
    n = getattr(net, name)
    if n <= 0:
        raise ConfigError(f"[network] {name} = 0 (sized per training clip) has no size until a "
                          f"network is trained: give a number > 0 to build this layer")
    return n


def _ranges(idx: np.ndarray) -> str:
    """``[3, 4, 5, 9]`` -> ``"3-5, 9"``."""
    out, start = [], None
    for k, v in enumerate(idx):
        if start is None:
            start = v
        if k + 1 == len(idx) or idx[k + 1] != v + 1:
            out.append(f"{start}-{v}" if v > start else f"{v}")
            start = None
    return ", ".join(out)
