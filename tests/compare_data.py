"""A hand-made ``compare.json`` (the layout written by ``stdp_emo.compare``) for plot/report tests."""
import json

import numpy as np

CLASSES = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]
MODES = ["audio", "visual", "early_fusion", "crossmodal"]
SEEDS = [0, 1, 2]
# (mode, features): visual runs once, on DVS events; the others on both audio feature sets
PAIRS = [("audio", "mfcc"), ("audio", "mel"), ("visual", "dvs"), ("early_fusion", "mfcc"),
         ("early_fusion", "mel"), ("crossmodal", "mfcc"), ("crossmodal", "mel")]
# robustness: clean, 2 level-less and 2 x 2 levelled conditions = 7 slots, 3 modes x mfcc
ROBUST_MODES = ["audio", "early_fusion", "crossmodal"]
CONDITIONS = [("clean", None), ("vision_missing", None), ("vision_incongruent", None),
              ("vision_noise", 0.5), ("vision_noise", 2.0), ("audio_noise", 20.0), ("audio_noise", 5.0)]


def make_compare(with_robustness: bool = True, with_energy: bool = True) -> dict:
    rng = np.random.default_rng(0)
    runs = []
    for k, (mode, feat) in enumerate(PAIRS):
        for seed in SEEDS:
            acc = 0.3 + 0.03 * k + 0.01 * seed
            conf = rng.integers(0, 4, (8, 8))
            runs.append({"mode": mode, "features": feat, "seed": seed, "accuracy": acc,
                         "uar": acc - 0.02, "polarity_accuracy": 0.6 + 0.01 * k,
                         "per_class_accuracy": {c: round(float(rng.uniform(0, 1)), 3) for c in CLASSES},
                         "confusion": conf.tolist(), "run_dir": f"runs/x/{mode}_{feat}_{seed}",
                         "model_dir": f"models/{mode}_{feat}_{seed}"})
    summary = []
    for mode, feat in PAIRS:
        acc = [r["accuracy"] for r in runs if (r["mode"], r["features"]) == (mode, feat)]
        uar = [r["uar"] for r in runs if (r["mode"], r["features"]) == (mode, feat)]
        pol = [r["polarity_accuracy"] for r in runs if (r["mode"], r["features"]) == (mode, feat)]
        summary.append({"mode": mode, "features": feat, "n_seeds": len(acc),
                        "accuracy_mean": float(np.mean(acc)), "accuracy_std": float(np.std(acc)),
                        "uar_mean": float(np.mean(uar)), "uar_std": float(np.std(uar)),
                        "polarity_mean": float(np.mean(pol)), "polarity_std": float(np.std(pol))})
    robustness = []
    if with_robustness:
        for mode in ROBUST_MODES:
            for seed in SEEDS:
                for j, (cond, level) in enumerate(CONDITIONS):
                    robustness.append({"mode": mode, "features": "mfcc", "seed": seed,
                                       "condition": cond, "level": level,
                                       "accuracy": 0.45 - 0.03 * j + 0.01 * seed})
    energy = []
    if with_energy:
        for mode, feat in PAIRS:
            energy.append({"mode": mode, "features": feat, "synaptic_ops_per_sample": 1.2e6,
                           "snn_energy_uj": 1.1, "ann_macs": 9e6, "ann_energy_uj": 41.4})
    return {"dataset": "ravdess", "description": "real audio + SIMULATED faces <test>",
            "protocol": {"split": "random", "test_fraction": 0.2, "seeds": SEEDS,
                         "features": ["mfcc", "mel"], "modes": MODES},
            "classes": CLASSES, "runs": runs, "summary": summary, "robustness": robustness,
            "energy": energy}


def write_compare(run_dir, **kw) -> dict:
    run_dir.mkdir(parents=True, exist_ok=True)
    data = make_compare(**kw)
    (run_dir / "compare.json").write_text(json.dumps(data))
    return data
