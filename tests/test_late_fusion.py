"""Late fusion of separately trained networks' votes, on hand-made spike counts."""
import numpy as np
import pytest

from stdp_emo.compare import LATE_FUSION, late_fusion_entry
from stdp_emo.errors import DataError
from stdp_emo.late_fusion import (COUNTS, late_fusion, late_fusion_robustness, read_counts,
                                 write_counts)

CLASSES = ["a", "b", "c", "d"]
Y = np.array([0, 0, 1, 1, 2, 2, 3, 3])
IDS = [f"s{k}" for k in range(8)]


def _one_hot_counts(classes_seen, n=5):
    """Counts (8 samples x 4 neurons): neuron c fires n spikes for class c's samples, if
    c is one of ``classes_seen``; other samples make nothing fire."""
    c = np.zeros((len(Y), 4), dtype=int)
    for k, y in enumerate(Y):
        if y in classes_seen:
            c[k, y] = n
    return c


def _run(tmp_path, name, layer, classes_seen):
    d = tmp_path / name
    d.mkdir()
    c = _one_hot_counts(classes_seen)
    write_counts(d, {layer: c}, {layer: c}, IDS, IDS, Y, Y)
    return d


def test_counts_round_trip(tmp_path):
    d = _run(tmp_path, "r", "audio", {0, 1})
    got = read_counts(d)
    assert got["label_ids"] == IDS and got["test_ids"] == IDS
    assert np.array_equal(got["y_label"], Y)
    assert np.array_equal(got["test"]["audio"], _one_hot_counts({0, 1}))


def test_each_modality_alone_and_together(tmp_path):
    # audio neurons only respond to classes a, b; visual ones only to c, d: a silent sample
    # goes to the fallback class (the training majority; a tie -> the first class, a)
    audio = read_counts(_run(tmp_path, "audio", "audio", {0, 1}))
    visual = read_counts(_run(tmp_path, "visual", "visual", {2, 3}))
    m = late_fusion([audio, visual], CLASSES)
    assert m["accuracy_by_part"] == [0.5, 0.75]      # audio: a, b right; visual: c, d and a
    assert m["accuracy"] == 1.0 and m["uar"] == 1.0
    assert np.trace(np.array(m["confusion"])) == len(Y)


def test_per_layer_late_fusion_gives_each_network_the_same_say():
    # audio: 4 selective neurons (5 spikes for their class); on the test samples of class d its
    # d neuron fires 2 and its a neuron 1.  Vision: 40 neurons that fire 1 for class d while
    # labelling (all assigned to d) and stay silent on every test sample.
    audio_l = _one_hot_counts({0, 1, 2, 3})
    audio_t = audio_l.copy()
    audio_t[Y == 3] = [1, 0, 0, 2]
    vis_l = np.tile((Y == 3).astype(int)[:, None], (1, 40))
    vis_t = np.zeros_like(vis_l)
    mk = lambda layer, lab, tst: {"label": {layer: lab}, "test": {layer: tst}, "y_label": Y,
                                  "y_test": Y, "label_ids": IDS, "test_ids": IDS}
    parts = [mk("audio", audio_l, audio_t), mk("visual", vis_l, vis_t)]
    pooled = late_fusion(parts, CLASSES, "mean")
    per_layer = late_fusion(parts, CLASSES, "mean", "per_layer")
    # alone: audio right everywhere; silent vision -> the fallback class a (2 of 8 right)
    assert pooled["accuracy_by_part"] == per_layer["accuracy_by_part"] == [1.0, 0.25]
    # pooled, class d's mean runs over 41 neurons: 2 / 41 < a's 1, the d samples go to a;
    # per layer, audio's 2 for d beats its 1 for a and vision adds 0 to d
    assert pooled["accuracy"] == 0.75 and np.array(pooled["confusion"])[3, 0] == 2
    assert per_layer["accuracy"] == 1.0


def test_runs_on_other_samples_are_refused(tmp_path):
    audio = read_counts(_run(tmp_path, "audio", "audio", {0, 1}))
    visual = read_counts(_run(tmp_path, "visual", "visual", {2, 3}))
    visual["test_ids"] = IDS[::-1]
    with pytest.raises(DataError, match="test ids differ"):
        late_fusion([audio, visual], CLASSES)
    with pytest.raises(DataError, match="at least two"):
        late_fusion([audio], CLASSES)


def test_missing_or_damaged_counts_name_the_file(tmp_path):
    with pytest.raises(DataError, match=f"{COUNTS}: no spike counts"):
        read_counts(tmp_path)
    (tmp_path / COUNTS).write_bytes(b"not an archive")
    with pytest.raises(DataError, match=f"{COUNTS}: unreadable"):
        read_counts(tmp_path)
    c = np.zeros((3, 2), dtype=int)          # 3 rows for 8 ids
    write_counts(tmp_path, {"audio": c}, {"audio": c}, IDS, IDS, Y, Y)
    with pytest.raises(DataError, match="label counts"):
        read_counts(tmp_path)


def test_compare_row_needs_both_runs_of_the_seed(tmp_path):
    a = _run(tmp_path, "audio", "audio", {0, 1})
    v = _run(tmp_path, "visual", "visual", {2, 3})
    runs = [{"mode": "audio", "features": "egemaps", "seed": 0, "classes": CLASSES,
             "run_dir": str(a)}]
    assert late_fusion_entry(runs, "egemaps", 0, "mean") is None
    runs.append({"mode": "visual", "features": "au", "seed": 1, "classes": CLASSES,
                 "run_dir": str(v)})
    assert late_fusion_entry(runs, "egemaps", 0, "mean") is None     # another seed's vision
    runs[-1]["seed"] = 0
    row = late_fusion_entry(runs, "egemaps", 0, "mean")
    assert row["mode"] == LATE_FUSION and row["accuracy"] == 1.0
    assert row["accuracy_by_vote_layers"] == {"audio": 0.5, "visual": 0.75, "all": 1.0}
    assert row["from_runs"] == [str(a), str(v)]


def test_degraded_inputs_change_only_the_network_that_saw_them(tmp_path):
    audio = read_counts(_run(tmp_path, "audio", "audio", {0, 1}))
    visual = read_counts(_run(tmp_path, "visual", "visual", {2, 3}))
    silent = {"visual": np.zeros((8, 4), dtype=int)}
    swapped = {"audio": audio["test"]["audio"][:, [1, 0, 2, 3]]}     # a and b confused
    acc = late_fusion_robustness(
        [audio, visual], [{("audio_noise", 10.0): swapped}, {("vision_missing", None): silent}],
        CLASSES)
    # no vision: only the audio neurons vote -> a, b right, c, d silent -> fallback a (wrong)
    assert acc[("vision_missing", None)] == 0.5
    # noisy audio, clean vision: a <-> b swapped, c, d still right
    assert acc[("audio_noise", 10.0)] == 0.5
    assert list(acc) == [("audio_noise", 10.0), ("vision_missing", None)]
    # neither degraded: the clean late fusion
    assert late_fusion_robustness([audio, visual], [{}, {("clean", None): visual["test"]}],
                                  CLASSES) == {("clean", None): 1.0}


def test_degraded_counts_of_another_shape_are_refused(tmp_path):
    audio = read_counts(_run(tmp_path, "audio", "audio", {0, 1}))
    visual = read_counts(_run(tmp_path, "visual", "visual", {2, 3}))
    with pytest.raises(DataError, match="vision_missing"):
        late_fusion_robustness([audio, visual],
                               [{}, {("vision_missing", None): {"visual": np.zeros((7, 4))}}],
                               CLASSES)
    with pytest.raises(DataError, match="one dict"):
        late_fusion_robustness([audio, visual], [{}], CLASSES)


def test_late_fusion_robustness_rows_evaluate_only_the_missing_degraded_counts(tmp_path,
                                                                                monkeypatch):
    from stdp_emo import compare as cmp
    from stdp_emo import robustness as rob

    a = _run(tmp_path, "audio", "audio", {0, 1})
    v = _run(tmp_path, "visual", "visual", {2, 3})
    runs = [{"mode": "audio", "features": "egemaps", "seed": 0, "classes": CLASSES,
             "run_dir": str(a), "model_dir": "m/a"},
            {"mode": "visual", "features": "au", "seed": 0, "classes": CLASSES,
             "run_dir": str(v), "model_dir": "m/v"}]
    entry = late_fusion_entry(runs, "egemaps", 0, "mean")
    calls = []

    def fake(model_dir, mode, features, seed, *, conditions, test_counts, **kw):
        calls.append((model_dir, tuple(conditions)))
        test_counts[("vision_missing", None)] = {"visual": np.zeros((8, 4), dtype=int)}
        return []

    monkeypatch.setattr(cmp, "robustness_of_model", fake)
    # the audio run's degraded counts are known (with its clean ones, which are not reused)
    degraded = {str(a): {("clean", None): {"audio": np.zeros((8, 4), dtype=int)},
                         ("audio_noise", 0.0): {"audio": np.zeros((8, 4), dtype=int)}}}
    rows = cmp.late_fusion_robustness_rows(entry, runs, degraded, "mean")
    assert calls == [("m/v", rob.VISION_CONDITIONS)]                 # only the visual run
    got = {(r["condition"], r["level"]): r["accuracy"] for r in rows}
    # audio silent at 0 dB: the visual neurons alone (c, d right, a by fallback)
    assert got == {("clean", None): 1.0, ("audio_noise", 0.0): 0.75,
                   ("vision_missing", None): 0.5}
    assert {r["mode"] for r in rows} == {LATE_FUSION}
