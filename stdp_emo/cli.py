"""Command line interface: ``stdp-emo <command> ...``.

Commands
--------
train [DATASET]        train, label and test a network; write a model and a run record
evaluate MODEL_DIR     re-test a saved model on its stored test split (sharded: --workers),
                       or on every clip of another folder (--root DIR --all)
predict MODEL FILE...  the emotion of audio files (or folders of them) through a trained model
compare DATASET        audio / visual / early fusion / cross-modal over seeds, robustness
datasets NAME          print counts per actor, emotion and modality
synth faces            render simulated face videos for a RAVDESS-layout audio folder
                       (--au-csv FILE: from each trial's real facial action units)
plot weights MODEL_DIR receptive fields of a trained model (PNG/SVG/PDF)
plot confusion RUN_DIR confusion matrix and per-class accuracy of a run
plot compare RUN_DIR   modes x features over seeds and robustness of a compare run
report RUN_DIR         self-contained report.html of a run (or of a compare run)
sweep DATASET --grid G train a grid of configs as parallel Dask jobs into one sweep record

Errors caused by input (missing files, bad names, bad config) print one line
``error: <file or key>: <what is wrong>`` and exit with status 2.
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from pathlib import Path

from .errors import StdpEmoError


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    from .datasets import DATASETS

    parser = argparse.ArgumentParser(prog="stdp-emo", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train and evaluate a network")
    t.add_argument("dataset", nargs="?", default=None, choices=DATASETS, help=f"one of {', '.join(DATASETS)} "
                   "(default: the config's, else synthetic)")
    t.add_argument("--root", help="dataset folder")
    t.add_argument("--config", help="TOML config file (see configs/)")
    t.add_argument("--modality", choices=_choices("TrainConfig", "modality"),
                   help="what the network learns from: audio (default), visual, or both, composed "
                   "as early fusion or cross-modal enhancement (vision needs face videos: see "
                   "`stdp-emo synth faces`, or --visual-source au)")
    t.add_argument("--visual-source", choices=_choices("VisualConfig", "source"),
                   help="vision from face videos through the event-camera emulator (dvs), or "
                   "from per-clip facial action units (au: RAVDESS_ROOT/../ravdess_au/"
                   "openface_au_clip_means.csv, or --au-csv)")
    t.add_argument("--au-csv", help="facial action-unit file (with --visual-source au)")
    t.add_argument("--features", choices=_choices("AudioConfig", "kind"))
    t.add_argument("--split", choices=_choices("DataConfig", "split"))
    t.add_argument("--epochs", type=int)
    t.add_argument("--seed", type=int, help="seed of the split, weights and spikes")
    t.add_argument("--n-features", type=int, help="excitatory neurons per window position")
    t.add_argument("--max-per-class", type=int, help="use at most N clips per class (quick runs)")
    t.add_argument("--tag", default=None, help="run name suffix (default: dataset_features_split)")
    t.add_argument("--name", default=None, help="model name under models/ (default: the run's name)")
    t.add_argument("--runs-dir", type=Path, help="where run records go (default runs/)")
    t.add_argument("--models-dir", type=Path, help="where models go (default models/)")
    t.add_argument("--checkpoint-every", type=int, default=0, metavar="N",
                   help="write a checkpoint every N training samples (always at Ctrl-C/SIGTERM)")
    t.add_argument("--resume", type=Path, metavar="RUN_DIR",
                   help="continue an interrupted run from its checkpoint (other options ignored)")
    _add_common(t)

    e = sub.add_parser("evaluate", help="re-test a saved model")
    e.add_argument("model_dir", type=Path)
    e.add_argument("--root", help="dataset folder (default: the one the model was trained on)")
    e.add_argument("--runs-dir", type=Path)
    e.add_argument("--workers", type=int, default=None,
                   help="processes (or Dask workers) the presentations are split over "
                   "(default: automatic); the result does not depend on it")
    e.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the shards on this Dask scheduler (e.g. tcp://host:8786)")
    e.add_argument("--all", action="store_true",
                   help="score every clip of the --root folder (new speakers, another corpus), "
                   "not the model's stored test split")
    e.add_argument("--dataset", choices=DATASETS,
                   help="with --all: the folder's layout (default: the model's dataset)")
    _add_common(e)

    pr = sub.add_parser("predict", help="classify audio files with a trained audio model")
    pr.add_argument("model_dir", type=Path)
    pr.add_argument("paths", nargs="+", type=Path, metavar="FILE_OR_DIR",
                    help="audio files (.wav, .flac, ...; video files: their audio) or folders")
    pr.add_argument("--json", action="store_true", help="one JSON object per file instead of a table")
    _add_common(pr)

    d = sub.add_parser("datasets", help="print dataset counts")
    d.add_argument("name", choices=DATASETS)
    d.add_argument("--root", help="dataset folder")
    d.add_argument("--include-song", action="store_true")

    s = sub.add_parser("synth", help="generate simulated data")
    ssub = s.add_subparsers(dest="what", required=True)
    f = ssub.add_parser("faces", help="render a face video for every RAVDESS audio clip")
    f.add_argument("--audio-root", required=True, type=Path)
    f.add_argument("--out", required=True, type=Path)
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--au-csv", type=Path, metavar="FILE",
                   help="render every face from its trial's real action units (OpenFace clip "
                        "means, e.g. ../shared/data/ravdess_au/openface_au_clip_means.csv) "
                        "instead of the emotion's prototype; clips without a row get no video")
    f.add_argument("--no-link-audio", action="store_true",
                   help="do not symlink the audio clips beside the videos")
    f.add_argument("--lossless", action="store_true",
                   help="encode losslessly (H.264 QP 0, about 1.2 MB per clip instead of 40 kB): "
                        "a repeated render gives the same frames and DVS events")
    _add_common(f)

    ra = sub.add_parser("raster", help="spike raster of one sample through a saved model")
    ra.add_argument("model_dir", type=Path)
    ra.add_argument("--sample", required=True, help="clip id, e.g. 01-05-02-01-01-03")
    ra.add_argument("--root", help="dataset folder (default: the one the model was trained on)")
    ra.add_argument("--out", type=Path, help="image file .png/.svg/.pdf (default raster_<sample>.png)")
    ra.add_argument("--trace", type=int, default=0, metavar="N",
                    help="also plot membrane potential and threshold of the N most active "
                         "excitatory neurons of the labelled layer")

    c = sub.add_parser("compare", help="audio-only vs visual-only vs early fusion vs cross-modal, "
                       "several seeds, with robustness tests, into one run record")
    c.add_argument("dataset", choices=DATASETS)
    c.add_argument("--root", help="dataset folder (needs face videos: see `stdp-emo synth faces`)")
    c.add_argument("--config", help="TOML config file (base of every run)")
    c.add_argument("--modes", nargs="+", default=_choices("TrainConfig", "modality"),
                   choices=_choices("TrainConfig", "modality"))
    c.add_argument("--visual-source", choices=_choices("VisualConfig", "source"),
                   help="vision from face videos (dvs) or facial action units (au)")
    c.add_argument("--features", nargs="+", default=_choices("AudioConfig", "kind"),
                   choices=_choices("AudioConfig", "kind"))
    c.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="training seeds")
    c.add_argument("--split", choices=_choices("DataConfig", "split"))
    c.add_argument("--split-seed", type=int, help="seed of the split (the same for every run)")
    c.add_argument("--epochs", type=int)
    c.add_argument("--max-per-class", type=int)
    c.add_argument("--no-robustness", action="store_true", help="skip the degraded-input tests")
    c.add_argument("--runs-dir", type=Path)
    _add_common(c)

    pl = sub.add_parser("plot", help="draw figures of a model or a run")
    plsub = pl.add_subparsers(dest="what", required=True)
    pw = plsub.add_parser("weights", help="receptive fields of a model, grouped by assigned emotion")
    pw.add_argument("model_dir", type=Path)
    pw.add_argument("--out", type=Path, help="image file, .png/.svg/.pdf "
                    "(default MODEL_DIR/receptive_fields.png)")
    pc = plsub.add_parser("confusion", help="confusion matrix and per-class accuracy of a run")
    pc.add_argument("run_dir", type=Path)
    pc.add_argument("--out", type=Path, help="image file, .png/.svg/.pdf "
                    "(default RUN_DIR/confusion.png)")
    pcmp = plsub.add_parser("compare", help="modes x features (mean +/- std over seeds, seeds as "
                            "dots) and robustness of a compare run")
    pcmp.add_argument("run_dir", type=Path)
    pcmp.add_argument("--out", type=Path, help="image file, .png/.svg/.pdf "
                      "(default RUN_DIR/compare.png)")

    r = sub.add_parser("report", help="write a self-contained report.html into a run directory")
    r.add_argument("run_dir", type=Path)
    r.add_argument("--model", type=Path, default=None,
                   help="model directory for the receptive fields and rasters "
                   "(default: the run's model)")
    r.add_argument("--rasters", type=int, default=4, metavar="N",
                   help="spike rasters of N test samples, half correctly and half wrongly "
                   "classified, recorded through the model (default 4; 0 = none)")
    from .sweep import add_parser as add_sweep_parser
    add_sweep_parser(sub)
    return parser


def _choices(section: str, name: str) -> list[str]:
    """The values of a config field's ``Literal`` (one definition for each list of choices)."""
    import typing

    from . import config as C

    return list(typing.get_args(typing.get_type_hints(getattr(C, section))[name]))


def _train_config(args):
    from . import config as C

    cfg = C.load(args.config) if args.config else C.ExperimentConfig()
    data, audio, train, net = {}, {}, {}, {}
    if args.dataset:
        data["dataset"] = args.dataset
    if args.root:
        data["root"] = args.root
    if args.split:
        data["split"] = args.split
    if args.max_per_class is not None:
        data["max_per_class"] = args.max_per_class
    if args.seed is not None:
        data["seed"] = train["seed"] = args.seed
    if args.features:
        audio["kind"] = args.features
    if args.epochs is not None:
        train["epochs"] = args.epochs
    if args.modality:
        train["modality"] = args.modality
    if args.n_features is not None:
        net["n_features"] = args.n_features
    visual = {}
    if args.visual_source:
        visual["source"] = args.visual_source
    if args.au_csv:
        visual["au_csv"] = args.au_csv
    return _replace_from_flags(cfg, data=data, audio=audio, train=train, network=net,
                               visual=visual)


#: command-line flag of each config field a flag sets (for error messages)
FLAGS = {("data", "root"): "--root", ("data", "split"): "--split", ("data", "seed"): "--seed",
         ("data", "max_per_class"): "--max-per-class", ("train", "seed"): "--seed",
         ("audio", "kind"): "--features", ("train", "epochs"): "--epochs",
         ("train", "modality"): "--modality", ("network", "n_features"): "--n-features",
         ("visual", "source"): "--visual-source", ("visual", "au_csv"): "--au-csv",
         ("data", "dataset"): "the dataset argument"}


def _replace_from_flags(cfg, flags: dict | None = None, **sections):
    """``cfg.replace(**sections)``; a bad value is reported under its flag (``--epochs 0: ...``).

    ``flags`` adds to or overrides :data:`FLAGS` for one command."""
    from .errors import ConfigError

    flags = {**FLAGS, **(flags or {})}
    for name, values in sections.items():
        for key, value in values.items():
            try:
                cfg.replace(**{name: {key: value}})
            except ConfigError as e:
                why = str(e).split(f"[{name}].{key}: ", 1)[-1]
                raise ConfigError(f"{flags.get((name, key), f'[{name}] {key}')} {value}: "
                                  f"{why}") from None
    return cfg.replace(**sections)


def format_results(metrics: dict) -> str:
    """The result table printed after training."""
    u = metrics["unsupervised"]
    lines = [f"dataset {metrics['dataset']} ({metrics.get('description', '')}), "
             f"split {metrics.get('split', '?')}, features {metrics.get('features', '?')}, "
             f"train {metrics.get('n_train', '?')} / test {metrics['n_test']}",
             "",
             f"{'classifier':<42} {'accuracy':>9} {'UAR':>7}",
             f"{'unsupervised STDP (labelled neurons)':<42} {u['accuracy']:>9.3f} "
             f"{u['uar']:>7.3f}"]
    r = metrics.get("linear_readout_supervised")
    if r:
        lines.append(f"{'linear read-out on spike counts (SUPERVISED)':<42} {r['accuracy']:>9.3f} "
                     f"{r['uar']:>7.3f}")
    lines.append("")
    lines.append("per-class accuracy: " + ", ".join(
        f"{k} {v:.2f}" if v is not None else f"{k} -" for k, v in u["per_class_accuracy"].items()))
    sps = metrics.get("seconds_per_sample", {})
    if sps:
        lines.append("seconds per sample: " + ", ".join(f"{k} {v:.3f}" for k, v in sps.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        return _dispatch(args)
    except StdpEmoError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: models are written atomically, nothing half-written was kept",
              file=sys.stderr)
        return 130


def _dispatch(args) -> int:
    progress = not getattr(args, "quiet", False)
    if args.command == "train":
        from .training import train

        cfg = _train_config(args)
        mode = cfg.train.modality
        feat = {"audio": cfg.audio.kind, "visual": "visual"}.get(mode, f"{mode}_{cfg.audio.kind}")
        tag = args.tag or f"{cfg.data.dataset}_{feat}_{cfg.data.split}"
        out = train(cfg, tag=tag, model_name=args.name, progress=progress,
                    runs_home=args.runs_dir, models_home=args.models_dir,
                    checkpoint_every=args.checkpoint_every, resume=args.resume)
        print(format_results(out["metrics"]))
        print(f"\nrun record: {out['run_dir']}\nmodel:      {out['model_dir']}")
        return 0
    if args.command == "compare":
        from . import config as C
        from .compare import compare

        cfg = C.load(args.config) if args.config else C.ExperimentConfig()
        data, train_ = {"dataset": args.dataset}, {}
        for key, val in (("root", args.root), ("split", args.split), ("seed", args.split_seed),
                         ("max_per_class", args.max_per_class)):
            if val is not None:
                data[key] = val
        if args.epochs is not None:
            train_["epochs"] = args.epochs
        visual = {"source": args.visual_source} if args.visual_source else {}
        cfg = _replace_from_flags(cfg, {("data", "seed"): "--split-seed"}, data=data,
                                  train=train_, visual=visual)
        out = compare(cfg, modes=args.modes, features=args.features, seeds=args.seeds,
                      robustness=not args.no_robustness, progress=progress,
                      runs_home=args.runs_dir)
        print((out["run_dir"] / "compare.md").read_text())
        print(f"\nrun record: {out['run_dir']}")
        return 0
    if args.command == "evaluate":
        from .frozen import evaluate_model

        if args.all or args.dataset:
            from .errors import DataError
            from .inference import evaluate_all

            if not (args.all and args.root):
                raise DataError("evaluate: --all needs --root DIR (and --dataset goes with --all)")
            out = evaluate_all(args.model_dir, args.root, dataset=args.dataset, progress=progress,
                               runs_home=args.runs_dir)
            m = out["metrics"]
            print(format_results(m))
            if m["skipped"]:
                print(f"\n{len(m['skipped'])} clips skipped (listed in metrics.json), e.g. "
                      f"{next(iter(m['skipped']))}: {next(iter(m['skipped'].values()))}")
            print(f"\nrun record: {out['run_dir']}")
            return 0
        with _dask_client(args.scheduler) as client:
            out = evaluate_model(args.model_dir, args.root, progress=progress,
                                 runs_home=args.runs_dir, workers=args.workers, client=client)
        print(format_results(out["metrics"]))
        print(f"\nrun record: {out['run_dir']}")
        return 0
    if args.command == "predict":
        return _predict(args, progress)
    if args.command == "datasets":
        from .datasets import load_dataset
        from .datasets.summary import format_counts

        print(format_counts(load_dataset(args.name, args.root, include_song=args.include_song)))
        return 0
    if args.command == "synth" and args.what == "faces":
        from .datasets.faces import link_audio, synth_faces

        n = synth_faces(args.audio_root, args.out, seed=args.seed, progress=progress,
                        au_csv=args.au_csv, lossless=args.lossless)
        kind = "faces rendered from real action units" if args.au_csv else "SIMULATED faces"
        print(f"{n} face videos written to {args.out} (audio + {kind})")
        if not args.no_link_audio:
            k = link_audio(args.audio_root, args.out)
            print(f"{k} audio clips linked beside them: train with --root {args.out}")
        return 0
    if args.command == "raster":
        from .errors import DataError
        from .plotting import save_figure
        from .model import TrainedModel
        from .figures import raster_figure_for

        out = args.out or Path(f"raster_{args.sample}.png")
        _check_image_suffix(out)
        if args.trace < 0:
            raise DataError(f"--trace {args.trace}: must be 0 or more")
        model = TrainedModel.load(args.model_dir)
        rec = model.record(args.sample, args.root, trace_neurons=args.trace)
        print(save_figure(raster_figure_for(rec), out))
        return 0
    if args.command == "plot":
        from . import figures

        _check_image_suffix(args.out)
        if args.what == "weights":
            for path in figures.plot_weights(args.model_dir, args.out):
                print(path)
        elif args.what == "compare":
            print(figures.plot_compare(args.run_dir, args.out))
        else:
            print(figures.plot_confusion(args.run_dir, args.out))
        return 0
    if args.command == "report":
        from .errors import DataError
        from .frozen import record_rasters
        from .model import TrainedModel
        from .records import load_compare
        from .report import write_report

        if args.rasters < 0:
            raise DataError(f"--rasters {args.rasters}: must be 0 or more")
        model = TrainedModel.load(args.model) if args.model else None   # a bad --model: exit 2
        run = Path(args.run_dir)
        if not run.is_dir():
            load_compare(run)                       # the one-line error of a missing directory
        recordings, note = ([], None) if not (run / "metrics.json").is_file() else \
            record_rasters(run, args.rasters, model)
        print(write_report(run, args.model, recordings=recordings, raster_note=note))
        return 0
    if args.command == "sweep":
        from .sweep import run_cli
        return run_cli(args)
    raise AssertionError(args)


def _predict(args, progress: bool) -> int:
    """``stdp-emo predict``: a line per file; exit 2 if any file could not be classified."""
    import json

    from .inference import predict_files
    from .model import TrainedModel

    preds = predict_files(TrainedModel.load(args.model_dir), args.paths, progress=progress)
    for p in preds:
        if p.error:
            print(f"error: {p.error}", file=sys.stderr)
            continue
        if args.json:
            print(json.dumps({"path": str(p.path), "emotion": p.emotion, "scores": p.scores,
                              "spikes": p.spikes}))
        else:
            scores = " ".join(f"{c} {v:.2f}" for c, v in p.scores.items())
            print(f"{p.path}\t{p.emotion}\t{scores}")
    bad = sum(bool(p.error) for p in preds)
    if bad:
        print(f"error: {bad} of {len(preds)} files could not be classified", file=sys.stderr)
    return 2 if bad else 0


@contextlib.contextmanager
def _dask_client(address: str | None):
    """A Dask client on ``address``, or None (local processes) without one."""
    if not address:
        yield None
        return
    from distributed import Client

    with Client(address) as client:
        yield client


def _check_image_suffix(out: Path | None) -> None:
    from .errors import DataError

    if out is not None and out.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise DataError(f"{out}: unsupported figure format (use .png, .svg or .pdf)")


if __name__ == "__main__":
    sys.exit(main())
