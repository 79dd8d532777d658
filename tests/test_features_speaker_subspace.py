"""Speaker-subspace removal (nuisance attribute projection) on features with a known speaker part."""
import numpy as np
import pytest

from stdp_emo.config import AudioConfig, EncodingConfig
from stdp_emo.encoding import AudioEncoder
from stdp_emo.features.speaker_subspace import SpeakerSubspace


def _voices(n_speakers=6, per=8, n_frames=30, seed=0):
    """Clips whose coefficient 0 carries the emotion (+-1 per clip), coefficient 1 a
    per-speaker offset (voice), coefficient 2 noise; real frames vary, the rest is padding."""
    rng = np.random.default_rng(seed)
    speakers = np.repeat([f"a{k}" for k in range(n_speakers)], per)
    emotion = np.tile([1.0, -1.0], n_speakers * per // 2)
    voice = np.repeat(rng.normal(0, 5, n_speakers), per)
    n_valid = rng.integers(10, n_frames + 1, len(speakers))
    x = np.zeros((len(speakers), 3, n_frames), np.float32)
    for i, n in enumerate(n_valid):
        x[i, 0, :n] = emotion[i] + rng.normal(0, 0.1, n)
        x[i, 1, :n] = voice[i] + rng.normal(0, 0.1, n)
        x[i, 2, :n] = rng.normal(0, 1, n)
    return x, n_valid, speakers, emotion


def _clip_means(x, n_valid):
    return np.stack([x[i, :, :n].mean(axis=1) for i, n in enumerate(n_valid)])


def test_the_speaker_direction_is_found_and_removed_the_emotion_kept():
    x, n_valid, speakers, emotion = _voices()
    sub = SpeakerSubspace.fit(x, n_valid, speakers, 1)
    assert sub.dims == 1
    assert abs(sub.basis[1, 0]) > 0.99                 # the voice coefficient
    y = sub.transform(x, n_valid)
    m = _clip_means(y, n_valid)
    before = np.ptp([_clip_means(x, n_valid)[speakers == s, 1].mean() for s in np.unique(speakers)])
    after = np.ptp([m[speakers == s, 1].mean() for s in np.unique(speakers)])
    assert before > 5 and after < 0.05 * before
    np.testing.assert_allclose(m[:, 0], _clip_means(x, n_valid)[:, 0], atol=0.05)
    assert np.all(np.sign(m[:, 0]) == emotion)


def test_projection_is_idempotent_and_leaves_padding_alone():
    x, n_valid, speakers, _ = _voices(seed=1)
    x[:, :, -1] = 7.0                                   # a marker in padded frames
    n_valid = np.minimum(n_valid, x.shape[2] - 1)
    sub = SpeakerSubspace.fit(x, n_valid, speakers, 2)
    y = sub.transform(x, n_valid)
    np.testing.assert_allclose(sub.transform(y, n_valid), y, atol=1e-4)
    assert np.all(y[:, :, -1] == 7.0)
    np.testing.assert_allclose(sub.basis.T @ sub.basis, np.eye(2), atol=1e-9)
    # each frame is projected on its own: moving the speech inside the clip moves its result
    shifted = np.zeros_like(x[:1])
    n = int(n_valid[0])
    shifted[0, :, :n] = x[0, :, :n]
    np.testing.assert_allclose(sub.transform(shifted, [n])[0, :, :n], y[0, :, :n], atol=1e-5)


def test_too_many_directions_and_bad_shapes_are_refused():
    x, n_valid, speakers, _ = _voices(n_speakers=3)
    with pytest.raises(ValueError, match="3 speakers"):
        SpeakerSubspace.fit(x, n_valid, speakers, 3)
    with pytest.raises(ValueError, match="speaker_subspace_dims 0"):
        SpeakerSubspace.fit(x, n_valid, speakers, 0)
    sub = SpeakerSubspace.fit(x, n_valid, speakers, 2)
    with pytest.raises(ValueError, match="expected"):
        sub.transform(x[:, :2], n_valid)


def test_arrays_round_trip_and_absent_projection():
    x, n_valid, speakers, _ = _voices()
    sub = SpeakerSubspace.fit(x, n_valid, speakers, 2)
    again = SpeakerSubspace.from_arrays(sub.to_arrays())
    np.testing.assert_array_equal(again.transform(x, n_valid), sub.transform(x, n_valid))
    assert SpeakerSubspace.from_arrays({"scale_low": np.zeros(3)}) is None


def test_audio_encoder_applies_the_projection_before_scaling_and_keeps_it():
    x, n_valid, speakers, _ = _voices()
    audio, enc = AudioConfig(speaker_subspace_dims=1), EncodingConfig()
    with pytest.raises(ValueError, match="speakers"):
        AudioEncoder.fit(x, n_valid, audio, enc)
    fitted = AudioEncoder.fit(x, n_valid, audio, enc, speakers=speakers)
    plain = AudioEncoder.fit(x, n_valid, AudioConfig(), enc, speakers=speakers)
    assert fitted.subspace is not None and plain.subspace is None
    codes = fitted(x, n_valid)
    assert codes.min() >= 0 and codes.max() <= 1
    assert not np.allclose(codes, plain(x, n_valid))
    arrays = fitted.to_arrays()
    assert {"subspace_mean", "subspace_sd", "subspace_basis"} <= set(arrays)
    np.testing.assert_array_equal(AudioEncoder.from_arrays(arrays, enc)(x, n_valid), codes)
    assert "subspace_basis" not in plain.to_arrays()


def test_negative_dims_are_a_config_error():
    with pytest.raises(ValueError, match="speaker_subspace_dims"):
        AudioConfig(speaker_subspace_dims=-1)
