"""Facial action units: CSV checks, pairing by trial, rates, the AU network, the real file."""
from pathlib import Path

import numpy as np
import pytest

from stdp_emo.datasets import action_units as au
from stdp_emo.encoding import au_rates, au_scale
from stdp_emo.errors import DataError

COLUMNS = ["AU01_r", "AU12_r", "AU01_c", "AU12_c"]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "ravdess_au" / au.DEFAULT_NAME


def _write(path, rows, header=("clip", *COLUMNS)):
    path.write_text("\n".join([",".join(header)] + [",".join(map(str, r)) for r in rows]) + "\n")
    return path


def test_good_file_pairs_by_trial_code_without_modality(tmp_path):
    path = _write(tmp_path / "au.csv", [["01-01-03-01-01-01-01", 0.5, 2.0, 0.1, 1.0],
                                        ["01-01-05-02-02-01-02", 0, 0, 0, 0]])
    table = au.load(path)
    assert table.columns == tuple(COLUMNS)
    # audio clip 03-01-03-01-01-01-01.wav has id 01-03-01-01-01-01 (RAVDESS Clip.id)
    values, ok = table.pair(["01-03-01-01-01-01", "01-04-01-01-01-01", "01-05-02-02-01-02"])
    assert ok.tolist() == [True, False, True]
    np.testing.assert_array_equal(values[0], [0.5, 2.0, 0.1, 1.0])
    np.testing.assert_array_equal(values[1], 0.0)
    # intensities of one clip by AU number, for the face renderer (presence columns left out)
    assert table.intensities("01-03-01-01-01-01") == {1: 0.5, 12: 2.0}
    assert table.intensities("01-04-01-01-01-01") is None


@pytest.mark.parametrize("rows, header, needle", [
    ([["01-01-03-01-01-01-01", 6.0, 0, 0, 0]], None, "row 2: AU01_r = 6.0 is outside [0, 5]"),
    ([["01-01-03-01-01-01-01", 0, 0, 1.5, 0]], None, "row 2: AU01_c = 1.5 is outside [0, 1]"),
    ([["01-01-03-01-01-01-01", "nan", 0, 0, 0]], None, "row 2: AU01_r = nan is outside"),
    ([["01-01-03-01-01-01-01", "x", 0, 0, 0]], None, "row 2: a value of clip"),
    ([["01-01-03-01-01-01-01", 0, 0, 0]], None, "row 2: 4 fields, the header has 5"),
    ([["1-1-3-1-1-1-1", 0, 0, 0, 0]], None, "is not a 7-part code"),
    ([["01-01-03-01-01-01-01", 0, 0, 0, 0], ["02-01-03-01-01-01-01", 0, 0, 0, 0]], None,
     "row 3: trial 01-03-01-01-01-01 appears twice"),
    ([["01-01-03-01-01-01-01", 0, 0, 0, 0]], ("id", *COLUMNS), "header must be 'clip'"),
    ([["01-01-03-01-01-01-01", 0, 0, 0, 0]], ("clip", "AU01", "b", "c", "d"), "header must be"),
    ([], None, "no rows"),
])
def test_malformed_files_are_one_line_naming_file_and_row(tmp_path, rows, header, needle):
    path = _write(tmp_path / "au.csv", rows, header or ("clip", *COLUMNS))
    with pytest.raises(DataError) as e:
        au.load(path)
    assert needle in str(e.value) and str(path) in str(e.value) and "\n" not in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="action-unit file not found"):
        au.load(tmp_path / "none.csv")


def test_rates_in_range_scaled_on_training_values_and_zero_rows_silent():
    train = np.array([[0.0, 1.0, 0.0, 0.5], [4.0, 3.0, 1.0, 0.0], [2.0, 0.0, 0.5, 0.0]])
    scale = au_scale(train, percentile=100.0)
    np.testing.assert_array_equal(scale, [4.0, 3.0, 1.0, 0.5])
    r = au_rates(np.array([[8.0, 1.5, 0.5, 0.25], [0, 0, 0, 0]]), scale, copies=3)
    assert r.shape == (2, 12) and r.min() >= 0 and r.max() <= 1
    np.testing.assert_allclose(r[0, :4], [1.0, 0.5, 0.5, 0.5])        # 8 / 4 clipped to 1
    np.testing.assert_array_equal(r[0, 4:8], r[0, :4])                 # copies: same rates
    assert not r[1].any()                                              # no action: no spikes
    assert np.all(au_scale(np.zeros((3, 2))) == 1.0)                   # a unit never seen


def test_au_modes_compose_a_fully_connected_visual_layer():
    from stdp_emo.config import ExperimentConfig
    from stdp_emo.network.composition import composition_for

    cfg = ExperimentConfig().replace(visual={"source": "au"}, network={"au_n_neurons": 7,
                                                                      "dense_n_neurons": 5})
    shapes = {"audio": (1, 4, 3), "visual": (2, 35, 1)}
    cross = composition_for(cfg.replace(train={"modality": "crossmodal"}), shapes)
    vis = cross.projection("visual_input_to_visual_exc")
    assert vis.n_synapses == 7 * 70 and cross.layer("visual").n_neurons == 7
    assert set(cross.layer("visual").pools) == {0}                      # one inhibition pool
    assert cross.projection("visual_exc_to_audio_exc").n_synapses == 7 * 5
    assert cross.readout == "audio"
    fusion = composition_for(cfg.replace(train={"modality": "early_fusion"},
                                         network={"fusion_from": "layers"}), shapes)
    assert {p.name for p in fusion.projections} >= {"audio_exc_to_fusion_exc",
                                                     "visual_exc_to_fusion_exc"}
    alone = composition_for(cfg.replace(train={"modality": "visual"}), {"visual": (2, 35, 1)})
    assert [layer.name for layer in alone.layers] == ["visual"] and alone.readout == "visual"


@pytest.mark.skipif(not SHARED.is_file(), reason="../shared/data/ravdess_au not present")
def test_the_real_file_covers_every_ravdess_trial_of_actors_01_to_20():
    table = au.load(SHARED)
    assert len(table.trials) == 1200 and len(table.columns) == 35
    assert {t[-2:] for t in table.trials} == {f"{a:02d}" for a in range(1, 21)}


def test_feature_level_early_fusion_sees_both_inputs_and_imprints_one_clip_per_neuron():
    from stdp_emo.config import ExperimentConfig
    from stdp_emo.network.composition import composition_for
    from stdp_emo.network.state import initial_state

    cfg = ExperimentConfig().replace(visual={"source": "au"}, train={"modality": "early_fusion"},
                                     network={"fusion_from": "inputs", "fusion_n_neurons": 6,
                                              "dense_n_neurons": 4})
    comp = composition_for(cfg, {"audio": (1, 4, 3), "visual": (2, 35, 1)})
    assert [layer.name for layer in comp.layers] == ["fusion"] and comp.readout == "fusion"
    assert {p.name: p.n_synapses for p in comp.projections} == {
        "audio_input_to_fusion_exc": 6 * 12, "visual_input_to_fusion_exc": 6 * 70}
    # clip k: audio input k and visual input k on, the rest off
    samples = {"audio": np.eye(8, 12), "visual": np.eye(8, 70)}
    st = initial_state(comp, cfg.network, 0, samples=samples)
    w = {}
    for m, n_in in (("audio", 12), ("visual", 70)):
        p = comp.projection(f"{m}_input_to_fusion_exc")
        w[m] = np.zeros((6, n_in))
        w[m][p.post, p.pre] = st.weights[p.name]
    # every neuron imprinted one clip, the same one for both of its inputs
    assert w["audio"].argmax(1).tolist() == w["visual"].argmax(1).tolist()
    assert len(set(w["audio"].argmax(1))) == 6
