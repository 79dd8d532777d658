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
