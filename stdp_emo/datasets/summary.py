"""Plain-text summary of a dataset (``stdp-emo datasets NAME --root DIR``)."""
from __future__ import annotations

from collections import Counter

from .base import Dataset


def format_counts(dataset: Dataset) -> str:
    """A readable table of clip counts per actor and emotion, plus the modalities.

    Parameters
    ----------
    dataset : Dataset

    Returns
    -------
    str
        Several lines (no trailing newline): a header naming the dataset, its
        root and totals; a table with one row per actor, one column per class
        and a ``total`` column, closed by a ``total`` row; and a line of counts
        per modality (``audio``, ``video``, ``audio+video``).
    """
    counts = dataset.counts()
    per_cell = Counter((c.actor, c.label) for c in dataset.clips)
    header = ["actor", *dataset.classes, "total"]
    rows = [[actor, *(str(per_cell[actor, k]) for k in range(len(dataset.classes))), str(n)]
            for actor, n in counts["actor"].items()]
    totals = (str(counts["class"].get(c, 0)) for c in dataset.classes)
    rows.append(["total", *totals, str(len(dataset))])
    lines = [
        f"{dataset.name}: {dataset.description}",
        f"root: {dataset.root}",
        f"{len(dataset)} clips, {len(counts['actor'])} actors, {len(dataset.classes)} classes",
        "",
        *_table(header, rows),
        "",
        "modality: " + ", ".join(f"{m} {n}" for m, n in counts["modality"].items()),
    ]
    return "\n".join(lines)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Lines of a table: first column left, others right-aligned; rules above and below the body."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        return "  ".join([first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:]))]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return [line(header), rule, *(line(r) for r in rows[:-1]), rule, line(rows[-1])]
