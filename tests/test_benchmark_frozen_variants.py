"""benchmarks/frozen_variants.py: which frozen-phase values may change, and bad input."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import frozen_variants as fv  # noqa: E402
from run_fixtures import model_dir  # noqa: E402,F401

from stdp_emo.config import ExperimentConfig  # noqa: E402
from stdp_emo.errors import ConfigError  # noqa: E402


def test_variant_config_changes_one_frozen_value():
    cfg = ExperimentConfig()
    assert fv.variant_config(cfg, "encoding.present_ms=2100").encoding.present_ms == 2100
    assert fv.variant_config(cfg, "network.w_inh_exc=8.0").network.w_inh_exc == 8.0
    assert fv.variant_config(cfg, "network.w_inh_exc=8.0").encoding == cfg.encoding


@pytest.mark.parametrize("item, message", [
    ("network.dense_n_neurons=10", "cannot be changed in a frozen network"),
    ("train.epochs=3", "cannot be changed in a frozen network"),
    ("encoding.present_ms=-5", "present_ms"),
    ("encoding.present_ms=fast", "not a TOML literal"),
])
def test_variant_config_refuses_structure_and_bad_values(item, message):
    with pytest.raises(ConfigError, match=message):
        fv.variant_config(ExperimentConfig(), item)


def test_cli_checks_every_variant_before_running(model_dir, capsys, tmp_path):  # noqa: F811
    out = tmp_path / "r.json"
    assert fv.main([str(model_dir), "--variant", "encoding.present_ms=700",
                    "--variant", "network.n_features=2", "--out", str(out)]) == 2
    assert "'network.n_features' cannot be changed" in capsys.readouterr().err
    assert not out.exists()
    assert fv.main([str(tmp_path / "no_model")]) == 2
    assert "error:" in capsys.readouterr().err


def test_stream_summary_gives_every_stream_and_their_mean_and_sd():
    r = {"accuracy": 0.6, "accuracy_per_stream_seed": [0.6, 0.7, 0.8]}
    assert fv.stream_summary(r) == "  streams 60.0 70.0 80.0: 70.0 +- 10.0 %"
    assert fv.stream_summary({"accuracy": 0.6}) == ""


def test_variant_prepared_rebuilds_the_network_with_the_variant_cross_gain():
    """A value the composition holds (the visual -> audio conductance per unit weight) must
    reach the frozen network: the prepared data carry a network rebuilt from the variant."""
    import numpy as np

    from stdp_emo.network.composition import composition_for
    from stdp_emo.preparation import Prepared

    cfg = ExperimentConfig().replace(train={"modality": "crossmodal"},
                                     visual={"source": "au"},
                                     network={"dense_n_neurons": 6, "au_n_neurons": 4})
    shapes = {"audio": (1, 4, 3), "visual": (1, 2, 35)}
    comp = composition_for(cfg, shapes)
    prep = Prepared(None, np.arange(2), np.arange(2, 3), {}, None, comp, 0.0, "crossmodal",
                    {}, None, cfg)
    assert fv.variant_prepared(prep, cfg, shapes) is prep       # as trained: nothing rebuilt
    var = fv.variant_config(cfg, "network.cross_gain=25.0")
    got = fv.variant_prepared(prep, var, shapes)
    gains = {p.name: p.gain for p in got.composition.projections}
    before = {p.name: p.gain for p in comp.projections}
    changed = [k for k in gains if gains[k] != before[k]]
    assert changed and all(gains[k] == 25.0 for k in changed)
    assert all(gains[k] == 1.0 for k in gains if k not in changed)
    assert [p.n_synapses for p in got.composition.projections] == \
        [p.n_synapses for p in comp.projections]


def test_layer_summary_names_every_voting_layer():
    r = {"per_layer": {"audio": {"spikes_per_sample": 40.0, "active_neurons": 5.25},
                       "visual": {"spikes_per_sample": 30.0, "active_neurons": 3.0}}}
    assert fv.layer_summary(r) == ("  [audio 40.0 spikes, 5.2 active; "
                                   "visual 30.0 spikes, 3.0 active]")
    assert fv.layer_summary({"accuracy": 0.5}) == ""


def test_variant_config_changes_several_values_joined_by_semicolons():
    cfg = ExperimentConfig()
    got = fv.variant_config(cfg, "network.cross_gain=20.0; network.w_inh_exc=34.0")
    assert (got.network.cross_gain, got.network.w_inh_exc) == (20.0, 34.0)
    assert got.encoding == cfg.encoding
    with pytest.raises(ConfigError, match="'network.n_features' cannot be changed"):
        fv.variant_config(cfg, "network.cross_gain=20.0;network.n_features=2")
