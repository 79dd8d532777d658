"""What a simulated face does: the actor's face, FACS action units of the emotions, and
their time courses (expression envelope, speech-driven jaw, blinks, slow motion).

We have the RAVDESS audio but no face video, so the vision pathway is fed with
*simulated* faces: a grey cartoon face (drawn by :mod:`.face_drawing`, rendered
by :mod:`.faces`) whose expression follows FACS action units (AUs) of
EMFACS-style emotion prototypes (Ekman & Friesen), whose mouth opens with the
loudness of the paired audio, and which blinks and moves slightly.  Everything
is deterministic for a seed.

Model, per clip (time unit of this module: seconds; image unit: pixels)
-----------------------------------------------------------------------
* **Actor** (``seed``, ``actor``): face width/height, eye distance and size,
  brow height and thickness, mouth width, lip thickness, skin/hair grey,
  hair style (odd actors male: short hair, thick brows; even actors female:
  long hair, fuller lips), position in the frame, light direction, how
  expressive the actor is.
* **Expression**: AU intensities in [0, 1] = prototype of the emotion x the
  RAVDESS intensity (code 1 normal -> ``INTENSITY_SCALE[1]``, 2 strong -> 1)
  x actor expressiveness x per-trial jitter x an onset-apex-offset envelope; or,
  for a clip with measured facial action units, its own OpenFace intensities
  (:func:`au_vector_openface`) x the same envelope.
  Each AU is a geometric deformation (brow points, lid apertures, lip
  contours, cheek and fold shading), see :data:`PROTOTYPES`.
* **Speech**: the RMS level of the audio (dB full scale) in a window around
  each frame opens the jaw (added to AU26 as a probabilistic OR).
* **Blinks** (Poisson, ~0.3 Hz, 150 ms), slow gaze shifts, **head motion**
  (sum of slow sinusoids: translation, rotation, scale), Gaussian sensor noise.
* **Background**: a static vertical/horizontal gradient plus a blurred random
  texture (the camera does not move, so it produces no DVS events).

Videos are written by :func:`stdp_emo.generators.video.write_video`; a
RAVDESS audio folder gets its simulated faces (video-only files, modality 02,
with a ``README.md`` saying that they are simulated) from
:func:`stdp_emo.datasets.faces.synth_faces`.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .. import EMOTIONS_RAVDESS

AUS = (1, 2, 4, 5, 6, 7, 9, 10, 12, 15, 16, 20, 23, 25, 26, 43)
"""FACS action units modelled (43 = eyes closing / lids drooping)."""

PROTOTYPES: dict[str, dict[int, float]] = {
    "neutral": {},
    "calm": {43: 0.35, 12: 0.15},
    "happy": {6: 0.8, 12: 1.0, 25: 0.4},
    "sad": {1: 0.9, 4: 0.5, 15: 0.8, 43: 0.3},
    "angry": {4: 1.0, 5: 0.6, 7: 0.8, 23: 0.8},
    "fearful": {1: 0.9, 2: 0.7, 4: 0.5, 5: 1.0, 20: 0.9, 25: 0.5, 26: 0.6},
    "surprised": {1: 1.0, 2: 1.0, 5: 0.9, 25: 0.6, 26: 0.9},
    "disgust": {9: 1.0, 10: 0.6, 15: 0.6, 16: 0.7, 4: 0.3},
}
"""AU intensities at apex of a strong expression, per emotion (EMFACS-style).

happy 6+12, sad 1+4+15, angry 4+5+7+23, fearful 1+2+4+5+20+26, surprised
1+2+5+26, disgust 9+15+16 (with 10, the upper-lip raiser that accompanies 9);
calm is neutral with slightly relaxed lids and mouth corners."""

INTENSITY_SCALE = {1: 0.6, 2: 1.0}
"""AU scale of the RAVDESS intensity codes (01 normal, 02 strong)."""

OPENFACE_MAX = 5.0
"""Top of OpenFace's AU intensity scale (``AUxx_r``: 0 = absent ... 5 = maximum)."""

OPENFACE_FULL = 2.5
"""OpenFace clip-mean intensity drawn at the renderer's full extent (1.0, a strong prototype's
apex); about the 95th percentile of the RAVDESS clip means of most units, whose maxima are 2.5-4.7."""


# ------------------------------------------------------------------ actor and clip parameters
@dataclass(frozen=True)
class Actor:
    """Face geometry and appearance of one actor (lengths in face half-widths ``a``).

    Attributes
    ----------
    male : bool
        Odd RAVDESS actors are male.
    face_w : float
        Face half-width ``a`` as a fraction of ``min(W, H)``.
    aspect : float
        Face half-height / half-width.
    offset : tuple of float
        Face centre offset from the frame centre, fraction of (W, H).
    eye_sep, eye_w, eye_h : float
        Eye centre distance from the midline, eye half-width, eye half-height.
    eye_v : float
        Eye height (fraction of the half-height ``b``, negative = up).
    brow_v, brow_t : float
        Brow height above the eyes and brow thickness.
    mouth_v, mouth_w, lip_t : float
        Mouth height (fraction of ``b``), mouth half-width, lip thickness.
    skin, hair, iris : float
        Grey levels (0..255).
    light : float
        Light direction (radians, in the image plane, from the upper side).
    expressiveness : float
        Multiplies all AU intensities.
    """

    male: bool
    face_w: float
    aspect: float
    offset: tuple[float, float]
    eye_sep: float
    eye_w: float
    eye_h: float
    eye_v: float
    brow_v: float
    brow_t: float
    mouth_v: float
    mouth_w: float
    lip_t: float
    skin: float
    hair: float
    iris: float
    light: float
    expressiveness: float


def make_actor(actor: int, seed: int = 0) -> Actor:
    """Draw the face of RAVDESS actor ``actor`` (1-24; odd male) for ``seed``."""
    rng = np.random.default_rng([seed, actor, 0xFACE])
    male = actor % 2 == 1
    u = rng.uniform
    return Actor(
        male=male,
        face_w=u(0.24, 0.27),
        aspect=u(1.25, 1.38) if male else u(1.28, 1.42),
        offset=(u(-0.04, 0.04), u(-0.03, 0.03)),
        eye_sep=u(0.36, 0.42),
        eye_w=u(0.17, 0.21),
        eye_h=u(0.075, 0.09) if male else u(0.085, 0.10),
        eye_v=u(-0.10, -0.03),
        brow_v=u(0.17, 0.22),
        brow_t=u(0.065, 0.085) if male else u(0.045, 0.06),
        mouth_v=u(0.52, 0.58),
        mouth_w=u(0.28, 0.34),
        lip_t=u(0.055, 0.07) if male else u(0.07, 0.09),
        skin=u(120, 195),
        hair=u(15, 80),
        iris=u(30, 90),
        light=u(-0.6, 0.6),
        expressiveness=u(0.85, 1.1),
    )


def au_vector(emotion: int, intensity: int) -> np.ndarray:
    """Apex AU intensities of an emotion, shape (len(AUS),), in [0, 1].

    Parameters
    ----------
    emotion : int
        0-based index into ``EMOTIONS_RAVDESS``.
    intensity : int
        RAVDESS intensity code, 1 normal or 2 strong.
    """
    if not 0 <= emotion < len(EMOTIONS_RAVDESS):
        raise ValueError(f"emotion must be in 0..{len(EMOTIONS_RAVDESS) - 1}, got {emotion}")
    if intensity not in INTENSITY_SCALE:
        raise ValueError(f"intensity must be 1 (normal) or 2 (strong), got {intensity}")
    proto = PROTOTYPES[EMOTIONS_RAVDESS[emotion]]
    return np.array([proto.get(au, 0.0) for au in AUS]) * INTENSITY_SCALE[intensity]


def au_vector_openface(intensities: Mapping[int, float]) -> np.ndarray:
    """Apex AU intensities from measured OpenFace intensities, shape (len(AUS),), in [0, 1].

    The mapping is linear and clipped: ``renderer = min(openface / OPENFACE_FULL, 1)``
    with :data:`OPENFACE_FULL` = 2.5, i.e. an OpenFace intensity (0-5 scale) of 0 draws
    nothing, 1.25 half the unit's full deformation, 2.5 or more all of it (1.0, as AU12 of
    the strong happy prototype).  The value is used as the apex of the clip: the caller
    applies the usual onset-apex-offset envelope.

    Drawn from OpenFace: AU1, 2, 4, 5, 6, 7, 9, 10, 12, 15, 20, 23, 25, 26 (every unit of
    :data:`AUS` that OpenFace measures).  Ignored: AU14 (dimpler), AU17 (chin raiser) and
    AU28 (lip suck, OpenFace gives presence only), which the face cannot draw, and AU45
    (blink: the renderer draws its own Poisson blinks; a clip mean says how often the
    actor blinked, not how far the lids droop).  AU16 (lower-lip depressor) and AU43
    (lids drooping), which OpenFace does not measure, stay 0.  In speech clips AU25/26
    mostly reflect articulation; the audio loudness still opens the jaw on top of them
    (probabilistic OR, as for the prototypes).

    Parameters
    ----------
    intensities : mapping
        FACS AU number (e.g. 12 for ``AU12_r``) -> OpenFace intensity in [0, 5]; any number
        not in :data:`AUS` is ignored, a missing unit of :data:`AUS` is 0.

    Raises
    ------
    ValueError
        If a value is not a finite number in [0, 5].
    """
    out = np.zeros(len(AUS))
    for au, value in intensities.items():
        v = float(value)
        if not (math.isfinite(v) and 0.0 <= v <= OPENFACE_MAX + 1e-6):
            raise ValueError(f"AU{int(au):02d} intensity {value!r} is not in [0, {OPENFACE_MAX:g}]")
        if au in AUS:
            out[AUS.index(au)] = min(v / OPENFACE_FULL, 1.0)
    return out


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def expression_envelope(t: np.ndarray, duration_s: float, rng: np.random.Generator) -> np.ndarray:
    """Onset-apex-offset envelope in [0, 1] at times ``t`` (s), shape like ``t``.

    Onset starts at 5-15 % of the clip and reaches the apex 15-25 % later; the
    offset starts at 70-80 % and decays within 10-20 % to a residual of 0.3.
    """
    d = max(float(duration_s), 1e-3)
    on0 = rng.uniform(0.05, 0.15) * d
    on1 = on0 + rng.uniform(0.15, 0.25) * d
    off0 = rng.uniform(0.70, 0.80) * d
    off1 = off0 + rng.uniform(0.10, 0.20) * d
    rise = _smoothstep((t - on0) / (on1 - on0))
    fall = 1.0 - 0.7 * _smoothstep((t - off0) / (off1 - off0))
    return rise * fall


def speech_openness(audio: np.ndarray | None, sample_rate: int, n_frames: int, fps: float,
                    floor_db: float = -50.0, full_db: float = -15.0) -> np.ndarray:
    """Jaw opening driven by loudness, shape (n_frames,), in [0, 1].

    The RMS level (dB full scale) of the audio in a window of two frame periods
    centred on each frame maps linearly from ``floor_db`` (closed) to
    ``full_db`` (fully open).

    Parameters
    ----------
    audio : numpy.ndarray or None
        Mono samples, shape (n_samples,), full scale 1; ``None`` gives zeros.
    sample_rate : int
        Hz.
    n_frames : int
        Video frames.
    fps : float
        Frames per second; frame ``i`` is at ``i / fps`` s.
    """
    if audio is None or len(audio) == 0:
        return np.zeros(n_frames)
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    csum = np.concatenate([[0.0], np.cumsum(x * x)])
    centre = np.arange(n_frames) / fps * sample_rate
    half = sample_rate / fps
    lo = np.clip(np.round(centre - half), 0, len(x)).astype(np.int64)
    hi = np.clip(np.round(centre + half), 0, len(x)).astype(np.int64)
    power = (csum[hi] - csum[lo]) / np.maximum(hi - lo, 1)
    level = 10.0 * np.log10(power + 1e-12)
    return np.clip((level - floor_db) / (full_db - floor_db), 0.0, 1.0)


def blinks(n_frames: int, fps: float, rng: np.random.Generator, rate_hz: float = 0.3,
            dur_s: float = 0.15) -> np.ndarray:
    """Lid closure in [0, 1] per frame, shape (n_frames,): triangular Poisson blinks."""
    t = np.arange(n_frames) / fps
    total = n_frames / fps
    starts = np.cumsum(rng.exponential(1.0 / rate_hz, size=int(total * rate_hz * 3) + 3))
    starts = starts[starts < total] - rng.uniform(0, 1.0 / rate_hz)
    if starts.size == 0:
        return np.zeros(n_frames)
    phase = (t[:, None] - starts[None, :]) / dur_s
    return np.clip(1.0 - np.abs(2.0 * phase - 1.0), 0.0, 1.0).max(axis=1)


def slow_noise(t: np.ndarray, rng: np.random.Generator, amp: float, n: int = 3,
                f_lo: float = 0.15, f_hi: float = 0.9) -> np.ndarray:
    """Sum of ``n`` random sinusoids (Hz in [f_lo, f_hi]) with peak about ``amp``, shape like t."""
    f = rng.uniform(f_lo, f_hi, n)
    ph = rng.uniform(0, 2 * np.pi, n)
    w = rng.uniform(0.5, 1.0, n)
    return amp * (w[:, None] * np.sin(2 * np.pi * f[:, None] * t[None, :] + ph[:, None])).sum(0) / w.sum()
