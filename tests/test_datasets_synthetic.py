"""The built-in synthetic dataset: finding it, generating it once and atomically, loading it."""
import json

import numpy as np
import pytest

from stdp_emo.datasets import load_dataset, synthetic
from stdp_emo.errors import ConfigError, DataError
from stdp_emo.generators import speech
from toy_data import SMALL, small_set, wav_files  # noqa: F401



def test_interrupted_generation_leaves_nothing(tmp_path, monkeypatch):
    calls = []

    def failing(*args, **kw):
        calls.append(1)
        if len(calls) > 5:
            raise KeyboardInterrupt
        return np.full(1600, 0.1, np.float32)

    monkeypatch.setattr(speech, "synthesize", failing)
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
    assert json.loads((root / speech.MANIFEST).read_text())["seed"] == SMALL["seed"]
    synthetic.ensure(root, **{**SMALL, "seed": 5})  # other parameters asked for: regenerated
    assert json.loads((root / speech.MANIFEST).read_text())["seed"] == 5
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
