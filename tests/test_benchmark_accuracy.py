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


def _fake_baseline_inputs(monkeypatch, seen):
    """Two speakers whose features differ by a constant; the SVMs only record their inputs."""
    import types

    import numpy as np

    from stdp_emo import baselines as bl
    from stdp_emo import evaluation
    from stdp_emo.features import audio

    rng = np.random.default_rng(0)
    actors = np.repeat(["01", "02"], 6)
    offset = np.where(actors == "01", 0.0, 50.0)
    frames = rng.normal(size=(12, 3, 5)) + offset[:, None, None]
    vectors = rng.normal(size=(12, 4)) + offset[:, None]
    n_valid = np.full(12, 5)
    monkeypatch.setattr(audio, "extract_dataset", lambda ds, cfg, progress=False: (frames, n_valid, None))
    monkeypatch.setattr(bl, "egemaps", lambda ds: (vectors, None))

    def svm_frames(xtr, ytr, xte, yte, ntr, nte, seed, classes):
        seen["frames"] = np.concatenate([xtr, xte])
        return {"accuracy": 0.5, "uar": 0.5}

    def svm_vectors(xtr, ytr, xte, yte, seed, classes):
        seen["vectors"] = np.concatenate([xtr, xte])
        return {"accuracy": 0.5, "uar": 0.5}

    monkeypatch.setattr(bl, "svm_baseline", svm_frames)
    monkeypatch.setattr(evaluation, "svm_on_vectors", svm_vectors)
    ds = types.SimpleNamespace(labels=np.arange(12) % 2, classes=["a", "b"], actors=actors)
    prep = types.SimpleNamespace(dataset=ds, train_idx=np.arange(8), test_idx=np.arange(8, 12))
    return prep, actors


def test_baselines_follow_the_per_speaker_protocol(monkeypatch):
    import numpy as np

    from stdp_emo import config as C

    for normalisation in ("none", "speaker"):
        seen = {}
        prep, actors = _fake_baseline_inputs(monkeypatch, seen)
        cfg = C.ExperimentConfig().replace(audio={"normalisation": normalisation})
        out = accuracy.baselines(cfg, prep, 0, egemaps=True)
        assert set(out) == {"svm_mfcc_stats", "svm_egemaps"}
        # speaker 02's features sit 50 above speaker 01's unless they are normalised per speaker
        gap_frames = seen["frames"][actors == "02"].mean() - seen["frames"][actors == "01"].mean()
        gap_vectors = seen["vectors"][actors == "02"].mean() - seen["vectors"][actors == "01"].mean()
        if normalisation == "speaker":
            assert abs(gap_frames) < 1e-6 and abs(gap_vectors) < 1e-6
            assert np.allclose(seen["vectors"][actors == "01"].std(axis=0), 1.0)
        else:
            assert gap_frames > 40 and gap_vectors > 40
