"""benchmarks/crossmodal.py: per-layer vote summary and the AU-faces folder check."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import crossmodal  # noqa: E402


def test_vote_layer_means_per_mode_over_seeds():
    runs = [{"mode": "crossmodal", "seed": 0, "accuracy_by_vote_layers": {"audio": 0.5, "all": 0.7}},
            {"mode": "crossmodal", "seed": 1, "accuracy_by_vote_layers": {"audio": 0.3, "all": 0.6}},
            {"mode": "audio", "seed": 0, "accuracy_by_vote_layers": None}]
    got = crossmodal.vote_layer_means(runs)
    assert set(got) == {"crossmodal"}
    assert got["crossmodal"]["audio"] == {"mean": pytest.approx(0.4), "per_seed": {0: 0.5, 1: 0.3}}
    assert got["crossmodal"]["all"]["mean"] == pytest.approx(0.65)


def test_au_faces_source_needs_a_folder_of_faces_rendered_from_action_units(tmp_path, capsys):
    assert crossmodal.main(["--visual-source", "dvs-au-faces", "--root", str(tmp_path)]) == 2
    assert "--au-csv" in capsys.readouterr().err            # says how to make them
    (tmp_path / "Actor_01").mkdir()
    (tmp_path / "Actor_01" / "02-01-01-01-01-01-01.mp4").write_bytes(b"")
    (tmp_path / "README.md").write_text("# RAVDESS: real audio + SIMULATED faces\n")
    assert crossmodal.main(["--visual-source", "dvs-au-faces", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "real action units" in err and err.count("\n") == 1


def test_ordering_checks_cross_modal_against_late_fusion_when_present():
    per = {"crossmodal": {0: 0.70, 1: 0.66}, "early_fusion": {0: 0.60, 1: 0.60},
           "audio": {0: 0.50, 1: 0.50}, "late_fusion": {0: 0.65, 1: 0.65}}
    means = {m: sum(v.values()) / 2 for m, v in per.items()}
    got = crossmodal.ordering(per, means)
    lf = got["crossmodal>late_fusion"]
    assert lf["per_seed_difference"] == {0: pytest.approx(0.05), 1: pytest.approx(0.01)}
    assert lf["holds_in_mean"] and not lf["holds_in_every_seed"]      # seed 1: 1 point < 2
    assert got["crossmodal>early_fusion"]["holds_in_every_seed"]
    del per["late_fusion"], means["late_fusion"]
    assert "crossmodal>late_fusion" not in crossmodal.ordering(per, means)
