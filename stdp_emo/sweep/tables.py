"""Sweep results as tables: one row per point, CSV, Markdown, figure data, the result files."""
from __future__ import annotations

import collections
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..fileio import write_json, write_text

WINDOW_KEY = "network.window"
FEATURES_KEY = "network.n_features"


def make_row(point_id: str, values: dict, record: dict | None, status: str | None = None) -> dict:
    """One table row from a point's values and its result/error record (or None)."""
    rec = record or {}
    return {"id": point_id, "values": dict(values),
            "status": status or rec.get("status", "pending"),
            "accuracy": rec.get("accuracy"), "uar": rec.get("uar"),
            "readout_accuracy": rec.get("readout_accuracy"),
            "n_classes": rec.get("n_classes"),
            "seconds": rec.get("seconds"), "run_dir": rec.get("run_dir"),
            "model_dir": rec.get("model_dir"),
            "error": rec.get("error") if rec.get("status") == "failed" else None}


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


def to_csv(rows: list[dict], keys: list[str]) -> str:
    """Rows as CSV: id, the grid keys, status, accuracy, uar, readout_accuracy, seconds, run_dir, error."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", *keys, "status", "accuracy", "uar", "readout_accuracy", "seconds",
                "run_dir", "error"])
    for r in rows:
        w.writerow([r["id"], *(r["values"].get(k) for k in keys), r["status"],
                    *("" if r[c] is None else r[c] for c in ("accuracy", "uar",
                                                              "readout_accuracy")),
                    "" if r["seconds"] is None else f"{r['seconds']:.1f}",
                    r["run_dir"] or "", r["error"] or ""])
    return buf.getvalue()


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def to_markdown(rows: list[dict], keys: list[str]) -> str:
    """Rows as a Markdown table (errors cut to their first 120 characters)."""
    head = ["point", *keys, "status", "accuracy", "UAR", "seconds", "run / error"]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---"] * (len(keys) + 2) + ["---:"] * 3 + ["---"]) + "|"]
    for r in rows:
        last = r["run_dir"] or ""
        if r["error"]:
            e = r["error"]
            last = e if len(e) <= 120 else e[:117] + "..."
        cells = [r["id"], *(_cell(r["values"].get(k)) for k in keys), r["status"],
                 _cell(r["accuracy"]), _cell(r["uar"]),
                 "" if r["seconds"] is None else f"{r['seconds']:.1f}", last]
        lines.append("| " + " | ".join(_md_escape(str(c)) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@dataclass
class FigureData:
    """Accuracy aggregated for the sweep figure (see :func:`figure_data`).

    ``mean``/``spread``/``count`` have shape (n_lines, n_x); NaN/0 where no
    point finished; ``spread`` is the standard deviation over the points
    averaged in a cell (NaN with fewer than two).
    """

    x_key: str
    x_values: list
    line_key: str | None
    line_values: list
    mean: np.ndarray
    spread: np.ndarray
    count: np.ndarray
    averaged_over: list[str] = field(default_factory=list)
    chance: float | None = None


def figure_data(rows: list[dict], axes: list[tuple[str, list]], metric: str = "accuracy"
                ) -> FigureData:
    """Mean ``metric`` of finished points against the window size, one line per feature count.

    The x axis is ``network.window`` when it is a grid axis, else the first
    axis; lines are ``network.n_features`` values when that is another axis
    (else one line); other axes (seeds, modalities...) are averaged over.
    """
    keys = [k for k, _ in axes]
    vals = dict(axes)
    x_key = WINDOW_KEY if WINDOW_KEY in vals else keys[0]
    line_key = FEATURES_KEY if FEATURES_KEY in vals and FEATURES_KEY != x_key else None
    xs = list(vals[x_key])
    if all(_is_number(v) for v in xs):
        xs = sorted(xs)
    ls = list(vals[line_key]) if line_key else [None]
    if line_key and all(_is_number(v) for v in ls):
        ls = sorted(ls)
    cells: dict[tuple[int, int], list[float]] = collections.defaultdict(list)
    xi = {repr(v): i for i, v in enumerate(xs)}
    li = {repr(v): i for i, v in enumerate(ls)}
    chance = set()
    for r in rows:
        if r["status"] != "done" or r.get(metric) is None:
            continue
        i = xi.get(repr(r["values"].get(x_key)))
        j = li.get(repr(r["values"].get(line_key))) if line_key else 0
        if i is None or j is None:
            continue
        cells[(j, i)].append(float(r[metric]))
        if r.get("n_classes"):
            chance.add(1.0 / r["n_classes"])
    shape = (len(ls), len(xs))
    mean, spread = np.full(shape, np.nan), np.full(shape, np.nan)
    count = np.zeros(shape, dtype=int)
    for (j, i), v in cells.items():
        mean[j, i], count[j, i] = np.mean(v), len(v)
        if len(v) > 1:
            spread[j, i] = np.std(v)
    others = [k for k in keys if k not in (x_key, line_key)]
    return FigureData(x_key, xs, line_key, ls, mean, spread, count, others,
                      chance.pop() if len(chance) == 1 else None)


def sweep_figure(rows: list[dict], axes: list[tuple[str, list]], title: str = ""):
    """:func:`stdp_emo.plotting.sweep_figure` of :func:`figure_data` ``(rows, axes)``."""
    from ..plotting import sweep_figure as draw

    return draw(figure_data(rows, axes), title)


def write_results(sweep_dir: Path, axes: list[tuple[str, list]], rows: list[dict], *,
                  meta: dict | None = None, figure: bool = True) -> dict[str, Path]:
    """Write sweep.json, sweep.csv, sweep.md (atomically) and, with ``figure``, sweep.png."""
    sweep_dir = Path(sweep_dir)
    keys = [k for k, _ in axes]
    counts = collections.Counter(r["status"] for r in rows)
    doc = dict(meta or {}, grid={k: v for k, v in axes},
               summary={"total": len(rows), "done": counts.get("done", 0),
                        "failed": counts.get("failed", 0),
                        "pending": len(rows) - counts.get("done", 0) - counts.get("failed", 0)},
               points=rows)
    out = {"json": write_json(sweep_dir / "sweep.json", doc),
           "csv": write_text(sweep_dir / "sweep.csv", to_csv(rows, keys)),
           "md": write_text(sweep_dir / "sweep.md", to_markdown(rows, keys))}
    if figure and any(r["status"] == "done" and r["accuracy"] is not None for r in rows):
        from ..plotting import save_figure

        title = f"{(meta or {}).get('dataset', '')} sweep".strip()
        out["png"] = save_figure(sweep_figure(rows, axes, title), sweep_dir / "sweep.png")
    return out
