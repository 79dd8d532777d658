"""RAVDESS: file-name codes and the folder loader.

Every RAVDESS file is named ``MM-VV-EE-II-SS-RR-AA.ext``:

====  ==============  =====================================================
code  field           values
====  ==============  =====================================================
MM    modality        01 full-AV (``.mp4``), 02 video-only (``.mp4``),
                      03 audio-only (``.wav``)
VV    vocal channel   01 speech, 02 song
EE    emotion         01 neutral ... 08 surprised (see ``EMOTIONS_RAVDESS``)
II    intensity       01 normal, 02 strong (neutral has no strong)
SS    statement       01 "Kids are talking by the door",
                      02 "Dogs are sitting by the door"
RR    repetition      01, 02
AA    actor           01-24 (odd male, even female)
====  ==============  =====================================================

The files of one trial (same ``VV-EE-II-SS-RR-AA`` in all modalities) become
one :class:`~stdp_emo.datasets.base.Clip`.  Each file must sit in a folder
``Actor_AA`` whose number agrees with its actor code; that folder may be at
any depth below the root (``root/Actor_01/`` as in the audio release, or
``root/Video_Speech_Actor_01/Actor_01/`` as in the video releases).
"""
from __future__ import annotations

import contextlib

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .. import EMOTIONS_RAVDESS
from ..errors import DataError
from . import require_folder
from .base import Clip, Dataset

MEDIA_SUFFIXES = (".wav", ".mp4")
"""Suffixes of RAVDESS media files; any other file is ignored by :func:`load`."""

MODALITIES = {1: "full-AV", 2: "video-only", 3: "audio-only"}
VOCAL_CHANNELS = {1: "speech", 2: "song"}
INTENSITIES = {1: "normal", 2: "strong"}
_SUFFIX_OF_MODALITY = {1: ".mp4", 2: ".mp4", 3: ".wav"}
_ACTOR_DIR = re.compile(r"Actor_(\d+)")
_NAME_FORMAT = "MM-VV-EE-II-SS-RR-AA.wav|.mp4"


@dataclass(frozen=True)
class RavdessCode:
    """The seven codes of one RAVDESS file name (all validated, 1-based).

    Attributes
    ----------
    modality : int
        1 full-AV, 2 video-only, 3 audio-only.
    vocal_channel : int
        1 speech, 2 song.
    emotion : int
        1-8, index + 1 into ``EMOTIONS_RAVDESS``.
    intensity : int
        1 normal, 2 strong.
    statement : int
        1 or 2.
    repetition : int
        1 or 2.
    actor : int
        1-24.
    """

    modality: int
    vocal_channel: int
    emotion: int
    intensity: int
    statement: int
    repetition: int
    actor: int

    @property
    def trial(self) -> str:
        """The trial id ``"VV-EE-II-SS-RR-AA"`` shared by all modalities of one take."""
        return "-".join(f"{v:02d}" for v in (self.vocal_channel, self.emotion, self.intensity,
                                             self.statement, self.repetition, self.actor))

    @property
    def actor_id(self) -> str:
        """Two-digit actor code, e.g. ``"07"``."""
        return f"{self.actor:02d}"

    @property
    def emotion_name(self) -> str:
        """Emotion name, e.g. ``"angry"``."""
        return EMOTIONS_RAVDESS[self.emotion - 1]

    @property
    def name(self) -> str:
        """The file name these codes stand for, e.g. ``"03-01-05-02-01-01-07.wav"``."""
        return f"{self.modality:02d}-{self.trial}{_SUFFIX_OF_MODALITY[self.modality]}"


# field name -> (lowest, highest) allowed code
_FIELD_RANGES = {
    "modality": (1, 3),
    "vocal_channel": (1, 2),
    "emotion": (1, len(EMOTIONS_RAVDESS)),
    "intensity": (1, 2),
    "statement": (1, 2),
    "repetition": (1, 2),
    "actor": (1, 24),
}


def parse_name(path: str | os.PathLike) -> RavdessCode:
    """Parse and validate a RAVDESS file name.

    Parameters
    ----------
    path : path
        File path; only its name is parsed.

    Returns
    -------
    RavdessCode

    Raises
    ------
    DataError
        ``"<path>: <what is wrong>"`` if the name does not have seven two-digit
        fields, a code is out of range, neutral is marked strong, or the
        extension does not match the modality.
    """
    p = Path(path)
    fields = p.stem.split("-")
    if len(fields) != len(_FIELD_RANGES) or not all(re.fullmatch(r"\d\d", f) for f in fields):
        raise DataError(f"{p}: not a RAVDESS file name (expected {_NAME_FORMAT}, "
                        f"seven two-digit codes)")
    values = dict(zip(_FIELD_RANGES, (int(f) for f in fields)))
    for key, (lo, hi) in _FIELD_RANGES.items():
        if not lo <= values[key] <= hi:
            raise DataError(f"{p}: {key.replace('_', ' ')} code {values[key]:02d} "
                            f"is not in {lo:02d}-{hi:02d}")
    code = RavdessCode(**values)
    if code.emotion == 1 and code.intensity != 1:
        raise DataError(f"{p}: neutral (emotion 01) has no strong intensity (intensity code 02)")
    want = _SUFFIX_OF_MODALITY[code.modality]
    if p.suffix.lower() != want:
        raise DataError(f"{p}: modality {code.modality:02d} ({MODALITIES[code.modality]}) "
                        f"must be a {want} file, not '{p.suffix}'")
    return code


def load(root: str | os.PathLike, include_song: bool = False) -> Dataset:
    """Read a RAVDESS folder into a :class:`Dataset`, one clip per trial.

    The audio of a trial is the audio-only ``.wav`` (modality 03) or, without
    one, the full-AV ``.mp4`` (01); its video is the video-only ``.mp4`` (02)
    or, without one, the full-AV ``.mp4``.  Files other than ``.wav``/``.mp4``
    and hidden files are ignored.

    Parameters
    ----------
    root : path
        Folder holding ``Actor_XX`` folders (at any depth).
    include_song : bool
        Also keep song trials (vocal channel 02); speech only by default.

    Returns
    -------
    Dataset
        ``name="ravdess"``, the 8 ``EMOTIONS_RAVDESS`` classes, clips sorted by id.

    Raises
    ------
    DataError
        If ``root`` is missing or not a folder, a media file has a malformed
        name, lies outside an ``Actor_XX`` folder or in the wrong one, a file is
        present twice, or no clip is found.
    """
    root = Path(root)
    files = _media_files(root)
    trials: dict[str, dict[int, Path]] = {}
    for path in files:
        code = parse_name(path)
        _check_actor_folder(path, code)
        by_modality = trials.setdefault(code.trial, {})
        if code.modality in by_modality:
            raise DataError(f"{path}: duplicate of {by_modality[code.modality]} "
                            f"(same modality and trial)")
        by_modality[code.modality] = path
    clips = [_make_clip(by_modality) for by_modality in trials.values()]
    n_song = sum(c.meta["vocal_channel"] == "song" for c in clips)
    if not include_song:
        clips = [c for c in clips if c.meta["vocal_channel"] == "speech"]
    if not clips:
        skipped = f" ({n_song} song clips skipped: include_song is off)" if n_song else ""
        raise DataError(f"{root}: no RAVDESS clips found{skipped}; expected files "
                        f"Actor_XX/{_NAME_FORMAT} below it")
    clips.sort(key=lambda c: c.id)
    return Dataset("ravdess", root, EMOTIONS_RAVDESS, tuple(clips), _description(clips, root))


def _media_files(root: Path) -> list[Path]:
    """All non-hidden ``.wav``/``.mp4`` files below ``root``, sorted."""
    require_folder(root, f"a folder of Actor_XX/{_NAME_FORMAT} files")
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(folder, n) for n in names
                  if not n.startswith(".") and Path(n).suffix.lower() in MEDIA_SUFFIXES]
    return sorted(found)


def _check_actor_folder(path: Path, code: RavdessCode) -> None:
    """Raise unless ``path`` lies directly in the folder ``Actor_<code.actor>``."""
    m = _ACTOR_DIR.fullmatch(path.parent.name)
    if m is None:
        raise DataError(f"{path}: not inside an Actor_{code.actor_id} folder")
    if int(m.group(1)) != code.actor:
        raise DataError(f"{path}: actor code {code.actor_id} does not match its folder "
                        f"{path.parent.name}")


def _make_clip(by_modality: dict[int, Path]) -> Clip:
    """One clip from the files of one trial, keyed by modality code."""
    code = parse_name(next(iter(by_modality.values())))
    audio = by_modality.get(3, by_modality.get(1))
    video = by_modality.get(2, by_modality.get(1))
    meta = {
        "emotion": code.emotion_name,
        "intensity": INTENSITIES[code.intensity],
        "statement": code.statement,
        "repetition": code.repetition,
        "vocal_channel": VOCAL_CHANNELS[code.vocal_channel],
    }
    return Clip(id=code.trial, actor=code.actor_id, label=code.emotion - 1,
                audio_path=audio, video_path=video, meta=meta)


SIMULATED_FACES_MARK = "SIMULATED faces"
"""Text that ``stdp-emo synth faces`` writes into the README of a folder of rendered faces."""

AU_FACES_MARK = "faces rendered from real action units"
"""Text that ``stdp-emo synth faces --au-csv`` writes into the README instead (the faces
show each trial's measured OpenFace action units)."""


def _description(clips: list[Clip], root: Path | None = None) -> str:
    """``"RAVDESS (real audio)"``, ``"RAVDESS (real audio + video)"``, ``"RAVDESS (real video)"``,
    ``"RAVDESS (real audio + SIMULATED faces)"`` for a folder made by ``stdp-emo synth faces``,
    or ``"RAVDESS (real audio + faces rendered from real action units)"`` with ``--au-csv``."""
    streams = [s for s, present in (("audio", any(c.audio_path for c in clips)),
                                    ("video", any(c.video_path for c in clips))) if present]
    readme = Path(root) / "README.md" if root is not None else None
    if "video" in streams and readme is not None and readme.is_file():
        with contextlib.suppress(OSError, UnicodeDecodeError):
            text = readme.read_text(encoding="utf-8")
            if AU_FACES_MARK in text:
                return f"RAVDESS (real audio + {AU_FACES_MARK})"
            if SIMULATED_FACES_MARK in text:
                return "RAVDESS (real audio + SIMULATED faces)"
    return f"RAVDESS (real {' + '.join(streams)})"
