"""eNTERFACE'05 audio-visual emotion database, in its distributed folder layout.

::

    root/subject 1/anger/sentence 1/s1_an_1.avi
    root/subject 1/anger/sentence 2/s1_an_2.avi
    ...
    root/subject 6/happiness/s6_ha_1.avi      (subject 6: no sentence folders)

The subject, emotion and sentence come from the folder names, because the file
names of the real release are not reliable (subject 11's files are named
``s12_*``, subject 3's ``s_3_*``, one file is ``s16_su_3avi.avi``).  Only where
an ``.avi`` lies directly in an emotion folder is its sentence number read from
the last number in its name.  Each ``.avi`` holds both the face video and the
audio, so ``Clip.audio_path == Clip.video_path``.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import DataError
from . import require_folder
from .base import Clip, Dataset

EMOTIONS_ENTERFACE = ("anger", "disgust", "fear", "happiness", "sadness", "surprise")
"""The 6 eNTERFACE'05 emotions (folder names); ``Clip.label`` indexes this."""

_CODES = {"anger": "an", "disgust": "di", "fear": "fe", "happiness": "ha", "sadness": "sa",
          "surprise": "su"}
_SUBJECT_DIR = re.compile(r"subject[ _-]?(\d+)", re.IGNORECASE)
_SENTENCE_DIR = re.compile(r"sentence[ _-]?(\d+)", re.IGNORECASE)
_LAYOUT = "subject N/<emotion>/sentence K/*.avi"


def load(root: str | os.PathLike) -> Dataset:
    """Read an eNTERFACE'05 folder into a :class:`Dataset`, one clip per ``.avi``.

    Parameters
    ----------
    root : path
        Folder holding the ``subject N`` folders.  Other files and folders
        directly in ``root`` are ignored; inside a subject folder every
        sub-folder must be an emotion, inside an emotion folder every
        sub-folder a ``sentence K``.  Non-``.avi`` and hidden files are ignored.

    Returns
    -------
    Dataset
        ``name="enterface"``, classes ``EMOTIONS_ENTERFACE``; clip ids
        ``"s<N>_<an|di|fe|ha|sa|su>_<K>"``, actor ``"<N>"``, clips sorted by id.

    Raises
    ------
    DataError
        Naming the path, for a missing root, an unexpected folder, an ``.avi``
        outside an emotion folder, two videos of the same trial, or no video.
    """
    root = require_folder(root, f"a folder of {_LAYOUT}")
    clips: dict[str, Clip] = {}
    for subject_dir, subject in _numbered_dirs(root, _SUBJECT_DIR):
        _reject_avi(subject_dir, "not inside an emotion folder")
        for emotion_dir in _subdirs(subject_dir):
            label = _emotion_label(emotion_dir)
            for path, sentence in _emotion_videos(emotion_dir):
                clip = Clip(id=f"s{subject}_{_CODES[EMOTIONS_ENTERFACE[label]]}_{sentence}",
                            actor=str(subject), label=label, audio_path=path, video_path=path,
                            meta={"emotion": EMOTIONS_ENTERFACE[label], "sentence": sentence})
                if clip.id in clips:
                    raise DataError(f"{path}: same subject, emotion and sentence as "
                                    f"{clips[clip.id].video_path}")
                clips[clip.id] = clip
    if not clips:
        raise DataError(f"{root}: no eNTERFACE'05 videos found (expected {_LAYOUT} below it)")
    ordered = tuple(sorted(clips.values(), key=lambda c: c.id))
    return Dataset("enterface", root, EMOTIONS_ENTERFACE, ordered, "eNTERFACE'05 (real audio + video)")


def _subdirs(folder: Path) -> list[Path]:
    """Non-hidden sub-folders of ``folder``, sorted."""
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _avi_files(folder: Path) -> list[Path]:
    """Non-hidden ``.avi`` files directly in ``folder``, sorted."""
    return sorted(p for p in folder.iterdir()
                  if p.suffix.lower() == ".avi" and p.is_file() and not p.name.startswith("."))


def _reject_avi(folder: Path, why: str) -> None:
    """Raise if ``folder`` directly holds an ``.avi`` file."""
    avis = _avi_files(folder)
    if avis:
        raise DataError(f"{avis[0]}: {why} (expected {_LAYOUT})")


def _numbered_dirs(folder: Path, pattern: re.Pattern, strict: str = "") -> list[tuple[Path, int]]:
    """Sub-folders whose name matches ``pattern``, with the number it captures.

    Other sub-folders are ignored, or with ``strict`` (their expected name,
    e.g. ``"sentence K"``) rejected.
    """
    found = []
    for d in _subdirs(folder):
        m = pattern.fullmatch(d.name)
        if m:
            found.append((d, int(m.group(1))))
        elif strict:
            raise DataError(f"{d}: unexpected folder (expected '{strict}' folders, layout {_LAYOUT})")
    return found


def _emotion_label(folder: Path) -> int:
    """Class index of an emotion folder (name compared case-insensitively)."""
    name = folder.name.lower()
    if name not in EMOTIONS_ENTERFACE:
        raise DataError(f"{folder}: unknown emotion folder (expected one of "
                        f"{', '.join(EMOTIONS_ENTERFACE)})")
    return EMOTIONS_ENTERFACE.index(name)


def _emotion_videos(emotion_dir: Path) -> list[tuple[Path, int]]:
    """``(video, sentence number)`` for the videos of one emotion folder.

    Videos sit in ``sentence K`` folders (one each), or directly in the emotion
    folder (subject 6 of the real release), where K is the last number of the
    file name.
    """
    videos = []
    for sentence_dir, sentence in _numbered_dirs(emotion_dir, _SENTENCE_DIR, strict="sentence K"):
        for extra in _subdirs(sentence_dir):
            raise DataError(f"{extra}: unexpected folder (expected {_LAYOUT})")
        avis = _avi_files(sentence_dir)
        if len(avis) > 1:
            raise DataError(f"{sentence_dir}: {len(avis)} .avi files, expected one per sentence")
        videos += [(p, sentence) for p in avis]
    for path in _avi_files(emotion_dir):
        numbers = re.findall(r"\d+", path.stem)
        if len(numbers) < 2:
            raise DataError(f"{path}: cannot tell the sentence number (expected a name like "
                            f"s6_ha_1.avi, or the file in a 'sentence K' folder)")
        videos.append((path, int(numbers[-1])))
    return videos
