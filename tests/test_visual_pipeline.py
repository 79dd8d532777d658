"""Real-layout audio + rendered faces -> paired dataset -> visual network inputs."""
import numpy as np
import soundfile as sf

from stdp_emo.config import VisualConfig
from stdp_emo.datasets import ravdess
from stdp_emo.datasets.faces import link_audio, synth_faces
from stdp_emo.features.visual import extract_visual_dataset


def _speechlike(seconds=1.2, sr=16000, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    env = np.clip(np.sin(2 * np.pi * 3 * t), 0, None)
    return (0.3 * env * np.sin(2 * np.pi * 180 * t) + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def test_synth_faces_link_audio_pairs_and_encodes(tmp_path):
    audio = tmp_path / "audio" / "Actor_03"
    audio.mkdir(parents=True)
    for k, name in enumerate(["03-01-05-02-01-01-03.wav", "03-01-04-01-02-02-03.wav"]):
        sf.write(audio / name, _speechlike(seed=k), 16000)
    out = tmp_path / "av"
    assert synth_faces(tmp_path / "audio", out, progress=False) == 2
    assert link_audio(tmp_path / "audio", out) == 2
    assert link_audio(tmp_path / "audio", out) == 0          # idempotent
    ds = ravdess.load(out)
    assert len(ds) == 2 and all(c.audio_path and c.video_path for c in ds.clips)
    assert ds.description == "RAVDESS (real audio + SIMULATED faces)"
    assert ds.clips[0].audio_path.is_symlink()             # no audio copied

    cfg = VisualConfig(crop_size=40)
    vis = extract_visual_dataset(ds, cfg, cache_dir=tmp_path / "cache", progress=False, workers=1)
    assert vis.counts.shape == (2, 2 * 40 * 40) and vis.ok.all()
    # every event of the clip is counted at one input
    np.testing.assert_array_equal(vis.counts.sum(1), vis.events_per_clip)
    assert np.all(vis.events_per_clip > 100)
    assert vis.input_shape == (2, 40, 40)
    # the rendered video lasts as long as its audio (1.2 s, to a frame at 30 fps)
    np.testing.assert_allclose(vis.seconds, 1.2, atol=0.05)
    # ON and OFF channels both carry events (the face moves both ways)
    on, off = vis.counts[:, 1600:].sum(1), vis.counts[:, :1600].sum(1)
    assert np.all(on > 0) and np.all(off > 0)
    # cached second pass is identical
    again = extract_visual_dataset(ds, cfg, cache_dir=tmp_path / "cache", progress=False, workers=1)
    np.testing.assert_array_equal(again.counts, vis.counts)


def test_broken_video_is_skipped_and_named(tmp_path):
    clip_dir = tmp_path / "Actor_01"
    clip_dir.mkdir()
    sf.write(clip_dir / "03-01-01-01-01-01-01.wav", _speechlike(), 16000)
    (clip_dir / "02-01-01-01-01-01-01.mp4").write_bytes(b"not a video at all" * 50)
    ds = ravdess.load(tmp_path)
    vis = extract_visual_dataset(ds, VisualConfig(crop_size=40), cache_dir=tmp_path / "c",
                                 progress=False, workers=1)
    assert not vis.ok[0] and vis.summary()["skipped"] == 1
    (err,) = vis.errors.values()
    assert "02-01-01-01-01-01-01.mp4" in err and "\n" not in err


def test_audio_and_video_of_very_different_durations_are_named(tmp_path):
    from stdp_emo.preparation import duration_mismatches

    audio = tmp_path / "audio" / "Actor_03"
    audio.mkdir(parents=True)
    names = ["03-01-05-02-01-01-03.wav", "03-01-04-01-02-02-03.wav", "03-01-03-01-02-02-03.wav"]
    for k, name in enumerate(names):
        sf.write(audio / name, _speechlike(seconds=3.0, seed=k), 16000)
    out = tmp_path / "av"
    synth_faces(tmp_path / "audio", out, progress=False)
    link_audio(tmp_path / "audio", out)
    ds = ravdess.load(out)
    video_s = np.array([3.0, 1.0, 2.8])          # clip 1: a third of its audio's length
    bad = duration_mismatches(ds, video_s)
    assert list(bad) == [1]
    msg = bad[1]
    assert str(ds.clips[1].video_path) in msg and ds.clips[1].audio_path.name in msg
    assert "1.00 s" in msg and "3.00 s" in msg and "\n" not in msg
    assert duration_mismatches(ds, np.array([3.0, np.nan, 3.1])) == {}   # unknown: not compared


def _one_clip_dataset(tmp_path, frames):
    from stdp_emo.generators.video import write_video

    clip_dir = tmp_path / "Actor_01"
    clip_dir.mkdir()
    sf.write(clip_dir / "03-01-05-01-01-01-01.wav", _speechlike(), 16000)
    video = write_video(clip_dir / "02-01-05-01-01-01-01.mp4", frames, fps=30)
    return ravdess.load(tmp_path), video


def test_damaged_video_is_used_counted_and_named_on_every_run(tmp_path):
    from stdp_emo.generators.faces import render_face_video

    frames = render_face_video(5, 2, 1, duration_s=1.2, fps=30, size=(120, 120), seed=1)
    ds, video = _one_clip_dataset(tmp_path, frames)
    data = video.read_bytes()
    video.write_bytes(data[: len(data) * 4 // 5])           # cut off: the first frames decode
    for _ in range(2):                                       # computed, then from the cache
        vis = extract_visual_dataset(ds, VisualConfig(crop_size=40), cache_dir=tmp_path / "c",
                                     progress=False, workers=1)
        assert vis.ok[0] and list(vis.damaged) == [ds.clips[0].id]
        assert "damaged or truncated" in vis.damaged[ds.clips[0].id]
        assert vis.summary()["damaged"] == vis.damaged


def test_one_frame_video_is_refused(tmp_path):
    from stdp_emo.generators.faces import render_face_video

    frames = render_face_video(5, 2, 1, duration_s=1.0, fps=30, size=(120, 120), seed=1)[:1]
    ds, _ = _one_clip_dataset(tmp_path, frames)
    vis = extract_visual_dataset(ds, VisualConfig(crop_size=40), cache_dir=tmp_path / "c",
                                 progress=False, workers=1)
    assert not vis.ok[0]
    (err,) = vis.errors.values()
    assert "only 1 frame" in err and "02-01-05-01-01-01-01.mp4" in err
