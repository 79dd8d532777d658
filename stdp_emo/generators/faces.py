"""Simulated emotional face videos: one trial as frames, or one still expression.

:func:`render_face_video` combines the model of :mod:`.face_model` (actor, action
units, speech-driven jaw, blinks, head motion) with the drawing of
:mod:`.face_drawing` and adds sensor noise; its expression is an emotion's prototype or
a clip's measured OpenFace action units.  :func:`render_expression` draws one still
frame.  Everything is deterministic for a seed.
"""
from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np

from .face_drawing import Face, background
from .face_model import (AUS, au_vector, au_vector_openface, blinks, expression_envelope, make_actor,
                         slow_noise, speech_openness)


def render_face_video(emotion: int, intensity: int, actor: int, audio: np.ndarray | None = None,
                      sample_rate: int = 16000, duration_s: float | None = None, fps: float = 30.0,
                      size: tuple[int, int] = (160, 160), seed: int = 0,
                      trial: int = 0, action_units: Mapping[int, float] | None = None) -> np.ndarray:
    """Render a simulated face video of one trial.

    The expression at apex is the emotion's prototype (:func:`au_vector`) scaled by the
    actor's expressiveness and a per-trial jitter, or, with ``action_units``, the trial's
    measured intensities (:func:`au_vector_openface`, no expressiveness or jitter: the
    measurement has the actor's own).  Either way the same onset-apex-offset envelope,
    blinks, head motion, audio-driven jaw and sensor noise are drawn for the same
    (seed, actor, emotion, intensity, trial): only the expression differs.

    Parameters
    ----------
    emotion : int
        0-based index into ``EMOTIONS_RAVDESS`` (0 neutral ... 7 surprised).
    intensity : int
        RAVDESS intensity code: 1 normal, 2 strong.
    actor : int
        RAVDESS actor 1-24 (odd male, even female); fixes the face geometry.
    audio : numpy.ndarray or None
        Mono audio of the trial, shape (n_samples,), full scale 1; its loudness
        opens the mouth.  ``None``: the mouth only follows the AUs.
    sample_rate : int
        Audio sampling rate in Hz.
    duration_s : float or None
        Clip length in seconds; ``None`` = the audio duration.
    fps : float
        Frames per second; frame ``i`` shows time ``i / fps``.
    size : (int, int)
        Frame (width, height) in pixels; at least about 100 so the face
        (half-width ~ 0.25 * min(W, H)) is found by a Haar detector.
    seed : int
        Base seed: the actor's face depends on (seed, actor), the trial's
        dynamics on (seed, actor, emotion, intensity, trial).
    trial : int
        Distinguishes repeated takes of the same emotion/intensity by an actor.
    action_units : mapping or None
        Measured facial action units of the trial: FACS AU number -> OpenFace intensity
        (``AUxx_r``, 0-5 scale), e.g. a clip's OpenFace means; the units the face draws are
        mapped to its 0-1 scale by :func:`~.face_model.au_vector_openface` (which lists the
        ignored ones).  ``None``: the emotion's prototype.

    Returns
    -------
    numpy.ndarray
        Frames, shape (n_frames, H, W), uint8 grey, ``n_frames = max(1, round(duration_s * fps))``.
    """
    if duration_s is None:
        if audio is None:
            raise ValueError("give duration_s or audio")
        duration_s = len(audio) / sample_rate
    if duration_s <= 0 or fps <= 0:
        raise ValueError(f"duration_s and fps must be positive, got {duration_s}, {fps}")
    w, h = (int(v) for v in size)
    if min(w, h) < 32:
        raise ValueError(f"size must be at least 32x32 pixels, got {size}")
    apex = au_vector(emotion, intensity)          # also checks emotion and intensity
    if action_units is not None:
        apex = au_vector_openface(action_units)
    A = make_actor(actor, seed)
    rng = np.random.default_rng([seed, actor, emotion, intensity, trial, 0xC11B])
    n = max(1, int(round(duration_s * fps)))
    t = np.arange(n) / fps
    # AU time courses: apex x actor expressiveness x jitter (prototypes only) x envelope,
    # shape (n, n_aus); the jitter is drawn either way so that the rest of the clip is the same
    jitter = rng.uniform(0.85, 1.1, len(AUS))
    env = expression_envelope(t, duration_s, rng)
    level = np.clip(apex * jitter * A.expressiveness, 0, 1) if action_units is None else apex
    aus = level[None, :] * env[:, None]
    speech = speech_openness(audio, sample_rate, n, fps)
    a26 = aus[:, AUS.index(26)]
    jaw = 0.3 * (1 - (1 - a26) * (1 - 0.7 * speech))          # jaw drop, in face half-widths
    blink = blinks(n, fps, rng)
    gx = np.clip(slow_noise(t, rng, 0.6, f_lo=0.1, f_hi=0.5), -1, 1)
    gy = np.clip(slow_noise(t, rng, 0.3, f_lo=0.1, f_hi=0.5), -1, 1)
    face = Face(A, (w, h))
    m = min(w, h)
    dx = slow_noise(t, rng, 0.012 * m)
    dy = slow_noise(t, rng, 0.010 * m)
    rot = slow_noise(t, rng, 2.5)                              # degrees
    scl = 1.0 + slow_noise(t, rng, 0.015)
    bg = background((w, h), np.random.default_rng([seed, actor, 0xB6]))
    noise_rng = np.random.default_rng([seed, actor, emotion, intensity, trial, 0x5E45])

    frames = np.empty((n, h, w), dtype=np.uint8)
    for i in range(n):
        M = cv2.getRotationMatrix2D((face.cx, face.cy), float(rot[i]), float(scl[i]))
        M[:, 2] += (dx[i], dy[i])
        img = face.render(dict(zip(AUS, aus[i].tolist())), float(jaw[i]), float(blink[i]),
                          (float(gx[i]), float(gy[i])), bg, M)
        img += noise_rng.standard_normal((h, w), dtype=np.float32) * 1.5
        np.clip(img, 0, 255, out=img)
        frames[i] = img      # cast truncates to uint8 grey levels
    return frames


def render_expression(actor: int, aus: dict[int, float] | None = None, jaw: float = 0.0,
                      blink: float = 0.0, size: tuple[int, int] = (160, 160), seed: int = 0) -> np.ndarray:
    """One still frame of an actor's face with given AU intensities (no motion, no noise).

    Parameters
    ----------
    actor : int
        RAVDESS actor 1-24.
    aus : dict or None
        AU number (see :data:`AUS`) -> intensity in [0, 1]; missing = 0.
    jaw : float
        Jaw drop in face half-widths (0.3 = fully open).
    blink : float
        Lid closure in [0, 1].
    size : (int, int)
        Frame (width, height) in pixels.
    seed : int
        Base seed (the actor's face and background depend on (seed, actor)).

    Returns
    -------
    numpy.ndarray
        Shape (H, W), uint8 grey.
    """
    w, h = (int(v) for v in size)
    unknown = set(aus or {}) - set(AUS)
    if unknown:
        raise ValueError(f"unknown action units {sorted(unknown)} (modelled: {AUS})")
    face = Face(make_actor(actor, seed), (w, h))
    bg = background((w, h), np.random.default_rng([seed, actor, 0xB6]))
    img = face.render(dict(aus or {}), jaw, blink, (0.0, 0.0), bg)
    return np.clip(img, 0, 255).astype(np.uint8)
