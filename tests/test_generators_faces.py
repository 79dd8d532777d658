"""The simulated face renderer: determinism, expressions, speech-driven mouth, actors."""
import numpy as np
import pytest

from stdp_emo import EMOTIONS_RAVDESS
from stdp_emo.generators.face_model import AUS, au_vector, make_actor, speech_openness
from stdp_emo.generators.faces import render_expression, render_face_video

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
