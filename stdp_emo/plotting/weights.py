"""Learned weights: receptive fields per neuron, grouped by class, and cross-modal weights.

The weights come as one receptive field per neuron, rearranged by the model's own
composition (:meth:`stdp_emo.model.TrainedModel.receptive_fields`); :func:`block_means`
averages a projection's weights over groups of neurons.
"""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .style import _text_color, class_color


# ------------------------------------------------------------------ receptive fields
def _patch_image(row: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    c, wh, ww = shape
    chans = row.reshape(c, wh, ww)
    if c == 1:
        return chans[0]
    gap = np.full((wh, 1), np.nan)
    parts = []
    for k in range(c):
        parts += [chans[k], gap]
    return np.hstack(parts[:-1])


def _pick(idx: np.ndarray, k: int) -> np.ndarray:
    if idx.size <= k:
        return idx
    return idx[np.linspace(0, idx.size - 1, k).round().astype(int)]


def receptive_fields(fig_or_axes, weights, window_shape, assignments, classes, max_per_class: int = 8,
                     *, vmin: float = 0.0, vmax: float | None = None, cmap: str = "viridis",
                     channel_names: Sequence[str] | None = None):
    """Receptive fields as images, one row per class (neurons assigned to it).

    Parameters
    ----------
    fig_or_axes : Figure or 2-D array of Axes
        A figure gets a (n_classes, n_cols) grid, ``n_cols = min(max_per_class,
        largest class)`` (at least 1); an axes array must have n_classes rows.
    weights : array, shape (n_neurons, C*wh*ww)
        From :meth:`stdp_emo.model.TrainedModel.receptive_fields`.
    window_shape : (C, wh, ww)
        Audio: (1, n_coefficients, n_frames) drawn coefficient (vertical,
        0 at the bottom) x frame; visual: (2, 10, 10) drawn per polarity side
        by side (channel 0 OFF, 1 ON, as :mod:`stdp_emo.features.dvs`).
    assignments : array, shape (n_neurons,)
        Class index per neuron, -1 = unassigned (not drawn).
    classes : sequence of str
    max_per_class : int
        At most this many neurons per class, evenly spread over its neurons
        (so over window positions, which follow neuron order).
    vmin, vmax : float
        Shared colour scale (default 0 .. largest weight shown).

    Returns
    -------
    ndarray of Axes, shape (n_classes, n_cols)
    """
    weights = np.asarray(weights, dtype=float)
    a = np.asarray(assignments, dtype=np.int64).ravel()
    shape = tuple(int(v) for v in window_shape)
    if weights.ndim != 2 or weights.shape[1] != int(np.prod(shape)):
        raise ValueError(f"weights of shape {weights.shape} do not match window {shape}")
    if a.size != weights.shape[0]:
        raise ValueError(f"{a.size} assignments for {weights.shape[0]} neurons")
    chosen = [_pick(np.flatnonzero(a == c), max_per_class) for c in range(len(classes))]
    if isinstance(fig_or_axes, Figure):
        fig = fig_or_axes
        n_cols = max(1, min(max_per_class, max((len(x) for x in chosen), default=1)))
        axes = fig.subplots(len(classes), n_cols, squeeze=False)
    else:
        axes = np.asarray(fig_or_axes, dtype=object)
        if axes.ndim == 1:
            axes = axes[:, None]
        if axes.shape[0] != len(classes):
            raise ValueError(f"need {len(classes)} rows of axes, got {axes.shape[0]}")
        fig = axes[0, 0].figure
        n_cols = axes.shape[1]
    shown = np.concatenate([x[:n_cols] for x in chosen]) if chosen else np.empty(0, int)
    if vmax is None:
        vmax = float(weights[shown].max()) if shown.size else 1.0
        vmax = vmax if vmax > vmin else vmin + 1.0
    cm = plt.get_cmap(cmap).with_extremes(bad="white")
    audio_like = shape[0] == 1 and shape[1] > 2 * shape[2]
    im = None
    for r, cls in enumerate(classes):
        for col in range(n_cols):
            ax = axes[r, col]
            ax.set_xticks([])
            ax.set_yticks([])
            if col >= len(chosen[r]):
                if col == 0:
                    ax.text(0.5, 0.5, "no neurons", ha="center", va="center",
                            transform=ax.transAxes, color="0.4")
                    for s in ax.spines.values():
                        s.set_visible(False)
                else:
                    ax.set_visible(False)
                continue
            k = int(chosen[r][col])
            im = ax.imshow(_patch_image(weights[k], shape), origin="lower", cmap=cm, vmin=vmin,
                           vmax=vmax, aspect="auto" if audio_like else "equal",
                           interpolation="nearest")
            ax.set_title(f"#{k}", fontsize=7, pad=2)
        n_cls = int((a == r).sum())
        axes[r, 0].set_ylabel(f"{cls}\n{n_cls} neurons", rotation=0, ha="right", va="center",
                              color=_text_color(cls),
                              fontsize=9, fontweight="bold")
    if im is not None:
        cb = fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.6, aspect=30)
        cb.set_label("synaptic weight")
    if shape[0] == 1:
        fig.supxlabel(f"each patch: {shape[1]} coefficients (vertical, first at bottom) x "
                      f"{shape[2]} frames (horizontal)", fontsize=9)
    else:
        names = list(channel_names or (("OFF", "ON") if shape[0] == 2 else
                                       [f"ch {k}" for k in range(shape[0])]))
        fig.supxlabel(f"each patch: {' | '.join(names)} polarity side by side, "
                      f"{shape[1]}x{shape[2]} pixels each", fontsize=9)
    return axes


def receptive_field_figure(weights, window_shape, assignments, classes, *, max_per_class: int = 8,
                           title: str = "") -> Figure:
    """A whole figure of :func:`receptive_fields`, sized to the patch shape."""
    c, wh, ww = (int(v) for v in window_shape)
    img_w = c * ww + (c - 1)
    aspect = float(np.clip(img_w / wh, 0.45, 2.2))
    a = np.asarray(assignments).ravel()
    n_cols = max(1, min(max_per_class, max((int((a == k).sum()) for k in range(len(classes))),
                                           default=1)))
    cell_w = min(0.95 * aspect * 1.1, 10.0 / n_cols)       # grid at most ~10 inches wide
    cell_h = min(0.95, cell_w / (aspect * 1.1) + 0.25)     # + room for the neuron number
    fig = plt.figure(figsize=(max(5.0, 2.2 + n_cols * cell_w), 1.2 + len(classes) * cell_h),
                     constrained_layout=True)
    receptive_fields(fig, weights, (c, wh, ww), a, classes, max_per_class=max_per_class)
    if title:
        fig.suptitle(title)
    return fig


# ------------------------------------------------------------------ cross-modal weights
def block_means(values, rows, cols, n_rows: int, n_cols: int) -> np.ndarray:
    """Mean of ``values`` per (row group, column group); NaN where a block is empty.

    Parameters
    ----------
    values : ndarray, shape (n,)
        E.g. the weights of a projection's synapses.
    rows, cols : ndarray of int, shape (n,)
        Group of every value along each axis (negative: left out).
    n_rows, n_cols : int

    Returns
    -------
    ndarray, shape (n_rows, n_cols)
    """
    values, rows, cols = (np.asarray(a).ravel() for a in (values, rows, cols))
    keep = (rows >= 0) & (cols >= 0)
    flat = rows[keep].astype(np.int64) * n_cols + cols[keep]
    total = np.bincount(flat, weights=values[keep], minlength=n_rows * n_cols)
    count = np.bincount(flat, minlength=n_rows * n_cols)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (total / count).reshape(n_rows, n_cols)


def cross_weight_figure(by_position, by_class, classes: Sequence[str], *,
                        title: str = "") -> Figure:
    """Visual -> audio weights of a cross-modal model.

    Parameters
    ----------
    by_position : ndarray, shape (n_audio_positions, n_visual_positions)
        Mean weight from the visual neurons of each window position (columns,
        row-major over the face) to the audio neurons of each time window (rows).
    by_class : ndarray, shape (n_classes, n_y, n_x)
        Mean weight into the audio neurons assigned to each emotion from every
        visual window position, as a map over the face; NaN rows (no neuron
        assigned) are drawn blank.
    classes : sequence of str
    """
    by_position = np.asarray(by_position, dtype=float)
    by_class = np.asarray(by_class, dtype=float)
    n_cls = len(classes)
    fig = plt.figure(figsize=(11, 4.4), constrained_layout=True)
    grid = fig.add_gridspec(2, 1 + (n_cls + 1) // 2, width_ratios=[2.4] + [1] * ((n_cls + 1) // 2))
    ax = fig.add_subplot(grid[:, 0])
    im = ax.imshow(by_position, aspect="auto", cmap="viridis", interpolation="nearest")
    ax.set_xlabel("visual window position (row-major over the face)")
    ax.set_ylabel("audio window position (time)")
    ax.set_title("mean weight, position x position", loc="left")
    fig.colorbar(im, ax=ax, label="weight")
    finite = by_class[np.isfinite(by_class)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    for k, name in enumerate(classes):
        a = fig.add_subplot(grid[k % 2, 1 + k // 2])
        a.imshow(by_class[k], cmap="viridis", vmin=vmin, vmax=vmax, interpolation="nearest")
        a.set_title(name, color=class_color(name), fontsize=9)
        a.set_xticks([])
        a.set_yticks([])
    if title:
        fig.suptitle(title)
    return fig
