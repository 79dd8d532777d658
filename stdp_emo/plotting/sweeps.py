"""Parameter sweeps: accuracy against a swept parameter, one line per value of another."""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .style import _OKABE_ITO

_WINDOW_KEY = "network.window"
_FEATURES_KEY = "network.n_features"
"""The grid keys :func:`stdp_emo.sweep.figure_data` puts on the x axis and the lines when swept."""


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


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


def sweep_figure(fd, title: str = "") -> Figure:
    """The sweep's figure (like MBY19 Fig. 3): accuracy against window size per feature count.

    Parameters
    ----------
    fd : stdp_emo.sweep.FigureData
        From :func:`stdp_emo.sweep.figure_data`: ``x_key`` / ``x_values`` (the
        x axis; numeric values are placed by value, others one per tick),
        ``line_key`` / ``line_values`` (one line per value; None = one line),
        ``mean`` and ``spread`` (n_lines, n_x), ``averaged_over`` (the other
        grid keys) and ``chance``.
    title : str

    Returns
    -------
    Figure
    """
    numeric = all(_is_number(v) for v in fd.x_values)
    x = np.asarray(fd.x_values, float) if numeric else np.arange(len(fd.x_values), dtype=float)
    fig, ax = plt.subplots(figsize=(6.4, 4.4), constrained_layout=True)
    field_name = fd.line_key.split(".")[1] if fd.line_key else ""
    labels = ([f"{v} features" if fd.line_key == _FEATURES_KEY else f"{field_name} = {v}"
               for v in fd.line_values] if fd.line_key else ["all points"])
    sweep_lines(ax, x, fd.mean, spread=fd.spread, labels=labels,
                xticklabels=None if numeric else [str(v) for v in fd.x_values],
                xlabel="window size" if fd.x_key == _WINDOW_KEY else fd.x_key,
                ylabel="accuracy (unsupervised)", legend_title=None, chance=fd.chance)
    sub = "mean"
    if fd.averaged_over:
        sub += f" over {', '.join(fd.averaged_over)}"
        if np.isfinite(fd.spread).any():
            sub += " (band: \u00b1 std)"
    ax.set_title(f"{title}\n{sub}" if title else sub, fontsize=10)
    return fig
