"""Training checkpoints: the state of an unfinished (or unwritten) training run.

A checkpoint is one ``.npz`` in the run directory (no pickles): weights and
thresholds, the epoch, the presentations still to make, and what it belongs
to (config digest, training split), so that ``stdp-emo train --resume RUN``
continues exactly where training stopped.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from . import __version__
from .config import ExperimentConfig, to_toml
from .errors import WriteError

CHECKPOINT = "checkpoint.npz"
RUN_INFO = "run.json"      # what a resumed run must keep: the model name given


def save_checkpoint(path: Path, cfg: ExperimentConfig, split_ids: list[str], epoch: int,
                    queue: list, state, train_stats: list) -> None:
    """Write a training checkpoint atomically (one ``.npz``, no pickles).

    Holds the weights and thresholds, the epoch, the presentations still to
    make in it (sample, retry), the statistics of finished epochs, and what
    the checkpoint belongs to (config digest, training split).  The Poisson
    spikes are counter-based (no RNG state to keep) and the epoch orders are
    replayed from the seed.
    """
    from .fileio import write_npz

    meta = {"config_digest": cfg.digest(), "split_digest": _digest(split_ids), "epoch": epoch,
            "queue": [[int(s), int(r)] for s, r in queue], "train_stats": train_stats,
            "stdp_emo_version": __version__}
    write_npz(path, meta=np.array(json.dumps(meta)), **state.to_arrays())


def keep_trained(run_dir: Path, cfg: ExperimentConfig, split_info: dict, state,
                 train_stats: list) -> Path:
    """Keep a finished network that could not be written as a model: a checkpoint of the
    end of training, from which ``stdp-emo train --resume`` writes the model.

    Written into ``run_dir``; if that fails too, into a new resumable run folder
    (config, split, checkpoint) in the system's temporary folder.

    Returns
    -------
    Path
        The checkpoint written.
    """
    epochs, ids = cfg.train.epochs, split_info["train_ids"]
    try:
        save_checkpoint(run_dir / CHECKPOINT, cfg, ids, epochs, [], state, train_stats)
        return run_dir / CHECKPOINT
    except WriteError:
        import tempfile

        from .fileio import write_json, write_text

        rescue = Path(tempfile.mkdtemp(prefix=f"stdp_emo-{run_dir.name}-"))
        write_text(rescue / "config.toml", to_toml(cfg))
        write_json(rescue / "split.json", split_info)
        save_checkpoint(rescue / CHECKPOINT, cfg, ids, epochs, [], state, train_stats)
        return rescue / CHECKPOINT


def load_checkpoint(path: Path, cfg: ExperimentConfig, split_ids: list[str]):
    """Read a checkpoint; one-line :class:`DataError` if corrupt or not this run's.

    Returns
    -------
    (meta dict, NetworkState)
    """
    from .errors import DataError
    from .fileio import npz_problem
    from .network.state import NetworkState

    if not path.is_file():
        raise DataError(f"{path}: no checkpoint to resume from")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays.pop("meta")))
        state = NetworkState.from_arrays(arrays)
    except Exception as e:  # BadZipFile, KeyError, JSONDecodeError, ValueError
        raise DataError(f"{path}: corrupt checkpoint ({npz_problem(e)})") from None
    if meta.get("config_digest") != cfg.digest():
        raise DataError(f"{path}: checkpoint was written with another config "
                        f"(digest {meta.get('config_digest')} != {cfg.digest()})")
    if meta.get("split_digest") != _digest(split_ids):
        raise DataError(f"{path}: checkpoint belongs to another dataset or split")
    return meta, state


def _digest(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]
