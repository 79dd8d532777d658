"""Network state: initial weights and thresholds, model-file array names (pure numpy)."""
import numpy as np
import pytest

from stdp_emo.config import NetworkConfig
from stdp_emo.network.composition import compose
from stdp_emo.network.topology import conv_topology
from stdp_emo.network.state import NetworkState, initial_state, theta_key, weight_key


def _comp(net, mode="audio"):
    topo = {"audio": conv_topology((1, 4, 5), (4, 5), (4, 5), 6),
            "visual": conv_topology((1, 3, 1), (3, 1), (3, 1), 2)}
    return compose(mode, {m: topo[m] for m in (("audio", "visual") if mode != "audio" else ("audio",))},
                   net)


def test_random_weights_are_dc15s():
    net = NetworkConfig(w_init="random")
    w = initial_state(_comp(net), net, seed=3).weights["audio_input_to_audio_exc"]
    assert w.size == 6 * 20 and w.min() >= 0.01 * net.w_init_max
    assert w.max() <= 1.01 * net.w_init_max


def test_imprinted_neurons_start_from_distinct_training_clips():
    net = NetworkConfig(w_init="samples")
    comp = _comp(net)
    rng = np.random.default_rng(0)
    samples = rng.random((10, 20)) ** 4                     # 10 clips, 20 inputs
    st = initial_state(comp, net, seed=1, samples={"audio": samples})
    p = comp.projection("audio_input_to_audio_exc")
    w = np.zeros((6, 20))
    w[p.post, p.pre] = st.weights[p.name]
    np.testing.assert_allclose(w.sum(axis=1), p.norm_total)          # DC15 column sums
    assert w.max() <= net.w_max
    # each neuron's weights are one clip's code plus a small random part
    corr = np.corrcoef(np.r_[w, samples])[:6, 6:]
    best = corr.argmax(axis=1)
    assert np.all(corr.max(axis=1) > 0.95) and len(set(best)) == 6     # without replacement
    # the same seed, the same imprint; no samples: a clear error
    again = initial_state(comp, net, seed=1, samples={"audio": samples})
    np.testing.assert_array_equal(again.weights[p.name], st.weights[p.name])
    with pytest.raises(ValueError, match="needs the training samples"):
        initial_state(comp, net, seed=1)


def test_only_input_projections_are_imprinted_with_random_cross_init():
    net = NetworkConfig(w_init="samples", cross_init="random")
    comp = _comp(net, "crossmodal")
    samples = {"audio": np.ones((4, 20)), "visual": np.ones((4, 3))}
    st = initial_state(comp, net, seed=0, samples=samples)
    rnd = initial_state(comp, NetworkConfig(w_init="random"), seed=0)
    np.testing.assert_array_equal(st.weights["visual_exc_to_audio_exc"],
                                  rnd.weights["visual_exc_to_audio_exc"])
    assert not np.array_equal(st.weights["audio_input_to_audio_exc"],
                              rnd.weights["audio_input_to_audio_exc"])


def test_state_arrays_round_trip_under_their_file_names():
    st = NetworkState({"a_input_to_a_exc": np.arange(3.0)}, {"a": np.full(2, 0.02)})
    arrays = st.to_arrays()
    assert set(arrays) == {weight_key("a_input_to_a_exc"), theta_key("a")}
    assert set(arrays) == {"w__a_input_to_a_exc", "theta__a"}         # the files' spelling
    back = NetworkState.from_arrays({**arrays, "assignments": np.zeros(2)})
    np.testing.assert_array_equal(back.weights["a_input_to_a_exc"], [0, 1, 2])
    np.testing.assert_array_equal(back.theta["a"], [0.02, 0.02])
    assert list(back.weights) == ["a_input_to_a_exc"] and list(back.theta) == ["a"]


def test_imprinting_uses_every_sample_equally_often_when_neurons_outnumber_them():
    from stdp_emo.network.state import imprint_picks

    rng = np.random.default_rng(0)
    few = imprint_picks(10, 6, rng)
    assert len(set(few.tolist())) == 6                      # distinct while there are enough
    many = imprint_picks(10, 25, rng)
    counts = np.bincount(many, minlength=10)
    assert counts.sum() == 25 and counts.min() == 2 and counts.max() == 3


def test_cooccurrence_imprint_links_each_audio_neuron_to_the_visual_neurons_of_its_clips_face():
    net = NetworkConfig(w_init="samples", cross_init="cooccurrence", cross_init_top=2)
    topo = {"audio": conv_topology((1, 4, 5), (4, 5), (4, 5), 6),
            "visual": conv_topology((1, 6, 1), (6, 1), (6, 1), 6)}
    comp = compose("crossmodal", topo, net)
    rng = np.random.default_rng(2)
    audio = rng.random((6, 20)) ** 4
    faces = np.eye(6)[[3, 0, 5, 1, 4, 2]] + 0.05         # clip c shows face pattern perm[c]
    st = initial_state(comp, net, seed=4, samples={"audio": audio, "visual": faces})
    pa = comp.projection("audio_input_to_audio_exc")
    wa = np.zeros((6, 20))
    wa[pa.post, pa.pre] = st.weights[pa.name]
    clip_of_audio = np.corrcoef(np.r_[wa, audio])[:6, 6:].argmax(axis=1)
    pv = comp.projection("visual_input_to_visual_exc")
    wv = np.zeros((6, 6))
    wv[pv.post, pv.pre] = st.weights[pv.name]
    response = faces[clip_of_audio] @ wv.T                # (audio neuron, visual neuron)
    pc = comp.projection("visual_exc_to_audio_exc")
    wc = np.zeros((6, 6))                                 # (audio neuron, visual neuron)
    wc[pc.post, pc.pre] = st.weights[pc.name]
    np.testing.assert_allclose(wc.sum(axis=1), pc.norm_total)
    assert wc.max() <= net.w_max
    for j in range(6):
        strong = set(np.argsort(-wc[j])[:2])
        assert strong == set(np.argsort(-response[j])[:2])          # the best-matching two
        assert wc[j, sorted(strong)].min() > 100 * np.delete(wc[j], sorted(strong)).max()
    # the input imprint is the same as without it
    plain = initial_state(comp, NetworkConfig(w_init="samples"), seed=4,
                          samples={"audio": audio, "visual": faces})
    np.testing.assert_array_equal(plain.weights[pa.name], st.weights[pa.name])
    assert not np.allclose(plain.weights[pc.name], st.weights[pc.name])


def test_temporal_input_neurons_imprint_one_segment_of_a_training_clip():
    from stdp_emo.network.composition import InputSpec

    net = NetworkConfig(w_init="samples")
    topo = conv_topology((1, 4, 5), (4, 5), (4, 5), 6)
    comp = compose("audio", {"audio": topo}, net, {"audio": 3})
    assert comp.input("audio") == InputSpec("audio", 20, 0.0, 3)
    assert comp.input("audio").n_values == 60
    rng = np.random.default_rng(2)
    samples = rng.random((10, 60)) ** 4                     # 10 clips x 3 segments of 20
    st = initial_state(comp, net, seed=1, samples={"audio": samples})
    p = comp.projection("audio_input_to_audio_exc")
    w = np.zeros((6, 20))
    w[p.post, p.pre] = st.weights[p.name]
    corr = np.corrcoef(np.r_[w, samples.reshape(30, 20)])[:6, 6:]
    assert np.all(corr.max(axis=1) > 0.95)                  # each neuron: one segment
    clips = corr.argmax(axis=1) // 3
    assert len(set(clips)) == 6                             # of distinct clips
