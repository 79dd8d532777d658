import pytest

from stdp_emo import config as C
from stdp_emo.errors import ConfigError
from stdp_emo.network import parameters as P


def test_defaults_come_from_parameters_module():
    cfg = C.ExperimentConfig()
    assert cfg.encoding.max_rate_hz == P.MAX_RATE.value == 63.75
    assert cfg.network.theta_plus_mv == P.THETA_PLUS.value
    assert cfg.network.n_features == 60 and cfg.network.window == 10
    assert cfg.audio.n_frames == 388 and cfg.audio.n_mfcc == 40 and cfg.audio.fmax_hz == 8000


def test_toml_round_trip(tmp_path):
    cfg = C.ExperimentConfig().replace(audio={"kind": "mel"}, train={"epochs": 3})
    path = tmp_path / "c.toml"
    path.write_text(C.to_toml(cfg))
    assert C.load(path) == cfg


def test_partial_file_keeps_defaults(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[network]\nn_features = 12\n')
    cfg = C.load(path)
    assert cfg.network.n_features == 12 and cfg.network.window == 10


@pytest.mark.parametrize("text, needle", [
    ('[network]\nn_feature = 12\n', "unknown key 'n_feature'"),
    ('[netwrk]\nn_features = 12\n', "unknown section [netwrk]"),
    ('[network]\nn_features = "12"\n', "network].n_features: expected an integer"),
    ('[network]\nn_features = 1.5\n', "expected an integer"),
    ('[audio]\nkind = "mffc"\n', "is not one of"),
    ('[train]\nepochs = 0\n', "train].epochs: must be > 0"),
    ('[data]\ntest_fraction = 1.5\n', "test_fraction"),
    ('[audio]\nfmax_hz = 9000.0\n', "Nyquist"),
    ('[network\n', "not valid TOML"),
    ('[encoding]\nmax_rate_hz = nan\n', "encoding].max_rate_hz: must be a finite number"),
    ('[encoding]\nmax_rate_hz = inf\n', "must be a finite number"),
    ('[encoding]\naudio_code = "histogram"\n', "is not one of"),
    ('[encoding]\npopulation_bins = 0\n', "population_bins: must be > 0"),
    ('[encoding]\npopulation_contrast_sd = -1.0\n', "population_contrast_sd: must be >= 0"),
    ('[network]\ndense_n_neurons = -1\n', "dense_n_neurons: must be >= 0"),
    ('[network]\nau_n_neurons = -3\n', "au_n_neurons: must be >= 0"),
    ('[network]\nneurons_per_clip = 0.0\n', "neurons_per_clip: must be > 0"),
    ('[audio]\nkind = "mfcc"\n[encoding]\naudio_code = "temporal"\ntemporal_segments = 10\n',
     "present_ms + rest_ms = 500 ms is not a whole number of 35 ms segments"),
    ('[audio]\nkind = "mfcc"\n[encoding]\naudio_code = "temporal"\ntemporal_segments = 3\n',
     "temporal_segments: present_ms / temporal_segments = 116.667 ms is not a whole number"),
    ('[audio]\nkind = "mfcc"\n[encoding]\naudio_code = "temporal"\ntemporal_segments = 7\n'
     'temporal_taps = 8\n', "temporal_taps: must be <= temporal_segments (7)"),
    ('[encoding]\ntemporal_taps = 0\n', "temporal_taps: must be > 0"),
    ('[encoding]\nfrozen_present_ms = -350.0\n', "encoding].frozen_present_ms: must be >= 0"),
    ('[audio]\nkind = "mfcc"\n[encoding]\naudio_code = "temporal"\ntemporal_segments = 7\n'
     'frozen_present_ms = 700.0\n', "(frozen phases: present_ms = frozen_present_ms).temporal_"
     "segments: present_ms + rest_ms = 850 ms is not a whole number of 100 ms segments"),
    ('[encoding]\naudio_code = "temporal"\n', "audio_code = 'temporal' needs a frame-level"),
    ('[train]\nvote = "majority"\n', "is not one of"),
    ('[audio]\nnormalisation = "utterance"\n', "is not one of"),
    ('[network]\neta = -0.5\n', "network].eta: must be >= 0, got -0.5"),
    ('[network]\nnu_post = -0.01\n', "network].nu_post: must be >= 0"),
    ('[network]\nw_init = "zeros"\n', "is not one of"),
    ('[network]\ncross_p_connect = 0.5\n', "network].cross_p_connect: replaced by cross_fan_in"),
    ('[network]\ncross_fan_in = 0\n', "network].cross_fan_in: must be > 0"),
    ('[network]\nfusion_visual_fan_in = 0\n', "network].fusion_visual_fan_in: must be > 0"),
    ('[network]\nvisual_lead_ms = -1.0\n', "network].visual_lead_ms: must be >= 0"),
    ('[visual]\ndvs_metod = "v2e"\n', "unknown key 'dvs_metod'"),
    ('[visual]\ndvs_method = "v2f"\n', "visual].dvs_method: 'v2f' is not one of"),
    ('[visual]\npos_threshold = -0.2\n', "[visual]: thresholds must be > 0 and threshold_sigma >= 0"),
    ('[visual]\nleak_rate_hz = -1.0\n', "[visual]: refractory_us, leak_rate_hz and shot_noise_rate_hz must be >= 0"),
    ('[visual]\nsensitivity = 1.5\n', "[visual]: sensitivity must be in (0, 1)"),
    ('[visual]\nupsample_factor = 0\n', "visual].upsample_factor: must be > 0"),
])
def test_bad_config_names_file_and_key(tmp_path, text, needle):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        C.load(path)
    msg = str(e.value)
    assert needle in msg and str(path) in msg and "\n" not in msg


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config"):
        C.load(tmp_path / "nope.toml")


def test_sized_for_training_resolves_neurons_per_clip():
    cfg = C.ExperimentConfig()
    assert cfg.network.dense_n_neurons == 0 and cfg.network.neurons_per_clip == 1.0
    assert cfg.sized_for_training(960).network.dense_n_neurons == 960     # one per clip
    assert cfg.sized_for_training(37).network.dense_n_neurons == 37
    fixed = cfg.replace(network={"dense_n_neurons": 16})
    assert fixed.sized_for_training(960) is fixed                        # a fixed size stays
    quarter = cfg.replace(network={"neurons_per_clip": 0.25})
    assert quarter.sized_for_training(40).network.dense_n_neurons == 10
    assert quarter.sized_for_training(1).network.dense_n_neurons == 1    # never an empty layer
    # every layer sized 0 follows the rule; fixed ones stay
    multi = cfg.replace(network={"au_n_neurons": 0, "fusion_n_neurons": 7}).sized_for_training(40)
    assert (multi.network.dense_n_neurons, multi.network.au_n_neurons,
            multi.network.fusion_n_neurons) == (40, 40, 7)
    # only the size changes, and the resolved config is fixed from then on
    sized = cfg.sized_for_training(37)
    assert sized.replace(network={"dense_n_neurons": 0}) == cfg
    assert sized.sized_for_training(960) is sized


def test_config_is_frozen_and_digest_changes():
    cfg = C.ExperimentConfig()
    with pytest.raises(Exception):
        cfg.network.eta = 1.0
    assert cfg.digest("audio") != cfg.replace(audio={"kind": "mel"}).digest("audio")
    assert cfg.digest("audio") == cfg.replace(network={"eta": 0.5}).digest("audio")


def test_paper_config_is_the_papers_design():
    from pathlib import Path

    cfg = C.load(Path(__file__).resolve().parents[1] / "configs" / "paper.toml")
    assert cfg.encoding.audio_code == "image" and cfg.train.vote == "mean"
    assert (cfg.network.window, cfg.network.stride, cfg.network.n_features) == (10, 10, 60)
    assert cfg.network.stdp_rule == "paper" and cfg.train.epochs == 1
    assert cfg.audio.kind == "mfcc" and cfg.network.fusion_n_neurons == 400
    assert cfg.network.fusion_visual_fan_in >= 2 * 100 * 100     # all-to-all from the DVS inputs
    default = C.ExperimentConfig()
    assert default.encoding.audio_code == "population" and default.audio.kind == "egemaps"


def test_mfcc_config_is_the_previous_default():
    from pathlib import Path

    cfg = C.load(Path(__file__).resolve().parents[1] / "configs" / "mfcc.toml")
    assert (cfg.audio.kind, cfg.encoding.audio_code, cfg.encoding.population_bins) == (
        "mfcc", "population", 16)
    assert cfg.network.dense_n_neurons == 400 and cfg.network.w_init == "samples"
    # and the action-unit settings its README figures were measured with
    assert (cfg.encoding.au_contrast_sd, cfg.network.au_n_neurons,
            cfg.network.fusion_n_neurons) == (0.0, 100, 400)


def test_every_shipped_config_loads_and_changes_something():
    from pathlib import Path

    for path in sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.toml")):
        assert C.load(path) != C.ExperimentConfig(), path.name


def test_visual_event_camera_fields_read_from_toml(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[visual]\ndvs_method = "framediff"\nsensitivity = 0.3\ndvs_seed = 4\n')
    cfg = C.load(path)
    assert (cfg.visual.dvs_method, cfg.visual.sensitivity, cfg.visual.dvs_seed) == ("framediff", 0.3, 4)
    assert cfg.visual.pos_threshold == 0.2 and cfg.visual.crop_size == 100


def test_config_imports_no_pipeline_stage():
    """config is shared by every stage, so it imports none of them (only errors, and the
    constants of network/parameters.py for its defaults)."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(C.__file__).read_text())
    local = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and (n.level or (n.module or "").startswith("stdp_emo")):
            local |= {f"{n.module}.{a.name}" if n.module == "network" else n.module for a in n.names}
        elif isinstance(n, ast.Import):
            local |= {a.name for a in n.names if a.name.startswith("stdp_emo")}
    assert local <= {"errors", "network.parameters"}, local
