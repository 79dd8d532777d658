"""Audio features: 40 MFCCs or a 128-band log-Mel spectrogram of fixed length (MBY19),
or the 88 eGeMAPS functionals of the clip as a one-frame feature image.

Pipeline for one clip (:func:`extract`)::

    mono signal at cfg.sample_rate_hz
      -> trim leading/trailing silence (librosa.effects.trim, top_db = cfg.trim_db)
      -> keep the samples of the first cfg.n_frames frames (the end is cropped)
      -> Mel power spectrogram (Hann window, center=False: every frame is real signal)
      -> power_to_db (ref 1.0, amin 1e-10, top_db 80)        = "mel" features
      -> DCT-II (librosa.feature.mfcc, ortho), first n_mfcc  = "mfcc" features
      -> pad the end with zero frames up to cfg.n_frames

``kind = "egemaps"`` (:mod:`stdp_emo.features.functionals`): the untrimmed signal's
eGeMAPS v02 functionals, shape (88, 1), one real frame.

``kind = "egemaps_mfcc"``: both descriptions of the clip in one feature image of shape
(88 + n_mfcc, n_frames): rows 0-87 hold the eGeMAPS functionals in every real frame of the
MFCCs (0 in the padding), rows 88- the MFCCs.  A per-frame code averaged over the real
frames (the population code) then sees each functional exactly as the one-frame
"egemaps" kind does, beside the MFCC code; the scaler's percentiles of a functional
weight clips by their number of real frames.

The features are *unscaled*.  :class:`Scaler` maps them to [0, 1] per
coefficient with percentiles of the training split; padded frames become 0
(no input spikes).  :func:`extract_dataset` computes the features of every
clip of a dataset, with a cache keyed by the config and the files' sizes and
modification times.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import logging
import multiprocessing
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import librosa
import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from ..config import AudioConfig
from ..datasets.base import Clip, Dataset
from ..datasets.media import read_audio
from ..errors import DataError
from ..fileio import write_npz
from ..paths import data_home
from .functionals import N_EGEMAPS, egemaps

log = logging.getLogger(__name__)

FEATURE_VERSION = 1
"""Bumped when the feature computation changes, so that old caches are not reused."""

PARALLEL_MIN_CLIPS = 50
"""Datasets with more clips than this are processed by 2 worker processes."""

_TOP_DB = 80.0  # dynamic range kept by power_to_db, below each clip's maximum


# ------------------------------------------------------------------ one clip
def n_coefficients(cfg: AudioConfig) -> int:
    """Rows of the feature matrix: ``n_mfcc`` for "mfcc", ``n_mels`` for "mel", 88 for
    "egemaps", ``88 + n_mfcc`` for "egemaps_mfcc"."""
    return {"mfcc": cfg.n_mfcc, "mel": cfg.n_mels, "egemaps": N_EGEMAPS,
            "egemaps_mfcc": N_EGEMAPS + cfg.n_mfcc}[cfg.kind]


def n_frames(cfg: AudioConfig) -> int:
    """Columns of the feature matrix: ``cfg.n_frames``, or 1 for the clip-level "egemaps"."""
    return 1 if cfg.kind == "egemaps" else cfg.n_frames


def trim_silence(signal: np.ndarray, cfg: AudioConfig) -> np.ndarray:
    """Remove leading and trailing silence.

    Parameters
    ----------
    signal : ndarray, shape (n_samples,), float32
        Mono audio.
    cfg : AudioConfig
        ``trim_db`` (dB below the clip's peak RMS; 0 disables trimming),
        ``n_fft`` and ``hop_length_samples`` (RMS frame and hop).

    Returns
    -------
    ndarray, shape (n_kept,), float32
        The signal between the first and last non-silent RMS frame; the whole
        signal if trimming is disabled or would leave nothing (digital silence).
    """
    if cfg.trim_db <= 0:
        return signal
    trimmed, _ = librosa.effects.trim(signal, top_db=cfg.trim_db, frame_length=cfg.n_fft,
                                      hop_length=cfg.hop_length_samples)
    return trimmed if trimmed.size else signal


def log_mel(signal: np.ndarray, cfg: AudioConfig) -> np.ndarray:
    """Log-power Mel spectrogram.

    Parameters
    ----------
    signal : ndarray, shape (n_samples,), float32
        Mono audio at ``cfg.sample_rate_hz``; shorter than ``n_fft`` is padded
        with zeros to one frame.
    cfg : AudioConfig

    Returns
    -------
    ndarray, shape (cfg.n_mels, n), float32
        dB re 1.0 (full-scale power), floored at 80 dB below the clip's
        maximum; ``n = 1 + (n_samples - n_fft) // hop`` frames (center=False).
    """
    if signal.size < cfg.n_fft:
        signal = np.pad(signal, (0, cfg.n_fft - signal.size))
    power = librosa.feature.melspectrogram(
        y=signal, sr=cfg.sample_rate_hz, n_fft=cfg.n_fft, hop_length=cfg.hop_length_samples,
        win_length=cfg.win_length_samples, window="hann", center=False, power=2.0,
        n_mels=cfg.n_mels, fmax=cfg.fmax_hz)
    return librosa.power_to_db(power, ref=1.0, amin=1e-10, top_db=_TOP_DB).astype(np.float32)


def fix_length(features: np.ndarray, n_frames: int) -> tuple[np.ndarray, int]:
    """Crop the end or zero-pad the end to ``n_frames`` columns.

    Parameters
    ----------
    features : ndarray, shape (n_coeff, n)
    n_frames : int

    Returns
    -------
    fixed : ndarray, shape (n_coeff, n_frames), float32
        The first ``min(n, n_frames)`` frames, then zeros.
    n_valid : int
        ``min(n, n_frames)``: number of real (non-padded) frames.
    """
    n_valid = min(features.shape[1], n_frames)
    fixed = np.zeros((features.shape[0], n_frames), dtype=np.float32)
    fixed[:, :n_valid] = features[:, :n_valid]
    return fixed, n_valid


def extract(signal: np.ndarray, cfg: AudioConfig) -> tuple[np.ndarray, int]:
    """Unscaled features of one clip.

    Parameters
    ----------
    signal : ndarray, shape (n_samples,)
        Mono audio at ``cfg.sample_rate_hz`` (as returned by ``read_audio``).
    cfg : AudioConfig

    Returns
    -------
    features : ndarray, shape (n_coeff, n_frames(cfg)), float32
        MFCCs (``n_coeff = n_mfcc``) or log-Mel energies in dB
        (``n_coeff = n_mels``), one column per 10 ms hop, starting at the first
        non-silent frame; frames past the end of the speech are 0.  For
        "egemaps": the 88 functionals, one column.  For "egemaps_mfcc": the functionals
        repeated in every real frame, above the MFCCs (see the module docstring).
    n_valid : int
        Number of real frames, 1..n_frames (1 for "egemaps").

    Raises
    ------
    ValueError
        If ``signal`` is not a non-empty 1-D array.
    """
    signal = np.asarray(signal, dtype=np.float32)
    if signal.ndim != 1 or signal.size == 0:
        raise ValueError(f"expected a non-empty mono signal, got shape {signal.shape}")
    if cfg.kind == "egemaps":
        return egemaps(signal, cfg.sample_rate_hz)[:, None].astype(np.float32), 1
    if cfg.kind == "egemaps_mfcc":
        functionals = egemaps(signal, cfg.sample_rate_hz)       # of the untrimmed signal
        mfcc, n_valid = extract(signal, dataclasses.replace(cfg, kind="mfcc"))
        held = np.zeros((N_EGEMAPS, cfg.n_frames), np.float32)
        held[:, :n_valid] = functionals[:, None]
        return np.concatenate([held, mfcc]), n_valid
    signal = trim_silence(signal, cfg)
    # crop the end: exactly the samples of the first n_frames frames are analysed
    signal = signal[: cfg.n_fft + (cfg.n_frames - 1) * cfg.hop_length_samples]
    spec = log_mel(signal, cfg)
    if cfg.kind == "mfcc":
        spec = librosa.feature.mfcc(S=spec, n_mfcc=cfg.n_mfcc, dct_type=2, norm="ortho")
    return fix_length(spec, cfg.n_frames)


# ------------------------------------------------------------------ real frames, statistics, scaling
def valid_mask(n_valid: np.ndarray, n_frames: int) -> np.ndarray:
    """Boolean mask of real frames.

    Parameters
    ----------
    n_valid : array_like of int, shape (n_samples,)
    n_frames : int

    Returns
    -------
    ndarray of bool, shape (n_samples, n_frames)
        ``mask[i, t]`` is True for ``t < n_valid[i]``.
    """
    return np.arange(n_frames)[None, :] < np.asarray(n_valid).reshape(-1, 1)


def frame_statistics(features: np.ndarray, n_valid: np.ndarray) -> np.ndarray:
    """Mean and standard deviation of each coefficient over the real frames.

    Parameters
    ----------
    features : ndarray, shape (n_samples, n_coeff, n_frames)
        Unscaled features.
    n_valid : ndarray of int, shape (n_samples,)
        Real frames of each sample (>= 1).

    Returns
    -------
    ndarray, shape (n_samples, 2 * n_coeff), float64
        Means of all coefficients, then standard deviations.
    """
    x = np.asarray(features, dtype=np.float64)
    mask = valid_mask(n_valid, x.shape[2])[:, None, :]
    n = mask.sum(axis=2)
    mean = (x * mask).sum(axis=2) / n
    std = np.sqrt((((x - mean[:, :, None]) * mask) ** 2).sum(axis=2) / n)
    return np.concatenate([mean, std], axis=1)


@dataclass(frozen=True, eq=False)
class Scaler:
    """Per-coefficient linear map of features to [0, 1].

    Attributes
    ----------
    low, high : ndarray, shape (n_coeff,), float64
        Values mapped to 0 and 1 (percentiles of the training split's real frames).
    """

    low: np.ndarray
    high: np.ndarray

    @classmethod
    def fit(cls, features: np.ndarray, n_valid: np.ndarray, cfg: AudioConfig) -> "Scaler":
        """Percentiles of each coefficient over the real frames of the given samples.

        Pass the *training* samples only.

        Parameters
        ----------
        features : ndarray, shape (n_samples, n_coeff, n_frames)
            Unscaled features.
        n_valid : ndarray of int, shape (n_samples,)
        cfg : AudioConfig
            ``scale_low_percentile`` and ``scale_high_percentile`` (0..100).
        """
        features = np.asarray(features)
        mask = valid_mask(n_valid, features.shape[2])
        if not mask.any():
            raise ValueError("cannot fit a scaler without any real frame")
        values = features.transpose(1, 0, 2)[:, mask]  # (n_coeff, n_real_frames)
        low, high = np.percentile(values, [cfg.scale_low_percentile, cfg.scale_high_percentile],
                                  axis=1)
        return cls(low.astype(np.float64), high.astype(np.float64))

    def transform(self, features: np.ndarray, n_valid) -> np.ndarray:
        """Scale to [0, 1].

        Parameters
        ----------
        features : ndarray, shape (n_samples, n_coeff, n_frames) or (n_coeff, n_frames)
            Unscaled features.
        n_valid : ndarray of int, shape (n_samples,), or int for a single sample

        Returns
        -------
        ndarray, float32, same shape as ``features``
            ``(x - low) / (high - low)`` clipped to [0, 1]; padded frames are
            exactly 0.  A coefficient with ``high == low`` maps to 0 or 1.
        """
        x = np.asarray(features, dtype=np.float64)
        single = x.ndim == 2
        if single:
            x = x[None]
        span = self.high - self.low
        span = np.where(span > 0, span, np.finfo(np.float64).tiny)
        scaled = np.clip((x - self.low[:, None]) / span[:, None], 0.0, 1.0)
        scaled *= valid_mask(n_valid, x.shape[2])[:, None, :]
        scaled = scaled.astype(np.float32)
        return scaled[0] if single else scaled

    def to_dict(self) -> dict[str, np.ndarray]:
        """Arrays ``scaler_low`` and ``scaler_high``, e.g. for ``write_npz(path, **d)``."""
        return {"scaler_low": self.low, "scaler_high": self.high}

    @classmethod
    def from_dict(cls, d: Mapping[str, np.ndarray]) -> "Scaler":
        """Inverse of :meth:`to_dict` (accepts an opened ``.npz`` too)."""
        return cls(np.asarray(d["scaler_low"], dtype=np.float64),
                   np.asarray(d["scaler_high"], dtype=np.float64))


def speaker_normalise(features: np.ndarray, n_valid: np.ndarray, speakers) -> np.ndarray:
    """Standardise every clip's features with its speaker's statistics.

    Parameters
    ----------
    features : ndarray, shape (n_samples, n_coeff, n_frames)
        Unscaled features.
    n_valid : ndarray of int, shape (n_samples,)
    speakers : array_like, shape (n_samples,)
        Speaker of each clip.

    Returns
    -------
    ndarray, float32, same shape
        Per speaker and coefficient ``(x - mean) / sd`` over the real frames of
        all that speaker's clips (sd 0 -> 1); padded frames stay 0.
    """
    x = np.asarray(features, dtype=np.float64)
    speakers = np.asarray(speakers)
    mask = valid_mask(n_valid, x.shape[2])
    out = np.zeros_like(x)
    for who in np.unique(speakers):
        idx = np.flatnonzero(speakers == who)
        values = x[idx].transpose(1, 0, 2)[:, mask[idx]]       # (n_coeff, real frames)
        mean, sd = values.mean(axis=1), values.std(axis=1)
        sd = np.where(sd > 0, sd, 1.0)
        out[idx] = (x[idx] - mean[:, None]) / sd[:, None]
    out *= mask[:, None, :]
    return out.astype(np.float32)


# ------------------------------------------------------------------ dataset
def _clip_features(clip: Clip, cfg: AudioConfig) -> tuple[np.ndarray | None, int, str, str]:
    """Features of one clip, or the error message of a bad clip (runs in workers).

    Returns
    -------
    features : ndarray, shape (n_coeff, n_frames), or None on error
    n_valid : int (0 on error)
    error : str ("" on success)
    damage : str
        "" or the reader's line about a truncated file (its samples are used).
    """
    try:
        if clip.audio_path is None:
            raise DataError(f"clip {clip.id}: has no audio file")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = read_audio(clip.audio_path, cfg.sample_rate_hz)
        try:
            features, n_valid = extract(y, cfg)
        except DataError as e:         # name the file (eGeMAPS errors name only the signal)
            raise DataError(f"{clip.audio_path}: {e}") from None
    except DataError as e:
        return None, 0, str(e), ""
    damage = [str(w.message) for w in caught if "truncated" in str(w.message)]
    return features, n_valid, "", damage[0] if damage else ""


def _file_stamp(path: Path | None) -> list:
    if path is None:
        return ["", -1, -1]
    try:
        st = os.stat(path)
    except OSError:
        return [str(path), -1, -1]
    return [str(path), st.st_size, st.st_mtime_ns]


def cache_key(dataset: Dataset, cfg: AudioConfig) -> str:
    """Hash of the audio config, the feature code version and every clip's file.

    Each clip contributes its id, audio path, file size and modification time,
    so editing, replacing or adding a file changes the key.

    Returns
    -------
    str
        16 hex digits.
    """
    audio = dataclasses.asdict(cfg)
    audio.pop("speaker_subspace_dims")      # applied after extraction (and keeps older keys)
    if cfg.kind == "egemaps":   # the frame, trimming and scaling fields do not change it
        audio = {k: audio[k] for k in ("kind", "sample_rate_hz")}
    payload = {
        "version": FEATURE_VERSION,
        "audio": audio,
        "clips": sorted([c.id, *_file_stamp(c.audio_path)] for c in dataset.clips),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def _load_cache(path: Path, n_coeff: int, n_frames: int) -> dict[str, np.ndarray] | None:
    """Arrays of a cache file, or None (with a warning) if it is unreadable or malformed."""
    try:
        with np.load(path, allow_pickle=False) as z:
            d = {k: z[k] for k in ("features", "n_valid", "ids", "bad_ids", "bad_errors")}
            if "damaged_errors" in z.files:
                d["damaged_errors"] = z["damaged_errors"]
        ok = (d["features"].ndim == 3 and d["features"].shape[1:] == (n_coeff, n_frames)
              and d["n_valid"].shape == d["ids"].shape == d["features"].shape[:1]
              and d["bad_ids"].shape == d["bad_errors"].shape)
        if not ok:
            raise ValueError("unexpected array shapes")
    except Exception as e:  # any damage: rebuild
        log.warning("%s: ignoring unreadable feature cache (%s); recomputing", path, e)
        return None
    return d


def _single_threaded() -> None:
    """Limit BLAS to one thread: the matrices are small, and threads only contend."""
    threadpool_limits(limits=1)


def _compute(clips: list[Clip], cfg: AudioConfig, skip_bad: bool, progress: bool,
             workers: int) -> tuple[list, list, list]:
    """Features of ``clips`` in order; returns (good: [(id, features, n_valid)], bad: [(id, error)],
    damaged: [(id, line)] for files used although truncated)."""
    good, bad, damaged = [], [], []
    # import librosa's lazily loaded submodules once, before forking (~3 s each otherwise)
    librosa.effects.trim, librosa.feature.melspectrogram  # noqa: B018
    with threadpool_limits(limits=1):
        executor = None
        if workers > 1:
            executor = concurrent.futures.ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("fork"),
                initializer=_single_threaded)
            results = executor.map(_clip_features, clips, [cfg] * len(clips), chunksize=4)
        else:
            results = (_clip_features(c, cfg) for c in clips)
        try:
            for clip, (features, n_valid, error, damage) in tqdm(
                    zip(clips, results), total=len(clips), desc="audio features",
                    disable=not progress):
                if damage:
                    damaged.append((clip.id, damage))
                if error and not skip_bad:
                    raise DataError(error)
                if error:
                    log.warning("skipping %s", error)
                    bad.append((clip.id, error))
                else:
                    good.append((clip.id, features, n_valid))
        finally:
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)
    return good, bad, damaged


def extract_dataset(dataset: Dataset, cfg: AudioConfig, cache_dir: str | Path | None = None,
                    progress: bool = True, skip_bad: bool = False,
                    workers: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unscaled features of every clip of a dataset, cached on disk.

    The cache file is ``cache_dir / f"{dataset.name}-{cache_key(dataset, cfg)}.npz"``;
    a second call with the same files and config reads it instead of
    recomputing.  A damaged cache file is ignored (warning) and rewritten.

    Parameters
    ----------
    dataset : Dataset
        Clips with an ``audio_path``, read at ``cfg.sample_rate_hz``.
    cfg : AudioConfig
    cache_dir : path, optional
        Default ``data_home() / "cache"``.
    progress : bool
        Show a progress bar.
    skip_bad : bool
        False: the first unreadable clip raises its :class:`DataError`.
        True: unreadable clips are logged as warnings and left out.
    workers : int, optional
        Worker processes; default 2 when the dataset has more than
        :data:`PARALLEL_MIN_CLIPS` clips and 2 CPUs are available, else 1.
        The result does not depend on it.

    Returns
    -------
    features : ndarray, shape (n_good, n_coeff, n_frames(cfg)), float32
    n_valid : ndarray of int64, shape (n_good,)
        Real frames of each clip.
    ids : ndarray of str, shape (n_good,)
        Clip ids, in dataset order (all clips unless ``skip_bad`` left some out).

    Raises
    ------
    DataError
        A clip has no audio or its file is missing, corrupt or silent
        (unless ``skip_bad``).
    """
    n_coeff = n_coefficients(cfg)
    cache_dir = Path(cache_dir) if cache_dir is not None else data_home() / "cache"
    path = cache_dir / f"{dataset.name}-{cache_key(dataset, cfg)}.npz"
    cached = _load_cache(path, n_coeff, n_frames(cfg)) if path.exists() else None
    if cached is None:
        clips = list(dataset.clips)
        if workers is None:
            workers = 2 if len(clips) > PARALLEL_MIN_CLIPS and (os.cpu_count() or 1) >= 2 else 1
        good, bad, damaged = _compute(clips, cfg, skip_bad, progress, workers)
        cached = {
            "features": (np.stack([g[1] for g in good]) if good
                         else np.zeros((0, n_coeff, n_frames(cfg)), np.float32)),
            "n_valid": np.array([g[2] for g in good], dtype=np.int64),
            "ids": np.array([g[0] for g in good], dtype=str),
            "bad_ids": np.array([b[0] for b in bad], dtype=str),
            "bad_errors": np.array([b[1] for b in bad], dtype=str),
            "damaged_errors": np.array([d[1] for d in damaged], dtype=str),
        }
        write_npz(path, **cached)
    elif cached["bad_ids"].size:
        if not skip_bad:
            raise DataError(str(cached["bad_errors"][0]))
        for error in cached["bad_errors"]:
            log.warning("skipping %s", error)
    damaged = cached.get("damaged_errors", np.zeros(0, str))
    if damaged.size:                       # on every run, cached or not
        log.warning("%d audio files are damaged or truncated (their samples are used), e.g. %s",
                    damaged.size, damaged[0])
    return (cached["features"].astype(np.float32, copy=False),
            cached["n_valid"].astype(np.int64, copy=False), cached["ids"])
