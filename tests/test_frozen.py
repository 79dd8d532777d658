"""The frozen network: synaptic operations (energy) of presentations, on a hand-made network."""
import numpy as np


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
