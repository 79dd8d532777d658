"""Tables of numbers behind the comparison figures and reports (no drawing).

numpy only (no matplotlib): the statistics that :mod:`stdp_emo.plotting`
draws and :mod:`stdp_emo.report` writes as tables -- a metric per (mode,
features) over seeds (:func:`compare_table`), accuracy per robustness
condition and level (:func:`robustness_table`) -- and the names that go
with them: readable condition and level labels (:func:`condition_label`,
:func:`level_label`), canonical mode names (:func:`mode_key`) and a stable
ordering of names (:func:`ordered`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["compare_table", "robustness_table", "level_label", "condition_label", "ordered",
           "mode_key"]


_MODE_SYNONYMS = {"audio_only": "audio", "visual_only": "visual", "vision": "visual",
                  "fusion": "early_fusion", "audio_visual": "early_fusion",
                  "audiovisual": "early_fusion", "cross_modal": "crossmodal"}

_CONDITIONS = {   # condition -> (label, unit of its level, larger level = more degraded?)
    "clean": ("clean", None, True),
    "vision_missing": ("vision missing", None, True),
    "vision_incongruent": ("vision incongruent", None, True),
    "vision_noise": ("vision noise", "ev/px/s", True),      # noise events per pixel-second
    "audio_noise": ("audio noise", "dB SNR", False),        # lower SNR = more degraded
}
_CONDITION_ORDER = tuple(_CONDITIONS)


def mode_key(mode: str) -> str:
    """Canonical name of a network mode: lower case, ``_`` for ``-`` and spaces, synonyms mapped
    (``cross-modal`` -> ``crossmodal``, ``fusion`` -> ``early_fusion`` ...)."""
    key = str(mode).strip().lower().replace("-", "_").replace(" ", "_")
    return _MODE_SYNONYMS.get(key, key)


def ordered(keys, preferred: Sequence[str] | None) -> list[str]:
    """``keys`` once each: those in ``preferred`` first, in its order, then the others in order
    of first appearance (all of them in that order when ``preferred`` is None)."""
    seen = list(dict.fromkeys(keys))
    if preferred is None:
        return seen
    return [k for k in preferred if k in seen] + [k for k in seen if k not in preferred]


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
    series = [(m, f) for m in ordered((str(r["mode"]) for r in rows), modes)
              for f in dict.fromkeys(str(r["features"]) for r in rows if str(r["mode"]) == m)]
    conds = ordered((str(r["condition"]) for r in rows),
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
