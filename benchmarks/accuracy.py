"""Accuracy on real RAVDESS speech: {paper config, default} x {random, speaker} x seeds.

For every config, split kind and seed (the seed draws both the split and the
network's weights and spikes) it trains and tests the network on
``../shared/data/ravdess`` (actors 01-20, never copied into the repository) and
scores, on the *same* split:

* the unsupervised network (labelled neurons, the config's vote; every vote is
  recorded as well), accuracy and UAR;
* the SUPERVISED logistic read-out of the same spike counts;
* a SUPERVISED RBF-SVM on MFCC means/stds and one on openSMILE eGeMAPS v02
  functionals (the field's standard reference, computed by openSMILE;
  skipped with a note when absent).

Prints a table (mean +- sd over seeds, per-seed values) and writes JSON to
``benchmarks/results/accuracy[_validation].json``.  ``--validation`` evaluates on a
validation part of each training split and never touches the test split (for
choosing); without it the test split is used, once per final config.

Targets (issue 12): unsupervised vote on the random split >= 70 %, speaker split
>= 50 %; a full RAVDESS audio run <= 10 min on 2 cores.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

from _common import REPO, apply_overrides, machine_info, write_result  # noqa: E402

DEFAULT_ROOT = REPO.parent / "shared" / "data" / "ravdess"


#: ``[network]`` keys that only shape the visual or multimodal parts of a network
MULTIMODAL_KEY_PREFIXES = ("fusion_", "cross_", "au_", "visual_")


def audio_configs(folder: Path = REPO / "configs") -> dict:
    """Config name -> file of every full-size audio design in ``folder``, and ``"default"``
    (no file): each ``*.toml`` whose ``[train] modality`` is audio (the default), that does
    not shrink the data (``[data] max_per_class``, as ``tiny.toml`` does for smoke runs)
    and that changes the audio network (not only ``[visual]`` or multimodal keys, as
    ``dvs_faces.toml``)."""
    import tomllib

    found = {"default": None}
    for path in sorted(folder.glob("*.toml")):
        d = tomllib.loads(path.read_text(encoding="utf-8"))
        audio_keys = [(section, key) for section, table in d.items() if section != "visual"
                      for key in table
                      if not (section == "network" and key.startswith(MULTIMODAL_KEY_PREFIXES))]
        if (d.get("train", {}).get("modality", "audio") == "audio" and audio_keys
                and "max_per_class" not in d.get("data", {})):
            found[path.stem] = path
    return found


CONFIGS = audio_configs()


def _summary(values: list) -> dict:
    v = [x for x in values if x is not None]
    if not v:
        return {"mean": None, "sd": None, "per_seed": values}
    return {"mean": float(np.mean(v)), "sd": float(np.std(v, ddof=1)) if len(v) > 1 else None,
            "per_seed": values}


def _fmt(s: dict) -> str:
    if s["mean"] is None:
        return "-"
    sd = f" ± {100 * s['sd']:.1f}" if s["sd"] is not None else ""
    per = " / ".join("-" if x is None else f"{100 * x:.1f}" for x in s["per_seed"])
    return f"{100 * s['mean']:.1f}{sd} ({per})"


def baselines(cfg, prep, seed: int, egemaps: bool) -> dict:
    """SUPERVISED SVMs on MFCC statistics and on eGeMAPS functionals, on ``prep``'s split.

    Under ``[audio] normalisation = "speaker"`` both feature sets are standardised per
    speaker first (:func:`stdp_emo.features.audio.speaker_normalise`), as the network's
    inputs are, so the baselines follow the same protocol.
    """
    from stdp_emo import baselines as bl
    from stdp_emo import evaluation
    from stdp_emo.errors import DataError
    from stdp_emo.features.audio import extract_dataset, speaker_normalise

    y = prep.dataset.labels
    tr, te = prep.train_idx, prep.test_idx
    classes = list(prep.dataset.classes)
    per_speaker = cfg.audio.normalisation == "speaker"
    feats, n_valid, _ = extract_dataset(prep.dataset, dataclasses.replace(cfg.audio, kind="mfcc"),
                                        progress=False)
    if per_speaker:
        feats = speaker_normalise(feats, n_valid, prep.dataset.actors)
    out = {"svm_mfcc_stats": bl.svm_baseline(feats[tr], y[tr], feats[te], y[te],
                                             n_valid[tr], n_valid[te], seed=seed, classes=classes)}
    if egemaps:
        try:
            x, _ = bl.egemaps(prep.dataset)
            if per_speaker:
                x = speaker_normalise(x[:, :, None], np.ones(len(x), dtype=np.int64),
                                      prep.dataset.actors)[:, :, 0]
            out["svm_egemaps"] = evaluation.svm_on_vectors(x[tr], y[tr], x[te], y[te], seed, classes)
        except DataError as e:
            print(f"note: {e}", file=sys.stderr)
    return out


def run_one(cfg_path, split: str, seed: int, args) -> dict:
    from stdp_emo import config as C
    from stdp_emo.preparation import prepare
    from stdp_emo.training import train

    cfg = apply_overrides(C.load(cfg_path) if cfg_path else C.ExperimentConfig(), args.set)
    cfg = cfg.replace(data={"dataset": "ravdess", "root": str(args.root), "split": split,
                            "seed": seed, "holdout": "validation" if args.validation else "test"},
                      train={"seed": seed, **({"epochs": args.epochs} if args.epochs else {})})
    t0 = time.perf_counter()
    out = train(cfg, tag=f"accuracy_{split}_s{seed}", progress=not args.quiet)
    wall = time.perf_counter() - t0
    m = out["metrics"]
    prep = prepare(cfg, progress=False)          # the same (seeded) split as the run's
    assert len(prep.test_idx) == m["n_test"]
    base = baselines(cfg, prep, seed, not args.no_egemaps)
    u = m["unsupervised"]
    return {"split": split, "seed": seed, "n_train": m["n_train"], "n_test": m["n_test"],
            "unsupervised": {"accuracy": u["accuracy"], "uar": u["uar"],
                             "accuracy_by_vote": u.get("accuracy_by_vote"), "vote": cfg.train.vote},
            "readout_supervised": {k: m["linear_readout_supervised"][k] for k in ("accuracy", "uar")},
            **{k: {"accuracy": v["accuracy"], "uar": v["uar"]} for k, v in base.items()},
            "wall_s": {"total_train_label_test": wall, **m["timings_s"]},
            "seconds_per_sample": m["seconds_per_sample"],
            "spikes_per_sample_test": m["testing"]["spikes_per_sample_mean"],
            "run_dir": str(out["run_dir"]), "model_dir": str(out["model_dir"])}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    ap.add_argument("--configs", nargs="+", default=["paper", "default"], choices=list(CONFIGS),
                    help="speaker_normalised: the default under the per-speaker normalisation "
                    "protocol (uses the test speakers' unlabelled audio)")
    ap.add_argument("--splits", nargs="+", default=["random", "speaker"], choices=["random", "speaker"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=None, help="override the configs' epochs")
    ap.add_argument("--validation", action="store_true",
                    help="evaluate on a validation part of each training split (tuning)")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="override a config value of every config (TOML literal), "
                    "e.g. train.eval_workers=1")
    ap.add_argument("--no-egemaps", action="store_true", help="skip the eGeMAPS SVM")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if not args.root.is_dir():
        print(f"RAVDESS not found at {args.root}; pass --root", file=sys.stderr)
        return 2
    from stdp_emo import config as C
    from stdp_emo.errors import ConfigError

    try:                                         # refuse a bad --set before any training
        for c in args.configs:
            apply_overrides(C.load(CONFIGS[c]) if CONFIGS[c] else C.ExperimentConfig(), args.set)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    result = {"benchmark": "accuracy", "when": time.strftime("%Y-%m-%d %H:%M:%S"),
              "machine": machine_info(), "root": str(args.root),
              "holdout": "validation" if args.validation else "test",
              "overrides": list(args.set), "epochs_override": args.epochs,
              "paper_mfcc_audio_only_accuracy": 0.803, "runs": [], "table": {}}
    name = f"accuracy{'_validation' if args.validation else ''}.json"
    for c in args.configs:
        for split in args.splits:
            runs = []
            for seed in args.seeds:
                r = run_one(CONFIGS[c], split, seed, args)
                r["config"] = c
                runs.append(r)
                result["runs"].append(r)
                print(f"{c} {split} seed {seed}: unsupervised {r['unsupervised']['accuracy']:.3f}, "
                      f"read-out {r['readout_supervised']['accuracy']:.3f}, "
                      f"SVM MFCC {r['svm_mfcc_stats']['accuracy']:.3f}, "
                      f"eGeMAPS {r.get('svm_egemaps', {}).get('accuracy', float('nan')):.3f}, "
                      f"{r['wall_s']['total_train_label_test']:.0f} s", flush=True)
                write_result(result, name, args.out)   # partial results survive a stop
            row = {k: _summary([r.get(k, {}).get("accuracy") for r in runs])
                   for k in ("unsupervised", "readout_supervised", "svm_mfcc_stats", "svm_egemaps")}
            row["unsupervised_uar"] = _summary([r["unsupervised"]["uar"] for r in runs])
            row["wall_s"] = _summary([r["wall_s"]["total_train_label_test"] for r in runs])
            result["table"][f"{c}/{split}"] = row
    write_result(result, name, args.out)
    print(f"\nRAVDESS speech, actors 01-20, {result['holdout']} data; mean ± sd (per seed {args.seeds}), %")
    print("| config | split | unsupervised acc | UAR | read-out (SUPERVISED) | SVM MFCC (SUPERVISED) "
          "| SVM eGeMAPS (SUPERVISED) | wall s |")
    print("|---|---|---|---|---|---|---|---|")
    for key, row in result["table"].items():
        c, split = key.split("/")
        w = row["wall_s"]
        print(f"| {c} | {split} | {_fmt(row['unsupervised'])} | {_fmt(row['unsupervised_uar'])} "
              f"| {_fmt(row['readout_supervised'])} | {_fmt(row['svm_mfcc_stats'])} "
              f"| {_fmt(row['svm_egemaps'])} | {w['mean']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
