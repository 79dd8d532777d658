"""benchmarks/second_layer_proxy.py: ideal second prototype layers on hand-made spike counts."""
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import second_layer_proxy as slp  # noqa: E402

from stdp_emo.late_fusion import write_counts  # noqa: E402


def _conjunction_counts(reps=3):
    """Class a drives neuron 0, class c neuron 1, class b both: the vote labels each neuron
    with one class, so b's and c's samples cannot both be right; their count vectors are
    distinct directions, so a prototype per direction gets every sample."""
    base = {0: [5, 0], 1: [5, 5], 2: [0, 5]}
    y = np.repeat([0, 1, 2], reps)
    return np.array([base[c] for c in y], dtype=int), y


def _run(tmp_path, counts, y, classes=("a", "b", "c")):
    d = tmp_path / "run"
    d.mkdir()
    ids = [f"s{k}" for k in range(len(y))]
    write_counts(d, {"audio": counts}, {"audio": counts}, ids, ids, y, y)
    (d / "metrics.json").write_text(json.dumps(
        {"unsupervised": {"per_class_accuracy": {k: 0.0 for k in classes}, "confusion": []}}))
    return d


def test_unit_rows_and_winners():
    x = slp.unit_rows(np.array([[3, 4], [0, 0], [0, 2]]))
    assert np.allclose(x, [[0.6, 0.8], [0, 0], [0, 1]])
    r = slp.winner_responses(np.array([[1.0, 0.0], [0.0, 1.0]]), x)
    assert r.tolist() == [[0, 1], [0, 0], [0, 1]]      # the silent sample answers nothing


def test_second_layer_recovers_conjunctions_the_vote_misses():
    c, y = _conjunction_counts()
    acc = slp.proxy_accuracies(c, y, c, y, 3, ks=(3,), kmeans_seeds=(0, 1))
    assert acc["second_layer_imprinted"] == 1.0
    assert acc["second_layer_kmeans_3"] == 1.0 and acc["second_layer_kmeans_3_per_seed"] == [1.0, 1.0]
    assert acc["first_layer_vote"] < 1.0


def test_cli_writes_json_and_rejects_bad_input(tmp_path, capsys):
    c, y = _conjunction_counts()
    d = _run(tmp_path, c, y)
    out = tmp_path / "out.json"
    assert slp.main([str(d), "--k", "3", "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["accuracy"][str(d)]["second_layer_imprinted"] == 1.0
    assert slp.main([str(d), "--layer", "visual"]) == 2
    assert "no layer 'visual'" in capsys.readouterr().err
    assert slp.main([str(d), "--k", "100"]) == 2
    assert "more prototypes" in capsys.readouterr().err
    assert slp.main([str(tmp_path / "none")]) == 2
    assert "no spike counts" in capsys.readouterr().err


def test_unknown_vote_is_a_usage_error(tmp_path, capsys):
    import pytest

    c, y = _conjunction_counts()
    with pytest.raises(SystemExit) as e:
        slp.main([str(_run(tmp_path, c, y)), "--vote", "loudest"])
    assert e.value.code == 2 and "--vote" in capsys.readouterr().err
