"""Dataset records shared by every loader.

A dataset is a list of :class:`Clip` (one trial each: an utterance with its
audio and, where present, its face video) plus the class names.  Loaders only
parse and validate names and layout; reading the media happens in
:mod:`stdp_emo.datasets.media` when features are computed.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Clip:
    """One trial.

    Attributes
    ----------
    id : str
        Unique, stable identifier of the trial within its dataset (RAVDESS:
        the file name without modality code and extension, e.g.
        ``"01-05-02-01-01-01"`` = vocal channel, emotion, intensity, statement,
        repetition, actor).
    actor : str
        Speaker identifier (used by the speaker-independent split).
    label : int
        Class index into :attr:`Dataset.classes`.
    audio_path : Path or None
        File holding the audio (``.wav``, or a video container with audio).
    video_path : Path or None
        Face video of the same trial, if any.
    meta : dict
        Dataset-specific fields (e.g. ``intensity``, ``statement``).
    """

    id: str
    actor: str
    label: int
    audio_path: Path | None
    video_path: Path | None = None
    meta: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Dataset:
    """A parsed dataset.

    Attributes
    ----------
    name : str
        ``"ravdess"``, ``"enterface"`` or ``"synthetic"``.
    root : Path
        Folder it was read from.
    classes : tuple of str
        Class names; ``Clip.label`` indexes this.
    clips : tuple of Clip
        Sorted by ``id``.
    description : str
        One line for run records (e.g. "real audio + simulated faces").
    """

    name: str
    root: Path
    classes: tuple[str, ...]
    clips: tuple[Clip, ...]
    description: str = ""

    def __len__(self) -> int:
        return len(self.clips)

    @property
    def labels(self):
        """Class index of every clip, shape (n_clips,), int."""
        import numpy as np

        return np.array([c.label for c in self.clips], dtype=np.int64)

    @property
    def actors(self):
        """Actor of every clip, shape (n_clips,), str."""
        import numpy as np

        return np.array([c.actor for c in self.clips])

    def counts(self) -> dict[str, dict[str, int]]:
        """Counts per actor, per class and per modality (audio / video / both)."""
        modality = Counter()
        for c in self.clips:
            if c.audio_path is not None and c.video_path is not None:
                modality["audio+video"] += 1
            elif c.audio_path is not None:
                modality["audio"] += 1
            elif c.video_path is not None:
                modality["video"] += 1
        return {
            "actor": dict(sorted(Counter(c.actor for c in self.clips).items())),
            "class": {self.classes[k]: v for k, v in sorted(Counter(c.label for c in self.clips).items())},
            "modality": dict(sorted(modality.items())),
        }

    def subset(self, indices) -> "Dataset":
        """A dataset holding only the clips at ``indices`` (same classes)."""
        return Dataset(self.name, self.root, self.classes, tuple(self.clips[i] for i in indices),
                       self.description)
