"""benchmarks/_common.py: result files carry the run's peak memory."""
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import _common  # noqa: E402


def test_peak_memory_counts_a_finished_child_that_touched_120_mib():
    code = "import numpy as np; a = np.ones(120 * 2**20 // 8); print(a.sum())"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    peak = _common.peak_memory_mib()
    assert peak["largest_child"] >= 110
    assert peak["self"] > 0


def test_written_result_records_peak_memory(tmp_path):
    dest = _common.write_result({"benchmark": "x"}, "unused.json", tmp_path / "r.json")
    data = json.loads(dest.read_text())
    assert data["benchmark"] == "x"
    # a high-water mark: positive, and never above the mark read after writing
    assert 0 < data["peak_memory_mib"]["self"] <= _common.peak_memory_mib()["self"]
