"""Input encodings: invariances of the population code, ranges, shapes."""
import numpy as np
import pytest

from stdp_emo.config import EncodingConfig, NetworkConfig
from stdp_emo.config import AudioConfig
from stdp_emo.encoding import (AUDIO_CODES, AudioEncoder, audio_input_shape, audio_inputs,
                               audio_segments, contrast_code, delay_taps, expected_input_spikes,
                               expected_spikes_per_input,
                               population_code, segment_population_code)
from stdp_emo.network.topology import audio_layer_topology

POP = EncodingConfig(audio_code="population", population_bins=8, population_sigma_bins=1.0,
                     population_contrast_sd=0.0)
CONTRAST = EncodingConfig(audio_code="population", population_bins=8, population_sigma_bins=1.0,
                          population_contrast_sd=2.0)


def _clip(rng, n_coeff=5, n_real=30, n_frames=60, start=0):
    """A scaled clip whose real frames start at ``start``; everything else 0 (padding)."""
    x = np.zeros((n_coeff, n_frames))
    x[:, start:start + n_real] = rng.random((n_coeff, n_real))
    return x


def test_codes_come_from_the_config_definition():
    assert set(AUDIO_CODES) == {"population", "image", "temporal"}
    assert EncodingConfig().audio_code in AUDIO_CODES


def test_population_code_ignores_padding_and_position_of_speech():
    rng = np.random.default_rng(0)
    speech = _clip(rng)[:, :30]
    padded = np.zeros((5, 60)); padded[:, :30] = speech
    longer = np.zeros((5, 200)); longer[:, :30] = speech          # more padding
    reversed_ = np.zeros((5, 60)); reversed_[:, :30] = speech[:, ::-1]  # frames in another order
    a = audio_inputs(padded[None], np.array([30]), POP)
    b = audio_inputs(longer[None], np.array([30]), POP)
    c = audio_inputs(reversed_[None], np.array([30]), POP)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a, c, rtol=0, atol=1e-12)
    # the image code does depend on the order and on the padding length
    assert not np.allclose(audio_inputs(padded[None]), audio_inputs(reversed_[None]))


def test_population_code_of_shifted_speech_equals_the_code_of_its_frames():
    # speech shifted inside the clip (real frames are the first n_valid after trimming,
    # so a shift = a different set of leading frames): the code only sees the frame values
    rng = np.random.default_rng(1)
    frames = rng.random((4, 25))
    x = np.zeros((2, 4, 80))
    x[0, :, :25] = frames
    x[1, :, :25] = np.roll(frames, 7, axis=1)
    code = population_code(x, [25, 25], 6, 1.0)
    np.testing.assert_allclose(code[0], code[1], atol=1e-12)


def test_population_code_values_and_range():
    # a coefficient constant at a tuning-curve centre gives exactly 1 on that curve
    n_bins = 4
    centre = (2 + 0.5) / n_bins
    x = np.full((1, 1, 10), centre)
    code = population_code(x, [10], n_bins, 1.0)[0, 0]
    assert code[2] == pytest.approx(1.0)
    # neighbours one spacing away: exp(-1/2); two spacings: exp(-2)
    assert code[1] == pytest.approx(np.exp(-0.5)) and code[3] == pytest.approx(np.exp(-0.5))
    assert code[0] == pytest.approx(np.exp(-2.0))
    rng = np.random.default_rng(2)
    many = rng.random((20, 6, 50))
    out = audio_inputs(many, rng.integers(1, 51, 20), POP)
    assert out.shape == (20, 6 * 8) and out.min() >= 0 and out.max() <= 1


def test_clip_without_real_frames_gives_no_input_spikes():
    x = np.zeros((1, 3, 20))
    out = audio_inputs(x, np.array([0]), POP)
    assert np.all(out == 0)
    assert expected_input_spikes(out, 63.75, 350.0)[0] == 0


def test_population_code_needs_frame_counts_and_valid_values():
    x = np.zeros((1, 3, 20))
    with pytest.raises(ValueError, match="real frames"):
        audio_inputs(x, None, POP)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        audio_inputs(x + 2.0, np.array([5]), POP)


def test_input_shapes_and_layer_topology():
    assert audio_input_shape(EncodingConfig(audio_code="image"), 40, 388) == (1, 40, 388)
    assert audio_input_shape(POP, 40, 388) == (1, 40, 8)
    net = NetworkConfig(dense_n_neurons=7, window=10, stride=10, n_features=3)
    dense = audio_layer_topology(POP, net, audio_input_shape(POP, 40, 388))
    # fully connected: one position, every neuron sees every input once
    assert dense.n_positions == 1 and dense.n_neurons == 7
    assert dense.pre.size == 7 * 40 * 8
    assert np.all(np.bincount(dense.post) == 40 * 8)
    image = audio_layer_topology(EncodingConfig(audio_code="image"), net, (1, 40, 388))
    assert image.n_positions == 38 and image.n_neurons == 38 * 3


def test_contrast_code_by_hand():
    code = np.array([[1.0, 5.0, 3.0], [3.0, 3.0, 3.0]])
    mean, sd = np.array([2.0, 3.0, 3.0]), np.array([1.0, 1.0, 0.0])
    out = contrast_code(code, mean, sd, 2.0)
    # z = [-1, 2, (sd 0: silent)] / 2 -> ON [0, 1, 0], OFF [0.5, 0, 0]
    np.testing.assert_allclose(out[0], [0, 1, 0, 0.5, 0, 0])
    np.testing.assert_allclose(out[1], [0.5, 0, 0, 0, 0, 0])
    assert np.all((out[:, :3] == 0) | (out[:, 3:] == 0))      # never ON and OFF at once


def test_audio_encoder_fits_on_training_clips_and_round_trips():
    rng = np.random.default_rng(4)
    feats = rng.normal(0, 10, (12, 5, 40)).astype(np.float32)
    n_valid = rng.integers(10, 41, 12)
    enc = AudioEncoder.fit(feats[:8], n_valid[:8], AudioConfig(), CONTRAST)
    x = enc(feats, n_valid)
    assert x.shape == (12, 2 * 5 * 8) and x.min() >= 0 and x.max() <= 1
    assert audio_input_shape(CONTRAST, 5, 40) == (1, 10, 8)
    # the training clips' ON-OFF difference averages to zero deviation
    z = (x[:8, :40] - x[:8, 40:]).mean(axis=0)
    assert np.abs(z).max() < 0.5
    again = AudioEncoder.from_arrays(enc.to_arrays(), CONTRAST)
    np.testing.assert_array_equal(again(feats, n_valid), x)
    # padding and shifted speech leave the contrast code unchanged too
    padded = np.zeros((1, 5, 80), np.float32)
    padded[0, :, :n_valid[9]] = feats[9, :, :n_valid[9]]
    np.testing.assert_allclose(enc(padded, [n_valid[9]]), x[9:10], atol=1e-9)
    image = AudioEncoder.fit(feats[:8], n_valid[:8], AudioConfig(), EncodingConfig(audio_code="image"))
    assert image.code_mean.size == 0 and image(feats, n_valid).shape == (12, 5 * 40)


def test_dvs_rates_divide_each_clip_by_a_percentile_of_its_nonzero_counts():
    import pytest

    from stdp_emo.encoding import dvs_rates

    counts = np.zeros(160)
    counts[80 + 23], counts[11] = 2.0, 1.0
    r = dvs_rates(counts)
    assert r.shape == (160,) and r.max() == 1.0 and r[80 + 23] == 1.0 and r[11] == 0.5
    # a lower percentile of the non-zero counts (here 1 and 2) sets the scale; clipped to 1
    r50 = dvs_rates(counts, 50.0)
    assert r50[80 + 23] == 1.0 and r50[11] == pytest.approx(1 / 1.5)
    np.testing.assert_array_equal(dvs_rates(counts, 0.0001) > 0, r > 0)
    # rows are clips, each scaled on its own; a clip without events stays 0
    rows = dvs_rates(np.stack([counts, 3 * counts, np.zeros(160)]))
    np.testing.assert_array_equal(rows[0], r)
    np.testing.assert_array_equal(rows[1], r)
    assert not rows[2].any()
    with pytest.raises(ValueError):
        dvs_rates(counts, 0.0)


def test_presentation_rates_and_stream_ids():
    import pytest

    from stdp_emo.config import EncodingConfig
    from stdp_emo.encoding import RETRY_SLOTS, input_rates_hz, stream_ids

    enc = EncodingConfig(max_rate_hz=60.0, intensity_step=0.5)
    x = np.array([[0.5, 1.0], [0.25, 0.0]])
    np.testing.assert_allclose(input_rates_hz(x, enc), [[30, 60], [15, 0]])
    # the second presentation of sample 1 (retry 2) at intensity 1 + 2 * 0.5
    np.testing.assert_allclose(input_rates_hz(x, enc, np.array([0, 2])), [[30, 60], [30, 0]])
    np.testing.assert_array_equal(stream_ids([0, 3, 3], [0, 0, 2]), [0, 3 * RETRY_SLOTS, 3 * RETRY_SLOTS + 2])
    with pytest.raises(ValueError):
        stream_ids([1], [RETRY_SLOTS])


def test_frozen_phases_present_for_frozen_present_ms_and_learning_keeps_present_ms():
    from stdp_emo.encoding import phase_encoding

    enc = EncodingConfig(present_ms=350.0, rest_ms=150.0, frozen_present_ms=2100.0)
    assert phase_encoding(enc, learning=True) == enc
    frozen = phase_encoding(enc, learning=False)
    assert (frozen.present_ms, frozen.rest_ms) == (2100.0, 150.0)
    assert phase_encoding(frozen, learning=False) == frozen          # applied twice: the same
    assert frozen.max_rate_hz == enc.max_rate_hz and frozen.audio_code == enc.audio_code
    plain = EncodingConfig(present_ms=350.0)                          # 0: no change
    assert phase_encoding(plain, learning=False) == plain


TEMPORAL = EncodingConfig(audio_code="temporal", population_bins=8, population_sigma_bins=1.0,
                          population_contrast_sd=0.0, temporal_segments=5, temporal_taps=1)


def test_segment_code_of_one_segment_is_the_population_code():
    rng = np.random.default_rng(5)
    x = rng.random((6, 4, 50))
    n_valid = rng.integers(1, 51, 6)
    np.testing.assert_allclose(segment_population_code(x, n_valid, 1, 8, 1.0)[:, 0],
                               population_code(x, n_valid, 8, 1.0), atol=1e-12)


def test_segments_follow_the_speech_in_order_and_average_to_the_clip_code():
    rng = np.random.default_rng(6)
    speech = rng.random((4, 40))
    seg = segment_population_code(speech[None], [40], 5, 8, 1.0)[0]      # 8 frames each
    for s in range(5):
        np.testing.assert_allclose(seg[s], population_code(speech[None, :, 8 * s:8 * s + 8],
                                                           [8], 8, 1.0)[0], atol=1e-12)
    # equal segments: their mean is the whole clip's code
    np.testing.assert_allclose(seg.mean(axis=0), population_code(speech[None], [40], 8, 1.0)[0],
                               atol=1e-12)
    # reversing the frames reverses the segments (the code keeps the order of speech)
    rev = segment_population_code(speech[None, :, ::-1], [40], 5, 8, 1.0)[0]
    np.testing.assert_allclose(rev, seg[::-1], atol=1e-12)


def test_temporal_code_ignores_padding_and_where_speech_sits():
    rng = np.random.default_rng(7)
    speech = rng.random((5, 33))
    padded = np.zeros((1, 5, 60)); padded[0, :, :33] = speech
    longer = np.zeros((1, 5, 300)); longer[0, :, :33] = speech
    a, b = audio_inputs(padded, [33], TEMPORAL), audio_inputs(longer, [33], TEMPORAL)
    np.testing.assert_allclose(a, b, atol=1e-12)
    assert a.shape == (1, 5 * 5 * 8) and a.min() >= 0 and a.max() <= 1
    assert audio_segments(TEMPORAL) == 5 and audio_segments(POP) == 1
    # no real frames: every segment silent
    assert np.all(audio_inputs(np.zeros((1, 5, 60)), [0], TEMPORAL) == 0)
    # fewer real frames than segments: every segment still holds a real frame
    short = audio_inputs(padded, [3], TEMPORAL).reshape(5, -1)
    assert np.all(short.sum(axis=1) > 0)


def test_delay_taps_show_earlier_segments_and_silence_before_the_clip():
    x = np.arange(1, 13, dtype=float).reshape(1, 4, 3)       # 4 segments of 3 values
    out = delay_taps(x, 3)
    assert out.shape == (1, 4, 9)
    np.testing.assert_array_equal(out[0, 0], [1, 2, 3, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(out[0, 2], [7, 8, 9, 4, 5, 6, 1, 2, 3])
    np.testing.assert_array_equal(delay_taps(x, 1), x)


def test_temporal_encoder_fits_on_training_segments_with_taps():
    enc_cfg = EncodingConfig(audio_code="temporal", population_bins=4, population_contrast_sd=2.0,
                             temporal_segments=7, temporal_taps=2)
    rng = np.random.default_rng(8)
    feats = rng.normal(0, 10, (10, 3, 50)).astype(np.float32)
    n_valid = rng.integers(20, 51, 10)
    enc = AudioEncoder.fit(feats[:6], n_valid[:6], AudioConfig(), enc_cfg)
    shape = audio_input_shape(enc_cfg, 3, 50)
    assert shape == (1, 2 * 2 * 3, 4)
    assert enc.code_mean.shape == (3 * 4,)                 # statistics of one segment's code
    x = enc(feats, n_valid)
    assert x.shape == (10, 7 * int(np.prod(shape))) and x.min() >= 0 and x.max() <= 1
    per_seg = x.reshape(10, 7, 2, 24)
    # tap 1 of segment s is tap 0 of segment s - 1; silent before the first segment
    np.testing.assert_array_equal(per_seg[:, 1:, 1], per_seg[:, :-1, 0])
    assert np.all(per_seg[:, 0, 1] == 0)
    # the training segments' ON - OFF deviations average to about zero
    on_off = per_seg[:6, :, 0].reshape(-1, 2, 12)
    assert np.abs((on_off[:, 0] - on_off[:, 1]).mean(axis=0)).max() < 0.5
    again = AudioEncoder.from_arrays(enc.to_arrays(), enc_cfg)
    np.testing.assert_array_equal(again(feats, n_valid), x)


def test_expected_input_spikes_count_each_segment_for_its_share_of_the_presentation():
    x = np.zeros((1, 7 * 3))
    x[0, :3] = 1.0                                   # segment 0 of 7 at full rate, others silent
    per_input = expected_spikes_per_input(x, 60.0, 350.0, segments=7)
    np.testing.assert_allclose(per_input, [[3.0, 3.0, 3.0]])     # 60 Hz x 50 ms
    assert expected_input_spikes(x, 60.0, 350.0, segments=7)[0] == 9.0
    assert expected_input_spikes(x[:, :3], 60.0, 350.0)[0] == 3 * 21.0
