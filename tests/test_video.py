"""Video decoding and face cropping on rendered clips."""
import warnings

import cv2
import numpy as np
import pytest

from stdp_emo.errors import DataError
from stdp_emo.features.video import FaceCropper, crop_video, read_video
from stdp_emo.generators.faces import render_face_video
from stdp_emo.generators.video import write_video


@pytest.fixture(scope="module")
def face_clip(tmp_path_factory):
    """A 1 s rendered face video (happy, strong), 30 fps, 160x160."""
    frames = render_face_video(2, 2, 5, duration_s=1.0, fps=30, size=(160, 160), seed=2)
    path = write_video(tmp_path_factory.mktemp("video") / "face.mp4", frames, fps=30)
    return path, frames


def test_write_and_read_video(face_clip):
    path, frames = face_clip
    got, ts, fps = read_video(path)
    assert got.shape == frames.shape and got.dtype == np.uint8
    assert fps == pytest.approx(30.0)
    np.testing.assert_array_equal(np.diff(ts) // 1000, 33)      # 33.3 ms steps, in us
    assert ts[0] == 0 and ts.dtype == np.int64
    assert np.abs(got.astype(int) - frames).mean() < 3.0        # H.264 at high quality


def test_lossless_video_is_repeatable_and_exact(tmp_path, face_clip):
    """The lossy default differs between encodes of the same frames (measured: 4 files in
    12); lossless gives the same bytes every time and the frames back within one grey
    level (full-to-video range rounding), where the lossy one is off by up to ~30."""
    _, frames = face_clip
    paths = [write_video(tmp_path / f"l{k}.mp4", frames, fps=30, lossless=True) for k in range(3)]
    assert len({p.read_bytes() for p in paths}) == 1
    got, _, _ = read_video(paths[0])
    assert np.abs(got.astype(int) - frames).max() <= 1
    lossy, _, _ = read_video(write_video(tmp_path / "lossy.mp4", frames, fps=30))
    assert np.abs(lossy.astype(int) - frames).max() > 1


def test_odd_frame_size_is_padded(tmp_path):
    frames = np.random.default_rng(0).integers(0, 255, (3, 15, 21), dtype=np.uint8)
    got, _, _ = read_video(write_video(tmp_path / "odd.mp4", frames, fps=25))
    assert got.shape == (3, 16, 22)


def test_crop_finds_rendered_face(face_clip):
    path, _ = face_clip
    crops, ts, info = crop_video(path, size=100)
    assert crops.shape == (30, 100, 100) and crops.dtype == np.uint8 and len(ts) == 30
    assert info["face_found"] and info["frames"] == 30
    assert info["detections"] >= 6             # detected in every examined frame (every 5th + last)


def test_no_face_gives_warning_and_centre_crop(tmp_path):
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:120, 0:160]
    frames = np.stack([np.clip(60 + xx * 0.8 + rng.normal(0, 3, xx.shape), 0, 255)
                       for _ in range(6)]).astype(np.uint8)
    path = write_video(tmp_path / "empty.mp4", frames, fps=30)
    with pytest.warns(UserWarning, match="no face found"):
        crops, _, info = crop_video(path, size=50)
    assert info == {"face_found": False, "detections": 0, "frames": 6}
    decoded, _, _ = read_video(path)
    centre = cv2.resize(decoded[0][:, 20:140], (50, 50), interpolation=cv2.INTER_AREA)
    assert np.abs(crops[0].astype(int) - centre).max() <= 1


def test_missing_random_and_truncated_files(tmp_path, face_clip):
    with pytest.raises(DataError, match="not found"):
        read_video(tmp_path / "missing.mp4")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(np.random.default_rng(0).integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    with pytest.raises(DataError, match="junk.mp4") as e:
        read_video(junk)
    assert "\n" not in str(e.value)
    data = face_clip[0].read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frames, _, _ = read_video(cut)
        except DataError as err:
            assert "cut.mp4" in str(err) and "\n" not in str(err)
        else:   # the index comes first (faststart): frames up to the damage, and a warning
            assert 0 < len(frames) < 30 and any("cut.mp4" in str(w.message) for w in caught)
    cut.write_bytes(data[: len(data) * 4 // 5])
    with pytest.warns(UserWarning, match="damaged or truncated"):
        frames, ts, _ = read_video(cut)
    assert 0 < len(frames) < 30 and len(ts) == len(frames)
    cut.write_bytes(data[:100])
    with pytest.raises(DataError, match="cut.mp4"):
        read_video(cut)


def test_file_without_video_stream(tmp_path):
    import soundfile as sf

    wav = tmp_path / "a.wav"
    sf.write(wav, np.zeros(1600, np.float32), 16000)
    with pytest.raises(DataError, match="a.wav"):
        read_video(wav)


def test_cropper_follows_a_moving_face():
    frames = render_face_video(0, 1, 2, duration_s=0.5, size=(200, 160), seed=0)
    shifted = np.stack([np.roll(f, 8 * (i // 5), axis=1) for i, f in enumerate(frames)])
    track, k = FaceCropper(smooth_s=0.0, median_window=1).track(shifted)
    assert k == 4
    assert track[-1, 0] - track[0, 0] == pytest.approx(16, abs=3)   # moved 16 px right
