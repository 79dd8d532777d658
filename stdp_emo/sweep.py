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
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import csv
import datetime
import fcntl
import io
import itertools
import json
import logging
import os
import platform
import sys
import threading
import time
import tomllib
import traceback
import typing
import uuid
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import config as C
from .errors import ConfigError
from .fileio import write_json, write_text

log = logging.getLogger("stdp_emo.sweep")

RESULT_FILE = "result.json"
ERROR_FILE = "error.json"
WINDOW_KEY = "network.window"
FEATURES_KEY = "network.n_features"
RESERVED_KEYS = {"data.dataset": "the dataset is the sweep's DATASET argument"}
"""Grid keys that cannot vary within one sweep, and why."""


# ------------------------------------------------------------------ grid
@dataclass(frozen=True)
class Point:
    """One grid point.

    Attributes
    ----------
    id : str
        Digest of the resolved config (stable across restarts).
    values : dict
        ``{"section.field": value}`` for every grid axis.
    config : ExperimentConfig
        The resolved config.
    """

    id: str
    values: dict
    config: C.ExperimentConfig


@dataclass
class Grid:
    """A parsed grid file.

    Attributes
    ----------
    axes : list of (key, values)
        The ``[grid]`` axes in file order.
    base : ExperimentConfig
        Fixed values (defaults < ``--config`` < ``[base]`` < dataset).
    source : str
        Where the grid came from (for messages).
    text : str
        The grid file's text (copied into the sweep record).
    """

    axes: list[tuple[str, list]]
    base: C.ExperimentConfig
    source: str = "<grid>"
    text: str = ""

    @property
    def keys(self) -> list[str]:
        return [k for k, _ in self.axes]

    def points(self) -> list[Point]:
        """Every combination of the axes, validated, in file order.

        Raises
        ------
        ConfigError
            If a combination is not a valid config, or two points resolve to
            the same config.
        """
        out, seen = [], {}
        for combo in itertools.product(*(vals for _, vals in self.axes)):
            values = dict(zip(self.keys, combo))
            sections: dict[str, dict] = collections.defaultdict(dict)
            for key, v in values.items():
                s, f = key.split(".", 1)
                sections[s][f] = v
            try:
                cfg = self.base.replace(**sections)
            except ConfigError as e:
                raise ConfigError(f"{self.source}: [grid] point {_fmt_values(values)}: "
                                  f"{_strip_source(e)}") from None
            pid = cfg.digest()
            if pid in seen:
                raise ConfigError(f"{self.source}: [grid] points {_fmt_values(seen[pid])} and "
                                  f"{_fmt_values(values)} are the same config")
            seen[pid] = values
            out.append(Point(pid, values, cfg))
        return out


def _fmt_values(values: dict) -> str:
    return "{" + ", ".join(f"{k}={v!r}" for k, v in values.items()) + "}"


def _strip_source(e: Exception) -> str:
    msg = str(e)
    for prefix in ("<override>: ", "<grid>: "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    return msg


def _section_fields() -> dict[str, set[str]]:
    hints = typing.get_type_hints(C.ExperimentConfig)
    return {name: {f.name for f in fields(cls)} for name, cls in hints.items()}


def _flatten_grid(table: dict, source: str) -> list[tuple[str, Any]]:
    """``[grid]`` entries as (dotted key, value); nested tables (``[grid.network]``) allowed."""
    out = []
    for k, v in table.items():
        if isinstance(v, dict):
            for k2, v2 in v.items():
                if isinstance(v2, dict):
                    raise ConfigError(f"{source}: [grid] '{k}.{k2}': expected a list of values, "
                                      "got a table")
                out.append((f"{k}.{k2}", v2))
        else:
            out.append((k, v))
    return out


def parse_grid(text: str, source: str = "<grid>", base: C.ExperimentConfig | None = None,
               dataset: str | None = None) -> Grid:
    """Parse and validate a grid file's text.

    Parameters
    ----------
    text : str
        TOML with a ``[grid]`` table and optional ``[base.<section>]`` tables.
    source : str
        Name used in error messages (the file name).
    base : ExperimentConfig, optional
        Config the ``[base]`` tables are applied to (default: the defaults).
    dataset : str, optional
        Sets ``data.dataset`` (after ``[base]``).

    Returns
    -------
    Grid

    Raises
    ------
    ConfigError
        One line naming ``source`` and the key: not TOML, unknown tables,
        sections or fields, values that are not non-empty lists, values of
        the wrong type, or a grid point that is not a valid config.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: not valid TOML ({e})") from None
    unknown = sorted(set(doc) - {"grid", "base"})
    if unknown:
        raise ConfigError(f"{source}: unknown table [{unknown[0]}] (a grid file has [grid] and "
                          "optional [base.<section>] tables)")
    cfg = base if base is not None else C.ExperimentConfig()
    if "base" in doc:
        if not isinstance(doc["base"], dict):
            raise ConfigError(f"{source}: [base]: expected tables like [base.network]")
        merged = C.to_dict(cfg)
        for name, values in doc["base"].items():
            if name not in merged:
                raise ConfigError(f"{source}: [base]: unknown section [{name}] "
                                  f"(known: {', '.join(sorted(merged))})")
            if not isinstance(values, dict):
                raise ConfigError(f"{source}: [base.{name}]: expected a table, got {values!r}")
            merged[name].update(values)
        cfg = C.from_dict(merged, source=f"{source}: [base]")
    if dataset:
        cfg = cfg.replace(data={"dataset": dataset})
    grid = doc.get("grid")
    if not isinstance(grid, dict) or not grid:
        raise ConfigError(f"{source}: no [grid] table with at least one "
                          "\"section.field\" = [values] entry")
    known = _section_fields()
    axes: list[tuple[str, list]] = []
    for key, values in _flatten_grid(grid, source):
        where = f"{source}: [grid] '{key}'"
        parts = key.split(".")
        if len(parts) != 2 or not all(parts):
            raise ConfigError(f"{where}: keys are \"section.field\", e.g. \"network.window\"")
        section, name = parts
        if section not in known:
            raise ConfigError(f"{where}: unknown section '{section}' "
                              f"(known: {', '.join(sorted(known))})")
        if name not in known[section]:
            raise ConfigError(f"{where}: unknown field '{name}' of [{section}] "
                              f"(known: {', '.join(sorted(known[section]))})")
        if key in RESERVED_KEYS:
            raise ConfigError(f"{where}: cannot be swept ({RESERVED_KEYS[key]})")
        if not isinstance(values, list):
            raise ConfigError(f"{where}: expected a list of values, got {values!r} "
                              "(fixed values go in [base.<section>])")
        if not values:
            raise ConfigError(f"{where}: empty list of values")
        for v in values:
            try:
                cfg.replace(**{section: {name: v}})
            except ConfigError as e:
                raise ConfigError(f"{where} = {v!r}: {_strip_source(e)}") from None
        if len({repr(v) for v in values}) != len(values):
            raise ConfigError(f"{where}: repeated values in {values!r}")
        axes.append((key, list(values)))
    return Grid(axes, cfg, source, text)


def load_grid(path: str | Path, base: C.ExperimentConfig | None = None,
              dataset: str | None = None) -> Grid:
    """Read a grid file (see :func:`parse_grid`); a missing file is a ConfigError."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read grid file ({e.strerror or e})") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None
    return parse_grid(text, str(path), base, dataset)


# ------------------------------------------------------------------ jobs (run on workers)
def _import_brian2() -> None:
    """Import Brian2, also from a worker thread (Dask runs tasks outside the main thread).

    Brian2's import installs a SIGINT handler, which Python allows only in the
    main thread; off it, that one call is skipped (Ctrl-C goes to the client,
    not to a worker's task).
    """
    if "brian2" in sys.modules:
        return
    if threading.current_thread() is threading.main_thread():
        import brian2  # noqa: F401
        return
    import signal

    with _IMPORT_LOCK:
        real = signal.signal
        signal.signal = lambda signalnum, handler: signal.getsignal(signalnum)
        try:
            import brian2  # noqa: F401, F811
        finally:
            signal.signal = real


_IMPORT_LOCK = threading.Lock()


def train_point(cfg: C.ExperimentConfig, point_dir: Path) -> dict:
    """The default job: train + evaluate one config into ``point_dir/runs`` and ``/models``.

    Returns
    -------
    dict
        ``accuracy``, ``uar`` (unsupervised), ``readout_accuracy`` (supervised
        read-out, or None), ``n_classes``, ``run_dir``, ``model_dir``.
    """
    _import_brian2()
    from .experiment import train

    point_dir = Path(point_dir)
    out = train(cfg, tag=point_dir.name, model_name=point_dir.name, progress=False,
                runs_home=point_dir / "runs", models_home=point_dir / "models")
    m = out["metrics"]
    u = m["unsupervised"]
    readout = m.get("linear_readout_supervised") or {}
    return {"accuracy": u["accuracy"], "uar": u["uar"],
            "readout_accuracy": readout.get("accuracy"),
            "n_classes": len(u.get("per_class_accuracy") or {}) or None,
            "run_dir": str(out["run_dir"]), "model_dir": str(out["model_dir"])}


_POINT_LOCK = threading.Lock()
"""Brian2's device is process-global: one point at a time per worker process."""


def _rel(path, base: Path) -> str | None:
    if path is None:
        return None
    try:
        return os.path.relpath(Path(path).resolve(), base.resolve())
    except ValueError:
        return str(path)


def _announce(topic: str | None, msg: dict) -> None:
    if not topic:
        return
    try:
        from distributed import get_worker

        get_worker().log_event(topic, msg)
    except Exception:                       # not in a Dask worker: no progress events
        pass


@contextlib.contextmanager
def _environ(env: dict):
    """Set environment variables for the duration of the block."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_point(job: Callable[[C.ExperimentConfig, Path], dict], cfg: C.ExperimentConfig,
              point_dir: str, values: dict, env: dict | None = None,
              topic: str | None = None) -> dict:
    """Run ``job(cfg, point_dir)`` and record its outcome (the Dask task of one point).

    Writes ``result.json`` (and removes a stale ``error.json``) on success,
    ``error.json`` if the job raises; never raises itself for an exception
    of the job.

    Parameters
    ----------
    job : callable
        ``job(cfg, point_dir) -> dict`` with at least ``accuracy`` and ``uar``.
    env : dict, optional
        Environment variables to set first (``STDP_EMO_DATA``, ``STDP_EMO_CACHE``).
    topic : str, optional
        Dask event topic announcing the start (progress display).

    Returns
    -------
    dict
        What was written to result.json or error.json (``status`` "done" or "failed").
    """
    pdir = Path(point_dir)
    sweep_dir = pdir.parent.parent
    pid = pdir.name
    with _POINT_LOCK, _environ(env or {}):
        _announce(topic, {"id": pid, "state": "started"})
        t0 = time.perf_counter()
        base = {"id": pid, "values": values,
                "started": datetime.datetime.now().isoformat(timespec="seconds"),
                "host": platform.node(), "pid": os.getpid()}
        try:
            out = dict(job(cfg, pdir))
            missing = [k for k in ("accuracy", "uar") if k not in out]
            if missing:
                raise ValueError(f"the job returned no {' and no '.join(missing)}")
        except Exception as e:
            err = {**base, "status": "failed", "kind": "exception",
                   "error": f"{type(e).__name__}: {' '.join(str(e).split())}",
                   "traceback": traceback.format_exc(), "seconds": time.perf_counter() - t0}
            write_json(pdir / ERROR_FILE, err)
            return err
        res = {**out, **base, "status": "done", "seconds": time.perf_counter() - t0}
        for k in ("run_dir", "model_dir"):
            if res.get(k):
                res[k] = _rel(res[k], sweep_dir)
        write_json(pdir / RESULT_FILE, res)
        with contextlib.suppress(FileNotFoundError):
            (pdir / ERROR_FILE).unlink()
        return res


# ------------------------------------------------------------------ results
def read_point(point_dir: Path) -> dict | None:
    """A point's recorded outcome: result.json (done), else error.json (failed), else None."""
    for name in (RESULT_FILE, ERROR_FILE):
        f = Path(point_dir) / name
        if f.is_file():
            try:
                rec = json.loads(f.read_text())
            except (OSError, ValueError):
                log.warning("%s: unreadable, the point will run again", f)
                continue
            if isinstance(rec, dict) and (name == ERROR_FILE or rec.get("status") == "done"):
                rec.setdefault("status", "done" if name == RESULT_FILE else "failed")
                return rec
    return None


def make_row(point_id: str, values: dict, record: dict | None, status: str | None = None) -> dict:
    """One table row from a point's values and its result/error record (or None)."""
    rec = record or {}
    return {"id": point_id, "values": dict(values),
            "status": status or rec.get("status", "pending"),
            "accuracy": rec.get("accuracy"), "uar": rec.get("uar"),
            "readout_accuracy": rec.get("readout_accuracy"),
            "n_classes": rec.get("n_classes"),
            "seconds": rec.get("seconds"), "run_dir": rec.get("run_dir"),
            "model_dir": rec.get("model_dir"),
            "error": rec.get("error") if rec.get("status") == "failed" else None}


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


def to_csv(rows: list[dict], keys: list[str]) -> str:
    """Rows as CSV: id, the grid keys, status, accuracy, uar, readout_accuracy, seconds, run_dir, error."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", *keys, "status", "accuracy", "uar", "readout_accuracy", "seconds",
                "run_dir", "error"])
    for r in rows:
        w.writerow([r["id"], *(r["values"].get(k) for k in keys), r["status"],
                    *("" if r[c] is None else r[c] for c in ("accuracy", "uar",
                                                              "readout_accuracy")),
                    "" if r["seconds"] is None else f"{r['seconds']:.1f}",
                    r["run_dir"] or "", r["error"] or ""])
    return buf.getvalue()


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def to_markdown(rows: list[dict], keys: list[str]) -> str:
    """Rows as a Markdown table (errors cut to their first 120 characters)."""
    head = ["point", *keys, "status", "accuracy", "UAR", "seconds", "run / error"]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---"] * (len(keys) + 2) + ["---:"] * 3 + ["---"]) + "|"]
    for r in rows:
        last = r["run_dir"] or ""
        if r["error"]:
            e = r["error"]
            last = e if len(e) <= 120 else e[:117] + "..."
        cells = [r["id"], *(_cell(r["values"].get(k)) for k in keys), r["status"],
                 _cell(r["accuracy"]), _cell(r["uar"]),
                 "" if r["seconds"] is None else f"{r['seconds']:.1f}", last]
        lines.append("| " + " | ".join(_md_escape(str(c)) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@dataclass
class FigureData:
    """Accuracy aggregated for the sweep figure (see :func:`figure_data`).

    ``mean``/``spread``/``count`` have shape (n_lines, n_x); NaN/0 where no
    point finished; ``spread`` is the standard deviation over the points
    averaged in a cell (NaN with fewer than two).
    """

    x_key: str
    x_values: list
    line_key: str | None
    line_values: list
    mean: np.ndarray
    spread: np.ndarray
    count: np.ndarray
    averaged_over: list[str] = field(default_factory=list)
    chance: float | None = None


def figure_data(rows: list[dict], axes: list[tuple[str, list]], metric: str = "accuracy"
                ) -> FigureData:
    """Mean ``metric`` of finished points against the window size, one line per feature count.

    The x axis is ``network.window`` when it is a grid axis, else the first
    axis; lines are ``network.n_features`` values when that is another axis
    (else one line); other axes (seeds, modalities...) are averaged over.
    """
    keys = [k for k, _ in axes]
    vals = dict(axes)
    x_key = WINDOW_KEY if WINDOW_KEY in vals else keys[0]
    line_key = FEATURES_KEY if FEATURES_KEY in vals and FEATURES_KEY != x_key else None
    xs = list(vals[x_key])
    if all(_is_number(v) for v in xs):
        xs = sorted(xs)
    ls = list(vals[line_key]) if line_key else [None]
    if line_key and all(_is_number(v) for v in ls):
        ls = sorted(ls)
    cells: dict[tuple[int, int], list[float]] = collections.defaultdict(list)
    xi = {repr(v): i for i, v in enumerate(xs)}
    li = {repr(v): i for i, v in enumerate(ls)}
    chance = set()
    for r in rows:
        if r["status"] != "done" or r.get(metric) is None:
            continue
        i = xi.get(repr(r["values"].get(x_key)))
        j = li.get(repr(r["values"].get(line_key))) if line_key else 0
        if i is None or j is None:
            continue
        cells[(j, i)].append(float(r[metric]))
        if r.get("n_classes"):
            chance.add(1.0 / r["n_classes"])
    shape = (len(ls), len(xs))
    mean, spread = np.full(shape, np.nan), np.full(shape, np.nan)
    count = np.zeros(shape, dtype=int)
    for (j, i), v in cells.items():
        mean[j, i], count[j, i] = np.mean(v), len(v)
        if len(v) > 1:
            spread[j, i] = np.std(v)
    others = [k for k in keys if k not in (x_key, line_key)]
    return FigureData(x_key, xs, line_key, ls, mean, spread, count, others,
                      chance.pop() if len(chance) == 1 else None)


def sweep_figure(rows: list[dict], axes: list[tuple[str, list]], title: str = ""):
    """The sweep's figure (like MBY19 Fig. 3): accuracy against window size per feature count."""
    import matplotlib.pyplot as plt

    from .plotting import sweep_lines

    fd = figure_data(rows, axes)
    numeric = all(_is_number(v) for v in fd.x_values)
    x = np.asarray(fd.x_values, float) if numeric else np.arange(len(fd.x_values), dtype=float)
    fig, ax = plt.subplots(figsize=(6.4, 4.4), constrained_layout=True)
    field_name = fd.line_key.split(".")[1] if fd.line_key else ""
    labels = ([f"{v} features" if fd.line_key == FEATURES_KEY else f"{field_name} = {v}"
               for v in fd.line_values] if fd.line_key else ["all points"])
    sweep_lines(ax, x, fd.mean, spread=fd.spread, labels=labels,
                xticklabels=None if numeric else [str(v) for v in fd.x_values],
                xlabel="window size" if fd.x_key == WINDOW_KEY else fd.x_key,
                ylabel="accuracy (unsupervised)", legend_title=None, chance=fd.chance)
    sub = "mean"
    if fd.averaged_over:
        sub += f" over {', '.join(fd.averaged_over)}"
        if np.isfinite(fd.spread).any():
            sub += " (band: \u00b1 std)"
    ax.set_title(f"{title}\n{sub}" if title else sub, fontsize=10)
    return fig


def write_results(sweep_dir: Path, axes: list[tuple[str, list]], rows: list[dict], *,
                  meta: dict | None = None, figure: bool = True) -> dict[str, Path]:
    """Write sweep.json, sweep.csv, sweep.md (atomically) and, with ``figure``, sweep.png."""
    sweep_dir = Path(sweep_dir)
    keys = [k for k, _ in axes]
    counts = collections.Counter(r["status"] for r in rows)
    doc = dict(meta or {}, grid={k: v for k, v in axes},
               summary={"total": len(rows), "done": counts.get("done", 0),
                        "failed": counts.get("failed", 0),
                        "pending": len(rows) - counts.get("done", 0) - counts.get("failed", 0)},
               points=rows)
    out = {"json": write_json(sweep_dir / "sweep.json", doc),
           "csv": write_text(sweep_dir / "sweep.csv", to_csv(rows, keys)),
           "md": write_text(sweep_dir / "sweep.md", to_markdown(rows, keys))}
    if figure and any(r["status"] == "done" and r["accuracy"] is not None for r in rows):
        from .plotting import save_figure

        title = f"{(meta or {}).get('dataset', '')} sweep".strip()
        out["png"] = save_figure(sweep_figure(rows, axes, title), sweep_dir / "sweep.png")
    return out


# ------------------------------------------------------------------ the sweep
@contextlib.contextmanager
def _exclusive(sweep_dir: Path):
    fh = open(sweep_dir / ".sweep.lock", "w")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ConfigError(f"{sweep_dir}: another sweep process is using this directory") from None
        yield
    finally:
        fh.close()


def local_cluster_config() -> dict:
    """Dask settings for the sweep's own local cluster.

    No automatic retries of a point whose worker died (``--resume`` retries
    failed points), and non-daemonic workers (feature extraction may start
    process pools).
    """
    import distributed  # noqa: F401  (registers its defaults before dask.config.set copies them)

    return {"distributed.scheduler.allowed-failures": 0, "distributed.worker.daemon": False}


def local_client(n_workers: int, processes: bool = True):
    """``Client(LocalCluster(n_workers, threads_per_worker=1, processes=processes))``.

    Create it under ``dask.config.set(local_cluster_config())`` (and keep that
    while it runs: restarted workers read it again).
    """
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=processes,
                           dashboard_address=":0")
    return Client(cluster)


def _worker_env() -> dict:
    from .paths import cache_home, data_home

    return {"STDP_EMO_DATA": str(data_home().resolve()),
            "STDP_EMO_CACHE": str(cache_home().resolve())}


def prepare_features(points: list[Point], progress: bool = False,
                     echo: Callable[[str], None] | None = None) -> int:
    """Compute the feature caches once per distinct data/audio/visual config (this process).

    Returns
    -------
    int
        Number of distinct feature configs prepared.
    """
    from .experiment import prepare

    done: set[str] = set()
    for p in points:
        key = f"{p.config.train.modality}-{p.config.digest('data', 'audio', 'visual')}"
        if key in done:
            continue
        t0 = time.perf_counter()
        prepare(p.config, progress=progress)
        done.add(key)
        msg = f"features ready for {p.config.train.modality} config {key} ({time.perf_counter() - t0:.1f} s)"
        log.info(msg)
        if echo:
            echo(msg)
    return len(done)


@dataclass
class SweepResult:
    """Outcome of :func:`run_sweep`: the record directory, its rows and counts."""

    sweep_dir: Path
    rows: list[dict]
    axes: list[tuple[str, list]]
    seconds: float
    ran: int
    skipped: int

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.rows if r["status"] == "failed"]

    @property
    def done(self) -> list[dict]:
        return [r for r in self.rows if r["status"] == "done"]


def _progress_line(counts: dict, total: int) -> str:
    return (f"[{time.strftime('%H:%M:%S')}] points done {counts['done']} / running "
            f"{counts['running']} / failed {counts['failed']} / total {total}")


def run_sweep(grid: Grid, *, resume: str | Path | None = None, runs_home: Path | None = None,
              scheduler: str | None = None, workers: int = 2, client=None,
              job: Callable[[C.ExperimentConfig, Path], dict] = train_point,
              features: bool = True, progress: bool = True,
              echo: Callable[[str], None] | None = print) -> SweepResult:
    """Run every point of ``grid`` not finished yet, on Dask; write the sweep record.

    Parameters
    ----------
    grid : Grid
    resume : path, optional
        An existing sweep directory: finished points are skipped, failed and
        missing ones run.  Default: a new ``runs/<dataset>/<stamp>_sweep/``.
    runs_home : path, optional
        Where a new sweep record goes (default ``runs/``).
    scheduler : str, optional
        Address of a running Dask scheduler; default a local cluster of
        ``workers`` single-threaded worker processes.
    client : distributed.Client, optional
        Use this client instead (not closed afterwards).
    job : callable
        ``job(cfg, point_dir) -> dict`` run for every point (default
        :func:`train_point`); must be importable by the workers.
    features : bool
        Compute the feature caches in this process before submitting.
    progress : bool
        Print a progress line whenever the counts change.
    echo : callable, optional
        Where messages go (default ``print``); None = silent.

    Returns
    -------
    SweepResult
    """
    from .records import RunRecord

    say = (lambda s: echo(s)) if echo else (lambda s: None)
    points = grid.points()
    dataset = grid.base.data.dataset
    t_start = time.perf_counter()
    if resume is not None:
        sweep_dir = Path(resume)
        if not (sweep_dir / "grid.toml").is_file() or not (sweep_dir / "points").is_dir():
            raise ConfigError(f"{sweep_dir}: not a sweep directory (no grid.toml / points/)")
        record = RunRecord.reopen(sweep_dir)
    else:
        record = RunRecord(dataset, "sweep", home=runs_home)
        sweep_dir = record.path
        (sweep_dir / "points").mkdir()
    try:
        with _exclusive(sweep_dir):
            return _run(grid, points, record, sweep_dir, resume is not None, scheduler, workers,
                        client, job, features, progress, say, t_start)
    except BaseException as e:
        record.fail(e)
        raise
    finally:
        record.close()


def _run(grid, points, record, sweep_dir, resuming, scheduler, workers, client, job, features,
         progress, say, t_start) -> SweepResult:
    sweep_dir = Path(sweep_dir).resolve()
    record.write_text("grid.toml", grid.text)
    record.write_text("config.toml", C.to_toml(grid.base))
    meta = {"dataset": grid.base.data.dataset, "sweep_dir": str(sweep_dir),
            "base_config_digest": grid.base.digest()}
    rows: dict[str, dict] = {}
    todo: list[Point] = []
    for p in points:
        pdir = sweep_dir / "points" / p.id
        rec = read_point(pdir) if resuming else None
        rows[p.id] = make_row(p.id, p.values, rec)
        if rec is None or rec["status"] != "done":
            todo.append(p)
            if not (pdir / "config.toml").is_file():
                write_text(pdir / "config.toml", C.to_toml(p.config))
                write_json(pdir / "point.json", {"id": p.id, "values": p.values})
            if rec is not None:
                rows[p.id] = make_row(p.id, p.values, None)   # failed before: runs again
    skipped = len(points) - len(todo)
    log.info("sweep %s: %d points (%s), %d finished before, %d to run", sweep_dir, len(points),
             " x ".join(f"{k}[{len(v)}]" for k, v in grid.axes), skipped, len(todo))
    say(f"sweep {sweep_dir}: {len(points)} points, "
        + (f"{skipped} already finished, " if resuming else "") + f"{len(todo)} to run")

    def ordered():
        return [rows[p.id] for p in points]

    write_results(sweep_dir, grid.axes, ordered(), meta=meta, figure=False)
    if todo:
        if features:
            t0 = time.perf_counter()
            n = prepare_features(todo, echo=say if progress else None)
            log.info("feature caches: %d configs in %.1f s", n, time.perf_counter() - t0)
        _submit_all(todo, rows, sweep_dir, scheduler, workers, client, job, progress, say, len(points),
                    lambda: write_results(sweep_dir, grid.axes, ordered(), meta=meta, figure=False))
    seconds = time.perf_counter() - t_start
    meta["seconds_last_session"] = seconds
    write_results(sweep_dir, grid.axes, ordered(), meta=meta, figure=True)
    res = SweepResult(sweep_dir, ordered(), grid.axes, seconds, len(todo), skipped)
    log.info("sweep finished: %d done, %d failed, %.1f s", len(res.done), len(res.failed), seconds)
    return res


def _submit_all(todo, rows, sweep_dir, scheduler, workers, client, job, progress, say, total,
                checkpoint) -> None:
    import dask
    from distributed import Client, as_completed

    own = contextlib.ExitStack()
    with own:
        if client is None:
            if scheduler:
                client = own.enter_context(Client(scheduler))
            else:
                own.enter_context(dask.config.set(local_cluster_config()))
                client = local_client(workers)
                own.callback(lambda c=client: (c.close(), c.cluster.close()))
        topic = f"stdp-emo-sweep-{uuid.uuid4().hex[:12]}"
        started: set[str] = set()
        lock = threading.Lock()

        def on_event(event):
            msg = event[1] if isinstance(event, tuple) else event
            if isinstance(msg, dict) and msg.get("state") == "started":
                with lock:
                    started.add(msg["id"])

        client.subscribe_topic(topic, on_event)
        own.callback(lambda: _quietly(client.unsubscribe_topic, topic))
        env = _worker_env()
        queue = collections.deque(todo)
        inflight: dict[str, Point] = {}
        futures = {}
        ac = as_completed()
        last = None

        def counts():
            c = collections.Counter(r["status"] for r in rows.values())
            with lock:
                running = sum(1 for pid in inflight if pid in started)
            return {"done": c.get("done", 0), "failed": c.get("failed", 0), "running": running}

        def fill():
            if not queue:
                return
            capacity = max(1, len(client.nthreads()))
            while queue and len(inflight) < capacity:
                p = queue.popleft()
                pdir = sweep_dir / "points" / p.id
                fut = client.submit(run_point, job, p.config, str(pdir), p.values, env, topic,
                                    key=f"stdp-emo-point-{p.id}-{topic[-12:]}", pure=False)
                inflight[p.id] = p
                futures[fut.key] = (fut, p)
                ac.add(fut)

        fill()
        while inflight or queue:
            batch = ac.next_batch(block=False)
            for fut in batch:
                _, p = futures.pop(fut.key)
                inflight.pop(p.id, None)
                row = _outcome(fut, p, sweep_dir)
                rows[p.id] = row
                if row["status"] == "failed":
                    msg = f"point {p.id} {_fmt_values(p.values)} failed: {row['error']}"
                    log.info(msg)          # shown by say(); WARNING would repeat it on stderr
                    say(msg)
                else:
                    log.info("point %s %s: accuracy %.3f, %.1f s", p.id, _fmt_values(p.values),
                             row["accuracy"] or float("nan"), row["seconds"] or float("nan"))
                fut.release()
            if batch:
                checkpoint()
            fill()
            now = counts()
            if now != last:
                last = now
                line = _progress_line(now, total)
                log.info(line)
                if progress:
                    say(line)
            if not batch:
                time.sleep(0.2)


def _quietly(fn, *args):
    with contextlib.suppress(Exception):
        fn(*args)


def _outcome(fut, p: Point, sweep_dir: Path) -> dict:
    """The row of a finished future; writes error.json for a point whose worker died."""
    pdir = sweep_dir / "points" / p.id
    try:
        res = fut.result()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:                  # KilledWorker, lost/cancelled task
        rec = read_point(pdir)
        if rec is not None and rec["status"] == "done":
            return make_row(p.id, p.values, rec)
        killed = type(e).__name__ == "KilledWorker"
        if killed:
            worker = getattr(getattr(e, "last_worker", None), "address", None)
            error = ("the worker process died while running this point (KilledWorker"
                     + (f", last on {worker})" if worker else ")"))
        else:
            error = f"the task was lost ({type(e).__name__}: {' '.join(str(e).split())})"
        err = {"id": p.id, "values": p.values, "status": "failed",
               "kind": "killed" if killed else "lost", "error": error,
               "detail": " ".join(str(e).split()), "seconds": None}
        write_json(pdir / ERROR_FILE, err)
        return make_row(p.id, p.values, err)
    return make_row(p.id, p.values, res)


# ------------------------------------------------------------------ CLI
def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``stdp-emo sweep`` to the CLI's subparsers."""
    from .datasets import DATASETS

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
        print(f"\nbest: point {best['id']} {_fmt_values(best['values'])}: accuracy "
              f"{best['accuracy']:.3f}, UAR {best['uar']:.3f}")
    print(f"\nsweep record: {res.sweep_dir} ({res.ran} points run, {res.skipped} skipped, "
          f"{res.seconds:.0f} s)")
    if res.failed:
        print(f"{len(res.failed)} points failed (errors in points/<id>/error.json); "
              f"retry them with --resume {res.sweep_dir}", file=sys.stderr)
        return 1
    return 0
