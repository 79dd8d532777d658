"""Benchmark: the paper's comparison on real RAVDESS audio + real facial action units, or faces.

``--visual-source au`` (real facial action units, OpenFace clip means, from
``../shared/data/ravdess_au``, paired by trial with the audio of ``../shared/data/ravdess``);
``--visual-source dvs-au-faces``: faces rendered from the same real action units
(video -> face crop -> event camera -> visual network), made once by
``stdp-emo synth faces --audio-root ../shared/data/ravdess --au-csv
../shared/data/ravdess_au/openface_au_clip_means.csv --out datasets/ravdess_au_faces``;
``--visual-source dvs`` (default) uses SIMULATED faces:

Runs ``stdp_emo.compare`` (audio-only, visual-only, early fusion, cross-modal;
same split, several training seeds) on a RAVDESS-layout folder that pairs the
real speech audio of ``../shared/data/ravdess`` (actors 01-20) with rendered,
simulated faces, made once by::

    stdp-emo synth faces --audio-root ../shared/data/ravdess --out datasets/ravdess_av

and prints / writes as JSON the accuracy of every mode (mean and spread over
seeds, per seed), the paper's figures next to them, and whether the issue's
target ordering holds: cross-modal > early fusion > audio-only by at least
2 points each, in the mean and in every seed.  The faces are simulated: a
result on them says nothing about real faces.

Usage::

    python benchmarks/crossmodal.py --visual-source au [--seeds 0 1] [--split speaker]
        [--validation] [--modes audio crossmodal ...]
    python benchmarks/crossmodal.py --visual-source dvs-au-faces --config configs/dvs_faces.toml
        [--seeds 0 1] [--split speaker] [--validation] [--modes early_fusion ...]
        (dvs_faces.toml: the early-fusion visual fan-in chosen for the event-camera inputs)
    python benchmarks/crossmodal.py [--root datasets/ravdess_av] [--features mfcc]
        [--seeds 0 1 2] [--split random|speaker] [--max-per-class N] [--epochs N]
        [--robustness] [--out FILE.json]
    python benchmarks/crossmodal.py --from-compare RUN_DIR [RUN_DIR ...]
        (summary of finished compare runs of the same split, e.g. one per group of seeds)
    python benchmarks/crossmodal.py --robustness-of runs/ravdess/<stamp>_compare [--seeds 0]
        (robustness of the models of a finished run, added to its compare.json / .md)
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from _common import REPO, apply_overrides, machine_info, write_result
from stdp_emo.config import FEATURE_KINDS, MODES

DEFAULT_ROOT = REPO / "datasets" / "ravdess_av"
AU_FACES_ROOT = REPO / "datasets" / "ravdess_au_faces"
REAL_ROOT = REPO.parent / "shared" / "data" / "ravdess"
#: --visual-source -> (default root, what the vision is, result-file tag)
SOURCES = {
    "dvs": (DEFAULT_ROOT, "SIMULATED rendered faces", ""),
    "au": (REAL_ROOT, "real facial action units (OpenFace, clip means)", "au_"),
    "dvs-au-faces": (AU_FACES_ROOT, "faces rendered from real action units (OpenFace clip "
                                    "means; the pixels are simulated)", "aufaces_"),
}
PAPER = {"audio": 0.803, "early_fusion": 0.813, "crossmodal": 0.836}   # MBY19, RAVDESS, MFCC
MARGIN = 0.02
ORDER = ("crossmodal", "early_fusion", "audio")


def ordering(per_mode_seed: dict[str, dict[int, float]], means: dict[str, float]) -> dict:
    """Does cross-modal > early fusion > audio-only hold by ``MARGIN``, in the mean and per seed?

    Also reports cross-modal against audio-only directly, and against late fusion (the
    audio-only and visual-only networks voting together) when that row exists.

    Parameters
    ----------
    per_mode_seed : dict
        mode -> {seed: accuracy}.
    means : dict
        mode -> mean accuracy.
    """
    out = {}
    for hi, lo in list(zip(ORDER[:-1], ORDER[1:])) + [(ORDER[0], ORDER[-1]),
                                                      (ORDER[0], "late_fusion")]:
        if hi not in means or lo not in means:
            continue
        seeds = sorted(set(per_mode_seed[hi]) & set(per_mode_seed[lo]))
        diffs = {s: per_mode_seed[hi][s] - per_mode_seed[lo][s] for s in seeds}
        out[f"{hi}>{lo}"] = {"mean_difference": means[hi] - means[lo],
                             "per_seed_difference": diffs,
                             "holds_in_mean": means[hi] - means[lo] >= MARGIN,
                             "holds_in_every_seed": all(d >= MARGIN for d in diffs.values())}
    return out


def vote_layer_means(runs: list[dict]) -> dict:
    """Mode -> voting layers -> {mean, per_seed}: the unsupervised accuracy when each layer
    alone, or every layer (``all``), is labelled and votes (multimodal runs only)."""
    out = {}
    for r in runs:
        for layers, acc in (r.get("accuracy_by_vote_layers") or {}).items():
            out.setdefault(r["mode"], {}).setdefault(layers, {})[r["seed"]] = acc
    return {mode: {layers: {"mean": sum(v.values()) / len(v), "per_seed": v}
                   for layers, v in by.items()} for mode, by in out.items()}


def summary(runs: list[dict], res: dict, *, compare_run_dirs: list[str], data: str | None,
            wall_s: float | None = None, robustness=None) -> dict:
    """The benchmark's result from compare runs (``runs``: compare.json run entries)."""
    from stdp_emo.compare import energy_rows, summarise

    per = {}
    for r in runs:
        per.setdefault(r["mode"], {})[r["seed"]] = r["accuracy"]
    rows = summarise(runs)
    means = {row["mode"]: row["accuracy_mean"] for row in rows}
    return {
        "benchmark": "crossmodal", "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine_info(), "data": data,
        "n_train": res.get("n_train"), "n_test": res.get("n_test"),
        "protocol": {**res["protocol"], "seeds": sorted({r["seed"] for r in runs})},
        "accuracy": {row["mode"]: {"mean": row["accuracy_mean"], "std": row["accuracy_std"],
                                   "n_seeds": row["n_seeds"],
                                   "per_seed": per.get(row["mode"], {}),
                                   "uar_mean": row["uar_mean"],
                                   "polarity_mean": row["polarity_mean"]}
                     for row in rows},
        "linear_readout_supervised": {f"{r['mode']}_s{r['seed']}": r.get("linear_readout_supervised")
                                      for r in runs},
        "accuracy_by_vote_layers": vote_layer_means(runs),
        "paper_accuracy_real_faces": PAPER,
        "target_ordering": ordering(per, means),
        "robustness_summary": res.get("robustness_summary") if robustness is None else robustness,
        "energy": energy_rows(runs),
        "wall_s": wall_s, "compare_run_dirs": compare_run_dirs,
    }


def au_svm_baselines(cfg) -> dict:
    """SUPERVISED RBF-SVMs on the same split: on the 35 action-unit columns, and on the AUs
    together with the MFCC mean/std statistics."""
    import numpy as np

    from stdp_emo.baselines import egemaps, svm_baseline
    from stdp_emo.datasets import action_units as au
    from stdp_emo.datasets import load_dataset
    from stdp_emo.evaluation import svm_on_vectors
    from stdp_emo.features.audio import extract_dataset, frame_statistics
    from stdp_emo.preparation import experiment_split

    ds = load_dataset("ravdess", cfg.data.root)
    tr, te = experiment_split(ds, cfg.data)
    values, ok = au.load(au.default_path(cfg.data.root)).pair(c.id for c in ds.clips)
    tr, te = tr[ok[tr]], te[ok[te]]
    y = ds.labels
    # the reference on MFCC statistics, whatever the network's audio features
    feats, n_valid, _ = extract_dataset(ds, dataclasses.replace(cfg.audio, kind="mfcc"),
                                        progress=False)
    stats = frame_statistics(feats, n_valid)
    both = np.concatenate([values, stats], 1)
    seed = cfg.train.seed
    gemaps, _ = egemaps(ds)                      # the default audio features, functionals
    both_g = np.concatenate([values, gemaps], 1)
    return {"svm_au_supervised": svm_on_vectors(values[tr], y[tr], values[te], y[te], seed),
            "svm_au_mfcc_stats_supervised": svm_on_vectors(both[tr], y[tr], both[te], y[te], seed),
            "svm_mfcc_stats_supervised": svm_baseline(feats[tr], y[tr], feats[te], y[te],
                                                      n_valid[tr], n_valid[te], seed),
            "svm_egemaps_supervised": svm_on_vectors(gemaps[tr], y[tr], gemaps[te], y[te], seed),
            "svm_au_egemaps_supervised": svm_on_vectors(both_g[tr], y[tr], both_g[te], y[te],
                                                        seed)}


def _au_faces(root: Path) -> bool:
    """Does ``root``'s README say its faces were rendered from real action units?"""
    from stdp_emo.datasets.ravdess import AU_FACES_MARK

    try:
        return AU_FACES_MARK in (root / "README.md").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=None,
                    help=f"RAVDESS-layout folder (default {DEFAULT_ROOT} for faces, "
                    f"{REAL_ROOT} for action units)")
    ap.add_argument("--visual-source", choices=list(SOURCES), default="dvs",
                    help="au: real facial action units beside the real audio; dvs: rendered "
                    "prototype faces; dvs-au-faces: faces rendered from the real action units")
    ap.add_argument("--modes", nargs="+", default=None,
                    choices=MODES)
    ap.add_argument("--validation", action="store_true",
                    help="evaluate on the validation part of the training split (tuning)")
    ap.add_argument("--features", default=None, choices=FEATURE_KINDS,
                    help="audio feature kind (default: the config's, eGeMAPS for the default)")
    ap.add_argument("--config", type=Path, default=None, help="base config (default: the defaults)")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="override a config value (TOML literal), e.g. network.visual_lead_ms=10.0")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--split", choices=["random", "speaker"], default="random")
    ap.add_argument("--max-per-class", type=int, default=0,
                    help="use at most N clips per emotion (0 = all)")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--robustness", action="store_true",
                    help="also evaluate degraded inputs (missing / noisy / incongruent vision, audio noise)")
    ap.add_argument("--robustness-of", type=Path, default=None, metavar="COMPARE_RUN_DIR",
                    help="only evaluate the robustness of the models of a finished compare run "
                         "(training seeds --seeds)")
    ap.add_argument("--robustness-modes", nargs="+", default=None,
                    choices=[*MODES, "late_fusion"])
    ap.add_argument("--noise-rates", type=float, nargs="+", default=None,
                    help="vision noise levels, Hz per pixel and polarity (default 1 5 20)")
    ap.add_argument("--snrs", type=float, nargs="+", default=None,
                    help="audio noise levels, dB SNR (default 20 10 0)")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--from-compare", type=Path, nargs="+", default=None, metavar="COMPARE_RUN_DIR",
                    help="train nothing: summarise finished compare runs of the same split "
                         "(e.g. one per group of seeds)")
    args = ap.parse_args(argv)
    from stdp_emo import config as C
    from stdp_emo.errors import ConfigError

    try:
        base = apply_overrides(C.load(args.config) if args.config else C.ExperimentConfig(),
                               args.set)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    args.features = args.features or base.audio.kind
    if args.from_compare:
        from stdp_emo.records import load_compare

        parts = [load_compare(d) for d in args.from_compare]
        splits = {json.dumps({k: p["protocol"].get(k) for k in ("split", "split_seed",
                                                                   "test_fraction")}) for p in parts}
        if len(splits) > 1 or len({(p.get("n_train"), p.get("n_test")) for p in parts}) > 1:
            print("error: the compare runs use different splits", file=sys.stderr)
            return 2
        runs = list({(r["mode"], r["features"], r["seed"]): r for p in parts for r in p["runs"]
                     if r["features"] in (args.features, "dvs", "au")}.values())
        result = summary(runs, parts[0], compare_run_dirs=[str(d) for d in args.from_compare],
                         data=parts[0].get("description"),
                         robustness=[r for p in parts for r in p.get("robustness_summary") or []])
        print(json.dumps(result, indent=2, default=str))
        write_result(result, f"crossmodal_{args.features}_{args.split}.json", args.out)
        return 0
    if args.robustness_of is not None:
        from stdp_emo.compare import add_robustness

        t0 = time.perf_counter()
        res = add_robustness(args.robustness_of, seeds=args.seeds, modes=args.robustness_modes,
                             progress=not args.quiet, noise_rates=args.noise_rates,
                             snrs=args.snrs)
        out = {"benchmark": "crossmodal_robustness", "when": time.strftime("%Y-%m-%d %H:%M:%S"),
               "machine": machine_info(), "compare_run_dir": str(args.robustness_of),
               "data": res.get("description"), "seeds": args.seeds,
               "robustness_summary": res["robustness_summary"],
               "clean_accuracy": {row["mode"]: row["accuracy_mean"] for row in res["summary"]},
               "wall_s": time.perf_counter() - t0}
        print(json.dumps(out, indent=2))
        write_result(out, f"crossmodal_robustness_{args.robustness_of.name}.json", args.out)
        return 0
    if args.root is None:
        args.root = SOURCES[args.visual_source][0]
    if args.visual_source == "au":
        from stdp_emo.datasets.action_units import default_path

        if not default_path(args.root).is_file():
            print(f"{default_path(args.root)}: no facial action units beside {args.root}",
                  file=sys.stderr)
            return 2
    elif not args.root.is_dir() or not any(args.root.glob("Actor_*/02-*.mp4")):
        au_csv = (" --au-csv ../shared/data/ravdess_au/openface_au_clip_means.csv"
                  if args.visual_source == "dvs-au-faces" else "")
        print(f"{args.root}: no RAVDESS-layout face videos; make them with "
              f"'stdp-emo synth faces --audio-root ../shared/data/ravdess{au_csv} "
              f"--out {args.root}'", file=sys.stderr)
        return 2
    elif args.visual_source == "dvs-au-faces" and not _au_faces(args.root):
        print(f"{args.root}: its README does not say the faces were rendered from real "
              "action units (made by 'stdp-emo synth faces --au-csv ...')", file=sys.stderr)
        return 2

    from stdp_emo.compare import compare

    cfg = base.replace(data={"dataset": "ravdess", "root": str(args.root), "split": args.split,
                            "max_per_class": args.max_per_class,
                            "holdout": "validation" if args.validation else "test"},
                      visual={"source": "au" if args.visual_source == "au" else "dvs"},
                      train={} if args.epochs is None else {"epochs": args.epochs})
    t0 = time.perf_counter()
    res = compare(cfg, modes=tuple(args.modes or MODES), features=(args.features,),
                  seeds=tuple(args.seeds), robustness=args.robustness, progress=not args.quiet)
    data = f"{args.root}: real RAVDESS speech audio + {SOURCES[args.visual_source][1]}"
    result = summary(res["runs"], res, wall_s=time.perf_counter() - t0,
                     compare_run_dirs=[str(res["run_dir"])], data=data)
    result["holdout"] = cfg.data.holdout
    result["visual_source"] = args.visual_source
    result["overrides"] = args.set
    result["config"] = str(args.config) if args.config else "defaults"
    if args.visual_source == "au":
        result["svm_supervised"] = au_svm_baselines(cfg)
    print(json.dumps(result, indent=2, default=str))
    tag = SOURCES[args.visual_source][2]
    hold = "_validation" if args.validation else ""
    write_result(result, f"crossmodal_{tag}{args.features}_{args.split}{hold}.json", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
