"""Audio features: shapes, padding/cropping, trimming, scaling, clip statistics and the feature cache."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stdp_emo.config import AudioConfig
from stdp_emo.datasets.base import Clip, Dataset
from stdp_emo.errors import DataError
from stdp_emo.features import audio
from toy_data import toy_features

SR = 16000


def tone(seconds: float, seed: int = 0, f0: float = 220.0) -> np.ndarray:
    """A harmonic tone with a little noise, shape (seconds * SR,), float32, peak ~0.5."""
    t = np.arange(int(seconds * SR)) / SR
    y = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))
    y += 0.05 * np.random.default_rng(seed).standard_normal(t.size)
    return (0.5 * y / np.abs(y).max()).astype(np.float32)


def frames_of(n_samples: int, cfg: AudioConfig) -> int:
    """Frames of an untrimmed signal (center=False)."""
    return 1 + (n_samples - cfg.n_fft) // cfg.hop_length_samples


# ------------------------------------------------------------------ extract
@pytest.mark.parametrize("kind, n_coeff", [("mfcc", 40), ("mel", 128)])
def test_shapes(kind, n_coeff):
    features, n_valid = audio.extract(tone(2.0), AudioConfig(kind=kind))
    assert features.shape == (n_coeff, 388)
    assert features.dtype == np.float32
    assert audio.n_coefficients(AudioConfig(kind=kind)) == n_coeff
    assert 0 < n_valid < 388
    assert np.isfinite(features).all()


def test_short_signal_is_padded_at_the_end_with_zeros():
    cfg = AudioConfig(kind="mfcc", trim_db=0.0)
    y = tone(0.5)
    features, n_valid = audio.extract(y, cfg)
    assert n_valid == frames_of(y.size, cfg) == 47
    assert np.all(features[:, n_valid:] == 0)
    assert np.all(np.abs(features[:, :n_valid]).sum(axis=0) > 0)


def test_shorter_than_one_window_gives_one_frame():
    features, n_valid = audio.extract(tone(0.01), AudioConfig(kind="mfcc", trim_db=0.0))
    assert n_valid == 1 and np.all(features[:, 1:] == 0)


def test_long_signal_keeps_the_start_and_crops_the_end():
    cfg = AudioConfig(kind="mfcc", trim_db=0.0)
    y = tone(5.0)
    features, n_valid = audio.extract(y, cfg)
    assert frames_of(y.size, cfg) > 388 and n_valid == 388
    exact = y[: cfg.n_fft + 387 * cfg.hop_length_samples]  # exactly the first 388 frames
    np.testing.assert_array_equal(features, audio.extract(exact, cfg)[0])


def test_trim_removes_leading_and_trailing_silence():
    silence = np.zeros(SR // 2, dtype=np.float32)
    y = np.concatenate([silence, tone(1.0), silence])
    untrimmed, n_untrimmed = audio.extract(y, AudioConfig(kind="mel", trim_db=0.0))
    trimmed, n_trimmed = audio.extract(y, AudioConfig(kind="mel", trim_db=30.0))
    assert n_untrimmed == frames_of(y.size, AudioConfig(kind="mfcc"))
    assert abs(n_trimmed - frames_of(SR, AudioConfig(kind="mfcc"))) <= 5  # ~1 s of tone
    # the first frame after trimming already holds the tone, not the silence
    assert trimmed[:, 0].max() > untrimmed[:, 0].max() + 40


def test_extract_rejects_bad_signals():
    with pytest.raises(ValueError):
        audio.extract(np.zeros(0, np.float32), AudioConfig(kind="mfcc"))
    with pytest.raises(ValueError):
        audio.extract(np.zeros((2, 100), np.float32), AudioConfig(kind="mfcc"))


# ------------------------------------------------------------------ scaler
def test_scaler_uses_real_training_frames_only():
    cfg = AudioConfig(kind="mfcc", scale_low_percentile=5.0, scale_high_percentile=95.0)
    rng = np.random.default_rng(0)
    train = rng.normal(0.0, 1.0, (6, 3, 20)).astype(np.float32)
    n_train = np.array([20, 5, 10, 1, 15, 20])
    train[audio.valid_mask(n_train, 20)[:, None, :].repeat(3, axis=1) == 0] = 1e6  # padding: ignored
    scaler = audio.Scaler.fit(train, n_train, cfg)
    real = np.concatenate([train[i, :, :n] for i, n in enumerate(n_train)], axis=1)
    np.testing.assert_allclose(scaler.low, np.percentile(real, 5, axis=1))
    np.testing.assert_allclose(scaler.high, np.percentile(real, 95, axis=1))

    test = rng.normal(0.0, 3.0, (4, 3, 20)).astype(np.float32)  # wider: must be clipped
    n_test = np.array([20, 3, 0, 12])
    scaled = scaler.transform(test, n_test)
    assert scaled.dtype == np.float32 and scaled.shape == test.shape
    assert scaled.min() >= 0.0 and scaled.max() <= 1.0
    assert scaled.max() == 1.0 and np.any((scaled > 0) & (scaled < 1))
    for i, n in enumerate(n_test):
        assert np.all(scaled[i, :, n:] == 0.0)
    expected = np.clip((test[0] - scaler.low[:, None]) / (scaler.high - scaler.low)[:, None], 0, 1)
    np.testing.assert_allclose(scaled[0], expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(scaler.transform(test[3], 12), scaled[3])  # single sample


def test_scaler_constant_coefficient_and_round_trip(tmp_path):
    from stdp_emo.fileio import write_npz

    features = np.ones((2, 2, 4), np.float32)
    features[:, 1] = np.arange(4)
    scaler = audio.Scaler.fit(features, np.array([4, 4]), AudioConfig(kind="mfcc"))
    scaled = scaler.transform(features, np.array([4, 2]))
    assert np.isfinite(scaled).all() and scaled.min() >= 0 and scaled.max() <= 1
    write_npz(tmp_path / "m.npz", **scaler.to_dict())
    with np.load(tmp_path / "m.npz", allow_pickle=False) as z:
        again = audio.Scaler.from_dict(z)
    np.testing.assert_array_equal(again.low, scaler.low)
    np.testing.assert_array_equal(again.high, scaler.high)


# ------------------------------------------------------------------ dataset and cache
def make_dataset(folder: Path, n: int = 3, bad: int | None = None) -> Dataset:
    """A toy dataset of ``n`` WAV files (16 kHz); clip ``bad`` holds garbage bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    for i in range(n):
        path = folder / f"clip{i}.wav"
        if i == bad:
            path.write_bytes(b"not a wav file")
        else:
            sf.write(path, tone(0.6 + 0.2 * i, seed=i, f0=150.0 + 40 * i), SR)
        clips.append(Clip(id=f"c{i}", actor=str(i % 2), label=i % 2, audio_path=path))
    return Dataset("toy", folder, ("a", "b"), tuple(clips))


@pytest.fixture
def count_extract(monkeypatch):
    """Count calls of :func:`audio.extract` (serial extraction only)."""
    calls = []
    real = audio.extract

    def counting(signal, cfg):
        calls.append(1)
        return real(signal, cfg)

    monkeypatch.setattr(audio, "extract", counting)
    return calls


def test_cache_hit_does_not_recompute_and_config_change_misses(tmp_path, count_extract):
    ds = make_dataset(tmp_path / "wav")
    cache = tmp_path / "cache"
    cfg = AudioConfig(kind="mfcc")
    features, n_valid, ids = audio.extract_dataset(ds, cfg, cache_dir=cache, progress=False)
    assert features.shape == (3, 40, 388) and features.dtype == np.float32
    assert list(ids) == ["c0", "c1", "c2"] and n_valid.dtype == np.int64
    assert len(count_extract) == 3
    files = list(cache.glob("toy-*.npz"))
    assert [f.name for f in files] == [f"toy-{audio.cache_key(ds, cfg)}.npz"]

    again = audio.extract_dataset(ds, cfg, cache_dir=cache, progress=False)
    assert len(count_extract) == 3  # cache hit
    np.testing.assert_array_equal(again[0], features)
    np.testing.assert_array_equal(again[1], n_valid)
    # the speaker subspace is applied after extraction: same features, same cache file
    assert audio.cache_key(ds, AudioConfig(kind="mfcc", speaker_subspace_dims=2)) == \
        audio.cache_key(ds, cfg)

    audio.extract_dataset(ds, AudioConfig(kind="mfcc", n_mfcc=20), cache_dir=cache, progress=False)
    assert len(count_extract) == 6  # different config: miss
    sf.write(ds.clips[0].audio_path, tone(1.5, seed=9), SR)  # a changed file: miss
    audio.extract_dataset(ds, cfg, cache_dir=cache, progress=False)
    assert len(count_extract) == 9
    assert len(list(cache.glob("toy-*.npz"))) == 3


def test_corrupt_cache_is_rebuilt(tmp_path, count_extract, caplog):
    ds = make_dataset(tmp_path / "wav")
    cfg = AudioConfig(kind="mel")
    features = audio.extract_dataset(ds, cfg, cache_dir=tmp_path, progress=False)[0]
    path = tmp_path / f"toy-{audio.cache_key(ds, cfg)}.npz"
    path.write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING, logger="stdp_emo.features.audio"):
        rebuilt = audio.extract_dataset(ds, cfg, cache_dir=tmp_path, progress=False)[0]
    assert "feature cache" in caplog.text
    assert len(count_extract) == 6
    np.testing.assert_array_equal(rebuilt, features)
    audio.extract_dataset(ds, cfg, cache_dir=tmp_path, progress=False)
    assert len(count_extract) == 6  # the rebuilt cache is valid


def test_bad_clip_raises_or_is_skipped(tmp_path, caplog):
    ds = make_dataset(tmp_path / "wav", n=4, bad=1)
    with pytest.raises(DataError, match="clip1.wav"):
        audio.extract_dataset(ds, AudioConfig(kind="mfcc"), cache_dir=tmp_path, progress=False)
    with caplog.at_level(logging.WARNING, logger="stdp_emo.features.audio"):
        features, n_valid, ids = audio.extract_dataset(ds, AudioConfig(kind="mfcc"), cache_dir=tmp_path,
                                                       progress=False, skip_bad=True)
    assert list(ids) == ["c0", "c2", "c3"] and features.shape[0] == n_valid.size == 3
    assert "clip1.wav" in caplog.text
    # the cached result still refuses to silently drop clips
    with pytest.raises(DataError, match="clip1.wav"):
        audio.extract_dataset(ds, AudioConfig(kind="mfcc"), cache_dir=tmp_path, progress=False)


def test_parallel_equals_serial(tmp_path):
    ds = make_dataset(tmp_path / "wav", n=5)
    serial = audio.extract_dataset(ds, AudioConfig(kind="mfcc"), cache_dir=tmp_path / "a", progress=False,
                                   workers=1)
    parallel = audio.extract_dataset(ds, AudioConfig(kind="mfcc"), cache_dir=tmp_path / "b", progress=False,
                                     workers=2)
    for s, p in zip(serial, parallel):
        np.testing.assert_array_equal(s, p)


def test_default_cache_dir_is_under_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("STDP_EMO_DATA", str(tmp_path / "home"))
    ds = make_dataset(tmp_path / "wav", n=1)
    audio.extract_dataset(ds, AudioConfig(kind="mfcc"), progress=False)
    assert len(list((tmp_path / "home" / "cache").glob("toy-*.npz"))) == 1


def test_speaker_normalise_uses_each_speakers_real_frames():
    from stdp_emo.features.audio import speaker_normalise

    rng = np.random.default_rng(5)
    x = np.zeros((4, 3, 20), np.float32)
    n_valid = np.array([10, 20, 15, 5])
    for k in range(4):
        x[k, :, :n_valid[k]] = rng.normal(5.0 * k, 2.0, (3, n_valid[k]))
    out = speaker_normalise(x, n_valid, ["a", "a", "b", "b"])
    for who in ((0, 1), (2, 3)):
        real = np.concatenate([out[k][:, :n_valid[k]] for k in who], axis=1)
        np.testing.assert_allclose(real.mean(axis=1), 0, atol=1e-5)
        np.testing.assert_allclose(real.std(axis=1), 1, atol=1e-5)
    for k in range(4):                       # padding stays silent
        assert np.all(out[k][:, n_valid[k]:] == 0)
    # a speaker's statistics do not leak into another's clips
    again = speaker_normalise(x[:2], n_valid[:2], ["a", "a"])
    np.testing.assert_allclose(again, out[:2], atol=1e-6)




def test_frame_statistics_ignores_padding():
    x, _, n_valid = toy_features(2, seed=0)
    stats = audio.frame_statistics(x, n_valid)
    garbage = x.copy()
    garbage[~audio.valid_mask(n_valid, 30)[:, None, :].repeat(4, axis=1)] = 1e3
    np.testing.assert_allclose(audio.frame_statistics(garbage, n_valid), stats)
    np.testing.assert_allclose(stats[0, :4], x[0, :, :n_valid[0]].mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(stats[0, 4:], x[0, :, :n_valid[0]].std(axis=1), rtol=1e-5)
