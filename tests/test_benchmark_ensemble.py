"""benchmarks/ensemble.py: the joint vote of finished runs, on hand-made spike counts."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import ensemble  # noqa: E402

from stdp_emo.late_fusion import write_counts  # noqa: E402

CLASSES = ["a", "b", "c", "d"]
Y = np.array([0, 0, 1, 1, 2, 2, 3, 3])
IDS = [f"s{k}" for k in range(8)]


def _run(tmp_path, name, classes_seen, classes=CLASSES, ids=IDS):
    """A run dir whose neuron c fires 5 spikes for class c's samples if c is in
    ``classes_seen`` (other samples: silent), labelling and test samples alike."""
    d = tmp_path / name
    d.mkdir()
    c = np.zeros((len(Y), 4), dtype=int)
    for k, y in enumerate(Y):
        if y in classes_seen:
            c[k, y] = 5
    write_counts(d, {"audio": c}, {"audio": c}, ids, ids, Y, Y)
    (d / "metrics.json").write_text(json.dumps(
        {"unsupervised": {"per_class_accuracy": {k: 0.0 for k in classes}, "confusion": []}}))
    return d


def test_complementary_runs_together_classify_every_sample(tmp_path):
    a, b = _run(tmp_path, "a", {0, 1}), _run(tmp_path, "b", {2, 3})
    out = tmp_path / "out.json"
    assert ensemble.main([f"x={a}", f"y={b}", "--out", str(out)]) == 0
    acc = json.loads(out.read_text())["accuracy"]
    # alone: silent samples go to the fallback class (a): x gets a, b right (+ none of c, d);
    # y gets c, d right and the two class-a samples by fallback
    assert acc["x per_layer"] == 0.5 and acc["y per_layer"] == 0.75
    assert acc["x+y per_layer"] == 1.0 and acc["x+y pooled"] == 1.0
    assert set(acc) == {"x per_layer", "y per_layer", "x+y per_layer", "x+y pooled"}


def test_three_runs_give_every_combination(tmp_path):
    dirs = [_run(tmp_path, n, s) for n, s in (("p", {0}), ("q", {1}), ("r", {2, 3}))]
    from stdp_emo.late_fusion import read_counts

    parts = {n: read_counts(d) for n, d in zip("pqr", dirs)}
    acc = ensemble.combination_accuracies(parts, 4, "proportion")
    assert len(acc) == 3 + 2 * 3 + 2           # singles, pairs and the triple, both votes
    assert acc["p+q+r pooled"] == 1.0


def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys):
    a = _run(tmp_path, "a", {0, 1})
    b = _run(tmp_path, "b", {2, 3}, classes=["w", "x", "y", "z"])
    assert ensemble.main([f"x={a}", f"y={b}"]) == 2
    assert "different classes" in capsys.readouterr().err
    assert ensemble.main([f"x={a}", "nothing"]) == 2
    assert "NAME=RUN_DIR" in capsys.readouterr().err
    assert ensemble.main([f"x={a}", f"x={a}"]) == 2
    assert "twice" in capsys.readouterr().err
    assert ensemble.main([f"x={a}", f"y={tmp_path / 'missing'}"]) == 2
    assert "counts" in capsys.readouterr().err


def test_runs_on_other_samples_are_refused(tmp_path, capsys):
    a = _run(tmp_path, "a", {0, 1})
    b = _run(tmp_path, "b", {2, 3}, ids=[f"t{k}" for k in range(8)])
    assert ensemble.main([f"x={a}", f"y={b}"]) == 2
    assert "not the same split" in capsys.readouterr().err


@pytest.mark.parametrize("vote", ["mean", "normalised", "proportion"])
def test_every_vote_is_accepted(tmp_path, vote):
    a, b = _run(tmp_path, "a", {0, 1}), _run(tmp_path, "b", {2, 3})
    assert ensemble.main([f"x={a}", f"y={b}", "--vote", vote,
                          "--out", str(tmp_path / "o.json")]) == 0
