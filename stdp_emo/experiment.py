"""Former home of the pipeline; kept so existing scripts keep importing (to be removed).

The stages now live in :mod:`stdp_emo.preparation` (data for a config),
:mod:`stdp_emo.training` (:func:`train`), :mod:`stdp_emo.frozen` (labelling, testing,
scoring, one-sample recording) and :mod:`stdp_emo.model` (:class:`TrainedModel`).
"""
from .frozen import (evaluate_frozen, evaluate_model, fallback_class, feature_name,  # noqa: F401
                     record_sample, score, synaptic_ops)
from .preparation import (Prepared, duration_mismatches, experiment_split,  # noqa: F401
                          keep_usable, limit_per_class, prepare, prepare_for_model, rows)
from .training import train  # noqa: F401
