"""A self-contained HTML report of one run record, and the figure commands of the CLI.

:func:`write_report` writes ``<run_dir>/report.html``: one file with no
external references (figures are embedded base64 PNG data URIs, the style
sheet is inline), so it opens from the file system and can be mailed or
archived on its own.  Sections: config, protocol, metrics, confusion matrix,
per-class accuracy, receptive fields (when the model is known), spike rasters
(PNG files passed in), log.

numpy + matplotlib only; Brian2 is never imported.
"""
from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from . import plotting
from .errors import DataError
from .fileio import write_text

UNSUPERVISED_LABEL = "unsupervised STDP (labelled neurons)"
SUPERVISED_LABEL = "linear read-out on spike counts (SUPERVISED)"


# ------------------------------------------------------------------ reading
def _read_json(path: Path, required: bool = True):
    if not path.is_file():
        if required:
            raise DataError(f"{path.parent}: missing {path.name} (not a stdp_emo run directory?)")
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(f"{path}: unreadable ({e})") from None


def load_metrics(run_dir: str | Path) -> dict:
    """``metrics.json`` of a run directory; one-line :class:`DataError` if missing or malformed."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise DataError(f"{run_dir}: not a run directory (no such directory)")
    metrics = _read_json(run_dir / "metrics.json")
    u = metrics.get("unsupervised") if isinstance(metrics, dict) else None
    if not isinstance(u, dict) or not {"confusion", "per_class_accuracy"} <= set(u):
        raise DataError(f"{run_dir / 'metrics.json'}: no unsupervised confusion/per_class_accuracy")
    return metrics


def run_classes(metrics: dict) -> list[str]:
    """Class names of a run, in label order (the order of ``per_class_accuracy``)."""
    return [str(c) for c in metrics["unsupervised"]["per_class_accuracy"]]


def _named_per_class(per_class: dict, classes: list[str]) -> dict:
    """Per-class values keyed by class name (read-outs may key them "0", "1", ...)."""
    keys = list(per_class)
    if keys != classes and len(keys) == len(classes) and all(str(k).isdigit() for k in keys):
        return {classes[int(k)]: v for k, v in per_class.items()}
    return dict(per_class)


def find_model_dir(run_dir: str | Path, metrics: dict | None = None) -> Path | None:
    """The model a run belongs to: ``run_dir/model.json {"model_dir"}`` or ``metrics["model_dir"]``."""
    run_dir = Path(run_dir)
    ref = _read_json(run_dir / "model.json", required=False)
    path = ref.get("model_dir") if isinstance(ref, dict) else None
    if not path and metrics:
        path = metrics.get("model_dir")
    return Path(path) if path else None


def model_receptive_fields(model) -> tuple[np.ndarray, tuple[int, int, int]]:
    """(weights (n_neurons, fan_in), window shape (C, wh, ww)) of a loaded model."""
    net = model.config.network
    shape = model.info.get("input_shape")
    if not shape:
        raise DataError(f"{model.path}: model.json has no input_shape")
    modality = model.info.get("modality")
    modality = modality if modality in ("audio", "visual") else None
    try:
        weights = plotting.weights_from_model(model.arrays["w"], shape, net.window, net.stride,
                                              net.n_features, modality=modality)
    except ValueError as e:
        raise DataError(f"{model.path}: {e}") from None
    return weights, plotting.window_shape(shape, net.window, modality=modality)


def receptive_field_figure_for(model_dir: str | Path, max_per_class: int = 8):
    """The receptive-field figure of a model directory."""
    from .records import load_model

    model = load_model(model_dir)
    weights, win = model_receptive_fields(model)
    classes = list(model.info.get("classes") or [])
    a = np.asarray(model.arrays["assignments"]).ravel()
    if a.size != weights.shape[0]:
        raise DataError(f"{model.path}: {a.size} assignments for {weights.shape[0]} neurons")
    title = (f"receptive fields of {Path(model_dir).name}\n{int((a >= 0).sum())} of {a.size} "
             f"neurons assigned to an emotion")
    return plotting.receptive_field_figure(weights, win, a, classes, max_per_class=max_per_class,
                                           title=title)


def _confusion_title(metrics: dict) -> str:
    u = metrics["unsupervised"]
    return (f"{metrics.get('dataset', '?')}, {metrics.get('split', '?')} split: {UNSUPERVISED_LABEL}, "
            f"accuracy {u.get('accuracy', float('nan')):.3f}, UAR {u.get('uar', float('nan')):.3f}, "
            f"n = {u.get('n', '?')}")


# ------------------------------------------------------------------ CLI figure commands
def plot_weights(model_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the receptive fields of a model (default ``MODEL_DIR/receptive_fields.png``)."""
    model_dir = Path(model_dir)
    fig = receptive_field_figure_for(model_dir)
    return plotting.save_figure(fig, Path(out) if out else model_dir / "receptive_fields.png")


def plot_confusion(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write confusion matrix + per-class bars of a run (default ``RUN_DIR/confusion.png``)."""
    run_dir = Path(run_dir)
    metrics = load_metrics(run_dir)
    classes = run_classes(metrics)
    u = metrics["unsupervised"]
    fig = plotting.confusion_figure(u["confusion"], classes, u["per_class_accuracy"],
                                    title=_confusion_title(metrics))
    return plotting.save_figure(fig, Path(out) if out else run_dir / "confusion.png")


# ------------------------------------------------------------------ HTML
_CSS = """
body { font-family: sans-serif; max-width: 1100px; margin: 1.5em auto; padding: 0 1em;
       color: #222; line-height: 1.4; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f2f2f2; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
.supervised { color: #8a1c00; font-weight: bold; }
.note { color: #555; font-size: 0.9em; }
figure { margin: 1em 0; } figcaption { color: #555; font-size: 0.9em; }
"""


def _e(x) -> str:
    return html.escape(str(x), quote=True)


def _fmt(v, digits: int = 3) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def _table(header: list[str], rows: list[list], numeric_from: int = 1) -> str:
    out = ["<table>", "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        cells = []
        for j, v in enumerate(row):
            cls = ' class="num"' if j >= numeric_from else ""
            cells.append(f"<td{cls}>{v if isinstance(v, _Raw) else _e(_fmt(v))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


class _Raw(str):
    """Already-escaped HTML (for table cells)."""


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def figure_data_uri(fig) -> str:
    """A figure as a base64 PNG data URI (the figure is closed)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=plotting.PNG_DPI)
    plt.close(fig)
    return _data_uri(buf.getvalue(), "image/png")


def _img(uri: str, alt: str, caption: str = "") -> str:
    cap = f"<figcaption>{_e(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{uri}" alt="{_e(alt)}">{cap}</figure>'


_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}


def _section(sid: str, title: str, body: str) -> str:
    return f'<section id="{sid}">\n<h2>{_e(title)}</h2>\n{body}\n</section>'


def _protocol(metrics: dict, split: dict | None) -> str:
    s = split or {}
    rows = [["dataset", metrics.get("dataset", "not recorded")],
            ["description", metrics.get("description", "not recorded")],
            ["modality", metrics.get("modality", "not recorded")],
            ["features", metrics.get("features", "not recorded")],
            ["split", metrics.get("split", s.get("kind", "not recorded"))],
            ["split seed", s.get("seed", "not recorded")],
            ["evaluated on", s.get("holdout", "test") if split else "not recorded"],
            ["n_train", metrics.get("n_train", s.get("n_train", "not recorded"))],
            ["n_test", metrics.get("n_test", s.get("n_test", "not recorded"))]]
    if split:
        rows += [["test actors", ", ".join(map(str, s.get("test_actors", []))) or "none"],
                 ["train actors", f"{len(s.get('train_actors', []))} actors"],
                 ["actors in both sets", ", ".join(map(str, s.get("shared_actors", []))) or "none"]]
    if metrics.get("model_dir"):
        rows.append(["model evaluated", metrics["model_dir"]])
    body = _table(["", "value"], rows, numeric_from=9)
    if not split:
        body += '<p class="note">split.json not found in this run directory.</p>'
    counts = s.get("class_counts") if split else None
    if counts and "train" in counts:
        classes = list(counts["train"])
        body += "<h3>Clips per class</h3>" + _table(
            ["set"] + classes,
            [[name] + [counts[name].get(c, 0) for c in classes] for name in ("train", "test")
             if name in counts])
    return body


def _metrics_tables(metrics: dict, classes: list[str]) -> tuple[str, str]:
    u = metrics["unsupervised"]
    r = metrics.get("linear_readout_supervised")
    rows = [[UNSUPERVISED_LABEL, u.get("accuracy"), u.get("uar"), u.get("n")]]
    if r:
        rows.append([_Raw(f'<span class="supervised">{_e(SUPERVISED_LABEL)}</span>'),
                     r.get("accuracy"), r.get("uar"), r.get("n")])
    body = _table(["classifier", "accuracy", "UAR", "test samples"], rows)
    body += (f'<p class="note">Chance level: {1 / max(len(classes), 1):.3f} (UAR). '
             "UAR = unweighted average recall over the classes present in the test set.</p>")
    if r:
        body += ('<p class="note"><span class="supervised">SUPERVISED:</span> the linear read-out '
                 "is fitted with the training labels on the frozen network's spike counts; it is "
                 "reported for comparison only and is not part of the unsupervised result.</p>")
    extra = [[k, u[k]] for k in ("neurons_assigned", "silent_test_samples") if k in u]
    for key in ("labelling", "testing"):
        st = metrics.get(key) or {}
        if "spikes_per_sample_mean" in st:
            extra.append([f"{key}: excitatory spikes per sample (mean)",
                          st["spikes_per_sample_mean"]])
    if extra:
        body += _table(["", "value"], extra)

    support = np.asarray(u["confusion"]).sum(axis=1) if u.get("confusion") else [None] * len(classes)
    sup = _named_per_class(r.get("per_class_accuracy", {}), classes) if r else {}
    header = ["emotion", "test samples", "unsupervised accuracy"]
    if r:
        header.append("SUPERVISED read-out accuracy")
    prow = []
    for c, n in zip(classes, support):
        row = [c, int(n) if n is not None else None, u["per_class_accuracy"].get(c)]
        if r:
            row.append(sup.get(c))
        prow.append(row)
    per_class = _table(header, prow)
    return body, per_class


def _timings(metrics: dict) -> str:
    parts = []
    sps = metrics.get("seconds_per_sample")
    if sps:
        parts.append(_table(["phase", "seconds per sample"], [[k, v] for k, v in sps.items()]))
    t = metrics.get("timings_s")
    if t:
        parts.append(_table(["step", "seconds"], [[k, v] for k, v in t.items()]))
    return "\n".join(parts)


def write_report(run_dir: str | Path, model_dir: str | Path | None = None,
                 rasters: Iterable[str | Path] = ()) -> Path:
    """Write ``<run_dir>/report.html`` (atomically) and return its path.

    Parameters
    ----------
    run_dir : path
        A run record (needs ``metrics.json``; ``config.toml``, ``split.json``,
        ``predictions.json``, ``model.json`` and ``log.txt`` are used when present).
    model_dir : path, optional
        Model whose receptive fields are shown; default the one named by
        ``run_dir/model.json`` (or ``metrics.json["model_dir"]``), if it exists.
    rasters : paths of PNG (or SVG/JPEG) images
        Spike raster figures to embed.

    Raises
    ------
    DataError
        Missing run directory or metrics.json, an explicit ``model_dir`` that is
        not a model, or a missing raster file.
    """
    run_dir = Path(run_dir)
    metrics = load_metrics(run_dir)
    classes = run_classes(metrics)
    split = _read_json(run_dir / "split.json", required=False)
    predictions = _read_json(run_dir / "predictions.json", required=False)
    cfg_path = run_dir / "config.toml"
    config_text = cfg_path.read_text(encoding="utf-8", errors="replace") if cfg_path.is_file() else None
    explicit = model_dir is not None
    if explicit:
        from .records import load_model

        load_model(model_dir)                       # fail early, before drawing anything
    raster_paths = [Path(p) for p in rasters]
    for p in raster_paths:
        if not p.is_file():
            raise DataError(f"{p}: raster image not found")
        if p.suffix.lower() not in _MIME:
            raise DataError(f"{p}: unsupported image type (use .png, .svg or .jpg)")

    sections = []
    sections.append(_section("config", "Config", f"<pre>{_e(config_text)}</pre>" if config_text
                             else '<p class="note">config.toml not found.</p>'))
    sections.append(_section("protocol", "Protocol", _protocol(metrics, split)))
    summary, per_class_table = _metrics_tables(metrics, classes)
    sections.append(_section("metrics", "Metrics", summary))
    u = metrics["unsupervised"]
    import matplotlib.pyplot as plt

    k = len(classes)
    fig, ax = plt.subplots(figsize=(max(5.5, 0.6 * k + 2.5), max(4.5, 0.5 * k + 1.5)),
                           constrained_layout=True)
    plotting.confusion(ax, u["confusion"], classes)
    ax.set_title(f"{UNSUPERVISED_LABEL}\ncounts; colour = fraction of the true class", fontsize=10)
    conf_body = _img(figure_data_uri(fig), "confusion matrix",
                     "Rows: true emotion; columns: predicted emotion (unsupervised classifier).")
    if predictions:
        n_pred = len(predictions.get("y_pred", []))
        conf_body += f'<p class="note">{n_pred} test predictions in predictions.json.</p>'
    sections.append(_section("confusion", "Confusion matrix", conf_body))

    fig, ax = plt.subplots(figsize=(max(5.5, 0.6 * k + 2.5), 4.0), constrained_layout=True)
    plotting.per_class_bars(ax, u["per_class_accuracy"], classes)
    ax.set_title(UNSUPERVISED_LABEL, fontsize=10)
    sections.append(_section("per-class", "Per-class accuracy",
                             per_class_table + _img(figure_data_uri(fig), "per-class accuracy")))

    mdir = Path(model_dir) if explicit else find_model_dir(run_dir, metrics)
    if mdir is None:
        rf = '<p class="note">No model directory recorded for this run.</p>'
    elif not explicit and not mdir.is_dir():
        rf = f'<p class="note">Model directory {_e(mdir)} not found.</p>'
    else:
        try:
            fig = receptive_field_figure_for(mdir)
        except DataError:
            if explicit:
                raise
            rf = f'<p class="note">Model directory {_e(mdir)} could not be read.</p>'
        else:
            rf = (f"<p>Model: <code>{_e(mdir)}</code>. Neurons grouped by the emotion they were "
                  "assigned in the labelling pass (evenly spread over each group); shared colour "
                  "scale.</p>" + _img(figure_data_uri(fig), "receptive fields"))
    sections.append(_section("receptive-fields", "Receptive fields", rf))

    if raster_paths:
        body = "\n".join(_img(_data_uri(p.read_bytes(), _MIME[p.suffix.lower()]), p.name, p.name)
                         for p in raster_paths)
        sections.append(_section("rasters", "Spike rasters", body))

    timings = _timings(metrics)
    if timings:
        sections.append(_section("timings", "Timings", timings))
    log_path = run_dir / "log.txt"
    if log_path.is_file():
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        sections.append(_section("log", "Log", f"<details><summary>log.txt (last {min(len(lines), 60)} "
                                 f"of {len(lines)} lines)</summary><pre>{_e(chr(10).join(lines[-60:]))}"
                                 "</pre></details>"))

    title = f"stdp_emo run {run_dir.name}"
    doc = "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{_e(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="note">Run directory: <code>{_e(run_dir.resolve())}</code></p>',
        *sections, "</body>", "</html>", ""])
    return write_text(run_dir / "report.html", doc)
