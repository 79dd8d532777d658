"""Figures: spike rasters, receptive fields, confusion matrices and accuracy bars.

numpy + matplotlib only (the non-interactive "Agg" backend); this module never
imports Brian2, so figures can be drawn from stored results on any machine.
Drawing functions take a matplotlib ``Axes`` (or ``Figure``) and plain numpy
arrays; ``*_figure`` functions build a whole figure.  :func:`save_figure`
writes PNG (120 DPI), SVG or PDF, chosen by the file extension, atomically.

Every emotion has one fixed colour (:data:`EMOTION_COLORS`, the colour-blind
safe Okabe-Ito palette), the same in every figure; the eNTERFACE names share
the hue of the RAVDESS emotion they mean (``anger`` = ``angry`` ...).
Neurons with no assigned class are drawn in :data:`UNASSIGNED_COLOR`.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.colors import to_rgba_array  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from .fileio import atomic_path  # noqa: E402
from .network.topology import conv_topology  # noqa: E402  (pure numpy)

__all__ = [
    "EMOTION_COLORS", "UNASSIGNED_COLOR", "INPUT_COLOR", "PNG_DPI", "class_color",
    "neuron_colors", "raster", "raster_figure", "receptive_fields", "receptive_field_figure",
    "weights_from_model", "window_shape", "confusion", "per_class_bars", "confusion_figure",
    "compare_bars", "MODE_COLORS", "mode_color", "compare_table", "mode_feature_bars",
    "robustness_table", "condition_label", "level_label", "robustness_lines", "compare_figure",
    "save_figure",
]

PNG_DPI = 120
"""Resolution of every PNG written by :func:`save_figure`."""

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every
# common colour-vision deficiency.
_OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9",
              "bluish_green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
              "vermillion": "#D55E00", "reddish_purple": "#CC79A7"}

EMOTION_COLORS: dict[str, str] = {
    "neutral": _OKABE_ITO["black"],
    "calm": _OKABE_ITO["sky_blue"],
    "happy": _OKABE_ITO["orange"],
    "sad": _OKABE_ITO["blue"],
    "angry": _OKABE_ITO["vermillion"],
    "fearful": _OKABE_ITO["reddish_purple"],
    "disgust": _OKABE_ITO["bluish_green"],
    "surprised": _OKABE_ITO["yellow"],
}
"""One colour per emotion; eNTERFACE synonyms share the RAVDESS hue."""
_SYNONYMS = {"anger": "angry", "fear": "fearful", "happiness": "happy", "sadness": "sad",
             "surprise": "surprised", "disgusted": "disgust"}
EMOTION_COLORS.update({alias: EMOTION_COLORS[name] for alias, name in _SYNONYMS.items()})

UNASSIGNED_COLOR = "#BBBBBB"
"""Neurons without an assigned class (assignment -1)."""
INPUT_COLOR = "#444444"
"""Input (Poisson) spikes."""
INHIBITORY_COLOR = "#7F7F7F"
"""Inhibitory spikes."""
_FALLBACK = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677",
             "#882255", "#AA4499")  # Paul Tol "muted", for names that are not emotions

PRESENT_SHADE = "#E3ECF8"
REST_SHADE = "#EDEDED"
LEAD_HATCH_COLOR = "#9A9A9A"


def class_color(name: str) -> str:
    """The colour of a class name (case-insensitive; eNTERFACE synonyms included).

    Unknown names get a stable colour from a second colour-blind safe palette
    (the same name always gets the same colour); ``"unassigned"`` is grey.
    """
    key = str(name).strip().lower()
    if key in EMOTION_COLORS:
        return EMOTION_COLORS[key]
    if key in ("unassigned", "none", "-1"):
        return UNASSIGNED_COLOR
    h = int(hashlib.sha256(key.encode()).hexdigest(), 16)
    return _FALLBACK[h % len(_FALLBACK)]


def _text_color(name: str) -> str:
    """The class colour, darkened where it is too light for text on white (yellow)."""
    c = class_color(name)
    return "#8A7F00" if c == EMOTION_COLORS["surprised"] else c


def neuron_colors(assignments: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """RGBA colour of every neuron from its assigned class index (-1 = unassigned, grey).

    Returns
    -------
    ndarray, shape (n_neurons, 4)
    """
    a = np.asarray(assignments, dtype=np.int64).ravel()
    table = to_rgba_array([class_color(c) for c in classes] + [UNASSIGNED_COLOR])
    idx = np.where((a >= 0) & (a < len(classes)), a, len(classes))
    return table[idx]


def _emotion_handles(classes: Sequence[str], unassigned: bool = True) -> list:
    handles = [Line2D([], [], ls="none", marker="s", ms=7, color=class_color(c), label=str(c))
               for c in classes]
    if unassigned:
        handles.append(Line2D([], [], ls="none", marker="s", ms=7, color=UNASSIGNED_COLOR,
                              label="unassigned"))
    return handles


# ------------------------------------------------------------------ rasters
def raster(ax: Axes, times_ms, neuron_idx, *, n_neurons: int, colors=None, label: str | None = None,
           markersize: float | None = None):
    """Draw a spike raster with one vectorised ``scatter`` call.

    Parameters
    ----------
    ax : Axes
    times_ms, neuron_idx : array, shape (n_spikes,)
        Spike times (ms) and the index of the neuron that fired.
    n_neurons : int
        Size of the population (sets the y range, so empty neurons still take space).
    colors : None, a colour, or array (n_neurons, 3|4)
        One colour for every spike, or a colour per *neuron* (spike ``i`` gets
        ``colors[neuron_idx[i]]``).  Default :data:`INPUT_COLOR`.
    label : str, optional
        Label of the returned collection (for legends).
    markersize : float, optional
        Marker area in points^2; default from the number of neurons and spikes.

    Returns
    -------
    PathCollection
        The spikes (``gid == "spikes"``); its offsets are (time, neuron) pairs.
    """
    t = np.asarray(times_ms, dtype=float).ravel()
    i = np.asarray(neuron_idx, dtype=np.int64).ravel()
    if t.shape != i.shape:
        raise ValueError(f"times_ms and neuron_idx differ in length ({t.size} vs {i.size})")
    if i.size and (i.min() < 0 or i.max() >= n_neurons):
        raise ValueError(f"neuron index out of range 0..{n_neurons - 1}")
    if colors is None:
        c = INPUT_COLOR
    elif isinstance(colors, str) or (np.ndim(colors) == 1 and len(colors) in (3, 4)
                                     and not isinstance(colors[0], str)):
        c = colors
    else:
        per_neuron = to_rgba_array(colors)
        if len(per_neuron) != n_neurons:
            raise ValueError(f"colors: need {n_neurons} per-neuron colours, got {len(per_neuron)}")
        c = per_neuron[i]
    if markersize is None:
        markersize = float(np.clip(600.0 / max(n_neurons, 1), 0.8, 6.0))
        if t.size < 5000:                          # sparse panels: bigger, visible colours
            markersize = max(markersize, 4.0)
    coll = ax.scatter(t, i, s=markersize, c=c, marker="s", linewidths=0, label=label,
                      rasterized=True)
    coll.set_gid("spikes")
    ax.set_ylim(-0.5, n_neurons - 0.5)
    ax.set_ylabel("neuron")
    return coll


def _panel_rank(name: str) -> tuple[int, int]:
    n = name.lower()
    if "multi" in n or "fusion" in n or "audio-visual" in n or "audiovisual" in n:
        mod = 2
    elif "audio" in n:
        mod = 0
    elif "visual" in n or "video" in n or "dvs" in n:
        mod = 1
    else:
        mod = 3
    if "input" in n:
        layer = 0
    elif "inh" in n:
        layer = 2
    else:
        layer = 1
    return mod, layer


def _shade_periods(ax: Axes, n_periods: int, present_ms: float, rest_ms: float,
                   visual_lead_ms: float | None) -> None:
    period = present_ms + rest_ms
    for k in range(n_periods):
        t0 = k * period
        ax.axvspan(t0, t0 + present_ms, color=PRESENT_SHADE, lw=0, zorder=0)
        if rest_ms > 0:
            ax.axvspan(t0 + present_ms, t0 + period, color=REST_SHADE, lw=0, zorder=0)
        if visual_lead_ms:
            ax.axvspan(t0, t0 + visual_lead_ms, facecolor="none", edgecolor=LEAD_HATCH_COLOR,
                       hatch="///", lw=0, zorder=0.5)


def raster_figure(groups: Mapping[str, tuple], *, assignments: Mapping[str, np.ndarray] | None = None,
                  classes: Sequence[str], present_ms: float, rest_ms: float,
                  visual_lead_ms: float | None = None, title: str = "",
                  traces: Mapping[str, tuple] | None = None,
                  t_range_ms: tuple[float, float] | None = None) -> Figure:
    """Spike rasters of several populations, one panel each, in data-flow order.

    Parameters
    ----------
    groups : {name: (times_ms, neuron_idx, n_neurons)}
        Populations, e.g. ``"audio input"``, ``"audio excitatory"``,
        ``"audio inhibitory"``, ``"visual input"``, ``"visual excitatory"``,
        ``"multimodal"``.  Panels are ordered audio, visual, multimodal and,
        within each, input, excitatory, inhibitory (from the names; other
        names keep their order, at the end).
    assignments : {name: ndarray (n_neurons,)}, optional
        Assigned class index of every neuron of the groups named here (-1 =
        unassigned); their spikes take the class colour (grey if unassigned).
        Other groups: inputs dark grey, inhibitory mid grey, others black.
    classes : sequence of str
        Class names (legend, colours).
    present_ms, rest_ms : float
        Samples are presented back to back from t = 0: ``present_ms`` of
        input then ``rest_ms`` of silence; both are shaded.
    visual_lead_ms : float, optional
        When given, the first ``visual_lead_ms`` of every presentation (the
        visual input starting before the audio) is hatched.
    title : str
    traces : {"v_mV": (t_ms, values (n_t, k)), "threshold_mV": (t_ms, values (n_t, k))}, optional
        Extra bottom panel: membrane potentials (solid) and thresholds
        (dashed, keys containing "threshold" or "theta"), column ``j`` of
        every entry in the same colour.
    t_range_ms : (t0, t1), optional
        x range; default whole presentation periods covering all spikes.

    Returns
    -------
    Figure
    """
    assignments = dict(assignments or {})
    names = sorted(groups, key=_panel_rank)
    n_panels = len(names) + (1 if traces else 0)
    if n_panels == 0:
        raise ValueError("raster_figure: no groups to draw")
    ratios = [1.0] * len(names) + ([0.8] if traces else [])
    fig, axes = plt.subplots(n_panels, 1, sharex=True, squeeze=False, constrained_layout=True,
                             figsize=(10, 1.2 + 1.7 * n_panels),
                             gridspec_kw={"height_ratios": ratios})
    axes = axes[:, 0]
    t_max = 0.0
    for ax, name in zip(axes, names):
        times, idx, n = groups[name]
        times = np.asarray(times, dtype=float)
        if times.size:
            t_max = max(t_max, float(times.max()))
        if name in assignments:
            a = np.asarray(assignments[name])
            if a.size != n:
                raise ValueError(f"assignments[{name!r}]: {a.size} values for {n} neurons")
            colors = neuron_colors(a, classes)
        elif _panel_rank(name)[1] == 0:
            colors = INPUT_COLOR
        elif _panel_rank(name)[1] == 2:
            colors = INHIBITORY_COLOR
        else:
            colors = "#000000"
        raster(ax, times, idx, n_neurons=int(n), colors=colors, label=name)
        ax.set_title(f"{name} ({int(n)} neurons, {times.size} spikes)", loc="left")
    if traces:
        ax = axes[-1]
        for key, (t, values) in traces.items():
            t = np.asarray(t, dtype=float)
            values = np.asarray(values, dtype=float)
            if values.ndim == 1:
                values = values[:, None]
            if t.size:
                t_max = max(t_max, float(t.max()))
            dashed = "threshold" in key.lower() or "theta" in key.lower()
            for j in range(values.shape[1]):
                ax.plot(t, values[:, j], color=plt.cm.tab10(j % 10), lw=0.9,
                        ls="--" if dashed else "-")
        ax.set_ylabel("membrane potential (mV)")
        ax.set_title("membrane potential (solid) and threshold (dashed)", loc="left")
    period = present_ms + rest_ms
    if t_range_ms is None:
        n_periods = max(1, math.ceil((t_max + 1e-9) / period)) if period > 0 else 1
        t_range_ms = (0.0, n_periods * period if period > 0 else max(t_max, 1.0))
    else:
        n_periods = max(1, math.ceil(t_range_ms[1] / period)) if period > 0 else 0
    for ax in axes:
        if period > 0:
            _shade_periods(ax, n_periods, present_ms, rest_ms, visual_lead_ms)
        ax.set_xlim(*t_range_ms)
    axes[-1].set_xlabel("time (ms)")
    handles = _emotion_handles(classes) if assignments else []
    handles += [Patch(color=PRESENT_SHADE, label="presentation"),
                Patch(color=REST_SHADE, label="rest")]
    if visual_lead_ms:
        handles.append(Patch(facecolor="none", edgecolor=LEAD_HATCH_COLOR, hatch="///",
                             label=f"visual lead ({visual_lead_ms:g} ms)"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 7),
               frameon=False)
    if title:
        fig.suptitle(title)
    return fig


# ------------------------------------------------------------------ receptive fields
def _resolve_window(input_shape, window, stride, modality: str | None):
    c, h, w = (int(v) for v in input_shape)
    if modality is None:
        modality = "audio" if c == 1 else "visual"
    if np.ndim(window) == 0:
        window = (h, int(window)) if modality == "audio" else (int(window), int(window))
    if np.ndim(stride) == 0:
        stride = (h, int(stride)) if modality == "audio" else (int(stride), int(stride))
    return (c, h, w), tuple(int(v) for v in window), tuple(int(v) for v in stride)


def window_shape(input_shape, window, modality: str | None = None) -> tuple[int, int, int]:
    """(C, wh, ww) of one receptive field; see :func:`weights_from_model` for the arguments."""
    (c, _, _), win, _ = _resolve_window(input_shape, window, 1, modality)
    return c, win[0], win[1]


def weights_from_model(w, input_shape, window, stride, n_features: int,
                       modality: str | None = None) -> np.ndarray:
    """Weights of a stored model rearranged as one receptive field per neuron.

    Parameters
    ----------
    w : array, shape (n_synapses,)
        ``network.npz["w"]``, in the synapse order of
        :func:`stdp_emo.network.topology.conv_topology` (sorted by pre, then post).
    input_shape : (C, H, W)
    window, stride : int or (h, w)
        An int is a time window for audio (all H coefficients, ``window``
        frames) and a square window otherwise.
    n_features : int
    modality : {"audio", "visual"}, optional
        How int windows are read; default audio when C == 1, else visual.

    Returns
    -------
    ndarray, shape (n_neurons, C*wh*ww)
        Row ``k`` is neuron ``k``'s weights in window order (C, wh, ww), C-major.
    """
    shape, win, st = _resolve_window(input_shape, window, stride, modality)
    topo = conv_topology(shape, win, st, int(n_features))
    w = np.asarray(w, dtype=float).ravel()
    if w.size != topo.pre.size:
        raise ValueError(f"{w.size} weights, but input {shape}, window {win}, stride {st} and "
                         f"{n_features} features make {topo.pre.size} synapses")
    order = np.lexsort((topo.pre, topo.post))      # by neuron, then by input (= window order)
    return w[order].reshape(topo.n_neurons, topo.fan_in)


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
        From :func:`weights_from_model`.
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


# ------------------------------------------------------------------ results
def confusion(ax: Axes, matrix, classes: Sequence[str], normalize: bool = True, *,
              colorbar: bool = True):
    """Confusion matrix (rows = true class), every cell annotated with its count.

    With ``normalize`` the colour is the fraction of the row (recall per true
    class, 0..1); rows with no samples stay blank.

    Returns
    -------
    AxesImage
    """
    m = np.asarray(matrix, dtype=float)
    k = len(classes)
    if m.shape != (k, k):
        raise ValueError(f"confusion matrix of shape {m.shape} for {k} classes")
    if normalize:
        rows = m.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            shown = np.where(rows > 0, m / np.where(rows > 0, rows, 1), np.nan)
        vmax, label = 1.0, "fraction of the true class"
    else:
        shown, vmax, label = m, max(float(m.max()), 1.0), "samples"
    cm = plt.get_cmap("Blues").with_extremes(bad="white")
    im = ax.imshow(shown, cmap=cm, vmin=0.0, vmax=vmax, interpolation="nearest")
    fs = 9 if k <= 8 else 7
    for r in range(k):
        for c in range(k):
            frac = shown[r, c]
            dark = np.isfinite(frac) and frac / vmax > 0.55
            ax.text(c, r, f"{int(round(m[r, c]))}", ha="center", va="center", fontsize=fs,
                    color="white" if dark else "black")
    ax.set_xticks(range(k), [str(c) for c in classes], rotation=45, ha="right",
                  rotation_mode="anchor")
    ax.set_yticks(range(k), [str(c) for c in classes])
    ax.set_xlabel("predicted emotion")
    ax.set_ylabel("true emotion")
    if colorbar:
        cb = ax.figure.colorbar(im, ax=ax, shrink=0.8)
        cb.set_label(label)
    return im


def per_class_bars(ax: Axes, per_class: Mapping[str, float | None], classes: Sequence[str], *,
                   chance: float | None = None, ylabel: str = "accuracy (recall of the class)"):
    """One bar per class in the class colour; ``None`` (no test samples) marked "n/a".

    Parameters
    ----------
    chance : float, optional
        Draw a dashed chance line (default ``1 / len(classes)``; 0 = none).
    """
    vals = [per_class.get(c) for c in classes]
    x = np.arange(len(classes))
    heights = [v if v is not None else 0.0 for v in vals]
    bars = ax.bar(x, heights, color=[class_color(c) for c in classes], edgecolor="black",
                  linewidth=0.6)
    for xi, v, b in zip(x, vals, bars):
        if v is None:
            b.set_visible(False)
            ax.text(xi, 0.02, "n/a", ha="center", va="bottom", fontsize=8, color="0.3")
        else:
            ax.text(xi, v + 0.015, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
    chance = 1.0 / len(classes) if chance is None and len(classes) else chance
    if chance:
        ax.axhline(chance, color="0.3", ls="--", lw=1, label=f"chance ({chance:.2f})")
        ax.legend(loc="upper right", frameon=False)
    ax.set_xticks(x, [str(c) for c in classes], rotation=45, ha="right", rotation_mode="anchor")
    ax.set_ylim(0, 1.1)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("true emotion")
    return bars


def confusion_figure(matrix, classes: Sequence[str], per_class: Mapping[str, float | None], *,
                     title: str = "") -> Figure:
    """Confusion matrix (left) and per-class accuracy bars (right) in one figure."""
    k = len(classes)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(max(9.0, 0.75 * k + 6), max(4.5, 0.45 * k + 2)),
                                   constrained_layout=True, width_ratios=[1.15, 1])
    confusion(ax1, matrix, classes)
    ax1.set_title("confusion (counts; colour = row fraction)", loc="left")
    per_class_bars(ax2, per_class, classes)
    ax2.set_title("per-class accuracy", loc="left")
    if title:
        fig.suptitle(title)
    return fig


def compare_bars(ax: Axes, table: Mapping[str, Mapping], *, ylabel: str = "accuracy",
                 chance: float | None = None, colors: Sequence | None = None):
    """Mean +/- std bar per mode, with every seed's value as a dot.

    Parameters
    ----------
    table : {mode: {"mean": float, "std": float, "seeds": [float, ...]}}
        Bars are drawn in the table's order; missing ``std`` or ``seeds`` are allowed.
    chance : float, optional
        Dashed chance line.
    """
    modes = list(table)
    x = np.arange(len(modes))
    means = [float(table[m]["mean"]) for m in modes]
    stds = [float(table[m].get("std") or 0.0) for m in modes]
    colors = list(colors) if colors is not None else [mode_color(m) for m in modes]
    bars = ax.bar(x, means, yerr=stds, capsize=4, color=colors, alpha=0.75, edgecolor="black",
                  linewidth=0.6, error_kw={"lw": 1}, label="mean \u00b1 std")
    rng = np.random.default_rng(0)
    first = True
    for xi, m in zip(x, modes):
        seeds = np.asarray(table[m].get("seeds") or [], dtype=float)
        if seeds.size:
            jitter = rng.uniform(-0.15, 0.15, seeds.size) if seeds.size > 1 else np.zeros(1)
            ax.scatter(xi + jitter, seeds, s=18, color="black", zorder=3,
                       label="individual seeds" if first else None)
            first = False
    for xi, m, mu, sd in zip(x, modes, means, stds):
        top_m = max([mu + sd] + [float(v) for v in (table[m].get("seeds") or [])])
        ax.text(xi + 0.2, top_m + 0.01, f"{mu:.3f}", ha="left", va="bottom", fontsize=8)
    if chance:
        ax.axhline(chance, color="0.3", ls="--", lw=1, label=f"chance ({chance:.2f})")
    ax.set_xticks(x, modes, rotation=30 if len(modes) > 4 else 0,
                  ha="right" if len(modes) > 4 else "center")
    ax.set_ylabel(ylabel)
    top = max([mu + s for mu, s in zip(means, stds)] +
              [float(np.max(table[m].get("seeds") or [0])) for m in modes] + [chance or 0])
    ax.set_ylim(0, min(1.05, top * 1.15 + 0.02) if top <= 1 else top * 1.15)
    ax.legend(loc="best", frameon=False)
    return bars


# ------------------------------------------------------------------ compare runs
MODE_COLORS: dict[str, str] = {
    "audio": "#4477AA",          # Paul Tol "bright" (colour-blind safe): blue
    "visual": "#228833",         # green
    "early_fusion": "#EE6677",   # red
    "crossmodal": "#AA3377",     # purple
}
"""One colour per network mode in every comparison figure (other modes: a stable
colour from a second palette).  Distinct from nothing in particular: emotions and
modes never share a figure."""
_MODE_SYNONYMS = {"audio_only": "audio", "visual_only": "visual", "vision": "visual",
                  "fusion": "early_fusion", "audio_visual": "early_fusion",
                  "audiovisual": "early_fusion", "cross_modal": "crossmodal"}
_SERIES_STYLES = (("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"))

_CONDITIONS = {   # condition -> (label, unit of its level, larger level = more degraded?)
    "clean": ("clean", None, True),
    "vision_missing": ("vision missing", None, True),
    "vision_incongruent": ("vision incongruent", None, True),
    "vision_noise": ("vision noise", "ev/px/s", True),      # noise events per pixel-second
    "audio_noise": ("audio noise", "dB SNR", False),        # lower SNR = more degraded
}
_CONDITION_ORDER = tuple(_CONDITIONS)


def _mode_key(mode: str) -> str:
    key = str(mode).strip().lower().replace("-", "_").replace(" ", "_")
    return _MODE_SYNONYMS.get(key, key)


def mode_color(mode: str) -> str:
    """The colour of a network mode (``audio``, ``visual``, ``early_fusion``, ``crossmodal``).

    Case, ``-`` / ``_`` / space and a few synonyms (``cross-modal``, ``fusion``)
    are ignored; unknown modes get a stable colour from a second palette.
    """
    key = _mode_key(mode)
    if key in MODE_COLORS:
        return MODE_COLORS[key]
    h = int(hashlib.sha256(key.encode()).hexdigest(), 16)
    return _FALLBACK[h % len(_FALLBACK)]


def _mean_std(values) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


_METRICS = {"accuracy": ("accuracy", "accuracy"), "uar": ("uar", "uar"),
            "polarity": ("polarity_accuracy", "polarity")}


def compare_table(runs: Sequence[Mapping], summary: Sequence[Mapping] | None = None,
                  metric: str = "accuracy") -> dict[tuple[str, str], dict]:
    """Mean, spread and per-seed values of one metric per (mode, features).

    Parameters
    ----------
    runs : sequence of dict
        ``compare.json["runs"]``: ``mode``, ``features``, ``seed`` and the
        metric (``accuracy``, ``uar`` or ``polarity_accuracy``, fractions 0..1;
        ``None`` or absent = not measured).
    summary : sequence of dict, optional
        ``compare.json["summary"]``: ``<metric>_mean`` / ``<metric>_std``
        (``polarity_mean`` / ``polarity_std`` for polarity) and ``n_seeds``;
        used where present.  Otherwise mean and sample standard deviation
        (ddof = 1; 0 for a single seed) of the runs.
    metric : {"accuracy", "uar", "polarity"}

    Returns
    -------
    dict
        ``{(mode, features): {"mean": float, "std": float, "seeds": [float],
        "n": int}}`` in order of first appearance (summary first); pairs with
        no value of the metric are left out.
    """
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {', '.join(_METRICS)}, got {metric!r}")
    run_key, sum_key = _METRICS[metric]
    seeds: dict[tuple[str, str], list[float]] = {}
    for r in runs:
        key = (str(r["mode"]), str(r["features"]))
        v = r.get(run_key)
        seeds.setdefault(key, [])
        if v is not None:
            seeds[key].append(float(v))
    table: dict[tuple[str, str], dict] = {}
    for s in summary or ():
        key = (str(s["mode"]), str(s["features"]))
        mean = s.get(f"{sum_key}_mean")
        if mean is None:
            continue
        vals = seeds.get(key, [])
        table[key] = {"mean": float(mean), "std": float(s.get(f"{sum_key}_std") or 0.0),
                      "seeds": vals, "n": int(s.get("n_seeds") or len(vals))}
    for key, vals in seeds.items():
        if key not in table and vals:
            mean, std = _mean_std(vals)
            table[key] = {"mean": mean, "std": std, "seeds": vals, "n": len(vals)}
    return table


def _ordered(keys, preferred: Sequence[str] | None) -> list[str]:
    seen = list(dict.fromkeys(keys))
    if preferred is None:
        return seen
    return [k for k in preferred if k in seen] + [k for k in seen if k not in preferred]


def _mode_handles(modes: Sequence[str]) -> list:
    return [Patch(facecolor=mode_color(m), edgecolor="black", linewidth=0.6, label=str(m))
            for m in modes]


def mode_feature_bars(ax: Axes, table: Mapping[tuple[str, str], Mapping], *,
                      modes: Sequence[str] | None = None, features: Sequence[str] | None = None,
                      ylabel: str = "accuracy", chance: float | None = None,
                      legend: bool = True, values: bool = True) -> dict:
    """Grouped bars: one group per feature set, one bar per mode (mode colour), mean +/- std.

    Every seed's value is drawn as a black dot on its bar.  A mode that was not
    run with a feature set is simply absent from that group (no empty slot).

    Parameters
    ----------
    ax : Axes
    table : {(mode, features): {"mean": float, "std": float, "seeds": [float, ...]}}
        Values as fractions (0..1) or any other unit named by ``ylabel``; from
        :func:`compare_table`.  ``std`` and ``seeds`` may be missing.
    modes, features : sequence of str, optional
        Drawing order (default: order of appearance in ``table``); names not
        listed come after those listed.
    ylabel : str
    chance : float, optional
        Dashed chance line.
    legend : bool
        Put a legend of the modes (and seeds, chance) on ``ax``.
    values : bool
        Write each mean above its bar.

    Returns
    -------
    dict
        ``{(mode, features): Rectangle}``; the seed dots are one ``PathCollection``
        per bar with ``gid == "seeds"`` (drawn only for bars that have seeds).
    """
    modes = _ordered((m for m, _ in table), modes)
    features = _ordered((f for _, f in table), features)
    present = [[m for m in modes if (m, f) in table] for f in features]
    width = 0.8 / max([len(p) for p in present] + [1])
    bars: dict = {}
    top = 0.0
    for g, (feat, mlist) in enumerate(zip(features, present)):
        for j, mode in enumerate(mlist):
            row = table[(mode, feat)]
            x = g + (j - (len(mlist) - 1) / 2) * width
            mean, std = float(row["mean"]), float(row.get("std") or 0.0)
            cont = ax.bar(x, mean, width=0.92 * width, yerr=std if std else None, capsize=3,
                          color=mode_color(mode), edgecolor="black", linewidth=0.6,
                          error_kw={"lw": 1, "ecolor": "0.15"})
            bars[(mode, feat)] = cont[0]
            s = np.asarray(row.get("seeds") or [], dtype=float)
            if s.size:
                dx = np.linspace(-0.22, 0.22, s.size) * width if s.size > 1 else np.zeros(1)
                dots = ax.scatter(x + dx, s, s=14, color="black", zorder=3, linewidths=0)
                dots.set_gid("seeds")
            hi = max([mean + std] + s.tolist())
            top = max(top, hi)
            if values:
                ax.text(x, hi + 0.012, f"{mean:.2f}", ha="center", va="bottom", fontsize=7)
    if chance:
        ax.axhline(chance, color="0.3", ls="--", lw=1)
        top = max(top, chance)
    ax.set_xticks(range(len(features)), [str(f) for f in features])
    ax.set_xlim(-0.5, len(features) - 0.5)
    ax.set_xlabel("features")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, min(1.08, top + 0.1) if top <= 1.0 else top * 1.15)
    if legend:
        handles = _mode_handles(modes) + [
            Line2D([], [], ls="none", marker="o", ms=4, color="black", label="individual seeds")]
        if chance:
            handles.append(Line2D([], [], color="0.3", ls="--", lw=1, label=f"chance ({chance:.3g})"))
        ax.legend(handles=handles, loc="upper left", frameon=False, fontsize=8,
                  ncols=2 if len(handles) > 4 else 1)
    return bars


def _slot_order(condition: str, levels: list) -> list:
    numeric = sorted({float(v) for v in levels if v is not None})
    increasing = _CONDITIONS.get(condition, ("", None, True))[2]
    return ([None] if None in levels else []) + (numeric if increasing else numeric[::-1])


def robustness_table(rows: Sequence[Mapping], *, modes: Sequence[str] | None = None,
                     conditions: Sequence[str] | None = None) -> dict:
    """Accuracy per (mode, features) series and (condition, level) slot, over seeds.

    Parameters
    ----------
    rows : sequence of dict
        ``compare.json["robustness"]``: ``mode``, ``features``, ``seed``,
        ``condition`` (``clean``, ``vision_missing``, ``vision_noise``,
        ``vision_incongruent``, ``audio_noise``, or others), ``level`` (None or
        a number: noise events per pixel-second for ``vision_noise``, SNR in dB
        for ``audio_noise``) and ``accuracy`` (fraction 0..1).
    modes, conditions : sequence of str, optional
        Order of the series and conditions (default: modes by appearance,
        conditions clean, vision missing/incongruent/noise, audio noise, others).

    Returns
    -------
    dict
        ``slots``: [(condition, level)], levels ordered from mild to severe
        (rising noise rate, falling SNR); ``series``: [(mode, features)];
        ``values``: {(series, slot): {"mean", "std", "seeds": [float], "n"}}.
    """
    rows = [r for r in rows if r.get("accuracy") is not None]
    series = [(m, f) for m in _ordered((str(r["mode"]) for r in rows), modes)
              for f in dict.fromkeys(str(r["features"]) for r in rows if str(r["mode"]) == m)]
    conds = _ordered((str(r["condition"]) for r in rows),
                     list(conditions) if conditions is not None else list(_CONDITION_ORDER))
    slots = []
    for c in conds:
        levels = [None if r.get("level") is None else float(r["level"]) for r in rows
                  if str(r["condition"]) == c]
        slots += [(c, lv) for lv in _slot_order(c, levels)]
    acc: dict = {}
    for r in rows:
        lv = None if r.get("level") is None else float(r["level"])
        key = ((str(r["mode"]), str(r["features"])), (str(r["condition"]), lv))
        acc.setdefault(key, []).append(float(r["accuracy"]))
    values = {}
    for key, vals in acc.items():
        mean, std = _mean_std(vals)
        values[key] = {"mean": mean, "std": std, "seeds": vals, "n": len(vals)}
    return {"slots": slots, "series": series, "values": values}


def level_label(condition: str, level) -> str:
    """A robustness level with its unit, e.g. ``"0.5 ev/px/s"``, ``"10 dB SNR"``; ``"-"`` for None."""
    if level is None:
        return "-"
    unit = _CONDITIONS.get(condition, ("", None, True))[1]
    return f"{float(level):g}" + (f" {unit}" if unit else "")


def condition_label(condition: str, level=None, *, wrap: bool = True) -> str:
    """Readable name of a robustness condition and level, with the level's unit.

    ``wrap``: on two lines (tick labels), else ``"<condition>, <level>"``.
    """
    label = _CONDITIONS.get(condition, (str(condition).replace("_", " "), None, True))[0]
    if level is None:
        return label.replace(" ", "\n", 1) if wrap else label
    return f"{label}{chr(10) if wrap else ', '}{level_label(condition, level)}"


def robustness_lines(ax: Axes, rows: Sequence[Mapping], *, modes: Sequence[str] | None = None,
                     ylabel: str = "accuracy", chance: float | None = None,
                     legend: bool = True) -> dict:
    """Accuracy under degraded inputs: one line per mode (mode colour), mean +/- std over seeds.

    x: one slot per condition and level (clean first; within a condition the
    levels run from mild to severe and are joined by a line; conditions are
    separated by thin vertical lines).  When a mode was run with several
    feature sets, each gets its own line style and marker.

    Parameters
    ----------
    ax : Axes
    rows : sequence of dict
        ``compare.json["robustness"]`` (see :func:`robustness_table`).
    modes : sequence of str, optional
        Series order.
    ylabel : str
    chance : float, optional
        Dashed chance line.
    legend : bool

    Returns
    -------
    dict
        ``{(mode, features): ndarray (n_points, 2)}`` of the drawn (x, mean)
        points; every series' artists carry ``gid == "robustness:<mode>:<features>"``.
    """
    tab = robustness_table(rows, modes=modes)
    slots, series, values = tab["slots"], tab["series"], tab["values"]
    feats_of: dict[str, list[str]] = {}
    for m, f in series:
        feats_of.setdefault(m, []).append(f)
    multi = any(len(v) > 1 for v in feats_of.values())
    all_feats = list(dict.fromkeys(f for _, f in series))
    pos = {s: k for k, s in enumerate(slots)}
    out: dict = {}
    for j, (mode, feat) in enumerate(series):
        dodge = (j - (len(series) - 1) / 2) * min(0.08, 0.5 / max(len(series), 1))
        ls, marker = (_SERIES_STYLES[all_feats.index(feat) % len(_SERIES_STYLES)] if multi
                      else ("-", "o"))
        label = f"{mode} ({feat})" if multi else str(mode)
        pts = []
        for cond in dict.fromkeys(c for c, _ in slots):
            xs, ys, es = [], [], []
            for s in slots:
                if s[0] == cond and ((mode, feat), s) in values:
                    v = values[((mode, feat), s)]
                    xs.append(pos[s] + dodge)
                    ys.append(v["mean"])
                    es.append(v["std"])
            if not xs:
                continue
            cont = ax.errorbar(xs, ys, yerr=es, color=mode_color(mode), ls=ls, marker=marker, ms=5,
                               lw=1.4, capsize=2, elinewidth=0.9,
                               label=label if not pts else None)
            for art in (cont.lines[0], *cont.lines[2]):
                art.set_gid(f"robustness:{mode}:{feat}")
            pts += list(zip(xs, ys))
        out[(mode, feat)] = np.asarray(pts, dtype=float).reshape(-1, 2)
    conds = [c for c, _ in slots]
    for k in range(1, len(slots)):
        if conds[k] != conds[k - 1]:
            ax.axvline(k - 0.5, color="0.85", lw=0.8, zorder=0)
    if chance:
        ax.axhline(chance, color="0.3", ls="--", lw=1, label=f"chance ({chance:.3g})")
    ax.set_xticks(range(len(slots)), [condition_label(c, lv) for c, lv in slots], fontsize=8)
    ax.set_xlim(-0.5, max(len(slots), 1) - 0.5)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("input condition (level)")
    if legend and series:
        ax.legend(loc="lower left", frameon=False, fontsize=8, ncols=min(len(series) + 1, 5))
    return out


def compare_figure(runs: Sequence[Mapping], summary: Sequence[Mapping] | None = None,
                   robustness: Sequence[Mapping] | None = None, *,
                   modes: Sequence[str] | None = None, features: Sequence[str] | None = None,
                   n_classes: int | None = None, title: str = "") -> Figure:
    """A comparison of network modes over seeds: accuracy, UAR, polarity, robustness.

    Top row: :func:`mode_feature_bars` of accuracy, UAR and (when measured)
    emotion-polarity accuracy; bottom row (when ``robustness`` has rows):
    :func:`robustness_lines` across the whole width.  One legend of the
    modes for the whole figure.

    Parameters
    ----------
    runs, summary, robustness : sequences of dict
        The lists of ``compare.json`` of the same names (fractions 0..1).
    modes, features : sequence of str, optional
        Drawing order, e.g. ``compare.json["protocol"]["modes"]``.
    n_classes : int, optional
        Number of emotions: chance lines at ``1 / n_classes`` (accuracy, UAR,
        robustness).
    title : str

    Returns
    -------
    Figure
        Axes labels (``ax.get_label()``): ``"accuracy"``, ``"uar"``,
        ``"polarity"`` (if any) and ``"robustness"`` (if any).
    """
    chance = 1.0 / n_classes if n_classes else None
    panels = [("accuracy", "accuracy", chance), ("uar", "UAR (unweighted average recall)", chance)]
    tables = {m: compare_table(runs, summary, m) for m in ("accuracy", "uar", "polarity")}
    if tables["polarity"]:
        panels.append(("polarity", "polarity accuracy (positive/negative)", None))
    if not tables["accuracy"]:
        raise ValueError("compare_figure: no accuracy in runs or summary")
    rob = [r for r in (robustness or ()) if r.get("accuracy") is not None]
    layout = [[p[0] for p in panels]] + ([["robustness"] * len(panels)] if rob else [])
    fig = plt.figure(figsize=(max(10.0, 4.3 * len(panels)), 4.4 + (4.6 if rob else 0.0)),
                     constrained_layout=True)
    axd = fig.subplot_mosaic(layout)
    all_modes = _ordered([m for m, _ in tables["accuracy"]] +
                         [str(r["mode"]) for r in rob], modes)
    n_seeds = sorted({int(v["n"]) for v in tables["accuracy"].values()})
    seeds_txt = f"{n_seeds[0]}" if len(n_seeds) == 1 else f"{n_seeds[0]}-{n_seeds[-1]}"
    for key, ylabel, ch in panels:
        ax = axd[key]
        ax.set_label(key)
        mode_feature_bars(ax, tables[key], modes=all_modes, features=features, ylabel=ylabel,
                          chance=ch, legend=False)
        ax.set_title(f"{ylabel.split(' (')[0]}: mean \u00b1 std over {seeds_txt} seeds",
                     loc="left", fontsize=10)
    if rob:
        ax = axd["robustness"]
        ax.set_label("robustness")
        pairs = {(str(r["mode"]), str(r["features"])) for r in rob}
        several = len(pairs) > len({m for m, _ in pairs})      # a mode with several feature sets
        robustness_lines(ax, rob, modes=all_modes, chance=chance, legend=several)
        feats = sorted({f for _, f in pairs})
        ax.set_title("robustness: accuracy under degraded input, mean \u00b1 std over seeds"
                     + ("" if several else f" (features: {', '.join(feats)})"),
                     loc="left", fontsize=10)
    handles = _mode_handles(all_modes) + [
        Line2D([], [], ls="none", marker="o", ms=4, color="black", label="individual seeds")]
    if chance:
        handles.append(Line2D([], [], color="0.3", ls="--", lw=1, label=f"chance ({chance:.3g})"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 7),
               frameon=False)
    if title:
        fig.suptitle(title)
    return fig


# ------------------------------------------------------------------ output
_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def save_figure(fig: Figure, path: str | Path, *, dpi: int = PNG_DPI, close: bool = True) -> Path:
    """Write ``fig`` atomically; PNG (``dpi``), SVG or PDF chosen by the extension.

    The figure is closed afterwards unless ``close=False``.
    """
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: unsupported figure format (use .png, .svg or .pdf)")
    with atomic_path(path, suffix=path.suffix) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi)
    if close:
        plt.close(fig)
    return path


# ------------------------------------------------------------------ sweeps
def sweep_lines(ax: Axes, x, mean, *, spread=None, labels: Sequence[str] | None = None,
                xticklabels: Sequence[str] | None = None, xlabel: str = "window size",
                ylabel: str = "accuracy", legend_title: str | None = None,
                chance: float | None = None, colors: Sequence | None = None) -> list:
    """Accuracy against a swept parameter, one line per value of another (MBY19 Fig. 3).

    Parameters
    ----------
    ax : Axes
    x : array, shape (n_x,)
        x positions (window sizes; or 0..n_x-1 with ``xticklabels`` for names).
    mean : array, shape (n_lines, n_x) or (n_x,)
        Value of every line at every x; NaN where there is none (the line
        joins its finite points only).
    spread : array like ``mean``, optional
        Half-width of a shaded band around each line (e.g. std over seeds);
        NaN = no band there.
    labels : sequence of str, optional
        Legend entry of each line.
    xticklabels : sequence of str, optional
        Tick labels at ``x`` (categorical axes); numeric ticks at ``x`` otherwise.
    chance : float, optional
        Dashed chance line.
    colors : sequence, optional
        One colour per line (default: a colour-blind safe palette).

    Returns
    -------
    list of Line2D
        One per line (``gid`` ``"sweep-line-<k>"``).
    """
    x = np.asarray(x, dtype=float).ravel()
    m = np.atleast_2d(np.asarray(mean, dtype=float))
    if m.shape[1] != x.size:
        raise ValueError(f"mean has {m.shape[1]} columns for {x.size} x values")
    s = None if spread is None else np.atleast_2d(np.asarray(spread, dtype=float))
    if s is not None and s.shape != m.shape:
        raise ValueError(f"spread of shape {s.shape} does not match mean {m.shape}")
    if labels is not None and len(labels) != m.shape[0]:
        raise ValueError(f"{len(labels)} labels for {m.shape[0]} lines")
    palette = list(colors) if colors is not None else [_OKABE_ITO[k] for k in (
        "blue", "vermillion", "bluish_green", "orange", "reddish_purple", "sky_blue", "black")]
    lines = []
    for k in range(m.shape[0]):
        ok = np.isfinite(m[k])
        color = palette[k % len(palette)]
        (ln,) = ax.plot(x[ok], m[k, ok], marker="o", ms=5, lw=1.6, color=color,
                        label=None if labels is None else str(labels[k]))
        ln.set_gid(f"sweep-line-{k}")
        lines.append(ln)
        if s is not None:
            band = ok & np.isfinite(s[k])
            if band.any():
                ax.fill_between(x[band], (m[k] - s[k])[band], (m[k] + s[k])[band], color=color,
                                alpha=0.18, lw=0)
    if chance:
        ax.axhline(chance, color="0.3", ls="--", lw=1, label=f"chance ({chance:.2f})")
    if xticklabels is not None:
        ax.set_xticks(x, [str(t) for t in xticklabels])
    elif x.size <= 12:
        ax.set_xticks(x, [f"{v:g}" for v in x])
    finite = m[np.isfinite(m)]
    top = float(finite.max()) if finite.size else 1.0
    if s is not None and np.isfinite(s).any():
        top = max(top, float(np.nanmax(m + np.nan_to_num(s))))
    ax.set_ylim(0, min(1.05, top * 1.15 + 0.02) if top <= 1 else top * 1.15)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    if labels is not None or chance:
        ax.legend(loc="best", frameon=False, title=legend_title)
    return lines


__all__ += ["sweep_lines"]
