"""Compare tables from hand-made metrics, robustness conditions, checkpoints (no network)."""
from pathlib import Path

import numpy as np
import pytest

from stdp_emo import compare as cmp
from stdp_emo import robustness as rob
from stdp_emo.config import ExperimentConfig
from stdp_emo.errors import DataError
from stdp_emo.features.dvs import EVENT_DTYPE, add_noise_events


def _run(mode, feat, seed, acc, pol=0.6):
    return {"mode": mode, "features": feat, "seed": seed, "accuracy": acc, "uar": acc - 0.05,
            "polarity_accuracy": pol, "run_dir": f"r/{mode}{seed}",
            "energy": {"synaptic_ops_per_sample": 1e6 * (seed + 1), "snn_energy_uj": 0.9 * (seed + 1),
                       "ann_macs": 1e7, "ann_energy_uj": 46.0}}


def _result(runs, rob_rows=()):
    return {"dataset": "ravdess", "description": "x",
            "protocol": {"split": "random", "test_fraction": 0.2, "split_seed": 0, "seeds": [0, 1],
                         "features": ["mfcc", "mel"],
                         "modes": ["audio", "visual", "early_fusion", "crossmodal"]},
            "runs": runs, "summary": cmp.summarise(runs), "robustness": list(rob_rows),
            "robustness_summary": cmp.summarise_robustness(list(rob_rows)),
            "energy": cmp.energy_rows(runs)}


def test_summary_is_mean_and_sample_sd_over_seeds():
    runs = [_run("audio", "mfcc", 0, 0.40), _run("audio", "mfcc", 1, 0.50),
            _run("crossmodal", "mfcc", 0, 0.60), _run("crossmodal", "mfcc", 1, 0.60)]
    s = {(r["mode"], r["features"]): r for r in cmp.summarise(runs)}
    assert s[("audio", "mfcc")]["n_seeds"] == 2
    assert s[("audio", "mfcc")]["accuracy_mean"] == pytest.approx(0.45)
    assert s[("audio", "mfcc")]["accuracy_std"] == pytest.approx(np.std([0.4, 0.5], ddof=1))
    assert s[("crossmodal", "mfcc")]["accuracy_std"] == 0.0
    assert s[("audio", "mfcc")]["uar_mean"] == pytest.approx(0.40)


def test_markdown_tables_hold_the_expected_cells():
    runs = [_run("audio", "mfcc", 0, 0.40), _run("audio", "mfcc", 1, 0.50),
            _run("crossmodal", "mfcc", 0, 0.60), _run("crossmodal", "mfcc", 1, 0.62),
            _run("visual", "dvs", 0, 0.30), _run("audio", "mel", 0, 0.35)]
    rows = [{"mode": "crossmodal", "features": "mfcc", "seed": s, "condition": "vision_missing",
             "level": None, "accuracy": a} for s, a in ((0, 0.3), (1, 0.5))]
    md = cmp.markdown_tables(_result(runs, rows))
    assert "| MFCC | 45.0 ± 7.1 | 61.0 ± 1.4 |" in md            # paper Table I layout
    assert "| MEL | 35.0 (1 seed) | - |" in md                  # no spread from one seed
    assert "30.0 (1 seed)" in md                                 # visual-only, shown per row
    assert "## Robustness" in md and "40.0 ± 14.1" in md
    assert "## Energy" in md and "## Polarity" in md
    csv_text = cmp.runs_csv(runs)
    assert csv_text.count("\n") == len(runs) + 1 and csv_text.startswith("mode,features,seed")


def test_late_fusion_rows_get_their_own_column():
    runs = [_run("audio", "mfcc", 0, 0.40), _run("visual", "dvs", 0, 0.30),
            _run(cmp.LATE_FUSION, "mfcc", 0, 0.55), _run(cmp.LATE_FUSION, "mfcc", 1, 0.45)]
    md = cmp.markdown_tables(_result(runs))
    header = next(line for line in md.splitlines() if line.startswith("| features | audio-only"))
    assert header.rstrip(" |").endswith("late fusion")
    assert "| MFCC | 40.0 (1 seed) | 30.0 (1 seed) | - | - | 50.0 ± 7.1 |" in md
    assert "late fusion" not in cmp.markdown_tables(_result(runs[:2]))


class _Prep:
    def __init__(self):
        from types import SimpleNamespace
        self.inputs = {"audio": np.full((6, 3), 0.5), "visual": np.arange(24.0).reshape(6, 4) / 24}
        self.test_idx = np.array([3, 4, 5])
        self.dataset = SimpleNamespace(labels=np.array([0, 1, 0, 0, 1, 2]), clips=[None] * 6)


def test_vision_missing_and_incongruent_change_only_test_rows():
    prep = _Prep()
    cfg = ExperimentConfig()
    miss = rob.degraded_inputs(prep, cfg, None, "vision_missing")
    assert np.all(miss["visual"][3:] == 0) and np.array_equal(miss["visual"][:3], prep.inputs["visual"][:3])
    np.testing.assert_array_equal(miss["audio"], prep.inputs["audio"])
    inc = rob.degraded_inputs(prep, cfg, None, "vision_incongruent", seed=1)
    for row, idx in zip(inc["visual"][3:], prep.test_idx):
        src = [k for k in prep.test_idx if np.array_equal(prep.inputs["visual"][k], row)]
        assert len(src) == 1 and prep.dataset.labels[src[0]] != prep.dataset.labels[idx]
    assert rob.degraded_inputs(prep, cfg, None, "clean")["visual"] is not prep.inputs["visual"]


def test_vision_noise_uses_noisy_events(monkeypatch):
    from types import SimpleNamespace

    import stdp_emo.features.visual as visual

    prep = _Prep()
    prep.dataset.clips = [SimpleNamespace(video_path=f"v{k}.mp4") for k in range(6)]
    seen = []

    def fake_clip_input(path, cfg, cache, noise_rate_hz=0.0, noise_seed=0):
        seen.append((path, noise_rate_hz))           # counts: the encoding scales them to [0, 1]
        return np.array([0.0, noise_rate_hz, 2 * noise_rate_hz, 4 * noise_rate_hz]), 0, True, 1.0, None

    monkeypatch.setattr(visual, "clip_input", fake_clip_input)
    cfg = ExperimentConfig().replace(visual={"rate_percentile": 100.0})   # scale: the largest count
    out = rob.degraded_inputs(prep, cfg, None, "vision_noise", level=5.0)
    assert seen == [("v3.mp4", 5.0), ("v4.mp4", 5.0), ("v5.mp4", 5.0)]
    np.testing.assert_array_equal(out["visual"][3:], np.tile([0.0, 0.25, 0.5, 1.0], (3, 1)))
    np.testing.assert_array_equal(out["visual"][:3], prep.inputs["visual"][:3])   # training rows kept


def test_noise_events_have_the_requested_rate_and_stay_sorted():
    ev = np.zeros(3, dtype=EVENT_DTYPE)
    ev["t"] = [10, 500_000, 900_000]
    out = add_noise_events(ev, (20, 10, 2), (0, 1_000_000), 5.0, np.random.default_rng(0))
    expected = 5.0 * 1.0 * 20 * 10 * 2
    assert abs((out.size - 3) - expected) < 5 * np.sqrt(expected)
    assert np.all(np.diff(out["t"]) >= 0) and out["x"].max() < 20 and out["y"].max() < 10
    assert set(np.unique(out["p"])) == {0, 1}


def test_white_noise_snr():
    rng = np.random.default_rng(0)
    x = np.sin(np.linspace(0, 200, 16000))
    y = rob.add_white_noise(x, 10.0, rng)
    snr = 10 * np.log10(np.mean(x ** 2) / np.mean((y - x) ** 2))
    assert snr == pytest.approx(10.0, abs=0.2)


def test_incongruent_partners_differ_in_class():
    labels = np.array([0, 0, 1, 1, 2, 2, 2])
    p = rob.incongruent_partners(labels, seed=3)
    assert np.all(labels[p] != labels)


def test_conditions_follow_the_modalities():
    assert rob.conditions_for("audio", snrs=(10.0,)) == [("clean", None), ("audio_noise", 10.0)]
    conds = {c for c, _ in rob.conditions_for("crossmodal")}
    assert conds == {"clean", "vision_missing", "vision_incongruent", "vision_noise", "audio_noise"}


def test_checkpoint_round_trip_and_refusals(tmp_path):
    from stdp_emo.checkpoints import load_checkpoint, save_checkpoint
    from stdp_emo.simulate import NetworkState

    cfg = ExperimentConfig()
    state = NetworkState({"audio_input_to_audio_exc": np.arange(5.0)}, {"audio": np.ones(2)})
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, cfg, ["a", "b"], 1, [(3, 0), (4, 1)], state, [{"epoch": 1}])
    meta, st = load_checkpoint(path, cfg, ["a", "b"])
    assert meta["epoch"] == 1 and meta["queue"] == [[3, 0], [4, 1]]
    np.testing.assert_array_equal(st.weights["audio_input_to_audio_exc"], np.arange(5.0))
    with pytest.raises(DataError, match="another config"):
        load_checkpoint(path, cfg.replace(network={"n_features": 3}), ["a", "b"])
    with pytest.raises(DataError, match="another dataset or split"):
        load_checkpoint(path, cfg, ["a", "c"])
    path.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="corrupt checkpoint") as e:
        load_checkpoint(path, cfg, ["a", "b"])
    assert "\n" not in str(e.value)
    with pytest.raises(DataError, match="no checkpoint"):
        load_checkpoint(tmp_path / "none.npz", cfg, ["a"])


def test_add_robustness_to_a_finished_compare_run(tmp_path, monkeypatch):
    import json

    from compare_data import write_compare
    from stdp_emo.config import to_toml

    run_dir = tmp_path / "cmp"
    data = write_compare(run_dir, with_robustness=False)
    (run_dir / "config.toml").write_text(to_toml(ExperimentConfig()))
    calls = []

    def fake(model_dir, mode, features, seed, **kw):
        calls.append((model_dir, mode, features, seed))
        return [{"mode": mode, "features": features, "seed": seed, "condition": c,
                 "level": None, "accuracy": 0.5} for c in ("clean", "vision_missing")]

    monkeypatch.setattr(cmp, "robustness_of_model", fake)
    # the record's relative model paths are found from another working folder
    (tmp_path / "models" / "audio_mfcc_0").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    res = cmp.add_robustness(run_dir, seeds=[0])
    # every model of seed 0 (audio, early fusion, cross-modal x mfcc/mel, visual), no other seed
    assert sorted(c[1:] for c in calls) == sorted(
        [(m, f, 0) for m in ("audio", "early_fusion", "crossmodal") for f in ("mfcc", "mel")]
        + [("visual", "dvs", 0)])
    got = {c[1:]: Path(c[0]) for c in calls}
    assert got[("audio", "mfcc", 0)] == (tmp_path / "models" / "audio_mfcc_0").resolve()
    assert got[("crossmodal", "mel", 0)] == Path(next(
        r["model_dir"] for r in data["runs"] if (r["mode"], r["features"], r["seed"])
        == ("crossmodal", "mel", 0)))                       # not on disk: passed on as recorded
    on_disk = json.loads((run_dir / "compare.json").read_text())
    assert len(on_disk["robustness"]) == 14 == len(res["robustness"])
    assert "## Robustness" in (run_dir / "compare.md").read_text()
    assert on_disk["runs"] == data["runs"]
    calls.clear()
    cmp.add_robustness(run_dir, seeds=[0])                  # nothing left to do for seed 0
    assert calls == []


def test_add_robustness_evaluates_late_fusion_after_its_two_runs(tmp_path, monkeypatch):
    from compare_data import write_compare
    from stdp_emo.config import to_toml

    run_dir = tmp_path / "cmp"
    data = write_compare(run_dir, with_robustness=False)
    data["runs"].append({"mode": cmp.LATE_FUSION, "features": "mfcc", "seed": 0,
                         "accuracy": 0.7, "uar": 0.7, "run_dir": "", "model_dir": ""})
    (run_dir / "compare.json").write_text(__import__("json").dumps(data))
    (run_dir / "config.toml").write_text(to_toml(ExperimentConfig()))
    order = []

    def fake_model(model_dir, mode, features, seed, *, test_counts=None, **kw):
        order.append((mode, features))
        if test_counts is not None:
            test_counts[("vision_missing", None)] = {}
        return []

    def fake_rows(entry, runs, degraded, vote, **kw):
        # the audio and visual runs' counts are there (evaluated first), by their run folders
        pair = cmp.late_fusion_pair(runs, entry["features"], entry["seed"])
        order.append(("late_fusion", all(r["run_dir"] in degraded for r in pair)))
        return [{"mode": cmp.LATE_FUSION, "features": "mfcc", "seed": 0, "condition": "clean",
                 "level": None, "accuracy": entry["accuracy"]}]

    monkeypatch.setattr(cmp, "robustness_of_model", fake_model)
    monkeypatch.setattr(cmp, "late_fusion_robustness_rows", fake_rows)
    res = cmp.add_robustness(run_dir, seeds=[0], modes=["audio", "visual", cmp.LATE_FUSION])
    assert order[-1] == ("late_fusion", True)
    assert sorted(order[:-1]) == [("audio", "mel"), ("audio", "mfcc"), ("visual", "dvs")]
    assert [r["mode"] for r in res["robustness"]] == [cmp.LATE_FUSION]
