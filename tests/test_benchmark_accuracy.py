"""benchmarks/accuracy.py: which configs it offers (no training)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import accuracy  # noqa: E402


def test_every_full_size_audio_config_is_offered_and_nothing_else(tmp_path):
    (tmp_path / "a.toml").write_text("[network]\nw_inh_exc = 25.0\n")
    (tmp_path / "b.toml").write_text('[train]\nmodality = "audio"\n')
    (tmp_path / "cm.toml").write_text('[train]\nmodality = "crossmodal"\n')
    (tmp_path / "small.toml").write_text("[data]\nmax_per_class = 6\n")
    (tmp_path / "ef.toml").write_text("[network]\nfusion_visual_fan_in = 88\n[visual]\ncrop_size = 64\n")
    assert accuracy.audio_configs(tmp_path) == {"default": None, "a": tmp_path / "a.toml",
                                                "b": tmp_path / "b.toml"}


def test_the_repository_configs_include_the_named_designs():
    names = set(accuracy.CONFIGS)
    assert {"default", "paper", "mfcc", "speaker_normalised", "hard_competition"} <= names
    assert not names & {"tiny", "crossmodal_au", "dvs_faces"}
