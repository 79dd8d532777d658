"""Parameter sweeps: a grid of configs, every point an independent Dask job.

A grid file (TOML) names config fields as ``"section.field"`` keys of a
``[grid]`` table, each with a list of values; the sweep runs every
combination (the Cartesian product, in file order).  Optional ``[base.*]``
tables fix other fields, with the layout of an experiment config::

    [grid]
    "network.window" = [5, 10, 20]
    "network.n_features" = [20, 60]
    "train.seed" = [0, 1]

    [base.train]
    epochs = 1

Every point is validated by building its config before anything runs
(unknown fields and wrongly typed values are one-line
:class:`~stdp_emo.errors.ConfigError`\\ s naming the grid file and key).  A
point's id is the digest of its resolved config (:meth:`ExperimentConfig.digest`),
so it is stable across restarts.

Layout of a sweep record ``runs/<dataset>/<stamp>_sweep/``::

    config.toml        resolved base config (defaults < --config < [base] < DATASET)
    grid.toml          the grid file as given
    log.txt            the sweep's log
    points/<id>/       config.toml, point.json (grid values), runs/ and models/ of the
                       point's training, result.json when finished, error.json when failed
    sweep.json, sweep.csv, sweep.md, sweep.png   results (rewritten as points finish)

Points are submitted to ``dask.distributed`` (a local cluster of
single-threaded worker processes by default, or a scheduler address); at
most one point per worker is in flight, so a worker that dies takes only its
own point with it.  Feature (and DVS event) caches are computed once per
distinct data/audio/visual config in this process before any job starts;
workers then only read them.  A finished point is never run again by
``--resume``; a failed one is.

Modules (every name below is also importable from ``stdp_emo.sweep``):

``grid``     grid files: :class:`Grid`, :class:`Point`, :func:`parse_grid`, :func:`load_grid`
``points``   one point's Dask task: :func:`run_point`, :func:`train_point`, :func:`read_point`
``tables``   rows, CSV, Markdown, figure data and the result files (:func:`write_results`)
``runner``   the local cluster, feature caches, :func:`run_sweep` and :class:`SweepResult`
``cli``      ``stdp-emo sweep`` (:func:`add_parser`, :func:`run_cli`)

The figure is drawn by :func:`stdp_emo.plotting.sweep_figure`.
"""
from __future__ import annotations

from .cli import add_parser, grid_from_args, run_cli
from .grid import RESERVED_KEYS, Grid, Point, format_values, load_grid, parse_grid
from .points import ERROR_FILE, RESULT_FILE, read_point, run_point, train_point, worker_env
from .runner import SweepResult, local_client, local_cluster_config, prepare_features, run_sweep
from .tables import (
    FEATURES_KEY,
    WINDOW_KEY,
    FigureData,
    figure_data,
    make_row,
    sweep_figure,
    to_csv,
    to_markdown,
    write_results,
)

__all__ = [
    "Point", "Grid", "parse_grid", "load_grid", "format_values", "RESERVED_KEYS",
    "train_point", "run_point", "read_point", "worker_env", "RESULT_FILE", "ERROR_FILE",
    "make_row", "to_csv", "to_markdown", "FigureData", "figure_data", "sweep_figure",
    "write_results", "WINDOW_KEY", "FEATURES_KEY",
    "local_cluster_config", "local_client", "prepare_features", "SweepResult", "run_sweep",
    "add_parser", "grid_from_args", "run_cli",
]
