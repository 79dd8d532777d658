"""Tables of numbers behind the comparison figures and reports (stdp_emo.summaries, no drawing)."""
import subprocess
import sys

import numpy as np
import pytest

from stdp_emo import summaries


def _compare():
    from compare_data import make_compare

    return make_compare()


def test_summaries_import_no_matplotlib():
    code = ("import sys, stdp_emo.summaries; "
            "sys.exit(1 if any(m.split('.')[0] in ('matplotlib', 'brian2') for m in sys.modules)"
            " else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_compare_table_prefers_summary_and_falls_back_to_runs():
    d = _compare()
    t = summaries.compare_table(d["runs"], d["summary"], "accuracy")
    assert len(t) == 7 and list(t)[:2] == [("audio", "mfcc"), ("audio", "mel")]
    s = next(s for s in d["summary"] if (s["mode"], s["features"]) == ("crossmodal", "mel"))
    assert t[("crossmodal", "mel")]["mean"] == s["accuracy_mean"]
    assert t[("crossmodal", "mel")]["std"] == s["accuracy_std"]
    assert len(t[("crossmodal", "mel")]["seeds"]) == 3
    # without a summary: mean and sample std (ddof 1) over the seeds
    t2 = summaries.compare_table(d["runs"], None, "uar")
    vals = [r["uar"] for r in d["runs"] if (r["mode"], r["features"]) == ("visual", "dvs")]
    assert np.isclose(t2[("visual", "dvs")]["mean"], np.mean(vals))
    assert np.isclose(t2[("visual", "dvs")]["std"], np.std(vals, ddof=1))
    pol = summaries.compare_table(d["runs"], d["summary"], "polarity")
    assert len(pol) == 7
    assert summaries.compare_table([{"mode": "a", "features": "f", "accuracy": 0.5}], None,
                                   "polarity") == {}
    with pytest.raises(ValueError):
        summaries.compare_table(d["runs"], None, "f1")


def test_robustness_table_slots_mild_to_severe_and_means_over_seeds():
    d = _compare()
    tab = summaries.robustness_table(d["robustness"], modes=["crossmodal", "audio"])
    assert tab["series"] == [("crossmodal", "mfcc"), ("audio", "mfcc"), ("early_fusion", "mfcc")]
    assert tab["slots"] == [("clean", None), ("vision_missing", None),
                            ("vision_incongruent", None), ("vision_noise", 0.5),
                            ("vision_noise", 2.0), ("audio_noise", 20.0), ("audio_noise", 5.0)]
    v = tab["values"][(("audio", "mfcc"), ("clean", None))]
    assert v["n"] == 3 and np.isclose(v["mean"], 0.46) and np.isclose(v["std"], 0.01)
    np.testing.assert_allclose(v["seeds"], [0.45, 0.46, 0.47])
    # rows without accuracy are left out; a given condition order comes first
    rows = d["robustness"] + [{"mode": "visual", "features": "dvs", "seed": 0,
                               "condition": "clean", "level": None, "accuracy": None}]
    tab2 = summaries.robustness_table(rows, conditions=["audio_noise"])
    assert ("visual", "dvs") not in tab2["series"]
    assert tab2["slots"][:2] == [("audio_noise", 20.0), ("audio_noise", 5.0)]


def test_condition_and_level_labels():
    assert summaries.level_label("vision_noise", 0.5) == "0.5 ev/px/s"
    assert summaries.level_label("audio_noise", 10) == "10 dB SNR"
    assert summaries.level_label("clean", None) == "-"
    assert summaries.level_label("other", 3) == "3"
    assert summaries.condition_label("vision_missing") == "vision\nmissing"
    assert summaries.condition_label("vision_missing", wrap=False) == "vision missing"
    assert summaries.condition_label("audio_noise", 5.0) == "audio noise\n5 dB SNR"
    assert summaries.condition_label("audio_noise", 5.0, wrap=False) == "audio noise, 5 dB SNR"
    assert summaries.condition_label("some_new_thing", wrap=False) == "some new thing"


def test_ordered_and_mode_key():
    assert summaries.ordered(["b", "a", "b", "c"], None) == ["b", "a", "c"]
    assert summaries.ordered(["b", "a", "c"], ["c", "x", "a"]) == ["c", "a", "b"]
    assert summaries.mode_key("Cross-Modal") == "crossmodal"
    assert summaries.mode_key("early fusion") == summaries.mode_key("fusion") == "early_fusion"
    assert summaries.mode_key("late_fusion") == "late_fusion"
