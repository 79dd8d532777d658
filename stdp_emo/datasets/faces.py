"""Simulated faces for a RAVDESS audio folder: one face video per audio clip.

:func:`synth_faces` renders (:func:`stdp_emo.generators.faces.render_face_video`)
a video-only RAVDESS file (modality 02) for every speech clip of a folder, with
the clip's emotion, intensity and actor, its mouth driven by the clip's audio,
and writes a ``README.md`` saying that the faces are simulated (the RAVDESS
loader reads that mark into the dataset's description); with an action-unit CSV
every face shows its own trial's measured action units instead of the emotion's
prototype.  :func:`link_audio`
puts the audio beside the videos, so that the RAVDESS loader pairs them.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
from pathlib import Path

from . import action_units
from ..errors import DataError
from ..fileio import write_text
from ..generators.faces import render_face_video
from ..generators.video import write_video
from .media import read_audio
from .ravdess import AU_FACES_MARK, parse_name

GENERATOR = "stdp_emo.datasets.faces v1"
"""Name and version of the face renderer, recorded in the ``README.md`` of a folder of
simulated faces (kept as written by earlier versions: the rendered videos are the same)."""

GENERATOR_AU = "stdp_emo.datasets.faces real-AU v1"
"""The same for faces rendered from real action units (``synth_faces(..., au_csv=...)``)."""

log = logging.getLogger(__name__)


def synth_faces(audio_root: str | os.PathLike, out_dir: str | os.PathLike, seed: int = 0,
                progress: bool = True, fps: float = 30.0,
                size: tuple[int, int] = (160, 160),
                au_csv: str | os.PathLike | None = None, lossless: bool = False) -> int:
    """Render a simulated face video for every RAVDESS audio clip.

    Every ``Actor_XX/03-VV-EE-II-SS-RR-AA.wav`` below ``audio_root`` gets
    ``out_dir/Actor_XX/02-VV-EE-II-SS-RR-AA.mp4`` (video-only, same trial
    codes) showing the clip's emotion and intensity on actor ``AA``'s face,
    with the mouth driven by that clip's audio and lasting as long as it.
    Existing outputs are kept (the command can be restarted).  ``out_dir/README.md``
    states that the faces are simulated, with the generator and seed.

    With ``au_csv``, every face shows its own trial's measured action units
    (:mod:`.action_units`: the OpenFace clip means of the row with the same trial code,
    mapped by :func:`stdp_emo.generators.face_model.au_vector_openface`) in place of
    the emotion's prototype, with the same timing, blinks, motion and audio-driven
    mouth; clips without a row get no video, are counted in a warning and in the
    README, which says "faces rendered from real action units (OpenFace clip means)".

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
    au_csv : path or None
        Action-unit CSV (``clip``, ``AUxx_r``, ``AUxx_c`` columns, see
        :func:`.action_units.load`); ``None``: prototype faces.
    lossless : bool
        Encode the videos losslessly (:func:`stdp_emo.generators.video.write_video`): a
        render repeated anywhere then gives the same frames, hence the same DVS events;
        about 1.2 MB per clip instead of 40 kB.  The README records the encoding, and a
        folder holding videos of the other encoding is refused.

    Returns
    -------
    int
        Number of videos written by this call (existing ones and clips without an
        action-unit row not counted).

    Raises
    ------
    DataError
        If ``audio_root`` has no RAVDESS audio clips, a name is malformed, an
        audio file cannot be read, the AU file is malformed (one line naming file
        and row), or ``out_dir`` already holds faces of the other kind.
    """
    audio_root, out_dir = Path(audio_root), Path(out_dir)
    if not audio_root.is_dir():
        raise DataError(f"{audio_root}: audio folder not found")
    table = action_units.load(au_csv) if au_csv is not None else None
    _check_kind(out_dir / "README.md", GENERATOR if table is None else GENERATOR_AU)
    _check_encoding(out_dir / "README.md", lossless)
    wavs = sorted(p for p in audio_root.rglob("03-*.wav")
                  if p.parent.name.startswith("Actor_") and not p.name.startswith("."))
    if not wavs:
        raise DataError(f"{audio_root}: no RAVDESS audio clips (Actor_XX/03-*.wav) found")
    codes = [parse_name(p) for p in wavs]
    todo, missing = [], []
    for wav, code in zip(wavs, codes):
        units = table.intensities(code.trial) if table is not None else None
        if table is not None and units is None:
            missing.append(code)
            continue
        target = out_dir / f"Actor_{code.actor_id}" / f"02-{code.trial}.mp4"
        if not target.exists():
            todo.append((wav, code, target, units))
    if missing:
        log.warning("%d of %d audio clips have no action-unit row in %s: no face video "
                    "(e.g. %s)", len(missing), len(wavs), table.path, missing[0].trial)
    sr = 16000
    it = todo
    if progress:
        from tqdm import tqdm

        it = tqdm(todo, desc="synth faces", unit="clip")
    written = 0
    for wav, code, target, units in it:
        audio = read_audio(wav, sr)
        trial = ((code.vocal_channel * 10 + code.statement) * 10 + code.repetition)
        frames = render_face_video(code.emotion - 1, code.intensity, code.actor, audio, sr,
                                   len(audio) / sr, fps=fps, size=size, seed=seed, trial=trial,
                                   action_units=units)
        write_video(target, frames, fps, lossless=lossless)
        written += 1
    fmt = _format(seed, fps, size, lossless)
    text = (_readme(audio_root, len(wavs), fmt) if table is None else
            _readme_au(audio_root, len(wavs), missing, table.path, fmt))
    write_text(out_dir / "README.md", text)
    return written


def _check_kind(readme: Path, generator: str) -> None:
    """Refuse to add faces of one kind to a folder holding the other (restarts are fine)."""
    m = re.search(r"^- generator: `([^`]*)`", _readme_text(readme), re.M)
    if m and m.group(1) in (GENERATOR, GENERATOR_AU) and m.group(1) != generator:
        want = "real action units" if generator == GENERATOR_AU else "prototypes"
        raise DataError(f"{readme.parent}: holds faces made by {m.group(1)}; faces from "
                        f"{want} need another --out folder")


def _readme_text(readme: Path) -> str:
    with contextlib.suppress(OSError, UnicodeDecodeError):
        return readme.read_text(encoding="utf-8")
    return ""


def _check_encoding(readme: Path, lossless: bool) -> None:
    """Refuse to add videos of one encoding to a folder holding the other."""
    m = re.search(r"^- frames: .*H\.264 / yuv420p(, lossless)?$", _readme_text(readme), re.M)
    if m and bool(m.group(1)) != lossless:
        have, want = ("lossless", "lossy") if m.group(1) else ("lossy", "lossless")
        raise DataError(f"{readme.parent}: holds {have} videos; {want} ones need another "
                        "--out folder")


def _format(seed: int, fps: float, size: tuple[int, int], lossless: bool) -> str:
    return (f"- seed: {seed}\n"
            f"- frames: {size[0]}x{size[1]} grey, {fps:g} fps, H.264 / yuv420p"
            f"{', lossless' if lossless else ''}\n")


def _readme(audio_root: Path, n: int, fmt: str) -> str:
    return (
        "# RAVDESS: real audio + SIMULATED faces\n\n"
        "The `02-*.mp4` (video-only) files here are **simulated** cartoon faces, not recordings.\n"
        "Each was rendered from the real RAVDESS audio clip with the same trial codes\n"
        f"(`03-*.wav` under `{audio_root}`): emotion and intensity from the file name, a face\n"
        "per actor, FACS action units of EMFACS-style emotion prototypes with an onset-apex-offset\n"
        "envelope, mouth opening driven by the audio loudness, blinks and head motion.\n\n"
        f"- generator: `{GENERATOR}` (`stdp_emo.datasets.faces.synth_faces`)\n"
        + fmt +
        f"- audio clips: {n}\n\n"
        "Results on these videos measure the pipeline on a synthetic vision task; they are not\n"
        "comparable to published RAVDESS audio-visual results.\n"
    )


def _readme_au(audio_root: Path, n: int, missing: list, au_csv: Path, fmt: str) -> str:
    actors = sorted({c.actor_id for c in missing})
    skipped = (f"- clips without an action-unit row (no video): {len(missing)}"
               + (f" (actor{'s' * (len(actors) > 1)} {', '.join(actors)})" if actors else "")
               + "\n")
    return (
        f"# RAVDESS: real audio + {AU_FACES_MARK}\n\n"
        "The `02-*.mp4` (video-only) files here are cartoon faces, not recordings, with\n"
        f"{AU_FACES_MARK} (OpenFace clip means) of `{au_csv}`.\n"
        "Each was rendered for the real RAVDESS audio clip with the same trial codes\n"
        f"(`03-*.wav` under `{audio_root}`): a face per actor showing the action-unit\n"
        "intensities measured on that trial's audio-visual video (OpenFace 0-5 scale mapped\n"
        "linearly to the renderer's, full at 2.5; units the face cannot draw are ignored) with\n"
        "an onset-apex-offset envelope, mouth opening driven by the audio loudness, blinks and\n"
        "head motion. The measured values are clip means: the timing inside the clip is the\n"
        "renderer's, not the actor's.\n\n"
        f"- generator: `{GENERATOR_AU}` (`stdp_emo.datasets.faces.synth_faces`)\n"
        + fmt +
        f"- audio clips: {n}\n"
        f"- faces (clips with an action-unit row): {n - len(missing)}\n"
        + skipped +
        "\nThe expressions are real measurements (with the confusions and actor differences of\n"
        "real faces); the pixels are not, so results are not comparable to published RAVDESS\n"
        "audio-visual results.\n"
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
    audio_root, out_dir = Path(audio_root).resolve(), Path(out_dir)
    made = 0
    for wav in sorted(audio_root.rglob("*.wav")):
        parse_name(wav)                      # same validation as synth_faces
        dest = out_dir / wav.relative_to(audio_root)
        if dest.exists() or dest.is_symlink():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.symlink_to(wav)
        made += 1
    return made
