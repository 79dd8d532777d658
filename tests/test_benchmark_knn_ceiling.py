"""benchmarks/knn_ceiling.py: bad input is one line and exit 2 (the real run needs ../shared)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import knn_ceiling  # noqa: E402


def test_missing_root_and_bad_overrides(tmp_path, capsys):
    assert knn_ceiling.main(["--root", str(tmp_path / "none")]) == 2
    assert "RAVDESS folder not found" in capsys.readouterr().err
    assert knn_ceiling.main(["--root", str(tmp_path), "--set", "encoding.nope=1"]) == 2
    assert "nope" in capsys.readouterr().err
    assert knn_ceiling.main(["--root", str(tmp_path), "--k", "0"]) == 2
    assert "--k 0" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[encoding]\nno_such_key = 1\n")
    assert knn_ceiling.main(["--root", str(tmp_path), "--config", str(bad)]) == 2
    assert "no_such_key" in capsys.readouterr().err


@pytest.mark.slow
def test_real_audio_default_code(isolated):
    from conftest import SHARED_RAVDESS

    if not SHARED_RAVDESS.is_dir():
        pytest.skip("../shared/data/ravdess not present")
    out = isolated / "k.json"
    assert knn_ceiling.main(["--root", str(SHARED_RAVDESS), "--k", "1", "--seeds", "0",
                             "--out", str(out)]) == 0
    import json

    acc = json.loads(out.read_text())["accuracy"]
    assert set(acc) == {"random", "speaker"}
    assert 0.125 < acc["random"]["k1_mean"] <= 1.0      # above chance on real speech
