"""benchmarks/speed.py: the issue-13 speed targets are judged per timed case."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import speed  # noqa: E402


def test_multimodal_targets_judge_each_timed_case_against_its_own_limit():
    summary = {"early_fusion_au": {"learn_s_per_sample": 0.25},     # on the limit: met
               "crossmodal_au": {"learn_s_per_sample": 0.26},       # over 0.25: not met
               "crossmodal_dvs": {"learn_s_per_sample": 0.39},      # under its own 0.4
               "audio": {"learn_s_per_sample": 9.0}}                # not a multimodal case
    assert speed.multimodal_targets(summary) == {
        "early_fusion_au_learn_s_per_sample<=0.25": True,
        "crossmodal_au_learn_s_per_sample<=0.25": False,
        "crossmodal_dvs_learn_s_per_sample<=0.4": True}


def test_multimodal_targets_skip_cases_that_were_not_timed():
    assert speed.multimodal_targets({"audio_default": {"learn_s_per_sample": 0.1}}) == {}


def test_every_targeted_case_is_a_case_the_benchmark_can_run():
    assert set(speed.TARGET_MULTIMODAL_LEARN_S) <= set(speed.ALL_CASES)
