"""eGeMAPS functionals (openSMILE) as a one-frame feature image."""
import numpy as np
import pytest

from stdp_emo.config import AudioConfig, EncodingConfig, ExperimentConfig
from stdp_emo.errors import ConfigError, DataError
from stdp_emo.features import audio
from stdp_emo.features.functionals import N_EGEMAPS, egemaps, egemaps_names

SR = 16000
EG = AudioConfig(kind="egemaps")


def voiced_tone(f0_hz: float, lead_s: float = 0.3, total_s: float = 2.0) -> np.ndarray:
    """A 1 s harmonic tone with 5 Hz vibrato at ``lead_s`` in faint noise, ``total_s`` long."""
    t = np.arange(SR) / SR
    phase = 2 * np.pi * np.cumsum(f0_hz * (1 + 0.02 * np.sin(2 * np.pi * 5 * t))) / SR
    tone = 0.2 * sum(np.sin(k * phase) / k for k in range(1, 8))
    out = np.random.default_rng(0).normal(0, 1e-4, int(total_s * SR))
    i = int(lead_s * SR)
    out[i:i + tone.size] += tone
    return out.astype(np.float32)


def names_with(part: str) -> np.ndarray:
    return np.array([part in n and "UV" not in n for n in egemaps_names()])


def test_pitch_functionals_follow_the_fundamental_in_semitones():
    low, high = egemaps(voiced_tone(200.0), SR), egemaps(voiced_tone(300.0), SR)
    assert low.shape == high.shape == (N_EGEMAPS,) and np.isfinite(low).all()
    names = egemaps_names()
    k = names.index("F0semitoneFrom27.5Hz_sma3nz_amean")
    # semitones above 27.5 Hz: a fifth (x1.5) is 12 log2(1.5) = 7.02 semitones higher
    assert high[k] - low[k] == pytest.approx(12 * np.log2(1.5), abs=0.1)
    assert low[k] == pytest.approx(12 * np.log2(200 / 27.5), abs=0.3)


def test_clip_level_features_ignore_padding_and_where_the_speech_is():
    base = egemaps(voiced_tone(200.0), SR)
    voiced = names_with("F0semitone") | names_with("V_sma3nz")
    assert voiced.sum() >= 20
    padded = egemaps(voiced_tone(200.0, total_s=3.0), SR)          # 1 s more silence
    np.testing.assert_allclose(padded[voiced], base[voiced], rtol=1e-6, atol=1e-6)
    shifted = egemaps(voiced_tone(200.0, lead_s=0.9), SR)         # the speech 0.6 s later
    level = [i for i, n in enumerate(egemaps_names())
             if n.startswith("F0semitone") and ("amean" in n or "percentile" in n)]
    np.testing.assert_allclose(shifted[level], base[level], rtol=0.01)


def test_extract_gives_one_real_frame_of_88_values():
    features, n_valid = audio.extract(voiced_tone(220.0), EG)
    assert features.shape == (N_EGEMAPS, 1) and features.dtype == np.float32 and n_valid == 1
    assert audio.n_coefficients(EG) == N_EGEMAPS and audio.n_frames(EG) == 1


def test_population_code_of_functionals_stays_in_range():
    from stdp_emo.encoding import AudioEncoder

    feats = np.stack([audio.extract(voiced_tone(f), EG)[0] for f in (150.0, 200.0, 260.0, 330.0)])
    n_valid = np.ones(len(feats), np.int64)
    enc = EncodingConfig(population_bins=8)
    rates = AudioEncoder.fit(feats, n_valid, EG, enc)(feats, n_valid)
    assert rates.shape == (4, 2 * N_EGEMAPS * 8)
    assert rates.min() >= 0 and rates.max() <= 1 and rates.max() > 0


def test_the_image_code_needs_frame_level_features():
    with pytest.raises(ConfigError, match="audio_code = 'image' needs a frame-level"):
        ExperimentConfig().replace(audio={"kind": "egemaps"}, encoding={"audio_code": "image"})


def test_a_bad_file_among_good_ones_is_named_and_skipped(tmp_path):
    import soundfile as sf

    from stdp_emo.datasets.base import Clip, Dataset

    good = tmp_path / "good.wav"
    sf.write(good, voiced_tone(200.0), SR)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF0000WAVEjunk")
    clips = (Clip("good", "1", 0, good), Clip("bad", "1", 0, bad))
    ds = Dataset("t", tmp_path, ("a",), clips)
    with pytest.raises(DataError, match="bad.wav"):
        audio.extract_dataset(ds, EG, cache_dir=tmp_path / "c", progress=False, workers=1)
    feats, n_valid, ids = audio.extract_dataset(ds, EG, cache_dir=tmp_path / "c2", progress=False,
                                                skip_bad=True, workers=1)
    assert list(ids) == ["good"] and feats.shape == (1, N_EGEMAPS, 1) and list(n_valid) == [1]


def test_the_egemaps_cache_ignores_frame_settings(tmp_path):
    from stdp_emo.datasets.base import Clip, Dataset

    ds = Dataset("t", tmp_path, ("a",), (Clip("c", "1", 0, tmp_path / "c.wav"),))
    key = audio.cache_key(ds, EG)
    assert audio.cache_key(ds, AudioConfig(kind="egemaps", n_mfcc=8, n_frames=40)) == key
    assert audio.cache_key(ds, AudioConfig(kind="egemaps", sample_rate_hz=8000)) != key
    assert audio.cache_key(ds, AudioConfig(kind="mfcc")) != key


EM = AudioConfig(kind="egemaps_mfcc", n_frames=200)


def test_egemaps_mfcc_holds_the_functionals_over_the_real_mfcc_frames():
    signal = voiced_tone(220.0)
    features, n_valid = audio.extract(signal, EM)
    mfcc, n_mfcc = audio.extract(signal, AudioConfig(kind="mfcc", n_frames=200))
    functionals = egemaps(signal, SR)
    assert features.shape == (N_EGEMAPS + 40, 200) == (audio.n_coefficients(EM), audio.n_frames(EM))
    assert features.dtype == np.float32 and n_valid == n_mfcc and 0 < n_valid < 200
    np.testing.assert_array_equal(features[N_EGEMAPS:], mfcc)
    np.testing.assert_allclose(features[:N_EGEMAPS, :n_valid],
                               np.repeat(functionals[:, None], n_valid, axis=1).astype(np.float32))
    assert not features[:N_EGEMAPS, n_valid:].any()          # padding stays silent


def test_egemaps_mfcc_population_code_is_the_two_codes_side_by_side():
    """Averaged over the real frames, a held functional codes exactly as the one-frame kind."""
    from stdp_emo.encoding import AudioEncoder, population_code
    from stdp_emo.features.audio import Scaler

    tones = [voiced_tone(f, lead_s=lead) for f, lead in ((150.0, 0.2), (200.0, 0.5), (260.0, 0.3))]
    feats, n_valid = map(np.array, zip(*(audio.extract(t, EM) for t in tones)))
    enc = EncodingConfig(population_bins=8, population_contrast_sd=0.0)
    encoder = AudioEncoder.fit(feats, n_valid, EM, enc)
    code = encoder(feats, n_valid).reshape(3, -1, 8)
    eg = np.stack([audio.extract(t, EG)[0] for t in tones])
    scaler = encoder.scaler
    one_frame = Scaler(scaler.low[:N_EGEMAPS], scaler.high[:N_EGEMAPS])
    expected = population_code(one_frame.transform(eg, np.ones(3, np.int64)), np.ones(3), 8,
                               enc.population_sigma_bins)
    np.testing.assert_allclose(code[:, :N_EGEMAPS], expected, rtol=1e-5, atol=1e-6)
    assert code[:, N_EGEMAPS:].max() > 0


def test_egemaps_mfcc_cache_depends_on_the_frame_settings(tmp_path):
    from stdp_emo.datasets.base import Clip, Dataset

    ds = Dataset("t", tmp_path, ("a",), (Clip("c", "1", 0, tmp_path / "c.wav"),))
    assert audio.cache_key(ds, EM) != audio.cache_key(ds, AudioConfig(kind="egemaps_mfcc", n_mfcc=8))
    assert audio.cache_key(ds, EM) != audio.cache_key(ds, EG)
