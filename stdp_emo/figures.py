"""Figures of stored results: a trained model, a run record, a compare run, a recorded sample.

Adapters between what :mod:`stdp_emo.model` and :mod:`stdp_emo.records` read and what
:mod:`stdp_emo.plotting` draws, and the ``stdp-emo plot`` commands.  They draw what they
are given and never run the network: a raster is drawn from a recording
(:meth:`stdp_emo.model.TrainedModel.record`).  numpy + matplotlib only.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import plotting
from .errors import DataError
from .model import as_model
from .records import load_compare, load_metrics

UNSUPERVISED_LABEL = "unsupervised STDP (labelled neurons)"
SUPERVISED_LABEL = "linear read-out on spike counts (SUPERVISED)"


# ------------------------------------------------------------------ reading
def run_classes(metrics: dict) -> list[str]:
    """Class names of a run, in label order (the order of ``per_class_accuracy``)."""
    return [str(c) for c in metrics["unsupervised"]["per_class_accuracy"]]


def named_per_class(per_class: dict, classes: list[str]) -> dict:
    """Per-class values keyed by class name (read-outs may key them "0", "1", ...)."""
    keys = list(per_class)
    if keys != classes and len(keys) == len(classes) and all(str(k).isdigit() for k in keys):
        return {classes[int(k)]: v for k, v in per_class.items()}
    return dict(per_class)


def receptive_field_figure_for(model, max_per_class: int = 8):
    """The receptive-field figure of a :class:`~stdp_emo.model.TrainedModel` (or its directory).

    The fields of the labelled modality's input (audio in multimodal modes), reshaped by
    the model's composition; neurons of a layer that is not the labelled one (early fusion
    from the layers) are shown unassigned.
    """
    model = as_model(model)
    weights, win, layer = model.receptive_fields()
    part = model.composition.vote_slice(layer)
    a = model.assignments[part] if part is not None else np.full(weights.shape[0], -1)
    title = (f"receptive fields of {model.name}\n{int((a >= 0).sum())} of {a.size} "
             f"neurons assigned to an emotion")
    return plotting.receptive_field_figure(weights, win, a, model.classes,
                                           max_per_class=max_per_class, title=title)


CROSS_PROJECTION = "visual_exc_to_audio_exc"


def cross_weight_figure_for(model):
    """The visual -> audio weight figure of a cross-modal model (None for other models)."""
    model = as_model(model)
    comp = model.composition
    if CROSS_PROJECTION not in {p.name for p in comp.projections}:
        return None
    proj = comp.projection(CROSS_PROJECTION)
    w = model.weights(CROSS_PROJECTION)
    vis, aud = comp.topologies["visual"], comp.topologies["audio"]
    vis_pos, aud_pos = vis.position[proj.pre], aud.position[proj.post]
    by_position = plotting.block_means(w, aud_pos, vis_pos, aud.n_positions, vis.n_positions)
    classes = model.classes
    by_class = plotting.block_means(w, model.assignments[proj.post], vis_pos, len(classes),
                                    vis.n_positions)
    title = (f"visual -> audio weights of {model.name} ({w.size:,} synapses; "
             f"mean {w.mean():.4f}, max {w.max():.4f})")
    return plotting.cross_weight_figure(by_position, by_class.reshape(len(classes),
                                                                      *vis.positions_hw),
                                        classes, title=title)


def _confusion_title(metrics: dict) -> str:
    u = metrics["unsupervised"]
    return (f"{metrics.get('dataset', '?')}, {metrics.get('split', '?')} split: {UNSUPERVISED_LABEL}, "
            f"accuracy {u.get('accuracy', float('nan')):.3f}, UAR {u.get('uar', float('nan')):.3f}, "
            f"n = {u.get('n', '?')}")


def compare_figure_for(data: dict):
    """The comparison figure of a loaded ``compare.json``."""
    proto = data.get("protocol") or {}
    classes = data.get("classes") or []
    title = (f"{data.get('dataset', '?')}: {data.get('description', '')}\n"
             f"{proto.get('split', '?')} split, seeds {proto.get('seeds', '?')}, "
             f"{UNSUPERVISED_LABEL}").replace(": \n", "\n")
    try:
        return plotting.compare_figure(data["runs"], data.get("summary"), data.get("robustness"),
                                       modes=proto.get("modes"), features=proto.get("features"),
                                       n_classes=len(classes) or None, title=title)
    except (KeyError, TypeError, ValueError) as e:
        raise DataError(f"compare.json: cannot draw the comparison ({e})") from None


def raster_title(rec: dict) -> str:
    """Title of a raster figure of :func:`stdp_emo.model.TrainedModel.record`'s record."""
    return (f"sample {rec['sample_id']} ({rec['split']} split): true {rec['true']}, "
            f"predicted {rec['predicted']}"
            + (f" (presentation {rec['retries'] + 1}, higher intensity)" if rec["retries"] else ""))


def raster_figure_for(rec: dict):
    """The raster figure of one recorded sample (:meth:`stdp_emo.model.TrainedModel.record`).

    Multimodal models get the visual lead hatched; recorded traces (``trace_neurons``)
    become a bottom panel of membrane potential and threshold (mV).
    """
    return plotting.raster_figure(rec["groups"], assignments=rec["assignments"],
                                  classes=rec["classes"], present_ms=rec["present_ms"],
                                  rest_ms=rec["rest_ms"], visual_lead_ms=rec.get("visual_lead_ms"),
                                  traces=trace_panel(rec.get("traces")), title=raster_title(rec))


def trace_panel(traces: dict | None) -> dict | None:
    """:func:`~stdp_emo.model.TrainedModel.record` traces as :func:`plotting.raster_figure` wants them."""
    if not traces or len(traces["neurons"]) == 0:
        return None
    t = np.asarray(traces["t_ms"])
    return {"v_mV": (t, np.asarray(traces["v_mv"]).T),
            "threshold_mV": (t, np.asarray(traces["threshold_mv"]).T)}


# ------------------------------------------------------------------ CLI figure commands
def plot_weights(model_dir: str | Path, out: str | Path | None = None) -> list[Path]:
    """Write the receptive fields of a model (default ``MODEL_DIR/receptive_fields.png``) and,
    for a cross-modal model, its visual -> audio weights (``<name>_cross<suffix>`` beside it).

    Returns
    -------
    list of Path
        The files written.
    """
    model = as_model(model_dir)
    fig = receptive_field_figure_for(model)
    dest = Path(out) if out else model.path / "receptive_fields.png"
    written = [plotting.save_figure(fig, dest)]
    cross = cross_weight_figure_for(model)
    if cross is not None:
        written.append(plotting.save_figure(cross, dest.with_name(f"{dest.stem}_cross{dest.suffix}")))
    return written


def plot_confusion(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write confusion matrix + per-class bars of a run (default ``RUN_DIR/confusion.png``)."""
    run_dir = Path(run_dir)
    metrics = load_metrics(run_dir)
    classes = run_classes(metrics)
    u = metrics["unsupervised"]
    fig = plotting.confusion_figure(u["confusion"], classes, u["per_class_accuracy"],
                                    title=_confusion_title(metrics))
    return plotting.save_figure(fig, Path(out) if out else run_dir / "confusion.png")


def plot_compare(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the comparison figure of a compare run (default ``RUN_DIR/compare.png``).

    Modes x features bars of accuracy, UAR and polarity accuracy (mean +/- std
    over seeds, every seed as a dot) and, when ``compare.json`` has
    robustness rows, accuracy per degraded-input condition and level.
    """
    run_dir = Path(run_dir)
    fig = compare_figure_for(load_compare(run_dir))
    return plotting.save_figure(fig, Path(out) if out else run_dir / "compare.png")
