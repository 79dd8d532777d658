"""compare() end to end on the tiny synthetic network: robustness of every mode and of late fusion."""
from pathlib import Path

import numpy as np
import pytest

from stdp_emo import config as C
from stdp_emo.compare import LATE_FUSION, compare
from stdp_emo.late_fusion import late_fusion, read_counts

from conftest import REPO

pytestmark = pytest.mark.slow


def test_late_fusion_robustness_degrades_only_the_network_that_sees_the_condition(isolated):
    cfg = C.load(REPO / "configs" / "tiny.toml")
    res = compare(cfg, modes=("audio", "visual"), features=("egemaps",), seeds=(0,),
                  robustness=True, progress=False, runs_home=isolated / "runs",
                  noise_rates=(), snrs=(0.0,))        # no event-camera noise: it re-renders
    runs = {r["mode"]: r for r in res["runs"]}
    assert set(runs) == {"audio", "visual", LATE_FUSION}
    rob = {(r["mode"], r["condition"], r["level"]): r["accuracy"] for r in res["robustness"]}
    conds = [("clean", None), ("vision_missing", None), ("vision_incongruent", None),
             ("audio_noise", 0.0)]
    assert {(c, lv) for m, c, lv in rob if m == LATE_FUSION} == set(conds)
    assert {(c, lv) for m, c, lv in rob if m == "visual"} == set(conds[:3])
    assert {(c, lv) for m, c, lv in rob if m == "audio"} == {conds[0], conds[3]}
    for mode in runs:                                   # the clean rows are the runs' figures
        assert rob[(mode, "clean", None)] == pytest.approx(runs[mode]["accuracy"])
    # without vision the visual network is silent: the late-fusion vote is that of the
    # audio network's clean counts beside all-zero visual counts, and the visual-only network
    # answers the fallback class (the training majority) for every clip
    audio, visual = (read_counts(runs[m]["run_dir"]) for m in ("audio", "visual"))
    silent = {**visual, "test": {k: np.zeros_like(v) for k, v in visual["test"].items()}}
    classes = runs["audio"]["classes"]
    assert rob[(LATE_FUSION, "vision_missing", None)] == pytest.approx(
        late_fusion([audio, silent], classes, cfg.train.vote, cfg.train.layer_vote)["accuracy"])
    fallback = np.bincount(visual["y_label"]).argmax()
    assert rob[("visual", "vision_missing", None)] == pytest.approx(
        np.mean(visual["y_test"] == fallback))
    assert "## Robustness" in (Path(res["run_dir"]) / "compare.md").read_text()
