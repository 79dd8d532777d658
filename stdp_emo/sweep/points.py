"""One point's job, run on a Dask worker: train it, record result.json or error.json.

:func:`run_point` is the Dask task: it sets the environment the sweep's
client resolved (:func:`worker_env`: data and cache folders), runs the job
(default :func:`train_point`) one at a time per worker process (Brian2's
device is process-global) and writes the outcome into the point's folder;
:func:`read_point` reads it back (``--resume``).
"""
from __future__ import annotations

import contextlib
import datetime
import json
import logging
import os
import platform
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Callable

from .. import config as C
from ..fileio import write_json

log = logging.getLogger("stdp_emo.sweep")

RESULT_FILE = "result.json"
ERROR_FILE = "error.json"


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
    from ..training import train

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


def worker_env() -> dict:
    """``STDP_EMO_DATA`` and ``STDP_EMO_CACHE`` as resolved here (set by :func:`run_point`)."""
    from ..paths import cache_home, data_home

    return {"STDP_EMO_DATA": str(data_home().resolve()),
            "STDP_EMO_CACHE": str(cache_home().resolve())}
