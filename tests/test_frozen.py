"""The frozen network: synaptic operations (energy) of presentations, on a hand-made network;
the frozen presentation time on a tiny trained network."""
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


def test_synaptic_ops_of_a_hand_made_network():
    from types import SimpleNamespace

    from stdp_emo.config import EncodingConfig, NetworkConfig
    from stdp_emo.frozen import synaptic_ops
    from stdp_emo.network.composition import compose
    from stdp_emo.network.topology import conv_topology

    # 6 inputs fully connected to 2 excitatory neurons (one inhibition pool of 2)
    topo = conv_topology((1, 2, 3), (2, 3), (2, 3), 2)
    comp = compose("audio", {"audio": topo}, NetworkConfig(inhibition="all"))
    enc = EncodingConfig(max_rate_hz=50.0, present_ms=200.0)
    x = np.array([[1.0, 0.5, 0, 0, 0, 0.5], [0, 0, 0, 0, 0, 0]])   # 2 samples
    res = SimpleNamespace(layer_counts={"audio": np.array([[3, 1], [0, 0]])})
    out = synaptic_ops(comp, {"audio": x}, res, enc)
    # input spikes (rate x time: 10 per unit value) each reach 2 neurons; every excitatory
    # spike drives its inhibitory partner, whose spike reaches the other neuron of the pool
    per_sample = [2.0 * 10 * 2.0 + 4 * 2, 0.0]
    assert out == {"synaptic_ops_per_sample": np.mean(per_sample), "n_synapses": 12}
    # the frozen presentation time counts: 3x as long gives 3x the input spikes
    longer = EncodingConfig(max_rate_hz=50.0, present_ms=200.0, frozen_present_ms=600.0)
    out = synaptic_ops(comp, {"audio": x}, res, longer)
    assert out["synaptic_ops_per_sample"] == np.mean([2.0 * 30 * 2.0 + 4 * 2, 0.0])


def test_accuracy_by_vote_layers_labels_each_layer_and_all_of_them():
    """Audio neurons that swap their preference between labelling and test, visual neurons
    that keep it: the audio layer alone gets every test clip wrong, vision every one right."""
    from types import SimpleNamespace

    from stdp_emo.config import NetworkConfig
    from stdp_emo.frozen import accuracy_by_vote_layers
    from stdp_emo.network.composition import compose
    from stdp_emo.network.topology import conv_topology

    topo = {"audio": conv_topology((1, 2, 1), (2, 1), (2, 1), 2),
            "visual": conv_topology((1, 3, 1), (3, 1), (3, 1), 2)}
    comp = compose("crossmodal", topo, NetworkConfig())
    labels = np.array([0, 1, 0, 1, 0, 1])
    prep = SimpleNamespace(composition=comp, train_idx=np.arange(4), test_idx=np.arange(4, 6),
                           dataset=SimpleNamespace(labels=labels, classes=["a", "b"]))
    eye = np.eye(2, dtype=int)
    label = SimpleNamespace(layer_counts={"audio": eye[labels[:4]], "visual": 10 * eye[labels[:4]]})
    test = SimpleNamespace(layer_counts={"audio": eye[1 - labels[4:]],
                                         "visual": 10 * eye[labels[4:]]})
    got = accuracy_by_vote_layers(prep, label, test, "proportion")
    assert got == {"audio": 0.0, "visual": 1.0, "all": 1.0, "all_pooled": 1.0,
                   "all_per_layer": 1.0}
    # audio neurons firing 20 for the wrong class outvote vision's 10 either way (layers of
    # equal size), and "all" is the configured combination
    test.layer_counts["audio"] = 20 * eye[1 - labels[4:]]
    for layer_vote in ("pooled", "per_layer"):
        got = accuracy_by_vote_layers(prep, label, test, "proportion", layer_vote)
        assert got["all"] == got[f"all_{layer_vote}"] == 0.0
    single = SimpleNamespace(composition=compose("audio", topo, NetworkConfig()))
    assert accuracy_by_vote_layers(single, label, test, "proportion") is None


@pytest.mark.slow
def test_frozen_present_ms_lengthens_labelling_and_test_only(isolated):
    """``[encoding] frozen_present_ms``: learning is unchanged (the same weights and
    thresholds), the frozen phases present 3x as long (3x the expected input spikes, more
    excitatory spikes), and the model keeps the setting for later evaluations."""
    from stdp_emo import config as C
    from stdp_emo.model import TrainedModel
    from stdp_emo.training import train

    cfg = C.load(REPO / "configs" / "tiny.toml")
    ref = train(cfg, tag="ref", progress=False)
    longer = train(cfg.replace(encoding={"frozen_present_ms": 3 * cfg.encoding.present_ms}),
                   tag="longer", progress=False)
    a, b = TrainedModel.load(ref["model_dir"]), TrainedModel.load(longer["model_dir"])
    for name, w in a.state.weights.items():
        np.testing.assert_array_equal(w, b.state.weights[name])
    for name, theta in a.state.theta.items():
        np.testing.assert_array_equal(theta, b.state.theta[name])
    assert b.config.encoding.frozen_present_ms == 3 * cfg.encoding.present_ms
    m_ref, m_long = ref["metrics"], longer["metrics"]
    np.testing.assert_allclose(m_long["input_spikes_per_sample_expected"]["audio"],
                               3 * m_ref["input_spikes_per_sample_expected"]["audio"])
    assert (m_long["testing"]["spikes_per_sample_mean"]
            > 1.5 * m_ref["testing"]["spikes_per_sample_mean"] > 0)
