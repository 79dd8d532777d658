"""Former name of :mod:`stdp_emo.preparation` (kept for outside tools).

``stdp_emo.experiment.prepare`` became :func:`stdp_emo.preparation.prepare` when the
pipeline was split into one-way stages; tools written against the old name (for one,
``../shared/tools/input_ceiling.py``) still import it from here.  New code imports
:mod:`stdp_emo.preparation`.
"""
from .preparation import Prepared, prepare, prepare_for_model

__all__ = ["Prepared", "prepare", "prepare_for_model"]
