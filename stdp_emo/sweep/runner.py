"""Running a sweep: the sweep record, the Dask cluster, submitting points, gathering rows.

At most one point per worker is in flight, so a worker that dies takes only
its own point with it (:func:`_outcome` records it as failed); the result
files are rewritten whenever points finish.
"""
from __future__ import annotations

import collections
import contextlib
import fcntl
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .. import config as C
from ..errors import ConfigError
from ..fileio import write_json, write_text
from .grid import Grid, Point, format_values
from .points import ERROR_FILE, read_point, run_point, train_point, worker_env
from .tables import make_row, write_results

log = logging.getLogger("stdp_emo.sweep")


@contextlib.contextmanager
def _exclusive(sweep_dir: Path):
    """Hold ``sweep_dir/.sweep.lock`` for the block: one sweep process per directory."""
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


def prepare_features(points: list[Point], progress: bool = False,
                     echo: Callable[[str], None] | None = None) -> int:
    """Compute the feature caches once per distinct data/audio/visual config (this process).

    Returns
    -------
    int
        Number of distinct feature configs prepared.
    """
    from ..preparation import prepare

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
    from ..records import RunRecord

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
        env = worker_env()
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
                    msg = f"point {p.id} {format_values(p.values)} failed: {row['error']}"
                    log.info(msg)          # shown by say(); WARNING would repeat it on stderr
                    say(msg)
                else:
                    log.info("point %s %s: accuracy %.3f, %.1f s", p.id, format_values(p.values),
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

