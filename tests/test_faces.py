"""Simulated face renderer and the synthetic RAVDESS video set."""
import numpy as np
import pytest
import soundfile as sf

from stdp_emo import EMOTIONS_RAVDESS
from stdp_emo.datasets import faces
from stdp_emo.datasets.faces import (AUS, au_vector, make_actor, render_expression, render_face_video,
                                     speech_openness, synth_faces)

SIZE = (160, 160)
ACTOR = 3


def _regions(actor: int, size=SIZE):
    """Row/column slices of the brow and mouth regions of an actor's face at rest."""
    A = make_actor(actor)
    a = A.face_w * min(size)
    b = a * A.aspect
    cx, cy = size[0] * (0.5 + A.offset[0]), size[1] * (0.5 + A.offset[1])
    cols = slice(int(cx - 0.8 * a), int(cx + 0.8 * a))
    eye_y = cy + A.eye_v * b
    brow = (slice(int(eye_y - 0.6 * a), int(eye_y - 0.1 * a)), cols)
    mouth = (slice(int(cy + A.mouth_v * b - 0.3 * a), int(cy + A.mouth_v * b + 0.35 * a)), cols)
    return brow, mouth


def _expr(emotion: int, intensity: int = 2, actor: int = ACTOR) -> np.ndarray:
    return render_expression(actor, dict(zip(AUS, au_vector(emotion, intensity))), size=SIZE).astype(float)


def _diff(x, y, region):
    return np.abs(x[region] - y[region]).mean()


def test_renderer_is_deterministic():
    args = dict(emotion=4, intensity=2, actor=7, duration_s=0.5, seed=11)
    a, b = render_face_video(**args), render_face_video(**args)
    assert a.shape == (15, 160, 160) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert np.any(render_face_video(**{**args, "seed": 12}) != a)
    assert np.any(render_face_video(**{**args, "trial": 1}) != a)


def test_emotions_deform_mouth_and_brows():
    brow, mouth = _regions(ACTOR)
    neutral = _expr(0, 1)
    happy, surprised, sad, angry = _expr(2), _expr(7), _expr(3), _expr(4)
    assert _diff(happy, neutral, mouth) > 3 * max(_diff(happy, neutral, brow), 0.3)   # AU12: mouth
    assert _diff(surprised, neutral, brow) > 4.0                                      # AU1+2: brows
    assert _diff(angry, neutral, brow) > 4.0                                          # AU4: brows
    assert _diff(sad, happy, mouth) > 4.0                                             # AU15 vs AU12
    # every emotion looks different from every other (calm is neutral with relaxed lids and mouth)
    imgs = [_expr(e, 1 if e == 0 else 2) for e in range(len(EMOTIONS_RAVDESS))]
    for i in range(len(imgs)):
        for j in range(i):
            least = 0.05 if {i, j} == {0, 1} else 0.3
            assert np.abs(imgs[i] - imgs[j]).mean() > least, (EMOTIONS_RAVDESS[i], EMOTIONS_RAVDESS[j])


def test_strong_intensity_deforms_more():
    neutral = _expr(0, 1)
    for emotion in range(2, len(EMOTIONS_RAVDESS)):
        normal = np.abs(_expr(emotion, 1) - neutral).sum()
        strong = np.abs(_expr(emotion, 2) - neutral).sum()
        assert strong > 1.2 * normal, EMOTIONS_RAVDESS[emotion]


def test_loud_audio_opens_the_mouth():
    sr, dur = 16000, 1.0
    rng = np.random.default_rng(0)
    loud = (0.3 * rng.standard_normal(int(sr * dur))).astype(np.float32)
    quiet = loud * 1e-4
    _, mouth = _regions(ACTOR)
    a = render_face_video(0, 1, ACTOR, loud, sr, dur, seed=1).astype(float)
    b = render_face_video(0, 1, ACTOR, quiet, sr, dur, seed=1).astype(float)
    # same head motion, blinks and noise: only the mouth differs, and it shows the dark inside
    region = (slice(None),) + mouth
    assert _diff(a, b, region) > 5.0
    assert np.all(a[:, : mouth[0].start - 10] == b[:, : mouth[0].start - 10])     # jaw and chin only
    assert (a[region] < 40).sum() > 5 * max((b[region] < 40).sum(), 10)
    open_ = speech_openness(loud, sr, 30, 30.0)
    assert np.all(open_ > 0.5) and np.all(speech_openness(quiet, sr, 30, 30.0) < 0.1)
    assert speech_openness(None, sr, 5, 30.0).shape == (5,)


def test_actors_differ_and_follow_sex():
    assert make_actor(1).male and not make_actor(2).male
    assert make_actor(1) == make_actor(1) and make_actor(1) != make_actor(3)
    assert np.abs(render_expression(1).astype(float) - render_expression(3)).mean() > 5


def test_bad_arguments():
    with pytest.raises(ValueError):
        render_face_video(8, 1, 1, duration_s=1.0)
    with pytest.raises(ValueError):
        render_face_video(2, 3, 1, duration_s=1.0)
    with pytest.raises(ValueError):
        render_face_video(2, 1, 1)                  # neither audio nor duration


def test_haar_detects_rendered_faces():
    from stdp_emo.features.video import FaceCropper

    cropper = FaceCropper()
    found = total = 0
    for actor in (2, 9):
        for emotion in range(len(EMOTIONS_RAVDESS)):
            frames = render_face_video(emotion, 2 if emotion else 1, actor, duration_s=1.0, seed=4)
            for f in frames[5::10]:
                found += cropper.detect(f) is not None
                total += 1
    assert found >= 0.9 * total


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
