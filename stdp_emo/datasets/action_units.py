"""Facial action units per clip (OpenFace clip means), read from a CSV and paired by trial.

The file (e.g. ``../shared/data/ravdess_au/openface_au_clip_means.csv``) has a
``clip`` column with the RAVDESS 7-part code of the audio-visual video
(``01-01-EE-II-SS-RR-AA``, modality 01) and one column per action unit:
``AUxx_r`` (mean intensity over the video's frames, 0..5) and ``AUxx_c`` (fraction of
frames in which the unit is present, 0..1).  A row pairs with the audio clip of the
same trial: the same code without its modality part (the :class:`Clip` id).
"""
from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError

#: default location, beside the RAVDESS audio folder: ``<root>/../ravdess_au/<this name>``
DEFAULT_NAME = "openface_au_clip_means.csv"
INTENSITY_MAX = 5.0                      # OpenFace AU intensity scale (0 = absent, 5 = maximum)
_COLUMN = re.compile(r"^AU\d\d_[rc]$")
_CODE = re.compile(r"^\d\d(-\d\d){6}$")


@dataclass(frozen=True)
class ActionUnits:
    """Action units of the clips of one file.

    Attributes
    ----------
    columns : tuple of str
        ``AUxx_r`` / ``AUxx_c`` names, in file order.
    trials : dict
        Trial id (the code without its modality part, as :attr:`Clip.id`) -> values,
        shape (n_columns,), float64.
    path : Path
    """

    columns: tuple
    trials: dict
    path: Path

    def pair(self, clip_ids) -> tuple[np.ndarray, np.ndarray]:
        """Values of these clips, shape (n_clips, n_columns) (0 where missing), and a mask
        of the clips that have a row, shape (n_clips,)."""
        ids = list(clip_ids)
        out = np.zeros((len(ids), len(self.columns)))
        ok = np.zeros(len(ids), dtype=bool)
        for k, cid in enumerate(ids):
            row = self.trials.get(str(cid))
            if row is not None:
                out[k], ok[k] = row, True
        return out, ok

    def intensities(self, clip_id) -> dict[int, float] | None:
        """OpenFace intensities (``AUxx_r``, 0..5) of one clip by AU number, e.g. ``{12: 2.1}``,
        or ``None`` if the clip has no row; the presence columns (``_c``) are left out."""
        row = self.trials.get(str(clip_id))
        if row is None:
            return None
        return {int(c[2:4]): float(v) for c, v in zip(self.columns, row) if c.endswith("_r")}


def default_path(root: str | Path) -> Path:
    """Where the action units of a RAVDESS folder are looked for: ``<root>/../ravdess_au/``."""
    return Path(root).resolve().parent / "ravdess_au" / DEFAULT_NAME


def load(path: str | Path) -> ActionUnits:
    """Read and check an action-unit CSV.

    Raises
    ------
    DataError
        One line naming the file (and row) when it is missing, has a bad header, a
        malformed trial code, a duplicate trial, a missing or non-numeric value, or a
        value outside its range (intensity 0..5, presence 0..1).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: action-unit file not found")
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"{path}: cannot read action units ({e})") from None
    if not rows:
        raise DataError(f"{path}: empty file")
    header = [h.strip() for h in rows[0]]
    columns = header[1:]
    if header[:1] != ["clip"] or not columns or not all(_COLUMN.match(c) for c in columns):
        raise DataError(f"{path}: header must be 'clip' then AUxx_r / AUxx_c columns, "
                        f"got {','.join(header[:4])}...")
    if len(set(columns)) != len(columns):
        raise DataError(f"{path}: a column appears twice in the header")
    high = np.array([INTENSITY_MAX if c.endswith("_r") else 1.0 for c in columns])
    trials: dict[str, np.ndarray] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not row or all(not v.strip() for v in row):
            continue
        where = f"{path}, row {n}"
        if len(row) != len(header):
            raise DataError(f"{where}: {len(row)} fields, the header has {len(header)}")
        code = row[0].strip()
        if not _CODE.match(code):
            raise DataError(f"{where}: clip {code!r} is not a 7-part code like 01-01-05-01-01-01-03")
        trial = code[3:]
        if trial in trials:
            raise DataError(f"{where}: trial {trial} appears twice")
        try:
            values = np.array([float(v) for v in row[1:]])
        except ValueError:
            raise DataError(f"{where}: a value of clip {code} is not a number") from None
        bad = ~np.isfinite(values) | (values < 0) | (values > high + 1e-6)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise DataError(f"{where}: {columns[k]} = {row[1 + k].strip()} is outside "
                            f"[0, {high[k]:g}]")
        trials[trial] = values
    if not trials:
        raise DataError(f"{path}: no rows")
    return ActionUnits(tuple(columns), trials, path)


def describe(n_paired: int, n_clips: int) -> str:
    """One line for records: what the visual input is and how many clips it covers."""
    pct = 100.0 * n_paired / n_clips if n_clips else math.nan
    return (f"real audio + real facial action units (OpenFace, clip means): "
            f"{n_paired} of {n_clips} clips paired ({pct:.0f} %)")
