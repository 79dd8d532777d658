"""Simulated faces for a RAVDESS audio folder (synth_faces)."""
import numpy as np
import pytest
import soundfile as sf

from stdp_emo.datasets import faces
from stdp_emo.datasets.faces import synth_faces


def _wav(path, seconds=0.5, sr=16000, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    sf.write(path, (0.2 * rng.standard_normal(int(sr * seconds))).astype(np.float32), sr)


def test_synth_faces_writes_modality_02_videos(tmp_path):
    from stdp_emo.features.video import read_video

    root, out = tmp_path / "audio", tmp_path / "video"
    _wav(root / "Actor_01" / "03-01-03-02-01-01-01.wav")
    _wav(root / "Actor_02" / "03-01-05-01-02-02-02.wav", seconds=0.4, seed=1)
    (root / "Actor_02" / "notes.txt").write_text("ignored")
    assert synth_faces(root, out, seed=5, progress=False) == 2
    a = out / "Actor_01" / "02-01-03-02-01-01-01.mp4"
    b = out / "Actor_02" / "02-01-05-01-02-02-02.mp4"
    assert a.is_file() and b.is_file()
    frames, ts, fps = read_video(b)
    assert frames.shape == (12, 160, 160) and fps == pytest.approx(30.0)   # 0.4 s at 30 fps
    readme = (out / "README.md").read_text()
    assert "SIMULATED" in readme and faces.GENERATOR in readme and "seed: 5" in readme
    # restartable: existing outputs are kept, a new clip is added
    mtime = a.stat().st_mtime_ns
    _wav(root / "Actor_01" / "03-01-08-02-02-01-01.wav", seed=2)
    assert synth_faces(root, out, seed=5, progress=False) == 1
    assert a.stat().st_mtime_ns == mtime
    assert synth_faces(root, out, seed=5, progress=False) == 0
    assert not list(out.rglob(".*.tmp"))


def test_synth_faces_rejects_empty_root(tmp_path):
    from stdp_emo.errors import DataError

    (tmp_path / "Actor_01").mkdir()
    with pytest.raises(DataError, match="no RAVDESS audio"):
        synth_faces(tmp_path, tmp_path / "out", progress=False)
    with pytest.raises(DataError, match="not found"):
        synth_faces(tmp_path / "nope", tmp_path / "out", progress=False)
