"""How a simulated face is drawn: OpenCV polygons, lines and ellipses in fixed-point
coordinates, a shaded head over a static background (see :mod:`.face_model` for
the model and :mod:`.faces` for rendering whole videos).
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from .face_model import Actor

_SHIFT = 4                      # fixed-point bits of OpenCV drawing coordinates (1/16 px)
_ONE = 1 << _SHIFT
_LINE = cv2.LINE_AA
_N_LIP = 13                     # points per lip contour


def background(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
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


class Face:
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
