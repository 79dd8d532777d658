"""Video decoding and face cropping (the input of the DVS emulator).

:func:`read_video` decodes a video to grey frames with PyAV (OpenCV as a
fallback); :class:`FaceCropper` follows the largest frontal face found by
OpenCV's Haar cascade and cuts a square crop around it in every frame;
:func:`crop_video` does both.

Time unit: microseconds (``timestamps_us``), measured from the first frame.
Problems caused by the file (missing, unreadable, corrupt, no video stream, no
frames) raise :class:`~stdp_emo.errors.DataError` with one line naming it.
"""
from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter1d, median_filter

from ..errors import DataError

HAAR_CASCADE = "haarcascade_frontalface_default.xml"
"""OpenCV's frontal-face Haar cascade, shipped with opencv-python in ``cv2.data.haarcascades``."""


# ------------------------------------------------------------------ decoding
def read_video(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, float]:
    """Decode all frames of a video as grey levels.

    Parameters
    ----------
    path : path
        Video file (any container/codec FFmpeg reads).

    Returns
    -------
    frames : numpy.ndarray
        Shape (n_frames, H, W), uint8 grey (luma).
    timestamps_us : numpy.ndarray
        Shape (n_frames,), int64, strictly increasing, first frame at 0.
    fps : float
        Frame rate (frames per second).

    Raises
    ------
    DataError
        If the file is missing, is not a decodable video, has no video stream
        or no frames.  A file that breaks off after some frames (truncated or
        corrupt) gives those frames and a warning.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: {'not a file' if path.exists() else 'video file not found'}")
    try:
        import av  # noqa: F401
    except ImportError:  # pragma: no cover - PyAV is a dependency; OpenCV as a fallback
        return _read_cv2(path)
    return _read_av(path)


def _read_av(path: Path) -> tuple[np.ndarray, np.ndarray, float]:
    """PyAV decoder; see :func:`read_video`."""
    import av

    frames, times = [], []
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise DataError(f"{path}: no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate
            fps = float(rate) if rate else 0.0
            tb = float(stream.time_base) if stream.time_base else 0.0
            declared = int(stream.frames or 0)
            damage = None
            try:
                for packet in container.demux(stream):
                    try:
                        decoded = packet.decode()
                    except av.FFmpegError as e:        # a corrupt packet: skip it, keep going
                        damage = damage or e
                        continue
                    for frame in decoded:
                        frames.append(frame.to_ndarray(format="gray"))
                        times.append(frame.pts * tb if frame.pts is not None and tb else np.nan)
            except (av.FFmpegError, OSError) as e:      # the container breaks off
                if not frames:
                    raise
                damage = damage or e
    except av.FFmpegError as e:
        raise DataError(f"{path}: cannot decode video ({_one_line(e, path)})") from None
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: cannot read video ({_one_line(e, path)})") from None
    if not frames:
        if damage is None and not declared:
            raise DataError(f"{path}: video has no frames")
        why = _one_line(damage, path) if damage is not None else f"{declared} frames declared"
        raise DataError(f"{path}: no frame could be decoded, the file is damaged or truncated ({why})")
    if damage is not None or len(frames) < declared:
        why = _one_line(damage, path) if damage is not None else f"{declared} frames declared"
        warnings.warn(f"{path}: video is damaged or truncated ({why}); using the {len(frames)} "
                      f"frames that could be decoded", stacklevel=3)
    return _finish(path, frames, np.array(times, dtype=np.float64), fps)


def _read_cv2(path: Path) -> tuple[np.ndarray, np.ndarray, float]:
    """OpenCV decoder; see :func:`read_video`."""
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise DataError(f"{path}: cannot decode video (not a video file, or damaged)")
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        frames, times = [], []
        while True:
            ok, img = cap.read()
            if not ok:
                break
            times.append(cap.get(cv2.CAP_PROP_POS_MSEC) * 1e-3)
            frames.append(img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))
    finally:
        cap.release()
    if not frames:
        raise DataError(f"{path}: video has no frames (or cannot be decoded)")
    return _finish(path, frames, np.array(times, dtype=np.float64), fps)


def _finish(path: Path, frames: list[np.ndarray], times_s: np.ndarray,
            fps: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Stack frames; timestamps (s, may be NaN) -> strictly increasing us from 0; fps fallback."""
    shapes = {f.shape for f in frames}
    if len(shapes) != 1:
        raise DataError(f"{path}: frame size changes within the video ({sorted(shapes)})")
    n = len(frames)
    t = times_s - times_s[0] if n and np.isfinite(times_s[0]) else times_s
    ok = np.all(np.isfinite(t)) and (n < 2 or np.all(np.diff(t) > 0))
    if not fps > 0:
        fps = (n - 1) / t[-1] if ok and n > 1 and t[-1] > 0 else 30.0
    if not ok:   # missing or non-monotonic stamps: assume a constant frame rate
        t = np.arange(n) / fps
    return np.stack(frames), np.round(t * 1e6).astype(np.int64), float(fps)


def _one_line(e: BaseException, path: Path) -> str:
    """An exception message on one line, without the (repeated) file name."""
    text = re.sub(r"\[Errno -?\d+\]", "", str(e).replace(f"'{path}'", "").replace(str(path), ""))
    return " ".join(text.split()).strip(" :;") or type(e).__name__


# ------------------------------------------------------------------ face crop
@lru_cache(maxsize=1)
def _cascade() -> cv2.CascadeClassifier:
    path = os.path.join(cv2.data.haarcascades, HAAR_CASCADE)
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():   # pragma: no cover - broken OpenCV installation
        raise RuntimeError(f"cannot load the Haar cascade {path}")
    return cascade


@dataclass(frozen=True)
class FaceCropper:
    """Square face crops that follow the largest frontal face (OpenCV Haar cascade).

    Faces are detected every ``detect_every`` frames on a copy scaled to at
    most ``detect_width`` pixels wide (histogram-equalised).  The track of
    detected box centres is median filtered over ``median_window`` detections
    (rejecting outliers), linearly interpolated to every frame and smoothed
    with a Gaussian of ``smooth_s`` seconds; the crop side is the median
    detected side times ``1 + 2 * margin`` (constant over the clip, so the
    crop does not zoom with detector jitter).  Crops reaching outside the
    frame are padded by replicating the border.

    Attributes
    ----------
    size : int
        Side of the output crops in pixels.
    detect_every : int
        Detect in every k-th frame (and in the last one).
    detect_width : int
        Frames wider than this are scaled down for detection (pixels).
    margin : float
        Fraction of the detected side added on each side of the box.
    min_face : float
        Smallest face side searched, fraction of the frame's shorter side.
    median_window : int
        Detections in the median filter of the track.
    smooth_s : float
        Gaussian smoothing of the interpolated track, seconds (0: none).
    scale_factor, min_neighbors : float, int
        ``cv2.CascadeClassifier.detectMultiScale`` parameters.
    """

    size: int = 100
    detect_every: int = 5
    detect_width: int = 320
    margin: float = 0.1
    min_face: float = 0.2
    median_window: int = 5
    smooth_s: float = 0.3
    scale_factor: float = 1.1
    min_neighbors: int = 5

    def detect(self, frame: np.ndarray) -> np.ndarray | None:
        """Largest face in a grey frame (H, W) uint8: ``(cx, cy, side)``, shape (3,), pixels, or None."""
        h, w = frame.shape
        scale = min(1.0, self.detect_width / w)
        small = frame if scale == 1.0 else cv2.resize(frame, (round(w * scale), round(h * scale)),
                                                      interpolation=cv2.INTER_AREA)
        side = max(24, int(self.min_face * min(small.shape)))
        boxes = _cascade().detectMultiScale(cv2.equalizeHist(small), self.scale_factor,
                                            self.min_neighbors, minSize=(side, side))
        if len(boxes) == 0:
            return None
        x, y, bw, bh = boxes[np.argmax(boxes[:, 2] * boxes[:, 3])]
        # centre in pixel-centre coordinates (pixel i spans [i - 0.5, i + 0.5]), as cv2.getRectSubPix
        return np.array([(x + (bw - 1) / 2 + 0.5) / scale - 0.5, (y + (bh - 1) / 2 + 0.5) / scale - 0.5,
                         max(bw, bh) / scale])

    def track(self, frames: np.ndarray, fps: float = 30.0) -> tuple[np.ndarray | None, int]:
        """Face box per frame, shape (n_frames, 3) = (cx, cy, side) in pixels, and the detection count.

        Returns ``(None, 0)`` when no face is found in any examined frame.
        """
        n = len(frames)
        idx = np.unique(np.r_[np.arange(0, n, max(1, self.detect_every)), n - 1])
        found = [(i, b) for i in idx if (b := self.detect(frames[i])) is not None]
        if not found:
            return None, 0
        at = np.array([i for i, _ in found])
        boxes = np.array([b for _, b in found])
        if len(boxes) >= 3:
            boxes = median_filter(boxes, size=(min(self.median_window, len(boxes)), 1), mode="nearest")
        frame_idx = np.arange(n)
        track = np.stack([np.interp(frame_idx, at, boxes[:, k]) for k in range(3)], axis=1)
        if self.smooth_s > 0 and n > 1:
            track[:, :2] = gaussian_filter1d(track[:, :2], self.smooth_s * fps, axis=0, mode="nearest")
        track[:, 2] = np.median(boxes[:, 2])
        return track, len(found)

    def crop(self, frames: np.ndarray, fps: float = 30.0,
             name: str = "<frames>") -> tuple[np.ndarray, dict]:
        """Face crops of a grey video.

        Parameters
        ----------
        frames : numpy.ndarray
            Shape (n_frames, H, W), uint8.
        fps : float
            Frame rate (for the temporal smoothing).
        name : str
            Shown in the warning when no face is found.

        Returns
        -------
        crops : numpy.ndarray
            Shape (n_frames, size, size), uint8 (``cv2.INTER_AREA`` resampling).
        info : dict
            ``{"face_found": bool, "detections": int, "frames": int}``; without
            a face (and a warning) the crop is the centred square of side min(H, W).
        """
        n, h, w = frames.shape
        track, k = self.track(frames, fps)
        if track is None:
            warnings.warn(f"{name}: no face found in {n} frames; using a centre crop", stacklevel=2)
            track = np.tile([(w - 1) / 2, (h - 1) / 2, min(h, w) / (1 + 2 * self.margin)], (n, 1))
        out = np.empty((n, self.size, self.size), np.uint8)
        for i, (cx, cy, side) in enumerate(track):
            s = max(2, int(round(side * (1 + 2 * self.margin))))
            patch = cv2.getRectSubPix(frames[i], (s, s), (float(cx), float(cy)))
            out[i] = cv2.resize(patch, (self.size, self.size), interpolation=cv2.INTER_AREA)
        return out, {"face_found": k > 0, "detections": k, "frames": n}


def crop_video(path: str | os.PathLike, size: int = 100,
               cropper: FaceCropper | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Decode a video and cut square face crops from it.

    Parameters
    ----------
    path : path
        Video file.
    size : int
        Crop side in pixels (ignored when ``cropper`` is given).
    cropper : FaceCropper or None
        Cropping parameters; default ``FaceCropper(size=size)``.

    Returns
    -------
    frames : numpy.ndarray
        Shape (n_frames, size, size), uint8 grey.
    timestamps_us : numpy.ndarray
        Shape (n_frames,), int64, us from the first frame.
    info : dict
        ``{"face_found": bool, "detections": int, "frames": int}``.

    Raises
    ------
    DataError
        As :func:`read_video`.
    """
    frames, ts, fps = read_video(path)
    crops, info = (cropper or FaceCropper(size=size)).crop(frames, fps, name=str(path))
    return crops, ts, info
