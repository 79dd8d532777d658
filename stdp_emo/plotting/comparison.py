"""Several runs compared: network modes x feature sets over seeds, and robustness.

The numbers come from :mod:`stdp_emo.summaries` (:func:`~stdp_emo.summaries.compare_table`,
:func:`~stdp_emo.summaries.robustness_table`); this module only draws them, one
colour per mode (:func:`~stdp_emo.plotting.style.mode_color`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..summaries import compare_table, condition_label, ordered, robustness_table
from .style import _SERIES_STYLES, _mode_handles, mode_color


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
    modes = ordered((m for m, _ in table), modes)
    features = ordered((f for _, f in table), features)
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
    all_modes = ordered([m for m, _ in tables["accuracy"]] +
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
