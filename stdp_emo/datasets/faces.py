"""Simulated emotional face videos, paired with real speech audio.

We have the RAVDESS audio but no face video, so the vision pathway is fed with
*simulated* faces: a grey cartoon face drawn with OpenCV whose expression
follows FACS action units (AUs) of EMFACS-style emotion prototypes
(Ekman & Friesen), whose mouth opens with the loudness of the paired audio,
and which blinks and moves slightly.  Everything is deterministic for a seed.

Model, per clip (time unit of this module: seconds; image unit: pixels)
-----------------------------------------------------------------------
* **Actor** (``seed``, ``actor``): face width/height, eye distance and size,
  brow height and thickness, mouth width, lip thickness, skin/hair grey,
  hair style (odd actors male: short hair, thick brows; even actors female:
  long hair, fuller lips), position in the frame, light direction, how
  expressive the actor is.
* **Expression**: AU intensities in [0, 1] = prototype of the emotion x the
  RAVDESS intensity (code 1 normal -> ``INTENSITY_SCALE[1]``, 2 strong -> 1)
  x actor expressiveness x per-trial jitter x an onset-apex-offset envelope.
  Each AU is a geometric deformation (brow points, lid apertures, lip
  contours, cheek and fold shading), see :data:`PROTOTYPES`.
* **Speech**: the RMS level of the audio (dB full scale) in a window around
  each frame opens the jaw (added to AU26 as a probabilistic OR).
* **Blinks** (Poisson, ~0.3 Hz, 150 ms), slow gaze shifts, **head motion**
  (sum of slow sinusoids: translation, rotation, scale), Gaussian sensor noise.
* **Background**: a static vertical/horizontal gradient plus a blurred random
  texture (the camera does not move, so it produces no DVS events).

The result is written as video-only RAVDESS files (modality 02) next to the
real audio by :func:`synth_faces`, whose ``README.md`` records that the faces
are simulated.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .. import EMOTIONS_RAVDESS
from ..errors import DataError
from ..fileio import atomic_path, write_text

GENERATOR = "stdp_emo.datasets.faces v1"
"""Name and version of this renderer, recorded in the ``README.md`` of a synthetic set."""

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

_SHIFT = 4                      # fixed-point bits of OpenCV drawing coordinates (1/16 px)
_ONE = 1 << _SHIFT
_LINE = cv2.LINE_AA
_N_LIP = 13                     # points per lip contour


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


def _blinks(n_frames: int, fps: float, rng: np.random.Generator, rate_hz: float = 0.3,
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


def _slow_noise(t: np.ndarray, rng: np.random.Generator, amp: float, n: int = 3,
                f_lo: float = 0.15, f_hi: float = 0.9) -> np.ndarray:
    """Sum of ``n`` random sinusoids (Hz in [f_lo, f_hi]) with peak about ``amp``, shape like t."""
    f = rng.uniform(f_lo, f_hi, n)
    ph = rng.uniform(0, 2 * np.pi, n)
    w = rng.uniform(0.5, 1.0, n)
    return amp * (w[:, None] * np.sin(2 * np.pi * f[:, None] * t[None, :] + ph[:, None])).sum(0) / w.sum()


def _background(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Static background, shape (H, W), float32 grey levels: gradient + blurred texture."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = rng.uniform(90, 220)
    gx, gy = rng.uniform(-40, 40, 2)
    grad = base + gx * (xx / w - 0.5) + gy * (yy / h - 0.5)
    coarse = rng.normal(0, 1, (6, 6)).astype(np.float32)
    tex = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC) * rng.uniform(6, 14)
    fine = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 2.0) * 8.0
    return grad + tex + fine


def _shading(size: tuple[int, int], cx: float, cy: float, a: float, b: float,
             light: float) -> np.ndarray:
    """Lambertian shading of an ellipsoid head, shape (H, W), float32 in about [0.6, 1.1].

    Defined over the whole frame (normals are clamped outside the ellipse) so
    that the jaw, which moves, stays consistently shaded.
    """
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    nx = (xx - cx) / (1.05 * a)
    ny = (yy - cy) / (1.05 * b)
    r2 = np.minimum(nx * nx + ny * ny, 1.0)
    nz = np.sqrt(1.0 - r2)
    lx, ly, lz = math.sin(light) * 0.5, -0.45, 0.75
    norm = math.sqrt(lx * lx + ly * ly + lz * lz)
    diffuse = np.clip((nx * lx + ny * ly + nz * lz) / norm, 0.0, 1.0)
    return (0.55 + 0.5 * diffuse).astype(np.float32)


# ------------------------------------------------------------------ drawing helpers
def _fx(pts: np.ndarray) -> np.ndarray:
    """Float pixel points, shape (n, 2) -> int32 fixed-point points for OpenCV (shift=_SHIFT)."""
    return (np.asarray(pts) * _ONE + 0.5).astype(np.int32)


def _poly(img: np.ndarray, pts: np.ndarray, color: float) -> None:
    cv2.fillPoly(img, [_fx(pts)], float(color), _LINE, _SHIFT)


def _line(img: np.ndarray, pts: np.ndarray, color: float, thickness: float = 1) -> None:
    cv2.polylines(img, [_fx(pts)], False, float(color), max(1, int(thickness + 0.5)), _LINE, _SHIFT)


def _ellipse(img: np.ndarray, c: tuple[float, float], axes: tuple[float, float], color: float,
             start: float = 0.0, end: float = 360.0, thickness: int = -1) -> None:
    cv2.ellipse(img, (int(c[0] * _ONE + 0.5), int(c[1] * _ONE + 0.5)),
                (max(0, int(axes[0] * _ONE + 0.5)), max(0, int(axes[1] * _ONE + 0.5))),
                0.0, start, end, float(color), thickness, _LINE, _SHIFT)


def _arc(c: tuple[float, float], axes: tuple[float, float], cos_sin: np.ndarray) -> np.ndarray:
    """Points on an ellipse arc, shape (n, 2), from a table ``cos_sin`` of shape (n, 2)."""
    return cos_sin * (axes[0], axes[1]) + (c[0], c[1])


def _cos_sin(start_deg: float, end_deg: float, n: int) -> np.ndarray:
    """Table (cos t, sin t), shape (n, 2), for angles in degrees (clockwise from +x, y down)."""
    t = np.deg2rad(np.linspace(start_deg, end_deg, n))
    return np.stack([np.cos(t), np.sin(t)], axis=1)


_UPPER_ARC = _cos_sin(180, 360, 9)
_LOWER_ARC = _cos_sin(15, 165, 7)
_CREASE_ARC = _cos_sin(195, 345, 7)
_T_FOLD = np.linspace(0, 1, 8)[:, None]
_X_LIP = np.linspace(-1, 1, _N_LIP)
_BELL = (1 - _X_LIP ** 2) ** 0.8
_BELL_SQRT = np.sqrt(_BELL)
_BOW = np.exp(-((np.abs(_X_LIP) - 0.25) / 0.18) ** 2)
_X_WRINKLE = np.linspace(-0.45, 0.45, 7)
_COS_WRINKLE = np.cos(np.linspace(-1.5, 1.5, 7))
_T_BROW = np.linspace(0, 2, 7)


class _Face:
    """Draws one actor's face (albedo) into (H, W) uint8 layers; all lengths in pixels.

    The static parts (hair, neck, ears, head) are drawn once; every frame
    copies them, drops the jaw and draws the features; the caller multiplies
    by :attr:`shade`.
    """

    def __init__(self, actor: Actor, size: tuple[int, int]):
        self.actor = A = actor
        w, h = size
        self.a = a = actor.face_w * min(w, h)
        self.b = b = a * actor.aspect
        self.cx = w * (0.5 + actor.offset[0])
        self.cy = h * (0.5 + actor.offset[1])
        self.eye_y = self.cy + actor.eye_v * b
        self.shade = _shading(size, self.cx, self.cy, a, b, actor.light)
        self.base = np.zeros((h, w), np.uint8)
        self.alpha = np.zeros((h, w), np.uint8)
        self._draw_static(self.base, self.alpha)
        skin = A.skin
        # grey levels of the features (albedo)
        self.c_socket = skin * 0.82
        self.c_brow = A.hair * 0.7 + 10
        self.c_sclera = min(235.0, skin + 55)
        self.c_lid = skin * 0.6
        self.c_lip = skin * (0.62 if not A.male else 0.72)

    def pt(self, u: float, v: float) -> tuple[float, float]:
        """Pixel point of face coordinates (u in units of a across, v in units of b down)."""
        return self.cx + u * self.a, self.cy + v * self.b

    def pts(self, u, v) -> np.ndarray:
        """Pixel points of arrays of face coordinates, shape (n, 2)."""
        return np.stack([self.cx + np.asarray(u) * self.a, self.cy + np.asarray(v) * self.b], axis=1)

    def _draw_static(self, layer: np.ndarray, alpha: np.ndarray) -> None:
        """Hair behind (female), neck, ears, head and hair on top, with the jaw closed."""
        A, a, b = self.actor, self.a, self.b
        for img, c_hair, c_skin, c_neck, c_ear in ((layer, A.hair, A.skin, A.skin * 0.8, A.skin * 0.9),
                                                    (alpha, 255, 255, 255, 255)):
            if not A.male:   # long hair behind the head
                _ellipse(img, (self.cx, self.cy + 0.15 * b), (1.32 * a, 1.2 * b), c_hair)
            _poly(img, self.pts([-0.55, 0.55, 0.62, -0.62], [0.6, 0.6, 2.0, 2.0]), c_neck)
            for s in (-1, 1):
                _ellipse(img, self.pt(s * 0.97, -0.02), (0.16 * a, 0.24 * b), c_ear)
            _ellipse(img, (self.cx, self.cy), (a, b), c_skin)
            self.draw_jaw(img, 0.0, c_skin)
            # hair on top: the upper part of a slightly larger ellipse, above a hairline
            hx = np.linspace(-1.08, 1.08, 25)
            top = self.pts(hx, -np.sqrt(np.clip(1 - (hx / 1.08) ** 2, 0, 1)) * 1.07 - 0.02)
            hairline = -0.5 + 0.18 * hx ** 2 + (0.12 if A.male else 0.0) * hx ** 6
            _poly(img, np.concatenate([top, self.pts(hx, hairline)[::-1]]), c_hair)

    def draw_jaw(self, img: np.ndarray, jaw: float, color: float) -> None:
        """Lower face: an ellipse whose bottom (the chin) drops by ``jaw`` face half-widths."""
        _ellipse(img, (self.cx, self.cy + 0.3 * self.b + 0.5 * jaw * self.a),
                 (0.78 * self.a, 0.7 * self.b), color)

    def render(self, au: dict[int, float], jaw: float, blink: float, gaze: tuple[float, float],
               background: np.ndarray, M: np.ndarray | None = None) -> np.ndarray:
        """The face over ``background`` (H, W), moved by the 2x3 affine ``M``: (H, W) float32."""
        h, w = background.shape
        layer = np.empty((h, w), np.uint8)
        alpha = np.empty((h, w), np.uint8)
        self.draw(layer, alpha, au, jaw, blink, gaze)
        shaded = layer * self.shade
        a = alpha * np.float32(1 / 255)
        if M is not None:
            shaded = cv2.warpAffine(shaded, M, (w, h), flags=cv2.INTER_LINEAR)
            a = cv2.warpAffine(a, M, (w, h), flags=cv2.INTER_LINEAR)
        return background + a * (shaded - background)

    def draw(self, img: np.ndarray, alpha: np.ndarray, au: dict[int, float], jaw: float,
             blink: float, gaze: tuple[float, float]) -> None:
        """Draw the whole face for AU intensities ``au`` (0..1) into ``img`` and ``alpha``.

        ``img`` and ``alpha`` are overwritten.  ``jaw``: jaw drop in face
        half-widths; ``blink``: lid closure in [0, 1]; ``gaze``: iris offset in [-1, 1]^2.
        """
        A, a = self.actor, self.a
        np.copyto(img, self.base)
        np.copyto(alpha, self.alpha)
        if jaw > 0.005:
            self.draw_jaw(img, jaw, A.skin)
            self.draw_jaw(alpha, jaw, 255)
        g = au.get
        skin = A.skin
        a1, a2, a4, a5, a6, a7 = g(1, 0.0), g(2, 0.0), g(4, 0.0), g(5, 0.0), g(6, 0.0), g(7, 0.0)
        n9 = g(9, 0.0) + 0.5 * g(10, 0.0)
        # ---- eye sockets (darker region under the brows) -------------------------
        for s in (-1, 1):
            _ellipse(img, (self.cx + s * A.eye_sep * a, self.eye_y - 0.35 * A.eye_h * a),
                     (1.35 * A.eye_w * a, 2.3 * A.eye_h * a), self.c_socket)
        # ---- brows: inner, middle, outer point (AU1 inner up, AU2 outer up, AU4 down and together)
        base = self.eye_y - A.brow_v * a
        u = np.array([0.13 - 0.05 * a4, A.eye_sep, A.eye_sep + A.eye_w + 0.08])
        dv = np.array([-0.13 * a1 + 0.07 * a4 + 0.04 * g(9, 0.0),
                       -0.05 - 0.05 * a1 - 0.08 * a2 + 0.04 * a4 + 0.02 * g(9, 0.0),
                       -0.12 * a2 + 0.01 * a4])
        xs = np.interp(_T_BROW, (0, 1, 2), u) * a
        ys = np.interp(_T_BROW, (0, 1, 2), base + dv * a)
        for s in (-1, 1):
            _line(img, np.stack([self.cx + s * xs, ys], 1), self.c_brow, A.brow_t * a)
        wr = 0.5 * (a1 + a2)
        if wr > 0.05:   # forehead wrinkles (AU1+2)
            for k in range(3):
                v = self.eye_y - (A.brow_v + 0.17 + 0.07 * k) * a
                _line(img, np.stack([self.cx + _X_WRINKLE * a, v + 0.03 * a * _COS_WRINKLE], 1),
                      skin * (1 - 0.25 * wr))
        if a4 > 0.05:   # vertical glabella lines (AU4)
            for s in (-1, 1):
                x = self.cx + s * 0.07 * a
                _line(img, np.array([[x, base - 0.05 * a], [x, base + 0.12 * a]]), skin * (1 - 0.3 * a4))
        # ---- eyes: upper aperture (AU5 up; AU7, AU6, AU43, blink down), lower (AU6, AU7 up)
        up = min(max(1.0 + 0.7 * a5 - 0.35 * a7 - 0.2 * a6 - 0.6 * g(43, 0.0), 0.0), 2.0) * (1 - blink)
        lo = min(max(1.0 - 0.45 * a7 - 0.5 * a6 + 0.15 * a5, 0.15), 1.5)
        for s in (-1, 1):
            self._eye(img, self.cx + s * A.eye_sep * a, self.eye_y, up, lo, gaze)
        # ---- cheeks (AU6 raises them) and crow's feet ---------------------------------
        for s in (-1, 1):
            _ellipse(img, self.pt(s * 0.45, 0.22 - 0.06 * a6), (0.2 * a, 0.12 * a),
                     min(255.0, skin * (1.02 + 0.06 * a6)))
            if a6 > 0.05:
                x0 = self.cx + s * (A.eye_sep + A.eye_w + 0.04) * a
                for dy in (-0.05, 0.0, 0.05):
                    _line(img, np.array([[x0, self.eye_y + dy * 0.5 * a],
                                         [x0 + s * 0.09 * a, self.eye_y + dy * 1.6 * a]]),
                          skin * (1 - 0.25 * a6))
        # ---- nose (AU9/10 raise and widen the nostrils, wrinkle the bridge) -------------
        tip_v = 0.3 - 0.03 * n9
        side = 1 if A.light > 0 else -1
        _line(img, self.pts([-side * 0.07, -side * 0.09], [-0.05, tip_v - 0.04]), skin * 0.85, 2)
        _line(img, self.pts([side * 0.02, side * 0.02], [-0.05, tip_v - 0.06]), min(255.0, skin * 1.1), 2)
        for s in (-1, 1):
            _ellipse(img, self.pt(s * (0.13 + 0.03 * n9), tip_v + 0.01), (0.08 * a, 0.07 * a),
                     skin * 0.75, -60 if s > 0 else 60, 180 if s > 0 else 300, 2)      # alae
            _ellipse(img, self.pt(s * 0.07, tip_v + 0.04), (0.05 * a, 0.025 * a), skin * 0.35)
        if n9 > 0.05:
            for v in (-0.02, 0.02):
                _line(img, self.pts([-0.08, 0.08], [v, v + 0.01]), skin * (1 - 0.3 * n9))
        # ---- mouth and nasolabial folds ------------------------------------------------------
        m = self._mouth(au, jaw)
        fold = min(0.15 + 0.55 * max(g(12, 0.0), g(9, 0.0), g(10, 0.0), 0.6 * a6), 0.8)
        for k, s in enumerate((-1, 1)):
            start = np.array(self.pt(s * 0.2, tip_v + 0.02))
            end = m["corners"][k] + (s * 0.1 * a, 0.08 * a)
            mid = 0.5 * (start + end) + (s * (0.04 + 0.05 * g(12, 0.0)) * a, 0.0)
            t = _T_FOLD
            _line(img, (1 - t) ** 2 * start + 2 * (1 - t) * t * mid + t ** 2 * end,
                  skin * (1 - 0.35 * fold), 2)
        _poly(img, m["outer"], self.c_lip)
        if m["open"]:
            _poly(img, m["inner"], 25)
            if m["teeth_up"] is not None:
                _poly(img, m["teeth_up"], 215)
            if m["teeth_lo"] is not None:
                _poly(img, m["teeth_lo"], 200)
        _line(img, m["line"], self.c_lip * 0.45)

    def _eye(self, img: np.ndarray, ex: float, ey: float, up: float, lo: float, gaze) -> None:
        """One eye centred at (ex, ey): sclera, iris and pupil inside the lid aperture, lids."""
        A, a = self.actor, self.a
        ew, eh = A.eye_w * a, A.eye_h * a
        x0, y0 = int(ex - ew - 3), int(ey - 2.2 * eh - 3)
        roi = img[y0:int(ey + 1.6 * eh + 4), x0:int(ex + ew + 4)]
        if roi.size == 0:
            return
        c = (ex - x0, ey - y0)
        ap = np.zeros_like(roi)
        if up > 0.02:
            _ellipse(ap, c, (ew, eh * up), 255, 180, 360)
        _ellipse(ap, c, (ew, eh * lo), 255, 0, 180)
        eye = np.full_like(roi, self.c_sclera)
        ic = (c[0] + gaze[0] * ew * 0.35, c[1] + gaze[1] * eh * 0.3)
        _ellipse(eye, ic, (1.05 * eh, 1.05 * eh), A.iris)
        _ellipse(eye, ic, (0.45 * eh, 0.45 * eh), 10)
        w = ap * np.float32(1 / 255)
        roi[...] = roi + w * (eye.astype(np.float32) - roi)
        top = _arc((ex, ey), (ew, eh * up), _UPPER_ARC) if up > 0.02 else \
            np.array([[ex - ew, ey], [ex + ew, ey]])
        _line(img, top, 20, max(1.5, 0.035 * a))                                       # lash line
        _line(img, _arc((ex, ey), (ew, eh * lo), _LOWER_ARC), self.c_lid)               # lower lid
        _line(img, _arc((ex, ey - 0.25 * eh), (ew * 1.05, eh * (0.9 + 0.8 * min(up, 1.3))), _CREASE_ARC),
              self.c_lid)                                                               # lid crease

    def _mouth(self, au: dict[int, float], jaw: float) -> dict:
        """Lip contours (pixel points, shape (n, 2)) for the AUs and the jaw drop (in a)."""
        A, a = self.actor, self.a
        g = au.get
        a12, a15, a16, a20, a23, a25 = (g(k, 0.0) for k in (12, 15, 16, 20, 23, 25))
        cx, cy = self.cx, self.cy + A.mouth_v * self.b
        hw = A.mouth_w * a * (1 + 0.22 * a12 + 0.25 * a20 - 0.18 * a23 - 0.4 * jaw - 0.08 * a16)
        corner_dy = a * (-0.10 * a12 + 0.08 * a15 + 0.03 * a20 + 0.02 * a16)
        thin = 1 - 0.55 * a23 - 0.2 * a20
        tu, tl = A.lip_t * a * thin * 0.85, A.lip_t * a * thin * 1.1
        gap_u = a * (0.045 * g(10, 0.0) + 0.02 * g(9, 0.0) + 0.015 * a25 + 0.15 * jaw)
        gap_l = a * (0.07 * a16 + 0.015 * a25 + 0.85 * jaw)
        curve = corner_dy * _X_LIP ** 2 + cy
        xs = cx + hw * _X_LIP
        up_in = curve - gap_u * _BELL
        lo_in = curve + gap_l * _BELL
        up_out = up_in - tu * _BELL_SQRT * (1 - 0.35 * _BOW * (1 - a23))     # cupid's bow
        lo_out = lo_in + tl * _BELL_SQRT
        gap = gap_u + gap_l
        out = {"outer": np.concatenate([np.stack([xs, up_out], 1), np.stack([xs, lo_out], 1)[::-1]]),
               "inner": np.concatenate([np.stack([xs, up_in], 1), np.stack([xs, lo_in], 1)[::-1]]),
               "open": gap > 0.02 * a, "line": np.stack([xs, 0.5 * (up_in + lo_in)], 1),
               "corners": np.array([[xs[0], curve[0]], [xs[-1], curve[-1]]]),
               "teeth_up": None, "teeth_lo": None}
        if out["open"]:
            k = slice(2, _N_LIP - 2)
            th = np.minimum(0.09 * a, 0.5 * gap * _BELL[k] + 0.02 * a * (g(10, 0.0) + a12))
            out["teeth_up"] = np.concatenate([np.stack([xs[k], up_in[k]], 1),
                                              np.stack([xs[k], np.minimum(up_in[k] + th, lo_in[k])], 1)[::-1]])
            if a16 > 0.2:
                thl = np.minimum(0.06 * a * a16, 0.4 * gap * _BELL[k])
                out["teeth_lo"] = np.concatenate([np.stack([xs[k], lo_in[k] - thl], 1),
                                                  np.stack([xs[k], lo_in[k]], 1)[::-1]])
        return out


# ------------------------------------------------------------------ public API
def render_face_video(emotion: int, intensity: int, actor: int, audio: np.ndarray | None = None,
                      sample_rate: int = 16000, duration_s: float | None = None, fps: float = 30.0,
                      size: tuple[int, int] = (160, 160), seed: int = 0,
                      trial: int = 0) -> np.ndarray:
    """Render a simulated face video of one trial.

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
    apex = au_vector(emotion, intensity)
    A = make_actor(actor, seed)
    rng = np.random.default_rng([seed, actor, emotion, intensity, trial, 0xC11B])
    n = max(1, int(round(duration_s * fps)))
    t = np.arange(n) / fps
    # AU time courses: apex x actor expressiveness x jitter x envelope, shape (n, n_aus)
    jitter = rng.uniform(0.85, 1.1, len(AUS))
    env = expression_envelope(t, duration_s, rng)
    aus = np.clip(apex * jitter * A.expressiveness, 0, 1)[None, :] * env[:, None]
    speech = speech_openness(audio, sample_rate, n, fps)
    a26 = aus[:, AUS.index(26)]
    jaw = 0.3 * (1 - (1 - a26) * (1 - 0.7 * speech))          # jaw drop, in face half-widths
    blink = _blinks(n, fps, rng)
    gx = np.clip(_slow_noise(t, rng, 0.6, f_lo=0.1, f_hi=0.5), -1, 1)
    gy = np.clip(_slow_noise(t, rng, 0.3, f_lo=0.1, f_hi=0.5), -1, 1)
    face = _Face(A, (w, h))
    m = min(w, h)
    dx = _slow_noise(t, rng, 0.012 * m)
    dy = _slow_noise(t, rng, 0.010 * m)
    rot = _slow_noise(t, rng, 2.5)                              # degrees
    scl = 1.0 + _slow_noise(t, rng, 0.015)
    bg = _background((w, h), np.random.default_rng([seed, actor, 0xB6]))
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
    face = _Face(make_actor(actor, seed), (w, h))
    bg = _background((w, h), np.random.default_rng([seed, actor, 0xB6]))
    img = face.render(dict(aus or {}), jaw, blink, (0.0, 0.0), bg)
    return np.clip(img, 0, 255).astype(np.uint8)


def write_video(path: str | os.PathLike, frames: np.ndarray, fps: float = 30.0) -> Path:
    """Write grey frames to an ``.mp4`` (H.264, yuv420p), atomically.

    Parameters
    ----------
    path : path
        Target file; written to a temporary sibling first, then renamed.
    frames : numpy.ndarray
        Shape (n_frames, H, W), uint8 grey.  Odd sizes are padded by one
        replicated row/column (yuv420p needs even sizes).
    fps : float
        Frames per second.

    Returns
    -------
    Path
        ``path``.
    """
    import av
    from fractions import Fraction

    frames = np.asarray(frames)
    if frames.ndim != 3 or frames.shape[0] == 0:
        raise ValueError(f"frames must have shape (n_frames, H, W) with n_frames > 0, got {frames.shape}")
    frames = frames.astype(np.uint8, copy=False)
    _, h, w = frames.shape
    if h % 2 or w % 2:
        frames = np.pad(frames, ((0, 0), (0, h % 2), (0, w % 2)), mode="edge")
    rate = Fraction(fps).limit_denominator(1001)
    codec = _video_codec()
    with atomic_path(path, suffix=".mp4") as tmp:
        # faststart: the index (moov) goes first, so a truncated copy still plays up to the cut
        with av.open(str(tmp), "w", format="mp4", options={"movflags": "faststart"}) as container:
            stream = container.add_stream(codec, rate=rate)
            stream.width, stream.height = frames.shape[2], frames.shape[1]
            stream.pix_fmt = "yuv420p"
            if codec == "libx264":
                stream.options = {"crf": "17", "preset": "veryfast", "threads": "1"}
            else:
                stream.bit_rate = 4_000_000
            for img in frames:
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="gray")
                container.mux(stream.encode(frame.reformat(format="yuv420p")))
            container.mux(stream.encode(None))
    return Path(path)


def _video_codec() -> str:
    """``"libx264"`` where this PyAV build has it, else ``"mpeg4"``."""
    import av

    try:
        av.codec.Codec("libx264", "w")
        return "libx264"
    except Exception:   # codec missing from this FFmpeg build
        return "mpeg4"


def synth_faces(audio_root: str | os.PathLike, out_dir: str | os.PathLike, seed: int = 0,
                progress: bool = True, fps: float = 30.0,
                size: tuple[int, int] = (160, 160)) -> int:
    """Render a simulated face video for every RAVDESS audio clip.

    Every ``Actor_XX/03-VV-EE-II-SS-RR-AA.wav`` below ``audio_root`` gets
    ``out_dir/Actor_XX/02-VV-EE-II-SS-RR-AA.mp4`` (video-only, same trial
    codes) showing the clip's emotion and intensity on actor ``AA``'s face,
    with the mouth driven by that clip's audio and lasting as long as it.
    Existing outputs are kept (the command can be restarted).  ``out_dir/README.md``
    states that the faces are simulated, with the generator and seed.

    Parameters
    ----------
    audio_root : path
        Folder holding ``Actor_XX`` folders of RAVDESS ``.wav`` files (any depth).
    out_dir : path
        Output folder (may be ``audio_root`` itself, putting the videos beside the audio).
    seed : int
        Base seed of the renderer.
    progress : bool
        Show a tqdm progress bar.
    fps : float
        Frames per second.
    size : (int, int)
        Frame (width, height) in pixels.

    Returns
    -------
    int
        Number of videos written by this call (skipped ones not counted).

    Raises
    ------
    DataError
        If ``audio_root`` has no RAVDESS audio clips, a name is malformed, or an
        audio file cannot be read.
    """
    from .media import read_audio
    from .ravdess import parse_name

    audio_root, out_dir = Path(audio_root), Path(out_dir)
    if not audio_root.is_dir():
        raise DataError(f"{audio_root}: audio folder not found")
    wavs = sorted(p for p in audio_root.rglob("03-*.wav")
                  if p.parent.name.startswith("Actor_") and not p.name.startswith("."))
    if not wavs:
        raise DataError(f"{audio_root}: no RAVDESS audio clips (Actor_XX/03-*.wav) found")
    codes = [parse_name(p) for p in wavs]
    todo = []
    for wav, code in zip(wavs, codes):
        target = out_dir / f"Actor_{code.actor_id}" / f"02-{code.trial}.mp4"
        if not target.exists():
            todo.append((wav, code, target))
    sr = 16000
    it = todo
    if progress:
        from tqdm import tqdm

        it = tqdm(todo, desc="synth faces", unit="clip")
    written = 0
    for wav, code, target in it:
        audio = read_audio(wav, sr)
        trial = ((code.vocal_channel * 10 + code.statement) * 10 + code.repetition)
        frames = render_face_video(code.emotion - 1, code.intensity, code.actor, audio, sr,
                                   len(audio) / sr, fps=fps, size=size, seed=seed, trial=trial)
        write_video(target, frames, fps)
        written += 1
    write_text(out_dir / "README.md", _readme(audio_root, len(wavs), seed, fps, size))
    return written


def _readme(audio_root: Path, n: int, seed: int, fps: float, size: tuple[int, int]) -> str:
    return (
        "# RAVDESS: real audio + SIMULATED faces\n\n"
        "The `02-*.mp4` (video-only) files here are **simulated** cartoon faces, not recordings.\n"
        "Each was rendered from the real RAVDESS audio clip with the same trial codes\n"
        f"(`03-*.wav` under `{audio_root}`): emotion and intensity from the file name, a face\n"
        "per actor, FACS action units of EMFACS-style emotion prototypes with an onset-apex-offset\n"
        "envelope, mouth opening driven by the audio loudness, blinks and head motion.\n\n"
        f"- generator: `{GENERATOR}` (`stdp_emo.datasets.faces.synth_faces`)\n"
        f"- seed: {seed}\n"
        f"- frames: {size[0]}x{size[1]} grey, {fps:g} fps, H.264 / yuv420p\n"
        f"- audio clips: {n}\n\n"
        "Results on these videos measure the pipeline on a synthetic vision task; they are not\n"
        "comparable to published RAVDESS audio-visual results.\n"
    )


def link_audio(audio_root: str | os.PathLike, out_dir: str | os.PathLike) -> int:
    """Symlink every RAVDESS audio clip of ``audio_root`` into ``out_dir`` (same relative path).

    With the rendered ``02-...mp4`` videos beside them, the RAVDESS loader then
    pairs real audio and simulated faces by trial, without copying any audio.
    Existing links or files are left alone.

    Returns
    -------
    int
        Number of links made.
    """
    from .ravdess import parse_name as _parse_name

    audio_root, out_dir = Path(audio_root).resolve(), Path(out_dir)
    made = 0
    for wav in sorted(audio_root.rglob("*.wav")):
        _parse_name(wav)                      # same validation as synth_faces
        dest = out_dir / wav.relative_to(audio_root)
        if dest.exists() or dest.is_symlink():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.symlink_to(wav)
        made += 1
    return made
