"""Writing grey frames as an ``.mp4`` video (H.264 where PyAV has it, else MPEG-4)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..fileio import atomic_path


def write_video(path: str | os.PathLike, frames: np.ndarray, fps: float = 30.0,
                lossless: bool = False) -> Path:
    """Write grey frames to an ``.mp4`` (H.264, yuv420p), atomically.

    The lossy default (x264 CRF 17) is small (about 0.3 kB per 160 x 160 frame) but not
    repeatable: the same frames encoded twice in one process gave 4 different files in 12
    tries (decoded grey levels differing by about 1 in the mean, up to 27), so a video
    rendered again is not the same input to the event camera.  ``lossless`` (x264 QP 0)
    is repeatable and decodes to the given frames within one grey level (the full-to-video
    range rounding of yuv420p), at about 30 times the size.

    Parameters
    ----------
    path : path
        Target file; written to a temporary sibling first, then renamed.
    frames : numpy.ndarray
        Shape (n_frames, H, W), uint8 grey.  Odd sizes are padded by one
        replicated row/column (yuv420p needs even sizes).
    fps : float
        Frames per second.
    lossless : bool
        Encode losslessly (H.264 QP 0; needs libx264, else ``ValueError``).

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
    if lossless and codec != "libx264":
        raise ValueError("lossless video needs libx264, which this PyAV build lacks")
    with atomic_path(path, suffix=".mp4") as tmp:
        # faststart: the index (moov) goes first, so a truncated copy still plays up to the cut
        with av.open(str(tmp), "w", format="mp4", options={"movflags": "faststart"}) as container:
            stream = container.add_stream(codec, rate=rate)
            stream.width, stream.height = frames.shape[2], frames.shape[1]
            stream.pix_fmt = "yuv420p"
            if codec == "libx264":
                quality = {"qp": "0"} if lossless else {"crf": "17"}
                stream.options = {**quality, "preset": "veryfast", "threads": "1"}
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
