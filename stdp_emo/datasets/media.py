"""Reading the audio of a clip: sound files and the audio stream of video containers.

Every failure caused by the file itself (missing, unreadable, corrupt, no
audio, empty, silent) raises :class:`~stdp_emo.errors.DataError` with one line
naming the file.
"""
from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np

from ..errors import DataError

SOUNDFILE_SUFFIXES = (".wav", ".flac", ".ogg", ".aiff", ".aif")
"""Suffixes read with soundfile (libsndfile); anything else is opened with PyAV (FFmpeg)."""

SILENCE_PEAK = 1e-4
"""A clip whose peak absolute amplitude is below this (full scale = 1) is rejected as silent."""


def read_audio(path: str | os.PathLike, sample_rate: int) -> np.ndarray:
    """Read the audio of a file as mono float32 at ``sample_rate``.

    ``.wav``/``.flac``/``.ogg``/``.aiff`` are read with soundfile; other files
    (``.mp4``, ``.avi``, ...) with PyAV, decoding their first audio stream.
    Channels are averaged to mono and the result is resampled (soxr, high
    quality) when the file's rate differs.

    Parameters
    ----------
    path : path
        Audio or video file.
    sample_rate : int
        Wanted sampling rate in Hz.

    Returns
    -------
    numpy.ndarray
        Shape (n_samples,), float32, clipped to [-1, 1].

    Raises
    ------
    DataError
        If the file is missing, cannot be decoded, has no audio stream, holds
        no samples, or is silent (peak below ``SILENCE_PEAK``).
    """
    if int(sample_rate) <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: {missing_reason(path)}")
    if path.suffix.lower() in SOUNDFILE_SUFFIXES:
        y, native_rate = _read_soundfile(path)
    else:
        y, native_rate = _read_container(path)
    short = wav_truncation(path)
    try:
        _check_signal(path, y)
    except DataError as e:
        if short:                 # name the cause: what is left is empty or silent
            raise DataError(f"{path}: {short} ({str(e).removeprefix(f'{path}: ')})") from None
        raise
    if short:
        warnings.warn(f"{path}: {short}; using the {y.size / max(native_rate, 1):.2f} s present",
                      stacklevel=2)
    if native_rate != sample_rate:
        import librosa

        y = librosa.resample(y, orig_sr=native_rate, target_sr=int(sample_rate), res_type="soxr_hq")
    return np.clip(y, -1.0, 1.0).astype(np.float32, copy=False)


def audio_seconds(path: str | os.PathLike) -> float:
    """Duration of a file's audio track in seconds, from its header (no decoding).

    WAV/FLAC/OGG through soundfile, containers (``.mp4``, ``.avi``) through
    PyAV; NaN when the file gives no duration.
    """
    path = Path(path)
    try:
        import soundfile as sf

        return float(sf.info(str(path)).duration)
    except Exception:  # not a soundfile format: a container
        pass
    try:
        import av

        with av.open(str(path)) as c:
            s = next((s for s in c.streams if s.type == "audio"), None)
            if s is not None and s.duration is not None and s.time_base is not None:
                return float(s.duration * s.time_base)
            if c.duration is not None:
                return float(c.duration) / 1e6
    except Exception:  # unreadable: the feature extraction names the file
        pass
    return float("nan")


def missing_reason(path: Path) -> str:
    """Why ``path`` is not a readable file: not found, a directory, or a broken or looping link."""
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except RuntimeError:                    # Python < 3.13: a symlink loop
            return "symbolic link loop"
        except OSError as e:
            import errno
            return ("symbolic link loop" if e.errno == errno.ELOOP
                    else f"broken symbolic link (to {os.readlink(path)})")
    return "not a file" if path.exists() else "file not found"


def wav_truncation(path: str | os.PathLike) -> str:
    """``""``, or one line when a WAV file holds fewer data bytes than its header declares.

    (A file cut off while being copied: soundfile reads what is there without a word.)
    Only RIFF/WAVE files are checked; anything else gives ``""``.
    """
    import struct

    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return ""
            pos, rate, block = 12, 0, 0
            while pos + 8 <= size:
                fh.seek(pos)
                cid, n = struct.unpack("<4sI", fh.read(8))
                if cid == b"fmt ":
                    fmt = fh.read(16)
                    if len(fmt) == 16:
                        rate, block = struct.unpack("<I", fmt[4:8])[0], struct.unpack("<H", fmt[12:14])[0]
                elif cid == b"data":
                    have = size - pos - 8
                    if n in (0, 0xFFFFFFFF) or have >= n:    # 0 / -1: streamed, size unknown
                        return ""
                    if rate and block:
                        return (f"WAV is truncated: its header declares {n / block / rate:.2f} s "
                                f"of audio, the file holds {have / block / rate:.2f} s")
                    return f"WAV is truncated: header declares {n} data bytes, file holds {have}"
                pos += 8 + n + (n & 1)
    except OSError:
        return ""
    return ""


def _read_soundfile(path: Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples, shape (n,), and rate in Hz, read with soundfile."""
    import soundfile as sf

    try:
        data, rate = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError, OSError) as e:
        raise DataError(f"{path}: cannot read audio ({_one_line(e, path)})") from None
    return data.mean(axis=1), int(rate)


def _read_container(path: Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples, shape (n,), and rate in Hz, of the first audio stream (PyAV)."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise DataError(f"{path}: no audio stream")
            stream = container.streams.audio[0]
            # planar float keeps each channel in its own row: shape (channels, n)
            resampler = av.AudioResampler(format="fltp")
            chunks, rate = [], stream.rate
            for frame in container.decode(stream):
                rate = rate or frame.sample_rate
                chunks += [f.to_ndarray() for f in resampler.resample(frame)]
            chunks += [f.to_ndarray() for f in resampler.resample(None)]
    except (av.FFmpegError, OSError, ValueError) as e:
        raise DataError(f"{path}: cannot decode audio ({_one_line(e, path)})") from None
    if not chunks:
        return np.zeros(0, dtype=np.float32), int(rate or 0)
    return np.concatenate(chunks, axis=1).mean(axis=0).astype(np.float32), int(rate)


def _check_signal(path: Path, y: np.ndarray) -> None:
    """Raise if ``y`` (shape (n,)) is empty, not finite or silent."""
    if y.size == 0:
        raise DataError(f"{path}: contains no audio samples (zero length)")
    if not np.all(np.isfinite(y)):
        raise DataError(f"{path}: audio contains NaN or infinite samples")
    peak = float(np.max(np.abs(y)))
    if peak < SILENCE_PEAK:
        raise DataError(f"{path}: audio is silent (peak amplitude {peak:.2g} < {SILENCE_PEAK:g})")


def _one_line(e: BaseException, path: Path) -> str:
    """The message of an exception on one line, without the (repeated) file name."""
    text = re.sub(r"\[Errno -?\d+\] ", "", str(e))
    for quoted in (f": '{path}'", f" '{path}'", f"'{path}'", str(path)):
        text = text.replace(quoted, "")
    return " ".join(text.split()).strip(" :") or type(e).__name__
