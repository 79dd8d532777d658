"""Simulated faces for a RAVDESS audio folder (synth_faces), from prototypes or real action units."""
import numpy as np
import pytest
import soundfile as sf

from stdp_emo.datasets import faces
from stdp_emo.datasets.faces import synth_faces
from stdp_emo.errors import DataError


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


def test_synth_faces_lossless_is_recorded_and_not_mixed(tmp_path):
    root, out = tmp_path / "audio", tmp_path / "video"
    _wav(root / "Actor_01" / "03-01-03-02-01-01-01.wav", seconds=0.2)
    assert synth_faces(root, out, progress=False, lossless=True) == 1
    assert "H.264 / yuv420p, lossless" in (out / "README.md").read_text()
    assert synth_faces(root, out, progress=False, lossless=True) == 0     # restart is fine
    with pytest.raises(DataError, match="holds lossless videos; lossy ones need another"):
        synth_faces(root, out, progress=False)
    lossy = tmp_path / "lossy"
    synth_faces(root, lossy, progress=False)
    assert "yuv420p\n" in (lossy / "README.md").read_text()
    with pytest.raises(DataError, match="holds lossy videos"):
        synth_faces(root, lossy, progress=False, lossless=True)


def test_synth_faces_rejects_empty_root(tmp_path):
    from stdp_emo.errors import DataError

    (tmp_path / "Actor_01").mkdir()
    with pytest.raises(DataError, match="no RAVDESS audio"):
        synth_faces(tmp_path, tmp_path / "out", progress=False)
    with pytest.raises(DataError, match="not found"):
        synth_faces(tmp_path / "nope", tmp_path / "out", progress=False)


def _au_csv(path, rows):
    cols = ["AU01_r", "AU04_r", "AU12_r", "AU14_r", "AU45_r", "AU12_c", "AU28_c"]
    path.write_text("\n".join([",".join(["clip", *cols])]
                              + [",".join([clip] + [str(units.get(c, 0.0)) for c in cols])
                                 for clip, units in rows]) + "\n")
    return path


def test_synth_faces_from_real_action_units(tmp_path, caplog):
    from stdp_emo.datasets import ravdess
    from stdp_emo.datasets.faces import link_audio
    from stdp_emo.datasets.media import read_audio
    from stdp_emo.features.video import read_video
    from stdp_emo.generators.faces import render_face_video

    root, out = tmp_path / "audio", tmp_path / "video"
    _wav(root / "Actor_01" / "03-01-03-02-01-01-01.wav", seconds=0.6)
    _wav(root / "Actor_02" / "03-01-05-01-02-02-02.wav", seconds=0.4, seed=1)
    _wav(root / "Actor_22" / "03-01-04-01-01-01-22.wav", seconds=0.4, seed=2)   # no AU row
    csv = _au_csv(tmp_path / "au.csv", [
        ("01-01-03-02-01-01-01", {"AU12_r": 0.0, "AU04_r": 3.0, "AU01_r": 2.0, "AU14_r": 1.0}),
        ("01-01-05-01-02-02-02", {"AU12_r": 2.5, "AU12_c": 1.0, "AU45_r": 0.5}),
        ("01-01-08-01-01-01-03", {"AU01_r": 1.0}),           # a trial without audio: unused
    ])
    with caplog.at_level("WARNING"):
        assert synth_faces(root, out, seed=5, progress=False, au_csv=csv) == 2
    assert "1 of 3 audio clips have no action-unit row" in caplog.text
    videos = sorted(p.name for p in out.rglob("*.mp4"))
    assert videos == ["02-01-03-02-01-01-01.mp4", "02-01-05-01-02-02-02.mp4"]
    readme = (out / "README.md").read_text()
    assert f"faces rendered from real action units (OpenFace clip means) of `{csv}`" in readme
    assert faces.GENERATOR_AU in readme and faces.GENERATOR not in readme
    assert "SIMULATED" not in readme
    assert "- faces (clips with an action-unit row): 2" in readme
    assert "- clips without an action-unit row (no video): 1 (actor 22)" in readme
    # the video shows its own trial's units (happy actor 01 with AU12 = 0, frowning), not the prototype
    frames, _, _ = read_video(out / "Actor_01" / "02-01-03-02-01-01-01.mp4")
    audio = read_audio(root / "Actor_01" / "03-01-03-02-01-01-01.wav", 16000)
    kw = dict(emotion=2, intensity=2, actor=1, audio=audio, sample_rate=16000, seed=5, trial=111)
    own = render_face_video(**kw, action_units={1: 2.0, 4: 3.0, 12: 0.0, 14: 1.0, 45: 0.0})
    proto = render_face_video(**kw)
    where = np.abs(own.astype(float) - proto) > 20            # pixels the two expressions differ
    assert where.sum() > 500
    err_own = np.abs(frames[where] - own[where].astype(float)).mean()
    err_proto = np.abs(frames[where] - proto[where].astype(float)).mean()
    assert err_own < 0.3 * err_proto, (err_own, err_proto)
    # the RAVDESS loader says what the faces are
    link_audio(root, out)
    described = ravdess.load(out).description
    assert described == "RAVDESS (real audio + faces rendered from real action units)"
    # restart: kept; a prototype run into the same folder is refused
    assert synth_faces(root, out, seed=5, progress=False, au_csv=csv) == 0
    with pytest.raises(DataError, match="faces from prototypes need another --out folder"):
        synth_faces(root, out, seed=5, progress=False)


def test_prototype_faces_are_described_as_simulated(tmp_path):
    from stdp_emo.datasets import ravdess
    from stdp_emo.datasets.faces import link_audio

    root, out = tmp_path / "audio", tmp_path / "video"
    _wav(root / "Actor_01" / "03-01-03-02-01-01-01.wav", seconds=0.2)
    assert synth_faces(root, out, progress=False) == 1
    link_audio(root, out)
    assert ravdess.load(out).description == "RAVDESS (real audio + SIMULATED faces)"
    with pytest.raises(DataError, match="faces from real action units need another --out"):
        synth_faces(root, out, progress=False, au_csv=_au_csv(tmp_path / "au.csv", [
            ("01-01-03-02-01-01-01", {"AU12_r": 1.0})]))


def test_cli_au_csv_flag_and_a_malformed_file(tmp_path, capsys):
    from stdp_emo.cli import main

    root, out = tmp_path / "audio", tmp_path / "video"
    _wav(root / "Actor_01" / "03-01-03-02-01-01-01.wav", seconds=0.2)
    bad = _au_csv(tmp_path / "bad.csv", [("01-01-03-02-01-01-01", {"AU12_r": 7.0})])
    assert main(["synth", "faces", "--audio-root", str(root), "--out", str(out),
                 "--au-csv", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert f"{bad}, row 2: AU12_r = 7.0 is outside [0, 5]" in err
    assert not out.exists() or not list(out.rglob("*.mp4"))
    good = _au_csv(tmp_path / "good.csv", [("01-01-03-02-01-01-01", {"AU12_r": 1.0})])
    assert main(["synth", "faces", "--audio-root", str(root), "--out", str(out),
                 "--au-csv", str(good), "--quiet"]) == 0
    assert "1 face videos written" in capsys.readouterr().out
    assert (out / "Actor_01" / "02-01-03-02-01-01-01.mp4").is_file()
