"""Event-camera (DVS) emulation of face videos, and events as spiking-network input.

A dynamic vision sensor pixel emits an ON (OFF) event each time its
log intensity rises (falls) by a contrast threshold since its last event.
:func:`emulate` reproduces the v2e model (Hu, Liu & Delbruck 2021, without
the photoreceptor low-pass): per-pixel thresholds with mismatch, a
memorised log level per pixel, events at the times the linearly interpolated
log intensity crosses each threshold level, a refractory period, leak events
and shot noise.  ``method="framediff"`` is the simpler scheme of Wang et al.
("Spiking Emotions"): one event per pixel and frame when the absolute frame
difference exceeds a sensitivity.

Events are a structured array of :data:`EVENT_DTYPE` (tonic's convention):
``x``, ``y`` pixel, ``t`` time, ``p`` polarity (1 ON, 0 OFF).

**Time unit: microseconds** (``t`` and every ``*_us`` argument) unless a
name says otherwise (``*_ms``, ``*_hz``).

The emulator's parameters are the event-camera fields of
:class:`~stdp_emo.config.VisualConfig` (``dvs_method``, thresholds, noise,
``dvs_seed``, ...), defined there once; only the linear-log switch
:data:`LOG_EPS` is fixed here.

Input layout for the network (:func:`event_counts`): polarity-major, i.e.
a (C, H, W) array flattened in C order, ``index = p * H * W + y * W + x``
with channel 0 = OFF and 1 = ON (``C = 1``, ``index = y * W + x`` when
polarities are merged).
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np

from ..config import VisualConfig
from ..errors import DataError
from ..fileio import write_npz

EVENT_DTYPE = np.dtype([("x", "<i2"), ("y", "<i2"), ("t", "<i8"), ("p", "i1")])
"""Event record: pixel column ``x``, row ``y``, time ``t`` (us), polarity ``p`` (1 ON, 0 OFF)."""

SENSOR_SIZE = (100, 100, 2)
"""(width, height, polarities) of the emulated sensor = the face crop size."""

CACHE_VERSION = 2      # 2: info records decoder damage
"""Bump when :func:`emulate` changes its output for the same config (invalidates caches)."""

LOG_EPS = 20.0 / 255.0
"""Linear-log switch intensity (on [0, 1]) of :func:`lin_log`: below it the intensity is
mapped linearly (v2e: 20/255), above it logarithmically; the intensity is expressed in
0..255 grey levels as v2e does."""


def emulator_params(cfg: VisualConfig) -> dict:
    """The emulator's parameters of a visual config, under the names the event cache keys use.

    The names and values are those of the parameter record of CACHE_VERSION 2
    (``method``, ``seed``, ``log_eps`` and the fields of the same name), so
    events cached for the same settings stay valid.
    """
    return {"method": cfg.dvs_method, "pos_threshold": cfg.pos_threshold,
            "neg_threshold": cfg.neg_threshold, "threshold_sigma": cfg.threshold_sigma,
            "refractory_us": cfg.refractory_us, "leak_rate_hz": cfg.leak_rate_hz,
            "shot_noise_rate_hz": cfg.shot_noise_rate_hz, "log_eps": LOG_EPS,
            "upsample_factor": cfg.upsample_factor, "sensitivity": cfg.sensitivity,
            "seed": cfg.dvs_seed}


# ------------------------------------------------------------------ emulation
def lin_log(intensity: np.ndarray, log_eps: float = LOG_EPS) -> np.ndarray:
    """v2e's linear-log mapping of intensity, same shape, float64.

    With ``x = 255 * intensity`` and ``e = 255 * log_eps``: ``x * ln(e) / e``
    for ``x <= e`` (linear, avoids log(0) and the noise of dark pixels),
    ``ln(x)`` above (continuous at ``e``).
    """
    x = np.asarray(intensity, dtype=np.float64) * 255.0
    e = 255.0 * log_eps
    return np.where(x <= e, x * (np.log(e) / e), np.log(np.maximum(x, e)))


def _as_intensity(frames: np.ndarray) -> np.ndarray:
    """Frames (n, H, W) uint8 or float in [0, 1] -> float64 intensity in [0, 1]."""
    frames = np.asarray(frames)
    if frames.ndim != 3:
        raise ValueError(f"frames must have shape (n_frames, H, W), got {frames.shape}")
    if frames.dtype == np.uint8:
        return frames.astype(np.float64) / 255.0
    return np.clip(frames.astype(np.float64), 0.0, 1.0)


def _upsample(frames: np.ndarray, t: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Insert ``k - 1`` linearly interpolated frames between neighbours: shapes ((n-1)k+1, H, W), ((n-1)k+1,)."""
    if k == 1 or len(frames) < 2:
        return frames, t
    w = (np.arange(k) / k)[None, :, None, None]
    mid = (1 - w) * frames[:-1, None] + w * frames[1:, None]
    out = np.concatenate([mid.reshape(-1, *frames.shape[1:]), frames[-1:]])
    tt = ((1 - w[0, :, 0, 0]) * t[:-1, None] + w[0, :, 0, 0] * t[1:, None]).reshape(-1)
    return out, np.append(tt, t[-1])


def emulate(frames: np.ndarray, timestamps_us: np.ndarray, cfg: VisualConfig = VisualConfig()) -> np.ndarray:
    """Convert a video to DVS events.

    Parameters
    ----------
    frames : numpy.ndarray
        Shape (n_frames, H, W): uint8 grey levels, or float intensity in [0, 1].
    timestamps_us : numpy.ndarray
        Frame times, shape (n_frames,), strictly increasing, us.
    cfg : VisualConfig
        Emulator parameters: its event-camera fields.

    Returns
    -------
    numpy.ndarray
        Events, shape (n_events,), :data:`EVENT_DTYPE`, sorted by ``t``
        (stable), all ``t`` in ``[timestamps_us[0], timestamps_us[-1]]``.
        The first frame only initialises the memorised levels.

    Raises
    ------
    ValueError
        If a parameter is out of range (:meth:`VisualConfig.check_dvs`) or the
        frames and times do not fit.
    """
    cfg.check_dvs()
    I = _as_intensity(frames)
    t = np.asarray(timestamps_us, dtype=np.float64)
    if t.shape != (len(I),):
        raise ValueError(f"timestamps_us must have shape ({len(I)},), got {t.shape}")
    if len(t) > 1 and np.any(np.diff(t) <= 0):
        raise ValueError("timestamps_us must be strictly increasing")
    n, h, w = I.shape
    if n < 2:
        return np.zeros(0, EVENT_DTYPE)
    I, t = _upsample(I, t, int(cfg.upsample_factor))
    rng = np.random.default_rng(cfg.dvs_seed)
    chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []   # (flat pixel, t, p)
    if cfg.dvs_method == "v2e":
        _v2e(I, t, cfg, rng, chunks)
    else:
        _framediff(I, t, cfg, chunks)
    if cfg.shot_noise_rate_hz > 0:
        _shot_noise(h * w, t, cfg.shot_noise_rate_hz, rng, chunks)
    if not chunks:
        return np.zeros(0, EVENT_DTYPE)
    pix = np.concatenate([c[0] for c in chunks])
    tt = np.concatenate([c[1] for c in chunks])
    pp = np.concatenate([c[2] for c in chunks])
    order = np.argsort(tt, kind="stable")
    ev = np.empty(len(order), EVENT_DTYPE)
    ev["t"] = np.clip(np.round(tt[order]), t[0], t[-1])
    pix = pix[order]
    ev["y"], ev["x"] = np.divmod(pix, w)
    ev["p"] = pp[order]
    return ev


def _v2e(I: np.ndarray, t: np.ndarray, cfg: VisualConfig, rng: np.random.Generator, out: list) -> None:
    """v2e threshold crossings; appends (flat pixel, t_us float, p) chunks to ``out``."""
    n, h, w = I.shape
    npix = h * w
    theta_on = np.maximum(cfg.pos_threshold + cfg.threshold_sigma * rng.standard_normal(npix), 0.01)
    theta_off = np.maximum(cfg.neg_threshold + cfg.threshold_sigma * rng.standard_normal(npix), 0.01)
    L_prev = lin_log(I[0]).reshape(-1)
    mem = L_prev.copy()
    if cfg.leak_rate_hz > 0:   # random leak phase, so leak events are not synchronous
        mem -= rng.uniform(0, 1, npix) * theta_on
    last = np.full(npix, -np.inf)
    refr = float(cfg.refractory_us)
    for i in range(1, n):
        L = lin_log(I[i]).reshape(-1)
        t0, dt = t[i - 1], t[i] - t[i - 1]
        if cfg.leak_rate_hz > 0:
            mem -= cfg.leak_rate_hz * dt * 1e-6 * theta_on
        d = L - mem
        n_on = np.floor(np.maximum(d, 0) / theta_on).astype(np.int64)
        n_off = np.floor(np.maximum(-d, 0) / theta_off).astype(np.int64)
        slope = L - L_prev                      # log change over the interval
        for counts, theta, sign, pol in ((n_on, theta_on, 1.0, 1), (n_off, theta_off, -1.0, 0)):
            px = np.flatnonzero(counts)
            if px.size == 0:
                continue
            c = counts[px]
            # the k-th crossing (k = 1..c) of pixel px: level mem + sign*k*theta, reached at the
            # fraction s of the interval where the interpolated log intensity L_prev + s*slope is there
            rep = np.repeat(px, c)
            k = np.arange(rep.size) - np.repeat(np.cumsum(c) - c, c) + 1
            level = mem[rep] + sign * k * theta[rep]
            sl = slope[rep]
            with np.errstate(divide="ignore", invalid="ignore"):
                s = np.where(np.abs(sl) > 1e-12, (level - L_prev[rep]) / sl, 1.0)
            te = t0 + np.clip(s, 0.0, 1.0) * dt
            if refr > 0:
                keep = _refractory(rep, te, last, refr)
                rep, te = rep[keep], te[keep]
            out.append((rep, te, np.full(rep.size, pol, np.int8)))
            mem[px] += sign * c * theta[px]     # the level moves even for refractory-dropped events
        L_prev = L


def _refractory(pix: np.ndarray, te: np.ndarray, last: np.ndarray, refr: float) -> np.ndarray:
    """Keep mask of events (pix, te), shape like ``pix``, given each pixel's last event time ``last``.

    Events of one pixel are in increasing time within a call; ``last`` is updated
    in place.  Loops over the k-th event of every pixel (k is small), not over pixels.
    """
    keep = np.zeros(pix.size, bool)
    # rank of each event within its pixel: events of a pixel are contiguous and time-ordered
    starts = np.flatnonzero(np.r_[True, pix[1:] != pix[:-1]])
    counts = np.diff(np.r_[starts, pix.size])
    rank = np.arange(pix.size) - np.repeat(starts, counts)
    for k in range(int(rank.max()) + 1 if pix.size else 0):
        idx = np.flatnonzero(rank == k)
        ok = te[idx] - last[pix[idx]] >= refr
        keep[idx[ok]] = True
        last[pix[idx[ok]]] = te[idx[ok]]
    return keep


def _framediff(I: np.ndarray, t: np.ndarray, cfg: VisualConfig, out: list) -> None:
    """Wang et al.: one ON/OFF event at frame time where |I_i - I_(i-1)| > sensitivity."""
    n, h, w = I.shape
    last = np.full(h * w, -np.inf)
    for i in range(1, n):
        d = (I[i] - I[i - 1]).reshape(-1)
        px = np.flatnonzero(np.abs(d) > cfg.sensitivity)
        te = np.full(px.size, t[i])
        if cfg.refractory_us > 0:
            ok = te - last[px] >= cfg.refractory_us
            px, te = px[ok], te[ok]
            last[px] = te
        out.append((px, te, (d[px] > 0).astype(np.int8)))


def _shot_noise(npix: int, t: np.ndarray, rate_hz: float, rng: np.random.Generator, out: list) -> None:
    """Poisson noise events, ``rate_hz`` per pixel (half ON, half OFF), uniform in [t0, t_last]."""
    duration_s = (t[-1] - t[0]) * 1e-6
    k = rng.poisson(rate_hz * duration_s * npix)
    out.append((rng.integers(0, npix, k), rng.uniform(t[0], t[-1], k),
                rng.integers(0, 2, k).astype(np.int8)))


# ------------------------------------------------------------------ event representations
def _check_events(events: np.ndarray, sensor_size: tuple[int, int, int]) -> tuple[int, int, int]:
    if events.dtype.names is None or not {"x", "y", "t", "p"} <= set(events.dtype.names):
        raise ValueError(f"events must be a structured array with x, y, t, p fields, got {events.dtype}")
    w, h, c = (int(v) for v in sensor_size)
    if events.size and (events["x"].max() >= w or events["y"].max() >= h
                        or events["x"].min() < 0 or events["y"].min() < 0):
        raise ValueError(f"events outside the sensor of size {sensor_size}")
    return w, h, c


def to_frame_counts(events: np.ndarray, sensor_size: tuple[int, int, int] = SENSOR_SIZE,
                    n_bins: int = 1, t_range: tuple[int, int] | None = None) -> np.ndarray:
    """Event counts per time bin, polarity and pixel.

    Parameters
    ----------
    events : numpy.ndarray
        Shape (n_events,), :data:`EVENT_DTYPE`.
    sensor_size : (int, int, int)
        (W, H, polarities).
    n_bins : int
        Equal time bins over ``t_range``.
    t_range : (int, int) or None
        Half-open [start, end) in us; default [first event, last event + 1).

    Returns
    -------
    numpy.ndarray
        Shape (n_bins, 2, H, W), int64; channel 0 OFF, 1 ON.
    """
    w, h, _ = _check_events(events, sensor_size)
    if events.size == 0:
        return np.zeros((n_bins, 2, h, w), np.int64)
    t0, t1 = t_range if t_range is not None else (int(events["t"].min()), int(events["t"].max()) + 1)
    tb = ((events["t"] - t0) * n_bins) // max(t1 - t0, 1)
    ok = (tb >= 0) & (tb < n_bins)
    flat = ((tb[ok] * 2 + events["p"][ok]) * h + events["y"][ok]) * w + events["x"][ok]
    return np.bincount(flat.astype(np.int64), minlength=n_bins * 2 * h * w).reshape(n_bins, 2, h, w)


def to_rates(events: np.ndarray, sensor_size: tuple[int, int, int] = SENSOR_SIZE,
             duration_us: float | None = None) -> np.ndarray:
    """Mean event rate per polarity and pixel, shape (2, H, W), Hz.

    ``duration_us`` defaults to the span of the events (at least 1 us).
    """
    counts = to_frame_counts(events, sensor_size)[0]
    if duration_us is None:
        duration_us = float(events["t"].max() - events["t"].min()) if events.size else 1.0
    return counts / (max(float(duration_us), 1.0) * 1e-6)


def event_counts(events: np.ndarray, sensor_size: tuple[int, int, int] = SENSOR_SIZE,
                 merge_polarity: bool = False, t_range: tuple[int, int] | None = None) -> np.ndarray:
    """Events per input of the network over a clip, shape (C * H * W,), float64.

    Input index layout: polarity-major (C, H, W) flattened in C order,
    ``index = p * H * W + y * W + x`` (channel 0 OFF, 1 ON); with ``merge_polarity``
    one channel, ``index = y * W + x``.  :func:`stdp_emo.encoding.dvs_rates` turns the
    counts into input values in [0, 1].

    Parameters
    ----------
    events : numpy.ndarray
        Shape (n_events,), :data:`EVENT_DTYPE`.
    sensor_size : (int, int, int)
        (W, H, polarities).
    t_range : (int, int) or None
        Half-open clip span [start, end) in us; default [first event, last event + 1).
    """
    w, h, _ = _check_events(events, sensor_size)
    counts = to_frame_counts(events, sensor_size, 1, t_range)[0]
    counts = counts.sum(axis=0, keepdims=True) if merge_polarity else counts
    return counts.reshape(-1).astype(np.float64)


def events_to_input(events: np.ndarray, sensor_size: tuple[int, int, int] = SENSOR_SIZE,
                    window_ms: float = 350.0, merge_polarity: bool = False,
                    t_range: tuple[int, int] | None = None, dt_ms: float | None = None):
    """Events replayed as spike times of the network's inputs (a ``SpikeGeneratorGroup``).

    Input index layout as :func:`event_counts`.  (The network is driven by Poisson
    rates of the clip's event counts, :func:`stdp_emo.encoding.dvs_rates`; this is the
    event-timed alternative.)

    Parameters
    ----------
    events : numpy.ndarray
        Shape (n_events,), :data:`EVENT_DTYPE`.
    sensor_size : (int, int, int)
        (W, H, polarities).
    window_ms : float
        Event times are scaled linearly from ``t_range`` into ``[0, window_ms)`` ms
        (the presentation time).
    merge_polarity : bool
        Sum ON and OFF events into one channel.
    t_range : (int, int) or None
        Half-open clip span [start, end) in us (e.g. ``(t[0], t[-1] + 1)`` of
        the frame times); default [first event, last event + 1).
    dt_ms : float or None
        Round times down to this grid (the simulation step) and keep one spike per
        input and step (Brian2's SpikeGeneratorGroup rejects duplicates within a step).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``(indices, times_ms)``, shapes (n_spikes,), int64 and float64 ms in
        ``[0, window_ms)``, sorted by time.
    """
    w, h, _ = _check_events(events, sensor_size)
    n_ch = 1 if merge_polarity else 2
    if events.size == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    t0, t1 = t_range if t_range is not None else (int(events["t"].min()), int(events["t"].max()) + 1)
    ev = events[(events["t"] >= t0) & (events["t"] < t1)]
    idx = ev["y"].astype(np.int64) * w + ev["x"]
    if not merge_polarity:
        idx = idx + ev["p"].astype(np.int64) * (h * w)
    times = (ev["t"] - t0) * (window_ms / max(t1 - t0, 1))
    if dt_ms is not None:
        step = np.floor(times / dt_ms).astype(np.int64)
        _, first = np.unique(step * (n_ch * h * w) + idx, return_index=True)
        idx, times = idx[first], step[first] * dt_ms
    order = np.argsort(times, kind="stable")
    return idx[order], times[order]


# ------------------------------------------------------------------ caching
def cache_key(video_path: str | os.PathLike, cfg: VisualConfig = VisualConfig(),
              crop_size: int | None = None) -> str:
    """Cache key of the events of a video: path, mtime, size, crop size and config (hex, 20 chars).

    ``crop_size`` None: ``cfg.crop_size``.  The config enters as :func:`emulator_params`.

    Raises
    ------
    DataError
        If the video does not exist.
    """
    p = Path(video_path)
    try:
        st = p.stat()
    except OSError:
        raise DataError(f"{p}: video file not found") from None
    crop_size = cfg.crop_size if crop_size is None else crop_size
    blob = json.dumps([str(p.resolve()), st.st_mtime_ns, st.st_size, crop_size, CACHE_VERSION,
                       emulator_params(cfg)], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def load_or_compute(video_path: str | os.PathLike, cfg: VisualConfig = VisualConfig(),
                    cache_dir: str | os.PathLike | None = None,
                    crop_size: int | None = None) -> tuple[np.ndarray, dict]:
    """Events of a face video: face crop + :func:`emulate`, cached as ``.npz``.

    Parameters
    ----------
    video_path : path
        Video file.
    cfg : VisualConfig
        Emulator parameters (its event-camera fields).
    cache_dir : path or None
        Folder of ``<cache_key>.npz`` files (written atomically); ``None``: no cache.
    crop_size : int or None
        Face crop side in pixels (the sensor is crop_size x crop_size); None: ``cfg.crop_size``.

    Returns
    -------
    events : numpy.ndarray
        Shape (n_events,), :data:`EVENT_DTYPE`.
    info : dict
        ``face_found`` (bool), ``detections``, ``frames`` (int), ``t_start_us``,
        ``t_end_us`` (the clip span, for ``event_counts(t_range=...)``),
        ``damaged`` (the decoder's "damaged or truncated" line, or None; kept in
        the cache so that it is reported on every run).

    Raises
    ------
    DataError
        If the video is missing or cannot be decoded.
    """
    from .video import crop_video

    crop_size = cfg.crop_size if crop_size is None else crop_size
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"{cache_key(video_path, cfg, crop_size)}.npz"
        if path.exists():
            try:
                with np.load(path, allow_pickle=False) as z:
                    info = json.loads(str(z["info"]))
                    return z["events"].astype(EVENT_DTYPE, copy=False), info
            except (OSError, ValueError, KeyError) as e:
                warnings.warn(f"{path}: unreadable event cache ({e}); recomputing", stacklevel=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frames, ts, info = crop_video(video_path, size=crop_size)
    damaged = [str(w.message) for w in caught if "damaged or truncated" in str(w.message)]
    for w in caught:                      # passed on: the caller decides what to show
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if len(frames) < 2:
        raise DataError(f"{video_path}: only {len(frames)} frame; an event camera needs at "
                        "least 2 (damaged or truncated?)")
    events = emulate(frames, ts, cfg)
    info = {**info, "t_start_us": int(ts[0]), "t_end_us": int(ts[-1]) + 1,
            "damaged": damaged[0] if damaged else None}
    if path is not None:
        write_npz(path, events=events, info=np.array(json.dumps(info)))
    return events, info


def add_noise_events(events: np.ndarray, sensor_size: tuple[int, int, int],
                     t_range_us: tuple[int, int], rate_hz: float,
                     rng: np.random.Generator) -> np.ndarray:
    """Events plus uniformly random ones (a noisy sensor or a corrupted stream).

    Every (pixel, polarity) gets a Poisson number of extra events with mean
    ``rate_hz`` x duration, at uniform times in ``t_range_us``.

    Returns
    -------
    ndarray of :data:`EVENT_DTYPE`, sorted by time.
    """
    w, h, n_pol = sensor_size
    t0, t1 = int(t_range_us[0]), int(t_range_us[1])
    n = rng.poisson(rate_hz * max(t1 - t0, 0) * 1e-6 * w * h * n_pol)
    noise = np.empty(n, dtype=EVENT_DTYPE)
    noise["x"] = rng.integers(0, w, n)
    noise["y"] = rng.integers(0, h, n)
    noise["t"] = rng.integers(t0, max(t1, t0 + 1), n)
    noise["p"] = rng.integers(0, n_pol, n)
    out = np.concatenate([np.asarray(events, dtype=EVENT_DTYPE), noise])
    return out[np.argsort(out["t"], kind="stable")]
