import numpy as np

from stdp_emo.network.rng import hash_uniform, sample_streams
from stdp_emo.network.topology import audio_topology, conv_topology


def test_paper_audio_topology():
    t = audio_topology(40, 388, 10, 10, 60)
    assert (t.n_inputs, t.n_positions, t.n_neurons, t.fan_in) == (15520, 38, 2280, 400)
    assert t.pre.size == 2280 * 400
    assert np.all(np.bincount(t.post) == 400)
    # neuron k of position p sees frames p*10 .. p*10+9 of every coefficient
    k = 5 * 60 + 7
    frames = np.sort(np.unique(t.pre[t.post == k] % 388))
    np.testing.assert_array_equal(frames, np.arange(50, 60))
    assert np.unique(t.pre[t.post == k] // 388).size == 40
    assert np.all(np.diff(t.pre) >= 0)


def test_visual_topology_two_polarities():
    t = conv_topology((2, 100, 100), (10, 10), (10, 10), 60)
    assert (t.n_inputs, t.n_neurons, t.fan_in) == (20000, 6000, 200)
    src = t.window_inputs(11)           # row 1, column 1 of the 10x10 grid of windows
    c, rem = np.divmod(src, 10000)
    y, x = np.divmod(rem, 100)
    assert set(c) == {0, 1} and y.min() == 10 and y.max() == 19 and x.min() == 10 and x.max() == 19


def test_overlapping_windows():
    t = conv_topology((1, 4, 30), (4, 10), (4, 5), 3)
    assert t.positions_hw == (1, 5)
    assert np.bincount(t.pre, minlength=t.n_inputs).max() == 2 * 3   # frame in two windows


def test_hash_uniform_is_uniform_and_deterministic():
    i = np.arange(200_000) % 5000
    k = np.arange(200_000) // 5000
    u = hash_uniform(42.0, i, k)
    assert np.all((u > 0) & (u < 1))
    assert abs(u.mean() - 0.5) < 0.005 and abs(u.var() - 1 / 12) < 0.002
    np.testing.assert_array_equal(u, hash_uniform(42.0, i, k))
    assert np.corrcoef(u, hash_uniform(43.0, i, k))[0, 1] < 0.01
    hist = np.histogram(u, bins=20, range=(0, 1))[0]
    assert hist.min() > 0.9 * hist.mean()


def test_sample_streams_depend_on_seed_epoch_sample_only():
    a = sample_streams(0, 1, np.arange(10))
    np.testing.assert_array_equal(a[3:5], sample_streams(0, 1, np.array([3, 4])))
    assert np.unique(a).size == 10
    assert not np.any(a == sample_streams(0, 2, np.arange(10)))
    assert not np.any(a == sample_streams(1, 1, np.arange(10)))
    assert np.all(a < 2 ** 53)
