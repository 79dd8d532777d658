"""Compiled-network helpers that need no compile: spike counting, project keys."""
import numpy as np

from stdp_emo.simulate import spike_counts


def test_spike_counts_only_count_presentation_window():
    # sample length 500 ms, presentation 350 ms
    i = np.array([0, 1, 1, 0, 2])
    t = np.array([10.0, 349.0, 360.0, 510.0, 999.0])
    c = spike_counts(i, t, 2, 3, 500.0, 350.0, 0.5)
    np.testing.assert_array_equal(c, [[1, 1, 0], [1, 0, 0]])


def test_spike_counts_place_edge_steps_the_same_way_despite_rounding():
    """Times a hair off whole steps (float rounding at large t) count as those steps."""
    eps = 1e-9
    i = np.zeros(6, dtype=int)
    # step 700 of sample 1 (the window's end, excluded) from either side; step 699 (included);
    # sample 2's first step from below (included there, not in sample 1's rest)
    t = np.array([850.0 + eps, 850.0 - eps, 849.5 + eps, 849.5 - eps, 1000.0 - eps, 1000.0 + eps])
    c = spike_counts(i, t, 3, 1, 500.0, 350.0, 0.5)
    np.testing.assert_array_equal(c[:, 0], [0, 2, 2])


def test_compiled_project_key_separates_configs_and_shapes():
    from stdp_emo.config import EncodingConfig, NetworkConfig
    from stdp_emo.network.composition import compose
    from stdp_emo.network.topology import audio_topology, conv_topology
    from stdp_emo.simulate import project_key

    topo = audio_topology(8, 40, 10, 10, 4)
    vis = conv_topology((2, 20, 20), (10, 10), (10, 10), 4)
    net, enc = NetworkConfig(n_features=4), EncodingConfig()

    def key_of(mode="audio", t=topo, n=net, e=enc, **kw):
        kw = {"learning": True, "chunk_size": 16, **kw}
        return project_key(compose(mode, {"audio": t, "visual": vis}, n), n, e, **kw)

    key = key_of()
    assert key == key_of()
    others = [
        key_of(t=audio_topology(8, 50, 10, 10, 4)),
        key_of(n=NetworkConfig(n_features=4, spike_block_ms=5.0)),
        key_of(e=EncodingConfig(max_rate_hz=80.0)),
        key_of(learning=False),
        key_of(chunk_size=8),
        key_of("visual"),
        key_of("crossmodal"),
        key_of("early_fusion"),
        key_of("crossmodal", n=NetworkConfig(n_features=4, cross_fan_in=2)),
    ]
    assert key not in others and len(set(others)) == len(others)


def test_compiled_project_key_follows_the_parameter_constants(monkeypatch):
    """Constants are compiled into the project: editing parameters.py must give a new key."""
    from pathlib import Path

    from stdp_emo.config import EncodingConfig, NetworkConfig
    from stdp_emo.network import parameters
    from stdp_emo.network.composition import compose
    from stdp_emo.network.topology import audio_topology
    from stdp_emo.simulate import project_key

    net, enc = NetworkConfig(n_features=4), EncodingConfig()
    comp = compose("audio", {"audio": audio_topology(8, 40, 10, 10, 4)}, net)
    key = project_key(comp, net, enc, learning=True, chunk_size=4)
    source = Path(parameters.__file__).read_bytes()
    real_read = Path.read_bytes

    def edited(self):
        data = real_read(self)
        return data + b"\n# edited\n" if data == source else data

    monkeypatch.setattr(Path, "read_bytes", edited)
    assert project_key(comp, net, enc, learning=True, chunk_size=4) != key


def test_canonical_main_queue_orders_commuting_writes_by_array_name():
    """Brian2 queues the clocks' t / timestep writes in set order (object ids): sorted by
    array name, main.cpp, and so the compiled project, is the same in every process."""
    from stdp_emo.simulate import canonical_main_queue

    def w(name, value):
        return ("set_by_single_value", (name, 0, value))

    run = ("run_network", ("net", ["net.run(1.0)"]))
    queue = [w("b_clock_t", 0.0), w("a_clock_t", 0.0), w("a_clock_t", 1.0), run,
             w("c", 2.0), ("set_by_array", ("z", "arr")), w("d", 3.0), w("c", 4.0)]
    assert canonical_main_queue(queue) == [
        w("a_clock_t", 0.0), w("a_clock_t", 1.0), w("b_clock_t", 0.0), run,   # stable per array
        w("c", 2.0), ("set_by_array", ("z", "arr")), w("c", 4.0), w("d", 3.0)]
    # two processes that iterated the clocks in other orders give the same queue
    a = [w("x_clock_timestep", 0), w("x_clock_t", 0.0), w("y_clock_timestep", 0), w("y_clock_t", 0.0)]
    b = a[2:] + a[:2]
    assert canonical_main_queue(list(a)) == canonical_main_queue(b)


def test_stim_rows_put_each_samples_segments_then_its_silent_rest():
    from stdp_emo.network.composition import InputSpec
    from stdp_emo.simulate import stim_rows

    spec = InputSpec("audio", 2, 0.0, 7)                    # 7 x 50 ms of a 500 ms sample
    r = np.arange(2 * 14, dtype=float).reshape(2, 14)       # 2 samples x (7 segments x 2 inputs)
    out = stim_rows(r, spec, 500.0, 350.0)
    assert out.shape == (2 * 10, 2)
    np.testing.assert_array_equal(out[:7], r[0].reshape(7, 2))
    np.testing.assert_array_equal(out[10:17], r[1].reshape(7, 2))
    assert np.all(out[7:10] == 0) and np.all(out[17:] == 0)
    one = InputSpec("audio", 14)
    np.testing.assert_array_equal(stim_rows(r, one, 500.0, 350.0), r)
