"""A self-contained HTML report of one run record (or compare run).

:func:`write_report` writes ``<run_dir>/report.html``: one file with no
external references (figures are embedded base64 PNG data URIs, the style
sheet is inline), so it opens from the file system and can be mailed or
archived on its own.  Sections: config, protocol, metrics, confusion matrix,
per-class accuracy, receptive fields (when the model is known), spike rasters
of the recorded samples it is given (the CLI records them through the model with
:func:`stdp_emo.frozen.record_rasters`) and image files passed in, log.  A compare run
directory (``compare.json``, written by ``stdp_emo.compare``) gets its protocol, the summary over seeds, per-class,
robustness and energy tables and the comparison figure.

numpy + matplotlib only: a view never runs the network (a test reads its imports).
"""
from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from . import plotting, summaries
from .errors import DataError
from .fileio import write_text
from .figures import (SUPERVISED_LABEL, UNSUPERVISED_LABEL, named_per_class,
                      compare_figure_for,
                      cross_weight_figure_for, raster_figure_for, raster_title,
                      receptive_field_figure_for, run_classes)
from .model import as_model
from .records import find_model_dir, load_compare, load_metrics, read_json

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
    sup = named_per_class(r.get("per_class_accuracy", {}), classes) if r else {}
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


def _pm(cell: dict | None, digits: int = 3) -> str:
    if not cell:
        return "n/a"
    return f"{cell['mean']:.{digits}f} \u00b1 {cell['std']:.{digits}f}"


def _sci(v) -> str:
    if v is None:
        return "n/a"
    return f"{float(v):.3g}"


def _compare_sections(data: dict) -> list[str]:
    """HTML sections of a compare run: protocol, summary, figure, per-class, robustness, energy, runs."""
    proto = data.get("protocol") or {}
    classes = [str(c) for c in data.get("classes") or []]
    runs = data["runs"]
    summary = data.get("summary") or []
    rows = [["dataset", data.get("dataset", "not recorded")],
            ["description", data.get("description", "not recorded")],
            ["split", proto.get("split", "not recorded")],
            ["test fraction", proto.get("test_fraction", "not recorded")],
            ["seeds", ", ".join(map(str, proto.get("seeds", []))) or "not recorded"],
            ["feature sets", ", ".join(map(str, proto.get("features", []))) or "not recorded"],
            ["modes", ", ".join(map(str, proto.get("modes", []))) or "not recorded"],
            ["classes", ", ".join(classes) or "not recorded"],
            ["runs", len(runs)]]
    sections = [_section("compare-protocol", "Comparison protocol",
                         _table(["", "value"], rows, numeric_from=9))]

    tables = {m: summaries.compare_table(runs, summary, m) for m in ("accuracy", "uar", "polarity")}
    modes = summaries.ordered([m for m, _ in tables["accuracy"]], proto.get("modes"))
    feats = summaries.ordered([f for _, f in tables["accuracy"]], proto.get("features"))
    keys = [(m, f) for m in modes for f in feats if (m, f) in tables["accuracy"]]
    best = max(keys, key=lambda k: tables["accuracy"][k]["mean"]) if keys else None
    srows = []
    for k in keys:
        acc = _pm(tables["accuracy"].get(k))
        srows.append([k[0], k[1], tables["accuracy"][k]["n"],
                      _Raw(f"<b>{_e(acc)}</b>" if k == best else _e(acc)),
                      _pm(tables["uar"].get(k)), _pm(tables["polarity"].get(k))])
    chance = 1 / len(classes) if classes else None
    body = _table(["mode", "features", "seeds", "accuracy", "UAR", "polarity accuracy"], srows,
                  numeric_from=2)
    body += ('<p class="note">Mean \u00b1 standard deviation over seeds, '
             f"{_e(UNSUPERVISED_LABEL)}; best accuracy in bold"
             + (f"; chance level {chance:.3f}" if chance else "") + ". Polarity accuracy: "
             "positive vs negative emotion of the predicted and the true class.</p>")
    sections.append(_section("compare-summary", "Summary over seeds", body))

    fig = compare_figure_for(data)
    sections.append(_section("compare-figure", "Comparison figure", _img(
        figure_data_uri(fig), "comparison of modes",
        "Bars: mean \u00b1 std over seeds; dots: individual seeds; dashed: chance level.")))

    if classes:
        prow = []
        for m, f in keys:
            vals = {c: [] for c in classes}
            for r in runs:
                if (str(r["mode"]), str(r["features"])) == (m, f):
                    for c, v in (r.get("per_class_accuracy") or {}).items():
                        if v is not None and c in vals:
                            vals[c].append(float(v))
            prow.append([m, f] + [float(np.mean(vals[c])) if vals[c] else None for c in classes])
        sections.append(_section("compare-per-class", "Per-class accuracy (mean over seeds)",
                                 _table(["mode", "features"] + classes, prow, numeric_from=2)))

    rob = [r for r in data.get("robustness") or [] if r.get("accuracy") is not None]
    if rob:
        tab = summaries.robustness_table(rob, modes=modes)
        series = tab["series"]
        header = ["condition", "level"] + [f"{m} ({f})" for m, f in series]
        rrows = []
        for cond, lv in tab["slots"]:
            name = summaries.condition_label(cond, None, wrap=False)
            rrows.append([name, summaries.level_label(cond, lv)]
                         + [_pm(tab["values"].get((s, (cond, lv)))) for s in series])
        body = _table(header, rrows, numeric_from=2)
        body += ('<p class="note">Accuracy (mean \u00b1 std over seeds) of the trained networks '
                 "tested with degraded input: vision missing, incongruent (a face of another "
                 "emotion), event noise (events per pixel-second) or audio noise (SNR, dB).</p>")
    else:
        body = '<p class="note">No robustness conditions in this comparison.</p>'
    sections.append(_section("compare-robustness", "Robustness", body))

    energy = data.get("energy") or []
    if energy:
        erows = []
        for e in energy:
            snn, ann = e.get("snn_energy_uj"), e.get("ann_energy_uj")
            ratio = f"{ann / snn:.3g}" if snn and ann is not None else "n/a"
            erows.append([e.get("mode"), e.get("features"), _sci(e.get("synaptic_ops_per_sample")),
                          _sci(snn), _sci(e.get("ann_macs")), _sci(ann), ratio])
        body = _table(["mode", "features", "synaptic operations per sample",
                       "SNN energy per sample (\u00b5J)", "ANN MACs per sample",
                       "ANN energy per sample (\u00b5J)", "ANN / SNN energy"], erows, numeric_from=2)
        body += ('<p class="note">Estimates from operation counts, as recorded in compare.json '
                 "(not measured on hardware).</p>")
    else:
        body = '<p class="note">No energy estimates in this comparison.</p>'
    sections.append(_section("compare-energy", "Energy estimates", body))

    run_rows = [[r.get("mode"), r.get("features"), r.get("seed"), r.get("accuracy"), r.get("uar"),
                 r.get("polarity_accuracy"), r.get("run_dir", "")] for r in runs]
    sections.append(_section("compare-runs", "Individual runs", (
        f"<details><summary>{len(runs)} runs</summary>"
        + _table(["mode", "features", "seed", "accuracy", "UAR", "polarity accuracy", "run record"],
                 run_rows, numeric_from=2)
        + "</details>")))
    return sections


def _raster_section(recordings, note: str | None, images: list[Path]) -> str | None:
    """Body of the rasters section: recorded samples (correct and wrong), a note, given images."""
    parts = [f'<p class="note">{_e(note)}</p>'] if note else []
    if recordings:
        n_ok = sum(bool(ok) for _, ok in recordings)
        parts.insert(0, f"<p>{n_ok} correctly and {len(recordings) - n_ok} wrongly classified test "
                        "samples, presented again to the frozen model with the random stream of "
                        "the test (so with the same spikes). Excitatory spikes take the colour of "
                        "the neuron's assigned emotion; presentation and rest are shaded.</p>")
        for k, (rec, ok) in enumerate(recordings):
            kind = "correctly classified" if ok else "MISCLASSIFIED"
            parts.insert(1 + k, _img(figure_data_uri(raster_figure_for(rec)),
                                     f"raster {rec['sample_id']}", f"{kind}: {raster_title(rec)}"))
    parts += [_img(_data_uri(p.read_bytes(), _MIME[p.suffix.lower()]), p.name, p.name)
              for p in images]
    return "\n".join(parts) if parts else None


def write_report(run_dir: str | Path, model_dir: str | Path | None = None, *,
                 recordings=(), raster_note: str | None = None,
                 raster_images: Iterable[str | Path] = ()) -> Path:
    """Write ``<run_dir>/report.html`` (atomically) and return its path.

    Draws what it is given; it never runs the network (``stdp-emo report --rasters N``
    records the samples first, with :func:`stdp_emo.frozen.record_rasters`).

    Parameters
    ----------
    run_dir : path
        A run record (needs ``metrics.json``; ``config.toml``, ``split.json``,
        ``predictions.json``, ``model.json`` and ``log.txt`` are used when
        present), or a compare run directory (``compare.json``), or both.
    model_dir : path, optional
        Model whose receptive fields are shown; default the one named by
        ``run_dir/model.json`` (or ``metrics.json["model_dir"]``), if it exists.
    recordings : sequence of (dict, bool)
        Recorded test samples (:meth:`stdp_emo.model.TrainedModel.record`) and whether
        each was classified correctly: their spike rasters are drawn.
    raster_note : str, optional
        A line shown in the rasters section (e.g. why a sample could not be recorded).
    raster_images : paths of PNG (or SVG/JPEG) images
        Spike raster figures to embed as they are.

    Raises
    ------
    DataError
        Missing run directory, metrics.json (and no compare.json), malformed
        compare.json, an explicit ``model_dir`` that is not a model, or a
        missing raster image.
    """
    run_dir = Path(run_dir)
    recordings = list(recordings)
    compare = load_compare(run_dir) if (run_dir / "compare.json").is_file() else None
    metrics = load_metrics(run_dir) if compare is None or (run_dir / "metrics.json").is_file() else None
    cfg_path = run_dir / "config.toml"
    config_text = cfg_path.read_text(encoding="utf-8", errors="replace") if cfg_path.is_file() else None
    explicit = model_dir is not None
    if explicit:
        as_model(model_dir)                        # fail early, before drawing anything
    raster_paths = [Path(p) for p in raster_images]
    for p in raster_paths:
        if not p.is_file():
            raise DataError(f"{p}: raster image not found")
        if p.suffix.lower() not in _MIME:
            raise DataError(f"{p}: unsupported image type (use .png, .svg or .jpg)")

    sections = []
    if config_text or metrics is not None:
        sections.append(_section("config", "Config", f"<pre>{_e(config_text)}</pre>" if config_text
                                 else '<p class="note">config.toml not found.</p>'))
    if metrics is not None:
        sections += _run_sections(run_dir, metrics, model_dir if explicit else None,
                                  _raster_section(recordings, raster_note, raster_paths))
    elif raster_paths or recordings:
        sections.append(_section("rasters", "Spike rasters",
                                 _raster_section(recordings, raster_note, raster_paths)))
    if compare is not None:
        sections += _compare_sections(compare)
    log_path = run_dir / "log.txt"
    if log_path.is_file():
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        sections.append(_section("log", "Log", f"<details><summary>log.txt (last {min(len(lines), 60)} "
                                 f"of {len(lines)} lines)</summary><pre>{_e(chr(10).join(lines[-60:]))}"
                                 "</pre></details>"))

    title = f"stdp_emo {'comparison' if metrics is None else 'run'} {run_dir.name}"
    doc = "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{_e(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="note">Run directory: <code>{_e(run_dir.resolve())}</code></p>',
        *sections, "</body>", "</html>", ""])
    return write_text(run_dir / "report.html", doc)


def _run_sections(run_dir: Path, metrics: dict, model_dir: Path | None,
                  rasters: str | None) -> list[str]:
    """Sections of an ordinary train/evaluate run record (``model_dir`` given = explicit)."""
    import matplotlib.pyplot as plt

    classes = run_classes(metrics)
    split = read_json(run_dir / "split.json", required=False)
    predictions = read_json(run_dir / "predictions.json", required=False)
    sections = [_section("protocol", "Protocol", _protocol(metrics, split))]
    summary, per_class_table = _metrics_tables(metrics, classes)
    sections.append(_section("metrics", "Metrics", summary))
    u = metrics["unsupervised"]
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

    explicit = model_dir is not None
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
            cross = cross_weight_figure_for(mdir)
            if cross is not None:
                rf += ("<p>Visual -> audio (cross-modal) weights: mean per pair of window "
                       "positions, and per emotion of the audio neurons as a map over the "
                       "face.</p>" + _img(figure_data_uri(cross), "visual to audio weights"))
    sections.append(_section("receptive-fields", "Receptive fields", rf))

    if rasters:
        sections.append(_section("rasters", "Spike rasters", rasters))

    timings = _timings(metrics)
    if timings:
        sections.append(_section("timings", "Timings", timings))
    return sections
