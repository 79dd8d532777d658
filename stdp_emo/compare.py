"""The paper's comparison: audio-only, visual-only, early fusion and cross-modal.

:func:`compare` trains and evaluates every mode on the same split, for each
audio feature kind and several seeds (the training seed: weights, sample
order, spikes; the split stays the config's), then evaluates the trained
multimodal and audio-only models under degraded inputs
(:mod:`stdp_emo.robustness`).  Everything lands in one run record
``runs/<dataset>/<stamp>_compare/``:

``compare.json``  every run (accuracy, UAR, polarity, per-class accuracy,
                  confusion, energy), the summary over seeds, robustness
``compare.md``    the paper-style tables (Markdown)
``compare.csv``   one row per run
``runs/``, ``models/``  the individual runs and trained models

:func:`summarise` and :func:`markdown_tables` work on plain dicts, so the
tables can be rebuilt from stored metrics.
"""
from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import numpy as np

from .config import FEATURE_KINDS, MODES, ExperimentConfig, to_toml
from .errors import ConfigError
from .records import RunRecord

log = logging.getLogger("stdp_emo.compare")

MODE_NAMES = {"audio": "audio-only", "visual": "visual-only", "early_fusion": "early fusion",
              "crossmodal": "cross-modal", "late_fusion": "late fusion"}
LATE_FUSION = "late_fusion"
"""Row derived, not trained: the audio-only and visual-only networks of a seed voting together
(:mod:`stdp_emo.late_fusion`), the control for what the cross-modal synapses add."""


def run_entry(mode: str, features: str, seed: int, metrics: dict, run_dir, model_dir) -> dict:
    """One row of ``compare.json["runs"]`` from a run's metrics.json content."""
    u = metrics["unsupervised"]
    classes = list(u["per_class_accuracy"])
    return {"mode": mode, "features": features, "seed": int(seed),
            "accuracy": u["accuracy"], "uar": u["uar"],
            "polarity_accuracy": (u.get("polarity") or {}).get("accuracy"),
            "accuracy_by_vote_layers": u.get("accuracy_by_vote_layers"),
            "per_class_accuracy": u["per_class_accuracy"], "confusion": u.get("confusion"),
            "classes": classes,
            "linear_readout_supervised": (metrics.get("linear_readout_supervised") or {}).get("accuracy"),
            "energy": metrics.get("energy"),
            "seconds_per_sample": metrics.get("seconds_per_sample"),
            "run_dir": str(run_dir), "model_dir": str(model_dir)}


def late_fusion_pair(runs: list[dict], features: str, seed: int) -> tuple:
    """The audio-only run (of ``features``) and the visual-only run of ``seed`` (None if absent)."""
    audio = next((r for r in runs if (r["mode"], r["features"], r["seed"])
                  == ("audio", features, seed)), None)
    visual = next((r for r in runs if (r["mode"], r["seed"]) == ("visual", seed)), None)
    return audio, visual


def _late_fusion_counts(degraded: dict, mode: str, run_dir) -> dict | None:
    """Where a run's degraded test counts are kept for late fusion (audio-only and
    visual-only runs; None for the others, whose counts late fusion never reads)."""
    return degraded.setdefault(str(run_dir), {}) if mode in ("audio", "visual") else None


def late_fusion_robustness_rows(entry: dict, runs: list[dict], degraded: dict, vote: str,
                                *, progress: bool = False, noise_rates=None,
                                snrs=None, layer_vote: str = "pooled") -> list[dict]:
    """Robustness rows of one :data:`LATE_FUSION` entry.

    ``degraded`` maps a run's ``run_dir`` to its test-layer counts per condition
    (``robustness_of_model(test_counts=...)``); a run not there is evaluated now
    (the audio network under audio noise, the visual network under degraded vision).
    """
    from .late_fusion import late_fusion_robustness, read_counts
    from .robustness import AUDIO_CONDITIONS, VISION_CONDITIONS

    audio, visual = late_fusion_pair(runs, entry["features"], entry["seed"])
    per_run = []
    for run, conds in ((audio, AUDIO_CONDITIONS), (visual, VISION_CONDITIONS)):
        if run["run_dir"] not in degraded:
            degraded[run["run_dir"]] = {}
            robustness_of_model(run["model_dir"], run["mode"], run["features"], run["seed"],
                                progress=progress, noise_rates=noise_rates, snrs=snrs,
                                conditions=conds, test_counts=degraded[run["run_dir"]])
        per_run.append({c: v for c, v in degraded[run["run_dir"]].items() if c[0] in conds})
    acc = late_fusion_robustness([read_counts(audio["run_dir"]), read_counts(visual["run_dir"])],
                                 per_run, audio["classes"], vote, layer_vote)
    return [{"mode": LATE_FUSION, "features": entry["features"], "seed": int(entry["seed"]),
             "condition": c, "level": lv, "accuracy": a}
            for (c, lv), a in [(("clean", None), entry["accuracy"]), *acc.items()]]


def late_fusion_entry(runs: list[dict], features: str, seed: int, vote: str,
                      layer_vote: str = "pooled") -> dict | None:
    """The :data:`LATE_FUSION` row of one audio feature kind and seed, from the spike counts
    of that seed's audio-only and visual-only runs (None until both exist)."""
    from .late_fusion import late_fusion, read_counts

    audio, visual = late_fusion_pair(runs, features, seed)
    if audio is None or visual is None:
        return None
    m = late_fusion([read_counts(audio["run_dir"]), read_counts(visual["run_dir"])],
                    audio["classes"], vote, layer_vote)
    m["accuracy_by_vote_layers"] = {"audio": m["accuracy_by_part"][0],
                                    "visual": m["accuracy_by_part"][1], "all": m["accuracy"]}
    return {**run_entry(LATE_FUSION, features, seed, {"unsupervised": m}, "", ""),
            "from_runs": [audio["run_dir"], visual["run_dir"]]}


def _mean_std(values: list) -> tuple[float | None, float | None]:
    v = np.array([x for x in values if x is not None], dtype=float)
    if v.size == 0:
        return None, None
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def summarise(runs: list[dict]) -> list[dict]:
    """Mean and spread (sample standard deviation) over seeds per (mode, features).

    Parameters
    ----------
    runs : list of dict
        Entries with ``mode``, ``features``, ``seed``, ``accuracy``, ``uar``,
        ``polarity_accuracy`` (fractions).

    Returns
    -------
    list of dict, in the order of first appearance of (mode, features):
    ``mode``, ``features``, ``n_seeds``, ``accuracy_mean``/``_std``,
    ``uar_mean``/``_std``, ``polarity_mean``/``_std``.
    """
    groups: dict[tuple, list] = {}
    for r in runs:
        groups.setdefault((r["mode"], r["features"]), []).append(r)
    out = []
    for (mode, feat), rs in groups.items():
        row = {"mode": mode, "features": feat, "n_seeds": len(rs)}
        for key, name in (("accuracy", "accuracy"), ("uar", "uar"), ("polarity_accuracy", "polarity")):
            row[f"{name}_mean"], row[f"{name}_std"] = _mean_std([r.get(key) for r in rs])
        out.append(row)
    return out


def summarise_robustness(rows: list[dict]) -> list[dict]:
    """Mean and spread over seeds per (mode, features, condition, level)."""
    groups: dict[tuple, list] = {}
    for r in rows:
        groups.setdefault((r["mode"], r["features"], r["condition"], r["level"]), []).append(r)
    return [{"mode": m, "features": f, "condition": c, "level": lv, "n_seeds": len(rs),
             **dict(zip(("accuracy_mean", "accuracy_std"), _mean_std([r["accuracy"] for r in rs])))}
            for (m, f, c, lv), rs in groups.items()]


def _pct(mean, std) -> str:
    if mean is None:
        return "-"
    return f"{100 * mean:.1f} ± {100 * std:.1f}"


def _md(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown_tables(result: dict) -> str:
    """The paper-style tables of a ``compare.json`` dict, as Markdown.

    Table 1 (MBY19 Table I style): features x dataset, audio-only and
    cross-modal accuracy.  Table 2: every mode per feature kind.  Then
    polarity, robustness and energy when present.  Accuracies in %, mean ±
    standard deviation over seeds.
    """
    summ = {(s["mode"], s["features"]): s for s in result["summary"]}
    feats = [f for f in result["protocol"]["features"]]
    ds = result.get("dataset", "?")
    out = [f"# Comparison on {ds} ({result.get('description', '')})", "",
           f"Split: {result['protocol']['split']} (test fraction {result['protocol']['test_fraction']}, "
           f"split seed {result['protocol'].get('split_seed')}); training seeds "
           f"{result['protocol']['seeds']}; accuracy in %, mean ± sd over seeds.", ""]

    n_planned = len(result["protocol"]["seeds"])

    def cell(mode, feat, key="accuracy"):
        s = summ.get((mode, feat))
        if not s:
            return "-"
        if s.get("n_seeds", n_planned) < 2:
            return f"{100 * s[f'{key}_mean']:.1f} (1 seed)" if s[f"{key}_mean"] is not None else "-"
        text = _pct(s[f"{key}_mean"], s[f"{key}_std"])
        return text if s["n_seeds"] >= n_planned else f"{text} ({s['n_seeds']} seeds)"

    vis_feat = next((f for (m, f) in summ if m == "visual"), None)
    out += ["## Audio-only and cross-modal (paper Table I layout)", "",
            _md(["features", f"{ds} audio-only", f"{ds} cross-modal"],
                [[f.upper(), cell("audio", f), cell("crossmodal", f)] for f in feats]), ""]
    modes = list(result["protocol"]["modes"])
    if any(m == LATE_FUSION for m, _ in summ):
        modes.append(LATE_FUSION)
    out += ["## All modes", "",
            _md(["features"] + [MODE_NAMES.get(m, m) for m in modes],
                [[f.upper()] + [cell(m, vis_feat if m == "visual" else f) for m in modes]
                 for f in feats]), ""]
    out += ["## Polarity (positive / negative, from the class predictions)", "",
            _md(["features"] + [MODE_NAMES.get(m, m) for m in modes],
                [[f.upper()] + [cell(m, vis_feat if m == "visual" else f, "polarity")
                                for m in modes] for f in feats]), ""]
    rob = result.get("robustness_summary") or []
    if rob:
        conds = list(dict.fromkeys((r["condition"], r["level"]) for r in rob))
        keys = list(dict.fromkeys((r["mode"], r["features"]) for r in rob))
        by = {(r["mode"], r["features"], r["condition"], r["level"]): r for r in rob}

        def name(c, lv):
            unit = {"vision_noise": " Hz", "audio_noise": " dB"}.get(c, "")
            return c if lv is None else f"{c} {lv:g}{unit}"

        rows = []
        for m, f in keys:
            rows.append([f"{MODE_NAMES.get(m, m)} ({f})"] + [
                _pct(by[(m, f, c, lv)]["accuracy_mean"], by[(m, f, c, lv)]["accuracy_std"])
                if (m, f, c, lv) in by else "n/a" for c, lv in conds])
        out += ["## Robustness (accuracy per test condition)", "",
                _md(["model"] + [name(c, lv) for c, lv in conds], rows), ""]
    energy = result.get("energy") or []
    if energy:
        out += ["## Energy per sample (synaptic events at 0.9 pJ vs a same-size ANN at 4.6 pJ/MAC)", "",
                _md(["model", "synaptic events", "SNN µJ", "ANN MACs", "ANN µJ"],
                    [[f"{MODE_NAMES.get(e['mode'], e['mode'])} ({e['features']})",
                      f"{e['synaptic_ops_per_sample']:.3g}", f"{e['snn_energy_uj']:.3g}",
                      f"{e['ann_macs']:.3g}", f"{e['ann_energy_uj']:.3g}"] for e in energy]), ""]
    return "\n".join(out)


def runs_csv(runs: list[dict]) -> str:
    """One CSV row per run (mode, features, seed, accuracy, uar, polarity, run_dir)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["mode", "features", "seed", "accuracy", "uar", "polarity_accuracy",
                "linear_readout_supervised", "run_dir"])
    for r in runs:
        w.writerow([r["mode"], r["features"], r["seed"], r["accuracy"], r["uar"],
                    r.get("polarity_accuracy"), r.get("linear_readout_supervised"), r["run_dir"]])
    return buf.getvalue()


def energy_rows(runs: list[dict]) -> list[dict]:
    """Energy per (mode, features), averaged over seeds."""
    groups: dict[tuple, list] = {}
    for r in runs:
        if r.get("energy"):
            groups.setdefault((r["mode"], r["features"]), []).append(r["energy"])
    return [{"mode": m, "features": f,
             **{k: float(np.mean([e[k] for e in es]))
                for k in ("synaptic_ops_per_sample", "snn_energy_uj", "ann_macs", "ann_energy_uj")}}
            for (m, f), es in groups.items()]


def robustness_of_model(model_dir, mode: str, features: str, seed: int, *, progress: bool = False,
                        noise_rates=None, snrs=None, conditions=None,
                        test_counts: dict | None = None) -> list[dict]:
    """Accuracy of a trained model under every condition that applies to its mode.

    ``conditions`` keeps only those condition names (default: all that apply);
    ``test_counts``, when given, receives ``(condition, level) -> {layer: test counts}``
    (for late fusion)."""
    from . import evaluation, robustness
    from .frozen import evaluate_frozen, fallback_class
    from .model import as_model
    from .preparation import prepare_for_model

    model = as_model(model_dir)
    cfg, prep = prepare_for_model(model, progress=progress)
    state, assignments = model.state, model.assignments
    classes = list(prep.dataset.classes)
    y = prep.dataset.labels[prep.test_idx]
    out = []
    kw = {}
    if noise_rates is not None:
        kw["noise_rates"] = noise_rates
    if snrs is not None:
        kw["snrs"] = snrs
    for condition, level in robustness.conditions_for(mode, visual_source=cfg.visual.source, **kw):
        if conditions is not None and condition not in conditions:
            continue
        inputs = robustness.degraded_inputs(prep, cfg, model.encoder, condition, level, seed)
        ev = evaluate_frozen(cfg, prep, state, assignments=assignments, inputs=inputs,
                             progress=progress)
        pred = evaluation.predict(ev["test"].counts, assignments, len(classes),
                                  fallback=fallback_class(prep), weights=model.vote_weights)
        acc = float(np.mean(pred == y)) if y.size else None
        if test_counts is not None:
            test_counts[(condition, level)] = ev["test"].layer_counts
        log.info("%s %s seed %d, %s %s: accuracy %.3f", mode, features, seed, condition,
                 level, acc)
        out.append({"mode": mode, "features": features, "seed": int(seed),
                    "condition": condition, "level": level, "accuracy": acc})
    return out


def compare(cfg: ExperimentConfig, *, modes=MODES, features=FEATURE_KINDS, seeds=(0, 1, 2),
            robustness: bool = True, progress: bool = True, runs_home: Path | None = None,
            noise_rates=None, snrs=None) -> dict:
    """Train and evaluate every mode x feature kind x seed on one split; write one record.

    Parameters
    ----------
    cfg : ExperimentConfig
        Base config (data, split, network...); ``train.modality``,
        ``train.seed`` and ``audio.kind`` are set per run.
    modes, features, seeds : sequences
        What to compare.  Visual-only does not use audio features: it is
        trained once per seed (features ``dvs``).
    robustness : bool
        Also evaluate every model under degraded inputs, and the late-fusion control
        (the audio-only and visual-only networks, each under its own degraded input).

    Returns
    -------
    dict
        The ``compare.json`` content plus ``run_dir``.
    """
    bad = [m for m in modes if m not in MODES]
    if bad:
        raise ConfigError(f"unknown mode(s) {bad} (one of {', '.join(MODES)})")
    bad = [f for f in features if f not in FEATURE_KINDS]
    if bad:
        raise ConfigError(f"unknown audio feature kind(s) {bad} (one of {', '.join(FEATURE_KINDS)})")
    from .training import train

    record = RunRecord(cfg.data.dataset, "compare", home=runs_home)
    try:
        record.write_text("config.toml", to_toml(cfg))
        runs, rob = [], []
        degraded: dict = {}         # run_dir -> test counts per condition (late fusion)
        dataset_info = {}
        jobs = []
        for seed in seeds:
            for mode in modes:
                kinds = [cfg.visual.source] if mode == "visual" else list(features)
                jobs += [(mode, kind, seed) for kind in kinds]
        for k, (mode, kind, seed) in enumerate(jobs):
            audio = {} if kind in ("dvs", "au") else {"kind": kind}
            c = cfg.replace(train={"modality": mode, "seed": int(seed)}, audio=audio)
            log.info("[%d/%d] training %s (%s), seed %d", k + 1, len(jobs), mode, kind, seed)
            out = train(c, tag=f"{mode}_{kind}_s{seed}", progress=progress,
                        runs_home=record.path / "runs", models_home=record.path / "models")
            m = out["metrics"]
            dataset_info = {"dataset": m["dataset"], "description": m["description"],
                            "n_train": m["n_train"], "n_test": m["n_test"]}
            runs.append(run_entry(mode, kind, seed, m, out["run_dir"], out["model_dir"]))
            log.info("%s (%s) seed %d: accuracy %.3f", mode, kind, seed,
                     m["unsupervised"]["accuracy"])
            if robustness:
                rob += robustness_of_model(
                    out["model_dir"], mode, kind, seed, progress=progress,
                    noise_rates=noise_rates, snrs=snrs,
                    test_counts=_late_fusion_counts(degraded, mode, out["run_dir"]))
            if mode in ("audio", "visual"):         # the late-fusion row once both exist
                for f in features if mode == "visual" else (kind,):
                    entry = late_fusion_entry(runs, f, seed, cfg.train.vote,
                                              cfg.train.layer_vote)
                    if entry is not None:
                        runs.append(entry)
                        log.info("late fusion (%s) seed %d: accuracy %.3f", f, seed,
                                 entry["accuracy"])
                        if robustness:
                            rob += late_fusion_robustness_rows(
                                entry, runs, degraded, cfg.train.vote, progress=progress,
                                noise_rates=noise_rates, snrs=snrs,
                                layer_vote=cfg.train.layer_vote)
            _write(record, cfg, modes, features, seeds, runs, rob, dataset_info)
        return dict(_write(record, cfg, modes, features, seeds, runs, rob, dataset_info),
                    run_dir=record.path)
    except BaseException as e:
        record.fail(e)
        raise
    finally:
        record.close()


def add_robustness(run_dir, seeds=None, *, modes=None, progress: bool = False, noise_rates=None,
                   snrs=None) -> dict:
    """Evaluate the robustness of the models of a finished compare run, afterwards.

    For a compare run made without robustness (or to add seeds): every model
    of the given training ``seeds`` (default all; of ``modes``, default every
    mode, late fusion included) that has no robustness rows yet is evaluated
    under the degraded conditions; ``compare.json/.md/.csv`` are rewritten.

    Returns
    -------
    dict
        The new ``compare.json`` content.
    """
    from .config import load as load_config
    from .records import load_compare, resolve_recorded

    run_dir = Path(run_dir)
    result = load_compare(run_dir)
    cfg = load_config(run_dir / "config.toml")
    proto = result["protocol"]
    rob = list(result.get("robustness") or [])
    done = {(r["mode"], r["features"], r["seed"]) for r in rob}
    runs = [{**r, "run_dir": str(resolve_recorded(r["run_dir"], run_dir)),
             "model_dir": str(resolve_recorded(r["model_dir"], run_dir))}
            if r["mode"] != LATE_FUSION else r for r in result["runs"]]
    degraded: dict = {}
    record = RunRecord.reopen(run_dir)
    try:
        # late fusion last: it reuses the counts of its audio and visual runs evaluated here
        for r in sorted(runs, key=lambda r: r["mode"] == LATE_FUSION):
            key = (r["mode"], r["features"], r["seed"])
            if (key in done or (seeds is not None and r["seed"] not in seeds)
                    or (modes is not None and r["mode"] not in modes)):
                continue
            log.info("robustness of %s (%s) seed %d", *key)
            if r["mode"] == LATE_FUSION:
                rob += late_fusion_robustness_rows(r, runs, degraded, cfg.train.vote,
                                                   progress=progress, noise_rates=noise_rates,
                                                   snrs=snrs, layer_vote=cfg.train.layer_vote)
            else:
                rob += robustness_of_model(r["model_dir"], r["mode"], r["features"], r["seed"],
                                           progress=progress, noise_rates=noise_rates, snrs=snrs,
                                           test_counts=_late_fusion_counts(degraded, r["mode"],
                                                                           r["run_dir"]))
            info = {k: result[k] for k in ("dataset", "description", "n_train", "n_test")
                    if k in result}
            result = _write(record, cfg, proto["modes"], proto["features"], proto["seeds"],
                            result["runs"], rob, info)
        return result
    except BaseException as e:
        record.fail(e)
        raise
    finally:
        record.close()


def _write(record: RunRecord, cfg, modes, features, seeds, runs, rob, dataset_info) -> dict:
    """Write compare.json/.md/.csv from what is done so far (atomically, every time)."""
    classes = next((r["classes"] for r in runs if r.get("classes")), [])
    result = {**dataset_info,
              "protocol": {"split": cfg.data.split, "test_fraction": cfg.data.test_fraction,
                           "split_seed": cfg.data.seed, "holdout": cfg.data.holdout,
                           "seeds": [int(s) for s in seeds], "features": list(features),
                           "modes": list(modes), "epochs": cfg.train.epochs,
                           "visual_lead_ms": cfg.network.visual_lead_ms},
              "classes": classes, "runs": runs, "summary": summarise(runs),
              "robustness": rob, "robustness_summary": summarise_robustness(rob),
              "energy": energy_rows(runs)}
    record.write_json("compare.json", result)
    record.write_text("compare.md", markdown_tables(result))
    record.write_text("compare.csv", runs_csv(runs))
    return result

