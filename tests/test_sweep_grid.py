"""Sweep grid files (stdp_emo.sweep.grid): points, [base] tables, one-line errors."""
import pytest

from stdp_emo import config as C
from stdp_emo import sweep
from stdp_emo.errors import ConfigError

GRID = """
[grid]
"network.window" = [5, 10, 20]
"network.n_features" = [20, 60]
"train.seed" = [0, 1]

[base.train]
epochs = 2
"""


# ------------------------------------------------------------------ grid parsing
def test_grid_points_are_the_product_with_stable_ids():
    g = sweep.parse_grid(GRID, "g.toml", dataset="synthetic")
    assert g.keys == ["network.window", "network.n_features", "train.seed"]
    pts = g.points()
    assert len(pts) == 12 and len({p.id for p in pts}) == 12
    p = pts[-1]
    assert p.values == {"network.window": 20, "network.n_features": 60, "train.seed": 1}
    assert (p.config.network.window, p.config.network.n_features, p.config.train.seed) == (20, 60, 1)
    assert p.config.train.epochs == 2                      # [base]
    assert p.id == p.config.digest()
    again = sweep.parse_grid(GRID, "g.toml", dataset="synthetic").points()
    assert [q.id for q in again] == [q.id for q in pts]


def test_grid_base_config_and_nested_tables():
    base = C.ExperimentConfig().replace(network={"stride": 7}, data={"dataset": "ravdess"})
    g = sweep.parse_grid('[grid.network]\nwindow = [3, 4]\n[base.audio]\nkind = "mel"\n',
                         "g.toml", base=base, dataset="synthetic")
    assert g.keys == ["network.window"]
    cfgs = [p.config for p in g.points()]
    assert [c.network.window for c in cfgs] == [3, 4]
    assert all(c.network.stride == 7 and c.audio.kind == "mel" for c in cfgs)
    assert all(c.data.dataset == "synthetic" for c in cfgs)   # DATASET wins over the config


@pytest.mark.parametrize("text, needle", [
    ('[grid]\n"nosuch.window" = [1]\n', "'nosuch.window': unknown section 'nosuch'"),
    ('[grid]\n"network.nope" = [1]\n', "'network.nope': unknown field 'nope' of [network]"),
    ('[grid]\n"window" = [1]\n', "'window': keys are \"section.field\""),
    ('[grid]\n"network.window" = ["a"]\n', "'network.window' = 'a': [network].window: expected an integer"),
    ('[grid]\n"network.window" = [5, 0]\n', "'network.window' = 0: [network].window: must be > 0"),
    ('[grid]\n"train.modality" = ["smell"]\n', "'train.modality' = 'smell'"),
    ('[grid]\n"network.window" = 5\n', "'network.window': expected a list of values"),
    ('[grid]\n"network.window" = []\n', "'network.window': empty list"),
    ('[grid]\n"network.window" = [5, 5]\n', "repeated values"),
    ('[grid]\n"data.dataset" = ["ravdess"]\n', "'data.dataset': cannot be swept"),
    ('[grid]\n', "no [grid] table"),
    ('[grid]\n"network.window" = [5]\n[other]\nx = 1\n', "unknown table [other]"),
    ('[grid]\n"network.window" = [5]\n[base.network]\nnope = 1\n', "[base]: [network]: unknown key 'nope'"),
    ('[grid]\n"network.window" = [5]\n[base.nope]\nx = 1\n', "[base]: unknown section [nope]"),
    ('[grid\n', "not valid TOML"),
    ('[grid]\n"audio.fmax_hz" = [7000.0, 9000.0]\n"audio.sample_rate_hz" = [16000]\n',
     "fmax_hz: 9000.0 exceeds the Nyquist"),
])
def test_bad_grids_are_one_line_errors_naming_file_and_key(text, needle):
    with pytest.raises(ConfigError) as e:
        sweep.parse_grid(text, "grids/g.toml").points()
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("grids/g.toml: ")
    assert needle in msg


def test_modality_values_come_from_the_config_not_a_list_of_our_own():
    import typing

    for m in typing.get_args(typing.get_type_hints(C.TrainConfig)["modality"]):
        (point,) = sweep.parse_grid(f'[grid]\n"train.modality" = ["{m}"]\n').points()
        assert point.values == {"train.modality": m} and point.config.train.modality == m


def test_missing_grid_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read grid file"):
        sweep.load_grid(tmp_path / "none.toml")
