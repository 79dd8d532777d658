"""Reading audio from sound files and from video containers (tiny files made in tmp_path)."""
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from stdp_emo.datasets import media
from stdp_emo.datasets.media import read_audio
from stdp_emo.errors import DataError

SR = 16000


def tone(seconds: float = 0.5, sr: int = SR, freq: float = 440.0, amp: float = 0.5) -> np.ndarray:
    """A sine tone, shape (n,), float32."""
    t = np.arange(int(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_av(path: Path, audio_codec: str | None, video_codec: str = "mpeg4",
             y: np.ndarray | None = None, sr: int = SR, channels: int = 1, fps: int = 10) -> Path:
    """Write a tiny video (32x32 grey frames) with an optional audio stream ``y`` (mono, float)."""
    y = tone(sr=sr) if y is None else y
    layout = "stereo" if channels == 2 else "mono"
    with av.open(str(path), "w") as container:
        video = container.add_stream(video_codec, rate=fps)
        video.width, video.height, video.pix_fmt = 32, 32, "yuv420p"
        audio = container.add_stream(audio_codec, rate=sr, layout=layout) if audio_codec else None
        for i in range(max(1, int(len(y) / sr * fps))):
            frame = av.VideoFrame.from_ndarray(np.full((32, 32, 3), 10 * i, np.uint8), format="rgb24")
            container.mux(video.encode(frame))
        container.mux(video.encode())
        if audio is None:
            return path
        fmt = audio.codec_context.format.name
        step = audio.codec_context.frame_size or 1024
        for i in range(0, len(y), step):
            chunk = np.tile(y[i:i + step], (channels, 1))
            data = chunk if fmt == "fltp" else (chunk.T.reshape(1, -1) * 32767).astype(np.int16)
            frame = av.AudioFrame.from_ndarray(data, format=fmt, layout=layout)
            frame.sample_rate, frame.pts = sr, i
            container.mux(audio.encode(frame))
        container.mux(audio.encode())
    return path


def assert_one_line_error(excinfo, path: Path, words: str) -> None:
    message = str(excinfo.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert words in message


def test_wav_is_read_as_float32_mono_at_its_rate(tmp_path):
    y = tone()
    sf.write(tmp_path / "a.wav", y, SR, subtype="PCM_16")
    out = read_audio(tmp_path / "a.wav", SR)
    assert out.dtype == np.float32 and out.shape == y.shape
    np.testing.assert_allclose(out, y, atol=1e-4)


def test_stereo_is_mixed_to_mono(tmp_path):
    y = tone()
    sf.write(tmp_path / "s.flac", np.stack([y, np.zeros_like(y)], axis=1), SR)
    np.testing.assert_allclose(read_audio(tmp_path / "s.flac", SR), y / 2, atol=1e-4)


def test_resampled_to_the_requested_rate(tmp_path):
    sf.write(tmp_path / "8k.wav", tone(sr=8000), 8000)
    out = read_audio(tmp_path / "8k.wav", SR)
    assert len(out) == SR // 2
    assert np.abs(out).max() <= 1.0
    # still a 440 Hz tone
    spectrum = np.abs(np.fft.rfft(out))
    assert abs(np.argmax(spectrum) * SR / len(out) - 440) < 5


@pytest.mark.parametrize("name, audio_codec, video_codec, channels", [
    ("clip.avi", "pcm_s16le", "mpeg4", 1),
    ("stereo.avi", "pcm_s16le", "mpeg4", 2),
    ("clip.mp4", "aac", "h264", 1),
])
def test_audio_decoded_from_video_container(tmp_path, name, audio_codec, video_codec, channels):
    y = tone()
    path = write_av(tmp_path / name, audio_codec, video_codec, y, channels=channels)
    out = read_audio(path, SR)
    assert out.dtype == np.float32 and out.ndim == 1
    assert abs(len(out) - len(y)) <= 2048  # AAC adds priming samples
    if audio_codec.startswith("pcm"):
        np.testing.assert_allclose(out[:len(y)], y, atol=1e-3)
    else:
        assert 0.4 < np.abs(out).max() < 0.6


def test_avi_resampled(tmp_path):
    path = write_av(tmp_path / "c.avi", "pcm_s16le", y=tone(sr=22050), sr=22050)
    assert len(read_audio(path, SR)) == SR // 2


def test_video_without_audio_stream(tmp_path):
    path = write_av(tmp_path / "mute.mp4", None)
    with pytest.raises(DataError) as e:
        read_audio(path, SR)
    assert_one_line_error(e, path, "no audio stream")


def test_missing_file(tmp_path):
    with pytest.raises(DataError) as e:
        read_audio(tmp_path / "nope.wav", SR)
    assert_one_line_error(e, tmp_path / "nope.wav", "not found")


@pytest.mark.parametrize("name", ["corrupt.wav", "corrupt.mp4", "corrupt.avi"])
def test_corrupt_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    with pytest.raises(DataError) as e:
        read_audio(path, SR)
    assert_one_line_error(e, path, "cannot")


def test_silent_file(tmp_path):
    sf.write(tmp_path / "quiet.wav", np.zeros(SR, np.float32), SR)
    with pytest.raises(DataError) as e:
        read_audio(tmp_path / "quiet.wav", SR)
    assert_one_line_error(e, tmp_path / "quiet.wav", "silent")


def test_silent_audio_stream_in_video(tmp_path):
    path = write_av(tmp_path / "quiet.avi", "pcm_s16le", y=np.zeros(SR // 2, np.float32))
    with pytest.raises(DataError, match="silent"):
        read_audio(path, SR)


def test_zero_length_file(tmp_path):
    sf.write(tmp_path / "empty.wav", np.zeros(0, np.float32), SR)
    with pytest.raises(DataError) as e:
        read_audio(tmp_path / "empty.wav", SR)
    assert_one_line_error(e, tmp_path / "empty.wav", "zero length")


def test_directory_is_not_a_file(tmp_path):
    (tmp_path / "d.wav").mkdir()
    with pytest.raises(DataError, match="not a file"):
        read_audio(tmp_path / "d.wav", SR)


def test_truncated_wav_is_used_with_a_warning_naming_it(tmp_path):
    path = tmp_path / "cut.wav"
    sf.write(path, tone(2.0), SR, subtype="PCM_16")
    assert media.wav_truncation(path) == ""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.warns(UserWarning, match=r"cut.wav: WAV is truncated: its header declares 2.00 s"):
        y = read_audio(path, SR)
    assert abs(y.size / SR - 1.0) < 0.01


def test_wav_cut_to_its_first_bytes_is_reported_as_truncated(tmp_path):
    path = tmp_path / "stub.wav"
    sf.write(path, np.concatenate([np.zeros(SR // 2), tone(1.0)]), SR, subtype="PCM_16")
    path.write_bytes(path.read_bytes()[:1000])              # only leading silence survives
    with pytest.raises(DataError) as e:
        read_audio(path, SR)
    assert_one_line_error(e, path, "truncated")
    assert "silent" in str(e.value)                          # and what is left


def test_symlink_loop_and_broken_link_are_named(tmp_path):
    loop, broken = tmp_path / "loop.wav", tmp_path / "broken.wav"
    loop.symlink_to(loop.name)
    broken.symlink_to("nothing.wav")
    with pytest.raises(DataError, match="symbolic link loop"):
        read_audio(loop, SR)
    with pytest.raises(DataError, match=r"broken symbolic link \(to nothing.wav\)"):
        read_audio(broken, SR)
