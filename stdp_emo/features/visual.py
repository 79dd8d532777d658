"""Face videos of a dataset -> simulated DVS events -> event counts per input.

Every clip's face video is cropped to the face (Haar cascade, smoothed),
turned into events by the DVS emulator (:mod:`stdp_emo.features.dvs`) and
summarised as an event-count map per polarity; the encoding stage
(:func:`stdp_emo.encoding.dvs_rates`) turns it into input values in [0, 1], so the
Poisson input rate of pixel (p, y, x) is proportional to how many events it produced.
Events are cached per video and config, so a second run does not recompute.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..config import VisualConfig
from ..datasets.base import Dataset
from ..errors import DataError
from ..paths import data_home
from .dvs import add_noise_events, event_counts, load_or_compute

log = logging.getLogger(__name__)


@dataclass
class VisualFeatures:
    """Visual inputs of a dataset.

    Attributes
    ----------
    counts : ndarray, shape (n_clips, C * S * S)
        Events per input over the clip, (C, H, W) flattened (C = 2: OFF, ON;
        1 when polarities are merged).  Rows of skipped clips are 0.
    input_shape : (C, S, S)
    ok : ndarray of bool, shape (n_clips,)
        False for clips whose video could not be used.
    events_per_clip : ndarray of int, shape (n_clips,)
    seconds : ndarray of float, shape (n_clips,)
        Duration of every video (first to last frame, s); NaN for skipped clips.
    faces_not_found : list of str
        Ids of clips where no face was detected (a centre crop was used).
    errors : dict
        Clip id -> one-line error, for skipped clips.
    damaged : dict
        Clip id -> the decoder's line, for videos that are damaged or truncated
        (used with the frames that could be decoded).
    """

    counts: np.ndarray
    input_shape: tuple
    ok: np.ndarray
    events_per_clip: np.ndarray
    seconds: np.ndarray | None = None
    faces_not_found: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    damaged: dict = field(default_factory=dict)

    def summary(self) -> dict:
        return {"clips": int(self.ok.size), "skipped": int((~self.ok).sum()),
                "faces_not_found": len(self.faces_not_found),
                "damaged": self.damaged,
                "events_per_clip_mean": float(self.events_per_clip[self.ok].mean()) if self.ok.any() else 0.0,
                "errors": self.errors}


def clip_input(video_path, cfg: VisualConfig, cache_dir, noise_rate_hz: float = 0.0,
               noise_seed: int = 0) -> tuple[np.ndarray, int, bool, float, str | None]:
    """Event counts per input, event count, face-found flag, duration (s) and damage of one video.

    The damage is the decoder's one line when the file is damaged or truncated (the
    frames that could be decoded are used), else None.

    ``noise_rate_hz`` > 0 adds uniformly random events (per pixel and
    polarity, per second; see :func:`~stdp_emo.features.dvs.add_noise_events`).
    """
    with warnings.catch_warnings():
        # shown once per dataset by the caller: damage (from ``info``, cached too) and the
        # faces not found (from the flag), counted and named in the run record
        warnings.simplefilter("ignore")
        events, info = load_or_compute(video_path, cfg, cache_dir, cfg.crop_size)
    size = (cfg.crop_size, cfg.crop_size, 2)
    if noise_rate_hz > 0:
        events = add_noise_events(events, size, (info["t_start_us"], info["t_end_us"]),
                                  noise_rate_hz, np.random.default_rng(noise_seed))
    x = event_counts(events, size, merge_polarity=cfg.merge_polarity,
                     t_range=(info["t_start_us"], info["t_end_us"]))
    seconds = (info["t_end_us"] - info["t_start_us"]) / 1e6
    return (np.asarray(x, dtype=np.float64), int(events.size), bool(info.get("face_found", True)),
            float(seconds), info.get("damaged"))


def _one(args):
    path, cfg, cache_dir = args
    try:
        return clip_input(path, cfg, cache_dir), None
    except DataError as e:
        return None, str(e)


def extract_visual_dataset(dataset: Dataset, cfg: VisualConfig, cache_dir: Path | None = None,
                           progress: bool = True, workers: int | None = None) -> VisualFeatures:
    """Visual inputs of every clip (bad videos are skipped, counted and named).

    Raises
    ------
    DataError
        If the dataset has no face video at all.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else data_home() / "cache" / "events"
    cache_dir.mkdir(parents=True, exist_ok=True)
    shape = (1 if cfg.merge_polarity else 2, cfg.crop_size, cfg.crop_size)
    n_in = int(np.prod(shape))
    missing = [c.id for c in dataset.clips if c.video_path is None]
    if len(missing) == len(dataset.clips):
        raise DataError(f"{dataset.root}: no face videos (.mp4/.avi) found; for audio-only data "
                        "render faces first: stdp-emo synth faces --audio-root DIR --out DIR")
    inputs = np.zeros((len(dataset), n_in))
    ok = np.zeros(len(dataset), dtype=bool)
    n_events = np.zeros(len(dataset), dtype=np.int64)
    out = VisualFeatures(inputs, shape, ok, n_events, np.full(len(dataset), np.nan))
    for cid in missing:
        out.errors[cid] = "no video for this trial"
    todo = [(k, c) for k, c in enumerate(dataset.clips) if c.video_path is not None]
    jobs = [(str(c.video_path), cfg, str(cache_dir)) for _, c in todo]
    workers = workers or (min(2, os.cpu_count() or 1) if len(jobs) > 8 else 1)
    bar = tqdm(total=len(jobs), desc="face video -> DVS events", unit="clip", disable=not progress)
    if workers > 1:
        # spawned, not forked: a forked worker inherits the parent's FFmpeg (libswscale)
        # slice-thread state from earlier decoding and can hang in its first frame conversion
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = pool.map(_one, jobs, chunksize=4)
            for (k, clip), (res, err) in zip(todo, results):
                _store(out, k, clip, res, err)
                bar.update()
    else:
        for (k, clip), job in zip(todo, jobs):
            _store(out, k, clip, *_one(job))
            bar.update()
    bar.close()
    if out.faces_not_found:
        log.warning("no face found in %d videos (centre crop used), e.g. %s",
                    len(out.faces_not_found), out.faces_not_found[0])
    if out.damaged:
        log.warning("%d videos are damaged or truncated (their decodable frames are used), "
                    "e.g. %s", len(out.damaged), next(iter(out.damaged.values())))
    if out.errors:
        log.warning("%d clips skipped for their video, e.g. %s", len(out.errors),
                    next(iter(out.errors.values())))
    return out


def _store(out: VisualFeatures, k: int, clip, res, err) -> None:
    if err is not None:
        out.errors[clip.id] = err
        return
    x, n, face, seconds, damaged = res
    if damaged:
        out.damaged[clip.id] = damaged
    out.counts[k] = x
    out.events_per_clip[k] = n
    out.seconds[k] = seconds
    out.ok[k] = True
    if not face:
        out.faces_not_found.append(clip.id)
