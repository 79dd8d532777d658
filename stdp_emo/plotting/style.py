"""Colours, legend handles and figure output shared by every figure.

Every emotion has one fixed colour (:data:`EMOTION_COLORS`, the colour-blind
safe Okabe-Ito palette), the same in every figure; the eNTERFACE names share
the hue of the RAVDESS emotion they mean (``anger`` = ``angry`` ...).
Neurons with no assigned class are drawn in :data:`UNASSIGNED_COLOR`.  Every
network mode has one colour too (:data:`MODE_COLORS`).  :func:`save_figure`
writes PNG (:data:`PNG_DPI`), SVG or PDF, chosen by the file extension,
atomically.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgba_array
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..fileio import atomic_path
from ..summaries import mode_key


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


# ------------------------------------------------------------------ modes
MODE_COLORS: dict[str, str] = {
    "audio": "#4477AA",          # Paul Tol "bright" (colour-blind safe): blue
    "visual": "#228833",         # green
    "early_fusion": "#EE6677",   # red
    "crossmodal": "#AA3377",     # purple
}
"""One colour per network mode in every comparison figure (other modes: a stable
colour from a second palette).  Distinct from nothing in particular: emotions and
modes never share a figure."""
_SERIES_STYLES = (("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"))


def mode_color(mode: str) -> str:
    """The colour of a network mode (``audio``, ``visual``, ``early_fusion``, ``crossmodal``).

    Case, ``-`` / ``_`` / space and a few synonyms (``cross-modal``, ``fusion``)
    are ignored; unknown modes get a stable colour from a second palette.
    """
    key = mode_key(mode)
    if key in MODE_COLORS:
        return MODE_COLORS[key]
    h = int(hashlib.sha256(key.encode()).hexdigest(), 16)
    return _FALLBACK[h % len(_FALLBACK)]


def _mode_handles(modes: Sequence[str]) -> list:
    return [Patch(facecolor=mode_color(m), edgecolor="black", linewidth=0.6, label=str(m))
            for m in modes]


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
