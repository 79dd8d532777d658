"""Experiment records: ``runs/<dataset>/<stamp>_<tag>/``, written and read back.

A run directory is created fresh (a numeric suffix is added if the name exists) and
holds ``config.toml``, ``split.json``, ``metrics.json``, ``predictions.json``,
``model.json`` (``{"model_dir": ...}``, the model it wrote), ``counts.npz`` (the frozen
network's spike counts per layer, :mod:`stdp_emo.late_fusion`), ``log.txt``, figures, and
``status.json``: ``{"status": "complete"}``, or ``"failed"`` / ``"interrupted"`` with the
one-line ``error`` (also in ``log.txt``).  A compare run adds ``compare.json``.

Trained models (``models/<name>/``) are :class:`stdp_emo.model.TrainedModel`'s.
Readers here give one-line :class:`DataError` on missing or malformed files.
"""
from __future__ import annotations

import datetime as _dt
import json
import logging
from pathlib import Path

from .errors import DataError, StdpEmoError
from .fileio import claim_dir, write_json, write_text, writing
from .model import safe_name
from .paths import resolve_recorded, runs_home

STATUS = "status.json"


class RunRecord:
    """An experiment record directory ``runs/<dataset>/<YYYYmmdd-HHMMSS>_<tag>/``.

    Creating one makes the directory (never reusing an existing one) and
    attaches a log file handler writing ``log.txt``.
    """

    def __init__(self, dataset: str, tag: str, home: Path | None = None):
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        parent = (Path(home) if home else runs_home()) / safe_name(dataset)
        self.path = claim_dir(parent, f"{stamp}_{safe_name(tag)}")
        self._attach()

    @classmethod
    def reopen(cls, path: str | Path) -> "RunRecord":
        """An existing run directory (to resume it); the log is appended to."""
        self = cls.__new__(cls)
        self.path = Path(path)
        self._attach()
        return self

    def _attach(self) -> None:
        with writing(self.path):
            self._handler = logging.FileHandler(self.path / "log.txt", encoding="utf-8")
        self._handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger("stdp_emo").addHandler(self._handler)
        logging.getLogger("stdp_emo").setLevel(logging.INFO)

    def write_json(self, name: str, obj) -> Path:
        return write_json(self.path / name, obj)

    def write_text(self, name: str, text: str) -> Path:
        return write_text(self.path / name, text)

    def fail(self, exc: BaseException) -> None:
        """Record that the run stopped on ``exc``: its one-line error goes into ``log.txt``
        and, when the record is closed, ``status.json`` says ``failed`` (``interrupted``
        for Ctrl-C / SIGTERM)."""
        msg = " ".join(str(exc).split()) or type(exc).__name__
        if isinstance(exc, KeyboardInterrupt):
            self._status = {"status": "interrupted", "error": msg or "interrupted"}
        else:
            self._status = {"status": "failed", "error": f"{type(exc).__name__}: {msg}"
                            if not isinstance(exc, StdpEmoError) else msg}
        logging.getLogger("stdp_emo").error("run %s: %s", self._status["status"],
                                            self._status["error"])

    def close(self) -> None:
        """Write ``status.json`` (``complete`` unless :meth:`fail` was called) and detach the log.

        A status that cannot be written (full disk, read-only folder) is logged, not raised:
        the error that ended the run is the one to report."""
        status = getattr(self, "_status", None) or {"status": "complete"}
        try:
            write_json(self.path / STATUS, status)
        except StdpEmoError as e:
            logging.getLogger("stdp_emo").warning("%s", e)
        logging.getLogger("stdp_emo").removeHandler(self._handler)
        self._handler.close()


# ------------------------------------------------------------------ reading
def read_json(path: Path, required: bool = True):
    if not path.is_file():
        if required:
            raise DataError(f"{path.parent}: missing {path.name} (not a stdp_emo run directory?)")
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(f"{path}: unreadable ({e})") from None


def load_metrics(run_dir: str | Path) -> dict:
    """``metrics.json`` of a run directory; one-line :class:`DataError` if missing or malformed."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise DataError(f"{run_dir}: not a run directory (no such directory)")
    metrics = read_json(run_dir / "metrics.json")
    u = metrics.get("unsupervised") if isinstance(metrics, dict) else None
    if not isinstance(u, dict) or not {"confusion", "per_class_accuracy"} <= set(u):
        raise DataError(f"{run_dir / 'metrics.json'}: no unsupervised confusion/per_class_accuracy")
    return metrics


def find_model_dir(run_dir: str | Path, metrics: dict | None = None) -> Path | None:
    """The model a run belongs to: ``run_dir/model.json {"model_dir"}`` or ``metrics["model_dir"]``.

    A relative recorded path is resolved with `resolve_recorded`, so the
    model is found whichever folder the caller runs from.
    """
    run_dir = Path(run_dir)
    ref = read_json(run_dir / "model.json", required=False)
    path = ref.get("model_dir") if isinstance(ref, dict) else None
    if not path and metrics:
        path = metrics.get("model_dir")
    return resolve_recorded(path, run_dir) if path else None


def load_compare(run_dir: str | Path) -> dict:
    """``compare.json`` of a compare run directory (see ``stdp_emo.compare``).

    Checks the layout the figures and tables need: ``runs`` (each with
    ``mode``, ``features``, ``seed``, ``accuracy``), and lists (possibly
    empty) ``summary``, ``robustness`` and ``energy``.

    Raises
    ------
    DataError
        Missing directory or compare.json, unreadable JSON or a wrong layout (one line).
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise DataError(f"{run_dir}: not a compare run directory (no such directory)")
    path = run_dir / "compare.json"
    if not path.is_file():
        raise DataError(f"{run_dir}: missing compare.json (not a compare run directory?)")
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("runs"), list):
        raise DataError(f"{path}: no list of runs")
    for key in ("summary", "robustness", "energy"):
        if not isinstance(data.get(key) or [], list):
            raise DataError(f"{path}: '{key}' must be a list")
    for k, r in enumerate(data["runs"]):
        if not isinstance(r, dict) or not {"mode", "features", "accuracy"} <= set(r):
            raise DataError(f"{path}: runs[{k}] lacks mode, features or accuracy")
    if not data["runs"] and not data.get("summary"):
        raise DataError(f"{path}: no runs and no summary to show")
    return data
