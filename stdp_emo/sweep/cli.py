"""``stdp-emo sweep``: its arguments, the grid they name, the run and its summary."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from .. import config as C
from ..errors import ConfigError
from .grid import Grid, format_values, load_grid
from .runner import run_sweep
from .tables import to_markdown


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``stdp-emo sweep`` to the CLI's subparsers."""
    from ..datasets import DATASETS

    p = subparsers.add_parser(
        "sweep", help="train a grid of configs as parallel Dask jobs",
        description="Train + evaluate every point of a config grid (one Dask job each) and "
                    "gather the results into one run record runs/<dataset>/<stamp>_sweep/.")
    p.add_argument("dataset", choices=DATASETS, help=f"one of {', '.join(DATASETS)}")
    p.add_argument("--grid", type=Path, metavar="FILE.toml", help="TOML grid file: [grid] \"section.field\" = [values]"
                   ", optional [base.<section>] tables (required unless --resume)")
    p.add_argument("--config", type=Path, metavar="FILE", help="TOML config with the fixed values (see configs/)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address (default: a local cluster)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="local cluster: worker processes (default: CPU cores)")
    p.add_argument("--resume", type=Path, metavar="SWEEP_DIR",
                   help="continue a sweep: skip its finished points, run failed and missing ones")
    p.add_argument("--runs-dir", type=Path, metavar="DIR", help="where the sweep record goes (default runs/)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    return p


def grid_from_args(args) -> Grid:
    """The grid of a ``stdp-emo sweep`` command line (see :func:`add_parser`)."""
    if args.resume is not None:
        sd = Path(args.resume)
        if not (sd / "grid.toml").is_file() or not (sd / "config.toml").is_file():
            raise ConfigError(f"{sd}: not a sweep directory (no grid.toml / config.toml)")
        recorded = C.load(sd / "config.toml")
        if recorded.data.dataset != args.dataset:
            raise ConfigError(f"{sd}: a sweep of dataset '{recorded.data.dataset}', "
                              f"not '{args.dataset}'")
        if args.grid is None:
            if args.config is not None:
                raise ConfigError("--config needs --grid (a resumed sweep keeps its own config)")
            return load_grid(sd / "grid.toml", base=recorded, dataset=args.dataset)
    if args.grid is None:
        raise ConfigError("--grid FILE.toml is required (or --resume SWEEP_DIR)")
    base = C.load(args.config) if args.config else None
    return load_grid(args.grid, base=base, dataset=args.dataset)


def run_cli(args) -> int:
    """Handle ``stdp-emo sweep``: 0 if every point finished, 1 if some failed."""
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers: must be >= 1, got {args.workers}")
    if args.workers is not None and args.scheduler:
        raise ConfigError("--workers sizes the local cluster; with --scheduler the cluster "
                          "has its own workers")
    grid = grid_from_args(args)
    workers = args.workers or max(1, os.cpu_count() or 1)
    for h in logging.getLogger().handlers:       # the console shows progress lines, not INFO logs
        if h.level < logging.WARNING:           # (they still go to the sweep's log.txt)
            h.setLevel(logging.WARNING)
    try:
        res = run_sweep(grid, resume=args.resume, runs_home=args.runs_dir,
                        scheduler=args.scheduler, workers=workers, progress=not args.quiet)
    except KeyboardInterrupt:
        print("interrupted: finished points are kept; continue with "
              "stdp-emo sweep ... --resume SWEEP_DIR", file=sys.stderr)
        return 130
    print()
    print(to_markdown(res.rows, [k for k, _ in res.axes]), end="")
    done = [r for r in res.done if r["accuracy"] is not None]
    if done:
        best = max(done, key=lambda r: r["accuracy"])
        print(f"\nbest: point {best['id']} {format_values(best['values'])}: accuracy "
              f"{best['accuracy']:.3f}, UAR {best['uar']:.3f}")
    print(f"\nsweep record: {res.sweep_dir} ({res.ran} points run, {res.skipped} skipped, "
          f"{res.seconds:.0f} s)")
    if res.failed:
        print(f"{len(res.failed)} points failed (errors in points/<id>/error.json); "
              f"retry them with --resume {res.sweep_dir}", file=sys.stderr)
        return 1
    return 0
