"""DVS emulator: event polarity, counts, timing, noise, refractory, input layout, cache."""
import numpy as np
import pytest

from stdp_emo.config import VisualConfig
from stdp_emo.features import dvs
from stdp_emo.features.dvs import EVENT_DTYPE, emulate, event_counts, events_to_input, to_frame_counts

FRAME_US = 33_333
EXACT = VisualConfig(threshold_sigma=0.0)       # nominal thresholds 0.2, no mismatch


def _times(n: int, start: int = 1_000) -> np.ndarray:
    return start + FRAME_US * np.arange(n, dtype=np.int64)


def _moving_bar(n=12, h=8, w=40, x0=2, width=6, dark=0.1, bright=0.8):
    """Bright bar moving right by 1 px per frame: frames (n, h, w); bar at [x0+i, x0+i+width)."""
    frames = np.full((n, h, w), dark)
    for i in range(n):
        frames[i, :, x0 + i:x0 + i + width] = bright
    return frames


def test_moving_edge_on_leading_off_trailing():
    n, x0, width = 12, 2, 6
    frames = _moving_bar(n, x0=x0, width=width)
    t = _times(n)
    ev = emulate(frames, t, EXACT)
    assert ev.dtype == EVENT_DTYPE and len(ev) > 0
    # interval i covers (t[i-1], t[i]]; there the bar enters column x0+i+width-1, leaves x0+i-1
    interval = np.searchsorted(t, ev["t"], side="left")
    on, off = ev["p"] == 1, ev["p"] == 0
    assert np.all(ev["x"][on] == x0 + interval[on] + width - 1)
    assert np.all(ev["x"][off] == x0 + interval[off] - 1)
    per_edge = int(np.log(0.8 / 0.1) // 0.2)     # 10 events per pixel and transition
    assert on.sum() == off.sum() == (n - 1) * 8 * per_edge


def test_counts_match_log_contrast_over_threshold():
    contrasts = np.array([0.1, 0.3, 0.5, 0.7, 1.1, -0.1, -0.3, -0.5, -0.7, -1.1])
    base = 0.3
    frames = np.full((2, 1, len(contrasts)), base)
    frames[1, 0] = base * np.exp(contrasts)
    ev = emulate(frames, _times(2), EXACT)
    counts = to_frame_counts(ev, (len(contrasts), 1, 2))[0, :, 0]     # (2, W): OFF, ON
    expect = np.floor(np.abs(contrasts) / 0.2)
    np.testing.assert_array_equal(counts[1], np.where(contrasts > 0, expect, 0))
    np.testing.assert_array_equal(counts[0], np.where(contrasts < 0, expect, 0))


def test_uint8_and_float_frames_agree():
    frames = (_moving_bar() * 255).astype(np.uint8)
    a = emulate(frames, _times(len(frames)))
    b = emulate(frames / 255.0, _times(len(frames)))
    np.testing.assert_array_equal(a, b)


def test_static_scene_gives_no_events():
    rng = np.random.default_rng(0)
    frames = np.repeat(rng.uniform(0, 1, (1, 16, 16)), 10, axis=0)
    assert len(emulate(frames, _times(10))) == 0
    assert len(emulate(frames, _times(10), VisualConfig(dvs_method="framediff"))) == 0


def test_timestamps_sorted_and_inside_clip():
    rng = np.random.default_rng(1)
    frames = rng.uniform(0.05, 1, (8, 20, 20))
    t = _times(8)
    for cfg in (VisualConfig(), VisualConfig(upsample_factor=3), VisualConfig(shot_noise_rate_hz=50.0),
                VisualConfig(dvs_method="framediff")):
        ev = emulate(frames, t, cfg)
        assert len(ev) > 0
        assert np.all(np.diff(ev["t"]) >= 0)
        assert ev["t"].min() >= t[0] and ev["t"].max() <= t[-1]


def test_upsampling_keeps_step_counts():
    frames = _moving_bar(n=4)
    a = to_frame_counts(emulate(frames, _times(4), EXACT), (40, 8, 2))
    b = to_frame_counts(emulate(frames, _times(4), VisualConfig(threshold_sigma=0.0, upsample_factor=4)),
                        (40, 8, 2))
    np.testing.assert_array_equal(a, b)


def test_refractory_drops_events_closer_than_the_period():
    frames = np.full((3, 4, 4), 0.1)
    frames[1:] = 0.9                            # one step: 10 events per pixel within 33 ms
    t = _times(3)
    free = emulate(frames, t, EXACT)
    refr = emulate(frames, t, VisualConfig(threshold_sigma=0.0, refractory_us=10_000))
    assert 0 < len(refr) < len(free)
    for pix in range(16):
        sel = refr[(refr["y"] * 4 + refr["x"]) == pix]
        assert np.all(np.diff(sel["t"]) >= 10_000 - 1)     # rounding to whole us


def test_shot_noise_rate():
    n, side, rate = 31, 30, 4.0
    frames = np.full((n, side, side), 0.5)
    t = _times(n)
    ev = emulate(frames, t, VisualConfig(shot_noise_rate_hz=rate, dvs_seed=3))
    expect = rate * (t[-1] - t[0]) * 1e-6 * side * side
    assert abs(len(ev) - expect) < 5 * np.sqrt(expect)
    assert 0.4 < ev["p"].mean() < 0.6


def test_leak_gives_on_events_at_leak_rate():
    n, side, rate = 61, 10, 3.0
    frames = np.full((n, side, side), 0.5)
    t = _times(n)
    ev = emulate(frames, t, VisualConfig(leak_rate_hz=rate, threshold_sigma=0.0))
    expect = rate * (t[-1] - t[0]) * 1e-6 * side * side
    assert np.all(ev["p"] == 1)
    assert abs(len(ev) - expect) <= side * side      # up to one event per pixel of phase


def test_framediff_one_event_per_changed_pixel():
    frames = _moving_bar(n=5, dark=0.2, bright=0.6)
    t = _times(5)
    ev = emulate(frames, t, VisualConfig(dvs_method="framediff", sensitivity=0.15))
    assert len(ev) == 4 * 2 * 8                            # ON + OFF column, 8 rows, 4 steps
    assert set(np.unique(ev["t"])) == set(t[1:])          # at the frame times
    interval = np.searchsorted(t, ev["t"])
    on = ev["p"] == 1
    assert np.all(ev["x"][on] == 2 + interval[on] + 5)
    assert len(emulate(frames, t, VisualConfig(dvs_method="framediff", sensitivity=0.5))) == 0


def _events(rows):
    ev = np.zeros(len(rows), EVENT_DTYPE)
    for i, (x, y, t, p) in enumerate(rows):
        ev[i] = (x, y, t, p)
    return ev


def test_events_to_input_layout_and_time_scaling():
    size = (10, 8, 2)                                      # W, H, C
    ev = _events([(3, 2, 0, 1), (3, 2, 500, 0), (9, 7, 999, 1)])
    idx, tms = events_to_input(ev, size, window_ms=350.0, t_range=(0, 1000))
    np.testing.assert_array_equal(idx, [80 + 23, 23, 80 + 79])
    np.testing.assert_allclose(tms, [0.0, 175.0, 349.65])
    assert tms.max() < 350.0
    idx_m, _ = events_to_input(ev, size, merge_polarity=True, t_range=(0, 1000))
    np.testing.assert_array_equal(idx_m, [23, 23, 79])
    # default range: first event .. last event + 1; always inside [0, window)
    _, tms = events_to_input(ev, size, window_ms=100.0)
    assert tms[0] == 0.0 and tms[-1] < 100.0
    # counts per input: (C, H, W) flattened, polarity-major
    ev2 = _events([(3, 2, 0, 1), (3, 2, 5, 1), (1, 1, 9, 0)])
    c = event_counts(ev2, size)
    assert c.shape == (2 * 8 * 10,) and c.sum() == 3
    assert c[80 + 23] == 2 and c[11] == 1
    cm = event_counts(ev2, size, merge_polarity=True)
    assert cm.shape == (80,) and cm[23] == 2 and cm[11] == 1
    # the clip span: events outside [start, end) are not counted
    assert event_counts(ev2, size, t_range=(0, 5)).sum() == 1


def test_events_to_input_dedupes_within_a_time_step():
    ev = _events([(1, 0, 0, 1), (1, 0, 1, 1), (1, 0, 2, 1), (2, 0, 2, 1)])
    idx, tms = events_to_input(ev, (4, 1, 2), window_ms=10.0, t_range=(0, 10), dt_ms=5.0)
    np.testing.assert_array_equal(np.sort(idx), [5, 6])     # ON channel starts at H * W = 4
    np.testing.assert_array_equal(tms, [0.0, 0.0])


def test_frame_counts_and_rates():
    ev = _events([(0, 0, 0, 1), (1, 0, 10, 0), (1, 0, 90, 0), (0, 1, 99, 1)])
    c = to_frame_counts(ev, (2, 2, 2), n_bins=2)
    assert c.shape == (2, 2, 2, 2) and c.sum() == 4
    assert c[0, 1, 0, 0] == 1 and c[0, 0, 0, 1] == 1 and c[1, 0, 0, 1] == 1 and c[1, 1, 1, 0] == 1
    r = dvs.to_rates(ev, (2, 2, 2), duration_us=1e6)
    assert r.shape == (2, 2, 2) and r[0, 0, 1] == 2.0


def test_event_cache(tmp_path, monkeypatch):
    from stdp_emo.generators.faces import render_face_video
    from stdp_emo.generators.video import write_video

    video = write_video(tmp_path / "clip.mp4", render_face_video(2, 2, 1, duration_s=0.6, seed=1))
    cache = tmp_path / "cache"
    ev, info = dvs.load_or_compute(video, VisualConfig(), cache)
    assert info["face_found"] and info["frames"] == 18 and len(ev) > 0
    assert len(list(cache.glob("*.npz"))) == 1

    def boom(*a, **k):
        raise AssertionError("recomputed despite a cache hit")

    monkeypatch.setattr(dvs, "emulate", boom)
    ev2, info2 = dvs.load_or_compute(video, VisualConfig(), cache)
    np.testing.assert_array_equal(ev, ev2)
    assert info2 == info
    assert dvs.cache_key(video, VisualConfig()) != dvs.cache_key(video, VisualConfig(pos_threshold=0.3))


def test_emulator_parameters_are_the_visual_config_fields_under_the_cached_names():
    # the record hashed into event cache keys (CACHE_VERSION 2): the same names and
    # values as before the parameters moved into VisualConfig, so caches stay valid
    assert dvs.CACHE_VERSION == 2
    assert dvs.emulator_params(VisualConfig()) == {
        "method": "v2e", "pos_threshold": 0.2, "neg_threshold": 0.2, "threshold_sigma": 0.03,
        "refractory_us": 0, "leak_rate_hz": 0.0, "shot_noise_rate_hz": 0.0, "log_eps": 20.0 / 255.0,
        "upsample_factor": 1, "sensitivity": 0.15, "seed": 0}
    p = dvs.emulator_params(VisualConfig(dvs_method="framediff", dvs_seed=7, crop_size=40,
                                         merge_polarity=True, rate_percentile=90.0))
    assert (p["method"], p["seed"]) == ("framediff", 7) and len(p) == 11   # crop etc. not in it


def test_cache_key_crop_size_defaults_to_the_configs(tmp_path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"not decoded for a key")
    assert dvs.cache_key(video, VisualConfig()) == dvs.cache_key(video, VisualConfig(), 100)
    assert dvs.cache_key(video, VisualConfig(crop_size=40)) == dvs.cache_key(video, VisualConfig(), 40)
    assert dvs.cache_key(video, VisualConfig(crop_size=40)) != dvs.cache_key(video, VisualConfig())


@pytest.mark.parametrize("bad", [dict(pos_threshold=0.0), dict(threshold_sigma=-0.1),
                                 dict(refractory_us=-1), dict(sensitivity=1.0),
                                 dict(upsample_factor=0), dict(dvs_method="v2f")])
def test_emulator_rejects_out_of_range_parameters(bad):
    frames, t = _moving_bar(n=3), _times(3)
    with pytest.raises(ValueError):
        emulate(frames, t, VisualConfig(**bad))
