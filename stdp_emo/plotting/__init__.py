"""Figures: spike rasters, receptive fields, confusion matrices and accuracy bars.

numpy + matplotlib only (the non-interactive "Agg" backend); this package never
imports Brian2, so figures can be drawn from stored results on any machine.
Drawing functions take a matplotlib ``Axes`` (or ``Figure``) and plain numpy
arrays; ``*_figure`` functions build a whole figure.  :func:`save_figure`
writes PNG (120 DPI), SVG or PDF, chosen by the file extension, atomically.

Every emotion has one fixed colour (:data:`EMOTION_COLORS`, the colour-blind
safe Okabe-Ito palette), the same in every figure; the eNTERFACE names share
the hue of the RAVDESS emotion they mean (``anger`` = ``angry`` ...).
Neurons with no assigned class are drawn in :data:`UNASSIGNED_COLOR`.

Modules (every name below is also importable from ``stdp_emo.plotting``):

``style``       colours of emotions and modes, legend handles, :func:`save_figure`
``rasters``     spike rasters (:func:`raster`, :func:`raster_figure`)
``weights``     learned weights: receptive fields, cross-modal weights
``results``     one run: confusion matrix, per-class accuracy
``comparison``  modes x features over seeds, robustness (:func:`compare_figure`)
``sweeps``      parameter sweeps (:func:`sweep_lines`, :func:`sweep_figure`)

The tables of numbers the comparison figures draw (:func:`compare_table`,
:func:`robustness_table`, condition labels) live in :mod:`stdp_emo.summaries`
(no matplotlib) and are re-exported here.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from ..summaries import (  # noqa: E402
    compare_table,
    condition_label,
    level_label,
    robustness_table,
)
from .comparison import compare_bars, compare_figure, mode_feature_bars, robustness_lines  # noqa: E402
from .rasters import raster, raster_figure  # noqa: E402
from .results import confusion, confusion_figure, per_class_bars  # noqa: E402
from .style import (  # noqa: E402
    _FALLBACK,  # noqa: F401
    EMOTION_COLORS,
    INHIBITORY_COLOR,
    INPUT_COLOR,
    LEAD_HATCH_COLOR,
    MODE_COLORS,
    PNG_DPI,
    PRESENT_SHADE,
    REST_SHADE,
    UNASSIGNED_COLOR,
    class_color,
    mode_color,
    neuron_colors,
    save_figure,
)
from .sweeps import sweep_figure, sweep_lines  # noqa: E402
from .weights import (  # noqa: E402
    block_means,
    cross_weight_figure,
    receptive_field_figure,
    receptive_fields,
)

__all__ = [
    "EMOTION_COLORS", "UNASSIGNED_COLOR", "INPUT_COLOR", "PNG_DPI", "class_color",
    "neuron_colors", "raster", "raster_figure", "receptive_fields", "receptive_field_figure",
    "confusion", "per_class_bars", "confusion_figure",
    "compare_bars", "MODE_COLORS", "mode_color", "compare_table", "mode_feature_bars",
    "robustness_table", "condition_label", "level_label", "robustness_lines", "compare_figure",
    "save_figure", "sweep_lines", "sweep_figure", "block_means", "cross_weight_figure",
    "INHIBITORY_COLOR", "PRESENT_SHADE", "REST_SHADE", "LEAD_HATCH_COLOR",
]
# ``_FALLBACK`` (the palette of names that are not emotions) stays importable from here.
