"""eNTERFACE'05 folder layout (empty placeholder .avi files: the loader reads names only)."""
from pathlib import Path

import pytest

from stdp_emo.datasets import load_dataset
from stdp_emo.datasets.enterface import EMOTIONS_ENTERFACE, load
from stdp_emo.errors import DataError

CODES = {"anger": "an", "disgust": "di", "fear": "fe", "happiness": "ha", "sadness": "sa",
         "surprise": "su"}


def touch(root: Path, *relpaths: str) -> None:
    for rel in relpaths:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.touch()


def release(root: Path, subjects=(1, 2), sentences=range(1, 6)) -> None:
    """The distributed layout; subject 6 (if asked for) without happiness sentence folders."""
    for s in subjects:
        for emotion, code in CODES.items():
            for k in sentences:
                if s == 6 and emotion == "happiness":
                    touch(root, f"subject {s}/{emotion}/s{s}_{code}_{k}.avi")
                else:
                    touch(root, f"subject {s}/{emotion}/sentence {k}/s{s}_{code}_{k}.avi")


def test_distributed_layout(tmp_path):
    release(tmp_path)
    touch(tmp_path, "README.txt", "subject 1/anger/sentence 1/Thumbs.db", "subject 1/.DS_Store")
    ds = load(tmp_path)
    assert ds.name == "enterface" and ds.classes == EMOTIONS_ENTERFACE
    assert len(ds) == 2 * 6 * 5
    assert [c.id for c in ds.clips] == sorted(c.id for c in ds.clips)
    clip = next(c for c in ds.clips if c.id == "s2_fe_3")
    assert clip.actor == "2" and clip.label == EMOTIONS_ENTERFACE.index("fear")
    assert clip.audio_path == clip.video_path == tmp_path / "subject 2/fear/sentence 3/s2_fe_3.avi"
    assert clip.meta == {"emotion": "fear", "sentence": 3}
    assert ds.counts()["modality"] == {"audio+video": 60}
    assert "eNTERFACE" in ds.description


def test_subject_6_happiness_without_sentence_folders(tmp_path):
    release(tmp_path, subjects=(6,))
    ds = load(tmp_path)
    assert len(ds) == 30
    happy = [c for c in ds.clips if c.meta["emotion"] == "happiness"]
    assert sorted(c.id for c in happy) == [f"s6_ha_{k}" for k in range(1, 6)]
    assert all(c.video_path.parent.name == "happiness" for c in happy)


def test_ids_come_from_folders_not_file_names(tmp_path):
    # the real release names subject 11's files s12_*, and has s_3_* and "s16_su_3avi.avi"
    touch(tmp_path, "subject 11/anger/sentence 1/s12_an_1.avi",
          "subject 3/anger/sentence 2/s_3_an_2.avi", "subject 16/surprise/sentence 3/s16_su_3avi.avi")
    assert [c.id for c in load(tmp_path).clips] == ["s11_an_1", "s16_su_3", "s3_an_2"]


def test_folder_names_with_hyphens_and_case(tmp_path):
    touch(tmp_path, "Subject-4/Anger/Sentence_2/s4_an_2.AVI")
    assert [c.id for c in load(tmp_path).clips] == ["s4_an_2"]


@pytest.mark.parametrize("rel, words", [
    ("subject 1/joy/sentence 1/s1_jo_1.avi", "unknown emotion folder"),
    ("subject 1/anger/take 1/s1_an_1.avi", "unexpected folder"),
    ("subject 1/anger/sentence 1/extra/s1_an_1.avi", "unexpected folder"),
    ("subject 1/s1_an_1.avi", "not inside an emotion folder"),
    ("subject 1/anger/clip.avi", "cannot tell the sentence number"),
])
def test_malformed_layout(tmp_path, rel, words):
    touch(tmp_path, rel)
    with pytest.raises(DataError) as e:
        load(tmp_path)
    message = str(e.value)
    assert words in message and "\n" not in message and message.startswith(str(tmp_path / "subject 1"))


def test_two_videos_in_one_sentence_folder(tmp_path):
    touch(tmp_path, "subject 1/anger/sentence 1/s1_an_1.avi", "subject 1/anger/sentence 1/s1_an_1b.avi")
    with pytest.raises(DataError, match="2 .avi files"):
        load(tmp_path)


def test_same_trial_twice(tmp_path):
    touch(tmp_path, "subject 6/happiness/sentence 1/s6_ha_1.avi", "subject 6/happiness/s6_ha_1.avi")
    with pytest.raises(DataError, match="same subject, emotion and sentence"):
        load(tmp_path)


@pytest.mark.parametrize("setup, words", [
    (lambda p: p.mkdir(), "no eNTERFACE'05 videos found"),
    (lambda p: (p / "subject 1" / "anger").mkdir(parents=True), "no eNTERFACE'05 videos found"),
    (lambda p: None, "not found"),
    (lambda p: p.touch(), "not a folder"),
])
def test_bad_root(tmp_path, setup, words):
    root = tmp_path / "root"
    setup(root)
    with pytest.raises(DataError) as e:
        load(root)
    assert str(e.value).startswith(str(root)) and words in str(e.value) and "subject N" in str(e.value)


def test_load_dataset_dispatch(tmp_path):
    release(tmp_path, subjects=(1,))
    assert len(load_dataset("enterface", tmp_path)) == 30
    with pytest.raises(DataError, match="needs a root"):
        load_dataset("enterface", None)
