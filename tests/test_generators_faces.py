"""The simulated face renderer: determinism, expressions, speech-driven mouth, actors,
faces from measured (OpenFace) action units."""
import hashlib

import numpy as np
import pytest

from stdp_emo import EMOTIONS_RAVDESS
from stdp_emo.generators.face_model import (AUS, OPENFACE_FULL, au_vector, au_vector_openface,
                                            make_actor, speech_openness)
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


def _sha(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


#: the drawing libraries the hashes below were taken with (anti-aliased OpenCV drawing may
#: differ by a grey level between versions)
PINNED_WITH = ("4.14.0", "2.3")


def test_prototype_faces_are_pinned():
    """The prototype path renders the frames it rendered before faces from action units were
    added (hashes of PINNED_WITH's OpenCV / numpy: another OpenCV may draw differently)."""
    import cv2

    if (cv2.__version__, ".".join(np.__version__.split(".")[:2])) != PINNED_WITH:
        pytest.skip(f"frames pinned with OpenCV {PINNED_WITH[0]} / numpy {PINNED_WITH[1]}")
    rng = np.random.default_rng(0)
    audio = (0.2 * rng.standard_normal(6400)).astype(np.float32)
    a = render_face_video(5, 2, 7, audio, 16000, seed=3, trial=112)
    b = render_face_video(2, 1, 4, duration_s=0.3, size=(120, 100), seed=0)
    c = render_expression(3, dict(zip(AUS, au_vector(3, 2))))
    assert a.shape == (12, 160, 160) and b.shape == (9, 100, 120)
    assert _sha(a) == "992c3844045584500a23b5437bd0badf8a09972cc2960243643dbb37f5d7609e"
    assert _sha(b) == "87fb46909eab9acc38fed3c38f2d0fcf80d3bd3b471862598f97d88f5992a9a6"
    assert _sha(c) == "9bdf75a3346081069bd0a76febee31afc3425c4e6459ea6853b43b5da0fd1e6f"


def test_openface_intensities_map_linearly_onto_drawable_units():
    v = au_vector_openface({12: 5.0, 4: OPENFACE_FULL / 2, 1: 0.0, 14: 3.0, 17: 1.0, 45: 2.0})
    assert v.shape == (len(AUS),)
    assert v[AUS.index(12)] == 1.0 and v[AUS.index(4)] == pytest.approx(0.5)
    assert np.count_nonzero(v) == 2                      # AU14, AU17, AU45 are not drawn
    assert not au_vector_openface({}).any()
    for bad in (5.5, -0.1, float("nan")):
        with pytest.raises(ValueError, match="AU12"):
            au_vector_openface({12: bad})


def test_action_units_render_deterministically_with_the_prototype_dynamics():
    rng = np.random.default_rng(1)
    audio = (0.2 * rng.standard_normal(8000)).astype(np.float32)
    units = {1: 1.2, 4: 0.4, 6: 1.5, 12: 2.2, 25: 1.8, 26: 0.9, 45: 0.7}
    args = dict(emotion=2, intensity=2, actor=5, audio=audio, sample_rate=16000, seed=4, trial=3)
    a = render_face_video(**args, action_units=units)
    np.testing.assert_array_equal(a, render_face_video(**args, action_units=dict(units)))
    assert np.any(a != render_face_video(**args, action_units={**units, 4: 2.0}))
    assert np.any(a != render_face_video(**args))                    # not the happy prototype
    # no action at all = the neutral prototype: same envelope, blinks, motion, jaw and noise
    neutral = {**args, "emotion": 0, "intensity": 1}
    np.testing.assert_array_equal(render_face_video(**neutral, action_units={}),
                                  render_face_video(**neutral))


def _mouth_corner_lift(frames: np.ndarray, actor: int, seed: int) -> float:
    """How far (px) the lip line at the mouth corners lies above its centre, mean over frames.

    In the mouth box of the actor's face at rest, the lip line is the darkest pixel of
    every column (darker than lips, folds and skin); its row at the outer columns
    (0.7-0.95 of the half-width, both sides) is compared with the inner ones (+-0.2).
    """
    A = make_actor(actor, seed)
    a = A.face_w * min(SIZE)
    cx, my = SIZE[0] * (0.5 + A.offset[0]), SIZE[1] * (0.5 + A.offset[1]) + A.mouth_v * a * A.aspect
    hw = A.mouth_w * a
    r0 = int(my - 0.17 * a)
    box = frames[:, r0:int(my + 0.17 * a)].astype(float)

    def line_row(u0, u1):
        cols = slice(int(round(cx + u0 * hw)), int(round(cx + u1 * hw)))
        return box[:, :, cols].argmin(axis=1).mean()

    return line_row(-0.2, 0.2) - 0.5 * (line_row(-0.95, -0.7) + line_row(0.7, 0.95))


def test_au12_raises_the_mouth_corners():
    seed = 2
    for actor in (3, 8, 13, 20):
        def apex(au12):
            frames = render_face_video(1, 1, actor, duration_s=1.0, seed=seed, trial=5,
                                       action_units={12: au12, 4: 0.3})
            return frames[13:21]        # 0.43-0.67 s: the envelope is at its apex (0.4-0.7 s)

        still, smile = apex(0.0), apex(5.0)
        lift0, lift5 = _mouth_corner_lift(still, actor, seed), _mouth_corner_lift(smile, actor, seed)
        assert lift5 > lift0 + 1.0, (actor, lift0, lift5)   # 1.3-2.3 px over all 24 actors
        assert abs(lift0) < 1.0, (actor, lift0)             # at rest the lip line is straight
        A = make_actor(actor, seed)       # AU12 leaves the upper face (above the eyes) alone
        eyes = int(SIZE[1] * (0.5 + A.offset[1]) + A.eye_v * A.face_w * min(SIZE) * A.aspect)
        np.testing.assert_array_equal(still[:, :eyes], smile[:, :eyes])
