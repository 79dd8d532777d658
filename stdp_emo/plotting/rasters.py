"""Spike rasters: one population (:func:`raster`) or a whole network in data-flow order."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba_array
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .style import (INHIBITORY_COLOR, INPUT_COLOR, LEAD_HATCH_COLOR, PRESENT_SHADE, REST_SHADE,
                    _emotion_handles, neuron_colors)


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
