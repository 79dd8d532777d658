"""RAVDESS file names and folder loader (empty placeholder files: the loader reads names only)."""
from pathlib import Path

import pytest

from stdp_emo import EMOTIONS_RAVDESS
from stdp_emo.datasets import load_dataset
from stdp_emo.datasets.ravdess import RavdessCode, load, parse_name
from stdp_emo.errors import DataError


def touch(root: Path, *relpaths: str) -> None:
    for rel in relpaths:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.touch()


# --------------------------------------------------------------------------- parse_name

def test_parse_every_field():
    code = parse_name("/x/Actor_12/02-01-06-01-02-01-12.mp4")
    assert code == RavdessCode(modality=2, vocal_channel=1, emotion=6, intensity=1, statement=2,
                               repetition=1, actor=12)
    assert code.trial == "01-06-01-02-01-12"
    assert code.emotion_name == "fearful"
    assert code.actor_id == "12"
    assert code.name == "02-01-06-01-02-01-12.mp4"


@pytest.mark.parametrize("name, field, value", [
    ("01-01-01-01-01-01-01.mp4", "modality", 1),
    ("03-02-02-01-01-01-01.wav", "vocal_channel", 2),
    ("03-01-08-01-01-01-01.wav", "emotion", 8),
    ("03-01-05-02-01-01-01.wav", "intensity", 2),
    ("03-01-05-01-02-01-01.wav", "statement", 2),
    ("03-01-05-01-01-02-01.wav", "repetition", 2),
    ("03-01-05-01-01-01-24.wav", "actor", 24),
    ("03-01-05-01-01-01-01.WAV", "modality", 3),
])
def test_parse_field_values(name, field, value):
    assert getattr(parse_name(name), field) == value


@pytest.mark.parametrize("name, words", [
    ("04-01-01-01-01-01-01.wav", "modality code 04"),
    ("00-01-01-01-01-01-01.wav", "modality code 00"),
    ("03-03-01-01-01-01-01.wav", "vocal channel code 03"),
    ("03-01-09-01-01-01-01.wav", "emotion code 09"),
    ("03-01-00-01-01-01-01.wav", "emotion code 00"),
    ("03-01-02-03-01-01-01.wav", "intensity code 03"),
    ("03-01-01-02-01-01-01.wav", "neutral"),
    ("03-01-02-01-03-01-01.wav", "statement code 03"),
    ("03-01-02-01-01-03-01.wav", "repetition code 03"),
    ("03-01-02-01-01-01-25.wav", "actor code 25"),
    ("03-01-02-01-01-01-00.wav", "actor code 00"),
    ("03-01-02-01-01-01-01.mp4", "must be a .wav"),
    ("01-01-02-01-01-01-01.wav", "must be a .mp4"),
    ("02-01-02-01-01-01-01.wav", "must be a .mp4"),
    ("03-01-02-01-01-01.wav", "not a RAVDESS file name"),
    ("03-01-02-01-01-01-01-01.wav", "not a RAVDESS file name"),
    ("03-01-2-01-01-01-01.wav", "not a RAVDESS file name"),
    ("03_01_02_01_01_01_01.wav", "not a RAVDESS file name"),
    ("recording.wav", "not a RAVDESS file name"),
])
def test_parse_malformed(name, words):
    with pytest.raises(DataError) as e:
        parse_name(Path("/data") / name)
    message = str(e.value)
    assert message.startswith(f"/data/{name}: ") and words in message and "\n" not in message


# --------------------------------------------------------------------------- load

def test_audio_only_layout(tmp_path):
    touch(tmp_path, "Actor_01/03-01-05-02-01-01-01.wav", "Actor_02/03-01-01-01-02-02-02.wav",
          "README.md", "SHA256SUMS", "Actor_01/.DS_Store", "Actor_01/notes.txt")
    ds = load(tmp_path)
    assert ds.name == "ravdess" and ds.classes == EMOTIONS_RAVDESS
    assert [c.id for c in ds.clips] == ["01-01-01-02-02-02", "01-05-02-01-01-01"]
    clip = ds.clips[1]
    assert clip.actor == "01" and clip.label == 4
    assert clip.audio_path == tmp_path / "Actor_01/03-01-05-02-01-01-01.wav" and clip.video_path is None
    assert clip.meta == {"emotion": "angry", "intensity": "strong", "statement": 1, "repetition": 1,
                         "vocal_channel": "speech"}
    assert ds.description == "RAVDESS (real audio)"


def test_wav_paired_with_video_of_same_trial(tmp_path):
    touch(tmp_path,
          "Audio_Speech_Actors_01-24/Actor_03/03-01-03-01-01-01-03.wav",
          "Video_Speech_Actor_03/Actor_03/02-01-03-01-01-01-03.mp4",
          "Video_Speech_Actor_03/Actor_03/01-01-03-01-01-01-03.mp4",
          # full-AV only: gives both streams
          "Video_Speech_Actor_03/Actor_03/01-01-04-01-01-01-03.mp4",
          # video-only: no audio
          "Video_Speech_Actor_03/Actor_03/02-01-06-01-01-01-03.mp4",
          # wav + full-AV: audio from the wav, video from the full-AV file
          "Audio_Speech_Actors_01-24/Actor_03/03-01-07-01-01-01-03.wav",
          "Video_Speech_Actor_03/Actor_03/01-01-07-01-01-01-03.mp4")
    ds = load(tmp_path)
    clips = {c.id: c for c in ds.clips}
    assert len(clips) == 4
    both = clips["01-03-01-01-01-03"]
    assert both.audio_path.name == "03-01-03-01-01-01-03.wav"
    assert both.video_path.name == "02-01-03-01-01-01-03.mp4"
    av = clips["01-04-01-01-01-03"]
    assert av.audio_path == av.video_path and av.audio_path.name.startswith("01-")
    mute = clips["01-06-01-01-01-03"]
    assert mute.audio_path is None and mute.video_path.name.startswith("02-")
    mixed = clips["01-07-01-01-01-03"]
    assert mixed.audio_path.suffix == ".wav" and mixed.video_path.name.startswith("01-")
    assert ds.description == "RAVDESS (real audio + video)"
    assert ds.counts()["modality"] == {"audio+video": 3, "video": 1}


def test_song_excluded_by_default(tmp_path):
    touch(tmp_path, "Actor_01/03-01-02-01-01-01-01.wav", "Actor_01/03-02-02-01-01-01-01.wav")
    assert [c.id for c in load(tmp_path).clips] == ["01-02-01-01-01-01"]
    with_song = load(tmp_path, include_song=True)
    assert [c.meta["vocal_channel"] for c in with_song.clips] == ["speech", "song"]


def test_only_song_without_include_song(tmp_path):
    touch(tmp_path, "Actor_01/03-02-02-01-01-01-01.wav")
    with pytest.raises(DataError, match="1 song clips skipped"):
        load(tmp_path)


def test_actor_folder_mismatch(tmp_path):
    touch(tmp_path, "Actor_02/03-01-02-01-01-01-01.wav")
    with pytest.raises(DataError, match=r"actor code 01 does not match its folder Actor_02"):
        load(tmp_path)


def test_file_outside_actor_folder(tmp_path):
    touch(tmp_path, "03-01-02-01-01-01-01.wav")
    with pytest.raises(DataError, match="not inside an Actor_01 folder"):
        load(tmp_path)


def test_malformed_media_name_is_an_error(tmp_path):
    touch(tmp_path, "Actor_01/03-01-02-01-01-01-01.wav", "Actor_01/take2.wav")
    with pytest.raises(DataError, match=r"take2\.wav: not a RAVDESS file name"):
        load(tmp_path)


def test_duplicate_file(tmp_path):
    touch(tmp_path, "a/Actor_01/03-01-02-01-01-01-01.wav", "b/Actor_01/03-01-02-01-01-01-01.wav")
    with pytest.raises(DataError, match="duplicate"):
        load(tmp_path)


def test_hidden_files_ignored(tmp_path):
    touch(tmp_path, "Actor_01/03-01-02-01-01-01-01.wav", "Actor_01/._03-01-02-01-01-01-01.wav",
          ".trash/Actor_01/bad.wav")
    assert len(load(tmp_path)) == 1


@pytest.mark.parametrize("setup, words", [
    (lambda p: p.mkdir(), "no RAVDESS clips found"),
    (lambda p: (p.mkdir(), (p / "README.md").touch()), "no RAVDESS clips found"),
    (lambda p: None, "not found"),
    (lambda p: p.touch(), "not a folder"),
])
def test_bad_root(tmp_path, setup, words):
    root = tmp_path / "root"
    setup(root)
    with pytest.raises(DataError) as e:
        load(root)
    message = str(e.value)
    assert message.startswith(str(root)) and words in message and "Actor_XX" in message


def test_load_dataset_dispatch(tmp_path):
    touch(tmp_path, "Actor_01/03-01-02-01-01-01-01.wav")
    assert len(load_dataset("ravdess", tmp_path)) == 1
    with pytest.raises(DataError, match="needs a root"):
        load_dataset("ravdess")
    with pytest.raises(DataError, match="synthetic, ravdess, enterface"):
        load_dataset("iemocap", tmp_path)


def test_real_ravdess(ravdess_root):
    """The real data beside the checkout (``../shared/data/ravdess``; skipped when absent)."""
    ds = load(ravdess_root)
    assert len(ds) == 1200
    assert len(set(ds.actors)) == 20
    assert len(set(ds.labels)) == 8 == len(ds.classes)
    assert all(c.audio_path.suffix == ".wav" and c.video_path is None for c in ds.clips)
    counts = ds.counts()
    assert counts["class"]["neutral"] == 80 and counts["class"]["angry"] == 160
    assert set(counts["actor"].values()) == {60}


def test_format_counts(tmp_path):
    from stdp_emo.datasets.summary import format_counts

    touch(tmp_path, "Actor_01/03-01-05-02-01-01-01.wav", "Actor_01/02-01-05-02-01-01-01.mp4",
          "Actor_10/03-01-01-01-02-02-10.wav")
    text = format_counts(load(tmp_path))
    lines = text.splitlines()
    assert lines[0] == "ravdess: RAVDESS (real audio + video)"
    assert "2 clips, 2 actors, 8 classes" in text
    header = next(line for line in lines if line.startswith("actor"))
    assert header.split() == ["actor", *EMOTIONS_RAVDESS, "total"]
    assert next(line for line in lines if line.startswith("01")).split() == ["01", *"00001000", "1"]
    assert next(line for line in lines if line.startswith("total")).split()[-1] == "2"
    assert lines[-1] == "modality: audio 1, audio+video 1"
