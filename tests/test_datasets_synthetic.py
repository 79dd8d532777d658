"""The built-in synthetic dataset: layout, determinism, atomic generation, learnability."""
import filecmp
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stdp_emo import EMOTIONS_RAVDESS
from stdp_emo.datasets import load_dataset, ravdess, synthetic
from stdp_emo.errors import ConfigError, DataError

SMALL = dict(n_actors=1, seed=3, duration_s=1.0)


@pytest.fixture(scope="module")
def small_set(tmp_path_factory) -> Path:
    return synthetic.generate(tmp_path_factory.mktemp("syn") / "set", **SMALL)


def wav_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.wav"))


def test_layout_loads_with_the_ravdess_loader(small_set):
    ds = ravdess.load(small_set)
    assert len(ds) == 60 and set(ds.actors) == {"01"}
    assert ds.classes == EMOTIONS_RAVDESS and set(ds.labels) == set(range(8))
    assert ds.counts()["class"] == {e: (4 if e == "neutral" else 8) for e in EMOTIONS_RAVDESS}
    assert "synthetic" in (small_set / "README.md").read_text().lower()
    manifest = json.loads((small_set / synthetic.MANIFEST).read_text())
    assert manifest["n_clips"] == 60 and manifest["seed"] == 3


def test_audio_format(small_set):
    for path in wav_files(small_set)[:8]:
        info = sf.info(path)
        assert (info.samplerate, info.channels) == (16000, 1)
        assert (info.format, info.subtype) == ("WAV", "PCM_16")
        y, _ = sf.read(path)
        assert 0.7 < len(y) / 16000 < 3.0
        assert 0.01 < np.abs(y).max() <= 1.0


def test_same_seed_same_bytes(small_set, tmp_path):
    again = synthetic.generate(tmp_path / "again", **SMALL)
    names = [p.relative_to(small_set).as_posix() for p in sorted(small_set.rglob("*")) if p.is_file()]
    assert names == [p.relative_to(again).as_posix() for p in sorted(again.rglob("*")) if p.is_file()]
    match, mismatch, errors = filecmp.cmpfiles(small_set, again, names, shallow=False)
    assert not mismatch and not errors


def test_other_seed_other_audio(small_set, tmp_path):
    other = synthetic.generate(tmp_path / "other", **{**SMALL, "seed": 4})
    name = "Actor_01/03-01-05-01-01-01-01.wav"
    assert (small_set / name).read_bytes() != (other / name).read_bytes()


def test_clip_does_not_depend_on_number_of_actors():
    trial = synthetic.Trial(actor=2, emotion=4, intensity=2, statement=1, repetition=2)
    a = synthetic.synthesize(synthetic.make_actor(2, seed=0), trial, seed=0)
    b = synthetic.synthesize(synthetic.make_actor(2, seed=0), trial, seed=0)
    assert np.array_equal(a, b) and a.dtype == np.float32


def test_emotions_differ_as_profiled(small_set):
    """Angry is louder than sad; sad clips are longer (slower) than angry ones."""
    def stats(emotion: int):
        ys = [sf.read(p)[0] for p in small_set.glob(f"Actor_01/03-01-{emotion:02d}-*.wav")]
        return np.mean([np.sqrt(np.mean(y ** 2)) for y in ys]), np.mean([len(y) for y in ys])

    (rms_angry, len_angry), (rms_sad, len_sad) = stats(5), stats(4)
    assert rms_angry > 2 * rms_sad
    assert len_sad > len_angry


def test_generate_refuses_existing_folder(small_set, tmp_path):
    with pytest.raises(DataError, match="already exists"):
        synthetic.generate(small_set, **SMALL)
    (tmp_path / "empty").mkdir()
    assert synthetic.generate(tmp_path / "empty", **SMALL).is_dir()


@pytest.mark.parametrize("kw, key", [
    (dict(n_actors=25), "n_actors"), (dict(n_actors=0), "n_actors"), (dict(n_actors=1.5), "n_actors"),
    (dict(seed=-1), "seed"), (dict(duration_s=0.2), "duration_s"), (dict(duration_s="1"), "duration_s"),
    (dict(sample_rate=4000), "sample_rate"),
])
def test_bad_parameters(tmp_path, kw, key):
    with pytest.raises(ConfigError, match=key):
        synthetic.generate(tmp_path / "x", **kw)
    assert not (tmp_path / "x").exists()


def test_interrupted_generation_leaves_nothing(tmp_path, monkeypatch):
    calls = []

    def failing(*args, **kw):
        calls.append(1)
        if len(calls) > 5:
            raise KeyboardInterrupt
        return np.full(1600, 0.1, np.float32)

    monkeypatch.setattr(synthetic, "synthesize", failing)
    with pytest.raises(KeyboardInterrupt):
        synthetic.ensure(tmp_path / "set", **SMALL)
    assert list(tmp_path.iterdir()) == []


def test_ensure_generates_once_and_repairs(tmp_path, monkeypatch):
    root = tmp_path / "set"
    assert synthetic.ensure(root, **SMALL) == root
    first = root / "Actor_01/03-01-01-01-01-01-01.wav"
    stamp = first.stat().st_mtime_ns
    assert synthetic.ensure(root) == root  # complete: kept as is
    assert first.stat().st_mtime_ns == stamp
    (root / "Actor_01/03-01-08-02-02-02-01.wav").unlink()  # incomplete: regenerated with its parameters
    synthetic.ensure(root)
    assert len(wav_files(root)) == 60
    assert json.loads((root / synthetic.MANIFEST).read_text())["seed"] == SMALL["seed"]
    synthetic.ensure(root, **{**SMALL, "seed": 5})  # other parameters asked for: regenerated
    assert json.loads((root / synthetic.MANIFEST).read_text())["seed"] == 5
    assert [p.name for p in tmp_path.iterdir()] == ["set"]  # no staging folders left


def test_ensure_never_overwrites_foreign_data(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").touch()
    with pytest.raises(DataError, match="not a synthetic data set"):
        synthetic.ensure(tmp_path / "mine", **SMALL)
    assert (tmp_path / "mine" / "thesis.tex").exists()
    (tmp_path / "file").touch()
    with pytest.raises(DataError, match="not a folder"):
        synthetic.ensure(tmp_path / "file")
    with pytest.raises(ConfigError, match="unknown generator parameter"):
        synthetic.ensure(tmp_path / "x", actors=3)


def test_load(small_set):
    ds = synthetic.load(small_set)
    assert ds.name == "synthetic" and ds.description == "synthetic speech (built-in generator)"
    assert len(load_dataset("synthetic", small_set)) == 60


def test_description_says_faces_are_simulated(small_set, tmp_path):
    import shutil

    root = tmp_path / "set"
    shutil.copytree(small_set, root)
    wav = next(root.rglob("03-*.wav"))
    (wav.parent / ("02" + wav.name[2:-4] + ".mp4")).write_bytes(b"rendered face video")
    ds = synthetic.load(root)
    assert "SIMULATED faces" in ds.description
    assert sum(c.video_path is not None for c in ds.clips) == 1


@pytest.mark.slow
def test_default_set_is_learnable_but_not_trivially(tmp_path, monkeypatch):
    """An RBF-SVM on MFCC means/stds: well above chance (12.5 %), well below 100 %."""
    import librosa
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from stdp_emo.datasets.media import read_audio

    monkeypatch.setenv("STDP_EMO_DATA", str(tmp_path))
    ds = load_dataset("synthetic")
    assert ds.root == tmp_path / "synthetic" and len(ds) == 360 and len(set(ds.actors)) == 6
    feats = []
    for clip in ds.clips:
        m = librosa.feature.mfcc(y=read_audio(clip.audio_path, 16000), sr=16000, n_mfcc=20)
        feats.append(np.r_[m.mean(axis=1), m.std(axis=1)])
    clf = make_pipeline(StandardScaler(), SVC(C=10))
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    acc = cross_val_score(clf, np.array(feats), ds.labels, cv=cv)
    print(f"synthetic 8-class SVM accuracy (5-fold): {acc.mean():.3f}")
    assert 0.45 < acc.mean() < 0.88
