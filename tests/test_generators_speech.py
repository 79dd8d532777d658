"""The synthetic speech generator: layout, format, determinism, emotion profiles, parameters."""
import filecmp
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stdp_emo import EMOTIONS_RAVDESS
from stdp_emo.datasets import ravdess
from stdp_emo.errors import ConfigError, DataError
from stdp_emo.generators import speech, voice
from toy_data import SMALL, small_set, wav_files  # noqa: F401



def test_layout_loads_with_the_ravdess_loader(small_set):
    ds = ravdess.load(small_set)
    assert len(ds) == 60 and set(ds.actors) == {"01"}
    assert ds.classes == EMOTIONS_RAVDESS and set(ds.labels) == set(range(8))
    assert ds.counts()["class"] == {e: (4 if e == "neutral" else 8) for e in EMOTIONS_RAVDESS}
    assert "synthetic" in (small_set / "README.md").read_text().lower()
    manifest = json.loads((small_set / speech.MANIFEST).read_text())
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
    again = speech.generate(tmp_path / "again", **SMALL)
    names = [p.relative_to(small_set).as_posix() for p in sorted(small_set.rglob("*")) if p.is_file()]
    assert names == [p.relative_to(again).as_posix() for p in sorted(again.rglob("*")) if p.is_file()]
    match, mismatch, errors = filecmp.cmpfiles(small_set, again, names, shallow=False)
    assert not mismatch and not errors


def test_other_seed_other_audio(small_set, tmp_path):
    other = speech.generate(tmp_path / "other", **{**SMALL, "seed": 4})
    name = "Actor_01/03-01-05-01-01-01-01.wav"
    assert (small_set / name).read_bytes() != (other / name).read_bytes()


def test_clip_does_not_depend_on_number_of_actors():
    trial = voice.Trial(actor=2, emotion=4, intensity=2, statement=1, repetition=2)
    a = speech.synthesize(voice.make_actor(2, seed=0), trial, seed=0)
    b = speech.synthesize(voice.make_actor(2, seed=0), trial, seed=0)
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
        speech.generate(small_set, **SMALL)
    (tmp_path / "empty").mkdir()
    assert speech.generate(tmp_path / "empty", **SMALL).is_dir()


@pytest.mark.parametrize("kw, key", [
    (dict(n_actors=25), "n_actors"), (dict(n_actors=0), "n_actors"), (dict(n_actors=1.5), "n_actors"),
    (dict(seed=-1), "seed"), (dict(duration_s=0.2), "duration_s"), (dict(duration_s="1"), "duration_s"),
    (dict(sample_rate=4000), "sample_rate"),
])
def test_bad_parameters(tmp_path, kw, key):
    with pytest.raises(ConfigError, match=key):
        speech.generate(tmp_path / "x", **kw)
    assert not (tmp_path / "x").exists()


def test_generators_import_no_other_stage():
    """Generators are the first stage: the loaders call them, never the other way round."""
    import ast

    pkg = Path(speech.__file__).parent
    for path in sorted(pkg.glob("*.py")):
        tree = ast.parse(path.read_text())
        local = {("." * n.level) + (n.module or "") for n in ast.walk(tree)
                 if isinstance(n, ast.ImportFrom) and (n.level or (n.module or "").startswith("stdp_emo"))}
        outside = {m for m in local if m.startswith("..") or m.startswith("stdp_emo")}
        assert outside <= {"..", "..errors", "..fileio"}, (path.name, outside)
