"""Compositions of the four modes (no Brian2) and learning of cross-modal synapses."""
import numpy as np
import pytest

from stdp_emo.config import EncodingConfig, NetworkConfig
from stdp_emo.network.composition import MODES, compose, modalities
from stdp_emo.network.topology import audio_topology, conv_topology

AUDIO = audio_topology(4, 20, 10, 10, 2)           # 2 positions x 2 features = 4 neurons
VISUAL = conv_topology((2, 10, 10), (5, 5), (5, 5), 2)   # 4 positions x 2 features = 8 neurons
TOPOS = {"audio": AUDIO, "visual": VISUAL}


def test_modes_differ_only_in_composition():
    net = NetworkConfig(fusion_from="layers")
    comps = {m: compose(m, TOPOS, net) for m in MODES}
    names = {m: {p.name for p in c.projections} for m, c in comps.items()}
    assert names["audio"] == {"audio_input_to_audio_exc"}
    assert names["visual"] == {"visual_input_to_visual_exc"}
    assert names["crossmodal"] == names["audio"] | names["visual"] | {"visual_exc_to_audio_exc"}
    assert names["early_fusion"] == names["audio"] | names["visual"] | {
        "audio_exc_to_fusion_exc", "visual_exc_to_fusion_exc"}
    assert [c.readout for c in comps.values()] == ["audio", "visual", "fusion", "audio"]
    # the input projections are the same pieces in every mode
    for m in ("crossmodal", "early_fusion"):
        for mod in ("audio", "visual"):
            a, b = comps[m].input_projection(mod), comps[mod].input_projection(mod)
            np.testing.assert_array_equal(a.pre, b.pre)
            np.testing.assert_array_equal(a.post, b.post)


def test_crossmodal_synapses_only_from_visual_to_audio_exc():
    c = compose("crossmodal", TOPOS, NetworkConfig())
    cross = [p for p in c.projections if not p.source.endswith("_input")]
    assert len(cross) == 1 and cross[0].source == "visual_exc" and cross[0].target == "audio"
    p = cross[0]
    assert p.n_synapses == VISUAL.n_neurons * AUDIO.n_neurons            # all-to-all
    assert p.pre.max() == VISUAL.n_neurons - 1 and p.post.max() == AUDIO.n_neurons - 1
    assert len({(a, b) for a, b in zip(p.pre, p.post)}) == p.n_synapses  # no duplicates
    np.testing.assert_allclose(p.norm_total, NetworkConfig().cross_norm_per_synapse * VISUAL.n_neurons)
    # a fan-in at least the visual layer's size is all-to-all
    full = compose("crossmodal", TOPOS, NetworkConfig(cross_fan_in=VISUAL.n_neurons))
    assert full.projection(p.name).n_synapses == p.n_synapses
    sparse = compose("crossmodal", TOPOS, NetworkConfig(cross_fan_in=4)).projection(p.name)
    assert 0 < sparse.n_synapses < p.n_synapses
    again = compose("crossmodal", TOPOS, NetworkConfig(cross_fan_in=4)).projection(p.name)
    np.testing.assert_array_equal(sparse.pre, again.pre)          # seeded, stable
    np.testing.assert_allclose(sparse.norm_total,                 # normalised per synapse it has
                               NetworkConfig().cross_norm_per_synapse * sparse.n_synapses
                               / AUDIO.n_neurons)


def test_cross_fan_in_sets_the_mean_visual_synapses_per_audio_neuron():
    vis = conv_topology((2, 40, 40), (5, 5), (5, 5), 10)       # 64 positions x 10 = 640 neurons
    aud = audio_topology(4, 200, 10, 10, 10)                    # 20 positions x 10 = 200 neurons
    p = compose("crossmodal", {"audio": aud, "visual": vis},
                NetworkConfig(cross_fan_in=64)).projection("visual_exc_to_audio_exc")
    per_audio = np.bincount(p.post, minlength=aud.n_neurons)
    assert abs(per_audio.mean() - 64) < 2                       # p = 64 / 640 = 0.1
    assert per_audio.min() > 0
    assert len({(a, b) for a, b in zip(p.pre, p.post)}) == p.n_synapses


def test_vision_leads_audio_in_multimodal_modes_only():
    net = NetworkConfig(visual_lead_ms=7.0)
    for mode in ("crossmodal", "early_fusion"):
        onsets = {i.name: i.onset_ms for i in compose(mode, TOPOS, net).inputs}
        assert onsets == {"audio": 7.0, "visual": 0.0}
    assert compose("audio", TOPOS, net).inputs[0].onset_ms == 0.0


def test_early_fusion_layer_receives_both_excitatory_layers():
    c = compose("early_fusion", TOPOS, NetworkConfig(fusion_n_neurons=5, fusion_from="layers"))
    into = {p.source for p in c.projections if p.target == "fusion"}
    assert into == {"audio_exc", "visual_exc"}
    assert c.layer("fusion").n_neurons == 5 and np.all(c.layer("fusion").pools == 0)
    assert c.projection("visual_exc_to_fusion_exc").n_synapses == VISUAL.n_neurons * 5


@pytest.mark.parametrize("fusion_from", ["inputs", "layers"])
def test_fusion_visual_fan_in_thins_only_the_visual_projection(fusion_from):
    vis = conv_topology((2, 40, 40), (5, 5), (5, 5), 10)       # 3,200 inputs, 640 neurons
    aud = audio_topology(4, 200, 10, 10, 10)                    # 800 inputs, 200 neurons
    topos = {"audio": aud, "visual": vis}
    src = "input" if fusion_from == "inputs" else "exc"
    n_vis = vis.n_inputs if fusion_from == "inputs" else vis.n_neurons
    n_aud = aud.n_inputs if fusion_from == "inputs" else aud.n_neurons

    def fused(fan_in):
        c = compose("early_fusion", topos, NetworkConfig(fusion_n_neurons=50, fusion_from=fusion_from,
                                                         fusion_visual_fan_in=fan_in))
        return c.projection(f"audio_{src}_to_fusion_exc"), c.projection(f"visual_{src}_to_fusion_exc")

    per_syn = NetworkConfig().norm_per_synapse if fusion_from == "inputs" \
        else NetworkConfig().fusion_norm_per_synapse
    audio, visual = fused(64)
    assert audio.n_synapses == n_aud * 50                       # audio stays all-to-all
    per_neuron = np.bincount(visual.post, minlength=50)
    assert abs(per_neuron.mean() - 64) < 3 and per_neuron.min() > 0
    assert len({(a, b) for a, b in zip(visual.pre, visual.post)}) == visual.n_synapses
    np.testing.assert_allclose(visual.norm_total, per_syn * visual.n_synapses / 50)
    np.testing.assert_allclose(audio.norm_total, per_syn * n_aud)
    np.testing.assert_array_equal(fused(64)[1].pre, visual.pre)             # seeded, stable
    # a fan-in at least the number of visual sources is all-to-all
    assert fused(n_vis)[1].n_synapses == n_vis * 50
    np.testing.assert_allclose(fused(n_vis)[1].norm_total, per_syn * n_vis)


def test_mode_needs_its_topologies():
    assert modalities("crossmodal") == ("audio", "visual")
    with pytest.raises(ValueError, match="visual"):
        compose("early_fusion", {"audio": AUDIO}, NetworkConfig())
    with pytest.raises(ValueError, match="unknown mode"):
        modalities("late_fusion")


def _crossmodal_run(b2, audio_rate, visual_rate):
    """Tiny cross-modal network on the runtime device; returns (initial, final) cross weights."""
    from stdp_emo.network.builder import build
    from stdp_emo.network.namespace import build_namespace

    net = NetworkConfig(n_features=2, window=5, stride=5)
    enc = EncodingConfig()
    comp = compose("crossmodal", TOPOS, net)
    ns = build_namespace(net, enc)
    built = build(comp, ns, learning=True, rule="paper", n_samples=1, theta_init=20 * b2.mV,
                  dt=0.5 * b2.ms, sample_duration=500 * b2.ms)
    rng = np.random.default_rng(0)
    for p in comp.projections:
        syn = built[p.name]
        w = (rng.random(p.n_synapses) + 0.01) * 0.3
        w *= p.norm_total / np.bincount(p.post, weights=w)[p.post]   # already normalised
        syn.w = w
        setattr(built[f"{p.target}_exc"], f"wsum_{p.source}", p.norm_total)
    built.stim["audio"].values[:] = audio_rate
    built.stim["visual"].values[:] = visual_rate
    built.stream.values[:] = [3.0]
    cross = built["visual_exc_to_audio_exc"]
    w0 = np.asarray(cross.w[:]).copy()
    built.network.run(400 * b2.ms, namespace={})
    return w0, np.asarray(cross.w[:]), built


def test_crossmodal_synapses_learn_from_paired_activity_only(runtime_device):
    b2 = runtime_device
    w0, w_paired, built = _crossmodal_run(b2, 400.0, 400.0)
    assert built.monitors["visual"].num_spikes > 0 and built.monitors["audio"].num_spikes > 0
    assert np.abs(w_paired - w0).max() > 1e-3
    w0, w_silent, built = _crossmodal_run(b2, 0.0, 0.0)
    assert built.monitors["audio"].num_spikes == 0
    np.testing.assert_allclose(w_silent, w0, rtol=1e-12)


def test_window_that_does_not_fit_is_a_config_error_naming_it():
    from stdp_emo.config import ExperimentConfig
    from stdp_emo.errors import ConfigError
    from stdp_emo.network.composition import composition_for

    cfg = ExperimentConfig().replace(audio={"kind": "mfcc"}, encoding={"audio_code": "image"}, network={"window": 100})
    with pytest.raises(ConfigError, match=r"\[network\] window = 100, stride = 10: window "):
        composition_for(cfg, {"audio": (1, 40, 40)})


def test_unused_input_frames_are_named(caplog):
    from stdp_emo.config import ExperimentConfig
    from stdp_emo.network.composition import composition_for

    cfg = ExperimentConfig().replace(audio={"kind": "mfcc"}, encoding={"audio_code": "image"},
                                     network={"stride": 100, "n_features": 2})
    with caplog.at_level("WARNING", logger="stdp_emo"):
        comp = composition_for(cfg, {"audio": (1, 40, 40)})
    assert comp.topologies["audio"].n_positions == 1
    assert "columns 10-39 (of 40)" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="stdp_emo"):
        composition_for(cfg.replace(network={"stride": 10}), {"audio": (1, 40, 40)})
    assert caplog.text == ""                          # 10 + 3 x 10 = 40: every frame used


def test_cross_gain_is_on_the_visual_to_audio_projection_only():
    from stdp_emo.config import NetworkConfig
    from stdp_emo.network.topology import conv_topology

    topo = {"audio": conv_topology((1, 4, 5), (4, 5), (4, 5), 3),
            "visual": conv_topology((1, 3, 1), (3, 1), (3, 1), 2)}
    plain = compose("crossmodal", topo, NetworkConfig(cross_gain=1.0))
    gained = compose("crossmodal", topo, NetworkConfig(cross_gain=30.0))
    assert {p.name: p.gain for p in gained.projections} == {
        "audio_input_to_audio_exc": 1.0, "visual_input_to_visual_exc": 1.0,
        "visual_exc_to_audio_exc": 30.0}
    assert all(p.gain == 1.0 for p in plain.projections)
    assert plain.signature() != gained.signature()           # a separately compiled network


def test_all_layers_vote_in_layer_order_by_default_or_the_readout_alone():
    from stdp_emo.config import ExperimentConfig
    from stdp_emo.network.composition import composition_for

    cfg = ExperimentConfig().replace(train={"modality": "crossmodal"},
                                     visual={"source": "au"},
                                     network={"au_n_neurons": 3, "dense_n_neurons": 5})
    shapes = {"audio": (1, 4, 5), "visual": (1, 35, 2)}
    alone = composition_for(cfg.replace(train={"vote_layers": "readout"}), shapes)
    both = composition_for(cfg, shapes)
    n_aud, n_vis = alone.layer("audio").n_neurons, alone.layer("visual").n_neurons
    assert n_vis == 3 and alone.vote_layers == ("audio",) and alone.n_voting == n_aud
    assert both.vote_layers == ("audio", "visual") and both.n_voting == n_aud + n_vis
    assert both.vote_slice("visual") == slice(n_aud, n_aud + n_vis)
    assert alone.vote_slice("visual") is None
    counts = {"audio": np.arange(2 * n_aud).reshape(2, n_aud),
              "visual": -np.arange(2 * n_vis).reshape(2, n_vis)}
    joined = both.voting_counts(counts)
    np.testing.assert_array_equal(joined[:, both.vote_slice("audio")], counts["audio"])
    np.testing.assert_array_equal(joined[:, both.vote_slice("visual")], counts["visual"])
    assert alone.voting_counts(counts) is counts["audio"]
    assert both.signature() == alone.signature()       # the same compiled network


def test_segments_of_an_input_are_part_of_the_signature_only_when_used():
    topo = conv_topology((1, 4, 5), (4, 5), (4, 5), 6)
    net = NetworkConfig()
    plain, one = compose("audio", {"audio": topo}, net), compose("audio", {"audio": topo}, net,
                                                               {"audio": 1})
    seg = compose("audio", {"audio": topo}, net, {"audio": 7})
    assert plain.signature() == one.signature()
    assert plain.signature()["inputs"] == [["audio", 20, 0.0]]
    assert seg.signature()["inputs"] == [["audio", 20, 0.0, 7]]
    assert seg.input("audio").n_values == 140 and plain.input("audio").n_values == 20


@pytest.mark.parametrize("size, mode", [("dense_n_neurons", "audio"), ("au_n_neurons", "visual"),
                                         ("fusion_n_neurons", "early_fusion")])
def test_a_layer_sized_per_clip_is_not_built_before_it_is_resolved(size, mode):
    from stdp_emo.config import ExperimentConfig
    from stdp_emo.errors import ConfigError
    from stdp_emo.network.composition import composition_for

    cfg = ExperimentConfig().replace(visual={"source": "au"}, train={"modality": mode},
                                     network={"dense_n_neurons": 5, "au_n_neurons": 3,
                                              "fusion_n_neurons": 4})
    shapes = {"audio": (1, 4, 5), "visual": (1, 35, 2)}
    composition_for(cfg, shapes)                                   # fixed sizes: builds
    with pytest.raises(ConfigError, match=rf"\[network\] {size} = 0 \(sized per training clip\)"):
        composition_for(cfg.replace(network={size: 0}), shapes)
    sized = cfg.replace(network={size: 0}).sized_for_training(6)
    layer = {"audio": "audio", "visual": "visual", "early_fusion": "fusion"}[mode]
    assert composition_for(sized, shapes).layer(layer).n_neurons == 6      # one per clip
