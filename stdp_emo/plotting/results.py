"""One run's results: confusion matrix and per-class accuracy (class colours)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .style import class_color


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
