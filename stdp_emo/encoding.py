"""Features -> input vectors for the Poisson input layer.

Scaled features (values in [0, 1]) become one input vector per clip, in the
(C, H, W) order that :mod:`stdp_emo.network.topology` uses; the simulator
turns a value ``x`` into a Poisson rate ``x * max_rate_hz`` (times the retry
intensity) during the presentation window and 0 during the rest (DC15-code,
MBY19: 0-63.75 Hz, 350 ms + 150 ms).

Three audio codes (``[encoding] audio_code``, :data:`AUDIO_CODES`):

``image`` (MBY19)
    the scaled (n_coeff, n_frames) feature image itself, padded frames 0.  A
    window at a fixed position sees different phonetic content in every clip,
    which bounds prototype learners on it (1-NN on RAVDESS: ~42 %).
``population``
    a time-invariant value-distribution code: coefficient ``c`` drives
    ``B`` inputs whose Gaussian tuning curves prefer the values
    ``mu_b = (b + 0.5) / B``; the rate of input ``(c, b)`` is the tuning curve's
    mean response over the clip's *real* frames::

        x[c, b] = mean_t exp(-(s[c, t] - mu_b)^2 / (2 sigma^2)),  sigma = sigma_bins / B

    so the code is invariant to where speech happens in the clip and gives the
    padding no weight; it exposes the clip-level distributions (level, spread,
    skew of each coefficient) in which emotion mostly lives.  Values lie in
    [0, 1].  1-NN on it (RAVDESS, validation): ~66 %.

    With ``population_contrast_sd = k > 0`` (default) every code value drives an
    ON and an OFF input instead: its deviation from the training split's mean
    in units of the training split's standard deviation, ``z``, gives rates
    ``clip(z / k, 0, 1)`` (ON) and ``clip(-z / k, 0, 1)`` (OFF), like retinal
    ON/OFF cells adapted to the mean stimulus.  All clips share most of their
    value distributions; without this the common part dominates every neuron's
    drive and Poisson noise decides which neuron wins (measured: 15 % vs 23 %
    after one epoch on RAVDESS validation data).

``temporal``
    a temporal presentation of the same code: the clip's real frames are cut into
    ``S = temporal_segments`` equal segments, and the population (and contrast)
    code of each segment's frames drives the *same* input layer in turn, for
    ``present_ms / S`` each (with ``temporal_taps = K > 1``, the layer shows the
    current segment and the ``K - 1`` before it side by side, silent before the
    first).  A neuron's synapses then meet every part of the clip, so it responds
    to a spectral pattern wherever it occurs (weight sharing along time), and the
    clip's spikes are pooled over the presentation.  One clip's values are the
    ``S`` segments' input vectors one after another, shape (S * n_inputs,); the
    input layer has ``n_inputs`` neurons (:func:`audio_input_shape`).  The
    contrast statistics are those of the training split's segments.

:class:`AudioEncoder` holds what is fitted on the training split (with
``[audio] speaker_subspace_dims``, the speaker directions removed from the features,
:mod:`stdp_emo.features.speaker_subspace`; the feature scaling; for the contrast code,
the code's mean and s.d.) and encodes any clip with it.
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass

import numpy as np

from .config import AudioConfig, EncodingConfig
from .features.audio import Scaler
from .features.speaker_subspace import SpeakerSubspace

AUDIO_CODES: tuple[str, ...] = typing.get_args(typing.get_type_hints(EncodingConfig)["audio_code"])
"""The audio codes, from the one definition in :class:`~stdp_emo.config.EncodingConfig`."""


def audio_input_shape(enc: EncodingConfig, n_coeff: int, n_frames: int) -> tuple[int, int, int]:
    """Input shape (C, H, W) of the audio input layer.

    ``(1, n_coeff, n_frames)`` for the image code, ``(1, channels * n_coeff,
    population_bins)`` for the population code (channels 2 with the ON/OFF contrast
    code, else 1) and ``(1, taps * channels * n_coeff, population_bins)`` for one
    segment of the temporal code (the input layer; a clip has ``temporal_segments``
    such vectors, :func:`audio_segments`).
    """
    if enc.audio_code == "image":
        return (1, int(n_coeff), int(n_frames))
    channels = 2 if enc.population_contrast_sd > 0 else 1
    taps = int(enc.temporal_taps) if enc.audio_code == "temporal" else 1
    return (1, taps * channels * int(n_coeff), int(enc.population_bins))


def audio_segments(enc: EncodingConfig) -> int:
    """Input vectors per clip of the audio code: ``temporal_segments`` for the temporal
    code, else 1."""
    return int(enc.temporal_segments) if enc.audio_code == "temporal" else 1


def audio_inputs(scaled: np.ndarray, n_valid: np.ndarray | None = None,
                 enc: EncodingConfig | None = None, contrast: tuple | None = None) -> np.ndarray:
    """Encode scaled audio features as input vectors.

    Parameters
    ----------
    scaled : ndarray, shape (n_samples, n_coeff, n_frames)
        Values in [0, 1] (padded frames 0).
    n_valid : ndarray of int, shape (n_samples,), optional
        Real frames of each clip (needed by the population code).
    enc : EncodingConfig, optional
        ``audio_code`` and its parameters; default: the image code.
    contrast : (mean, sd), optional
        Training-split statistics of the population code, each of shape
        (n_coeff * bins,); needed when ``enc.population_contrast_sd > 0``.

    Returns
    -------
    ndarray of float64, shape (n_samples, audio_segments * prod(audio_input_shape))
        Image code: input ``c * n_frames + f`` is coefficient ``c`` at frame ``f``.
        Population code: input ``c * bins + b`` is coefficient ``c``'s tuning curve ``b``.
        Temporal code: the segments' input vectors one after another (segment ``s``
        at ``s * n_inputs``), each laid out as the population code, taps first.
    """
    scaled = np.asarray(scaled, dtype=np.float64)
    if scaled.ndim != 3:
        raise ValueError(f"expected (n_samples, n_coeff, n_frames), got shape {scaled.shape}")
    if scaled.size and (scaled.min() < 0 or scaled.max() > 1):
        raise ValueError("scaled features must lie in [0, 1]")
    if enc is None or enc.audio_code == "image":
        return scaled.reshape(scaled.shape[0], -1)
    if n_valid is None:
        raise ValueError("the population code needs the number of real frames of each clip")
    n, segments = scaled.shape[0], audio_segments(enc)
    code = segment_population_code(scaled, n_valid, segments, enc.population_bins,
                                   enc.population_sigma_bins).reshape(n * segments, -1)
    if enc.population_contrast_sd > 0:
        if contrast is None:
            raise ValueError("the contrast code needs the training split's code statistics")
        code = contrast_code(code, *contrast, enc.population_contrast_sd)
    if enc.audio_code == "temporal":
        code = delay_taps(code.reshape(n, segments, -1), enc.temporal_taps)
    return code.reshape(n, -1)


def delay_taps(segments: np.ndarray, taps: int) -> np.ndarray:
    """Each segment's vector beside those of the ``taps - 1`` segments before it.

    Parameters
    ----------
    segments : ndarray, shape (n_samples, n_segments, d)
    taps : int

    Returns
    -------
    ndarray, shape (n_samples, n_segments, taps * d)
        ``[..., k * d:(k + 1) * d]`` of segment ``s`` is segment ``s - k``'s vector,
        0 for ``s - k < 0`` (nothing was heard before the clip).
    """
    segments = np.asarray(segments, dtype=np.float64)
    n, n_seg, d = segments.shape
    out = np.zeros((n, n_seg, taps * d))
    for k in range(int(taps)):
        out[:, k:, k * d:(k + 1) * d] = segments[:, : n_seg - k]
    return out


def contrast_code(code: np.ndarray, mean: np.ndarray, sd: np.ndarray, k_sd: float) -> np.ndarray:
    """ON/OFF deviations of a code from its training statistics.

    Parameters
    ----------
    code : ndarray, shape (n_samples, n)
    mean, sd : ndarray, shape (n,)
        Training-split mean and standard deviation (``sd`` 0: that input is silent).
    k_sd : float
        Deviation (in s.d.) that gives the full rate.

    Returns
    -------
    ndarray, shape (n_samples, 2 * n), values in [0, 1]
        ``[clip(z / k, 0, 1), clip(-z / k, 0, 1)]`` with ``z = (code - mean) / sd``;
        for every value at most one of its ON and OFF inputs is non-zero.
    """
    sd = np.asarray(sd, dtype=np.float64)
    safe = np.where(sd > 0, sd, 1.0)
    z = np.where(sd > 0, (np.asarray(code) - mean) / safe, 0.0) / k_sd
    return np.concatenate([np.clip(z, 0.0, 1.0), np.clip(-z, 0.0, 1.0)], axis=1)


@dataclass(frozen=True, eq=False)
class AudioEncoder:
    """Features -> input rates with everything fitted on the training split.

    Attributes
    ----------
    enc : EncodingConfig
    scaler : Scaler
        Per-coefficient scaling of the (projected) features to [0, 1].
    code_mean, code_sd : ndarray, shape (n_coeff * bins,), or empty
        Statistics of the population code (contrast form only).
    subspace : SpeakerSubspace or None
        Speaker directions removed from the features before scaling
        (``[audio] speaker_subspace_dims`` > 0).
    """

    enc: EncodingConfig
    scaler: Scaler
    code_mean: np.ndarray
    code_sd: np.ndarray
    subspace: SpeakerSubspace | None = None

    @classmethod
    def fit(cls, features: np.ndarray, n_valid: np.ndarray, audio: AudioConfig,
            enc: EncodingConfig, speakers=None) -> "AudioEncoder":
        """Fit on the *training* clips' unscaled features, shape (n, n_coeff, n_frames).

        ``speakers`` (shape (n,)): the speaker of each clip, needed when
        ``audio.speaker_subspace_dims`` > 0 (ValueError without it).
        """
        subspace = None
        if audio.speaker_subspace_dims > 0:
            if speakers is None:
                raise ValueError("speaker_subspace_dims > 0 needs the training clips' speakers")
            subspace = SpeakerSubspace.fit(features, n_valid, speakers,
                                           audio.speaker_subspace_dims)
            features = subspace.transform(features, n_valid)
        scaler = Scaler.fit(features, n_valid, audio)
        empty = np.zeros(0)
        if enc.audio_code == "image" or enc.population_contrast_sd <= 0:
            return cls(enc, scaler, empty, empty, subspace)
        segments = audio_segments(enc)
        code = segment_population_code(scaler.transform(features, n_valid), n_valid, segments,
                                       enc.population_bins, enc.population_sigma_bins)
        code = code.reshape(len(features) * segments, -1)     # every training segment
        return cls(enc, scaler, code.mean(axis=0), code.std(axis=0), subspace)

    def __call__(self, features: np.ndarray, n_valid) -> np.ndarray:
        """Input vectors (n, n_inputs) of unscaled features (n, n_coeff, n_frames)."""
        n_valid = np.asarray(n_valid).reshape(-1)
        if self.subspace is not None:
            features = self.subspace.transform(features, n_valid)
        contrast = (self.code_mean, self.code_sd) if self.code_mean.size else None
        return audio_inputs(self.scaler.transform(features, n_valid), n_valid, self.enc, contrast)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """``scale_low``, ``scale_high``, ``code_mean``, ``code_sd`` and, with a speaker
        subspace, ``subspace_*`` (for a model's ``network.npz``)."""
        out = {"scale_low": self.scaler.low, "scale_high": self.scaler.high,
               "code_mean": self.code_mean, "code_sd": self.code_sd}
        if self.subspace is not None:
            out.update(self.subspace.to_arrays())
        return out

    @classmethod
    def from_arrays(cls, arrays, enc: EncodingConfig) -> "AudioEncoder":
        """Inverse of :meth:`to_arrays` (``code_*`` may be absent: models without contrast;
        ``subspace_*``: models without a speaker subspace)."""
        empty = np.zeros(0)
        return cls(enc, Scaler(np.asarray(arrays["scale_low"], dtype=np.float64),
                               np.asarray(arrays["scale_high"], dtype=np.float64)),
                   np.asarray(arrays.get("code_mean", empty), dtype=np.float64),
                   np.asarray(arrays.get("code_sd", empty), dtype=np.float64),
                   SpeakerSubspace.from_arrays(arrays))


def population_code(scaled: np.ndarray, n_valid, n_bins: int, sigma_bins: float) -> np.ndarray:
    """Mean Gaussian tuning-curve responses over each clip's real frames.

    Parameters
    ----------
    scaled : ndarray, shape (n_samples, n_coeff, n_frames)
        Values in [0, 1].
    n_valid : array_like of int, shape (n_samples,)
        Real frames: frames ``t >= n_valid[i]`` are ignored.
    n_bins : int
        Tuning curves per coefficient, centred at ``(b + 0.5) / n_bins``.
    sigma_bins : float
        Their standard deviation in bin spacings.

    Returns
    -------
    ndarray of float64, shape (n_samples, n_coeff, n_bins)
        In [0, 1]; all 0 for a clip without real frames.
    """
    scaled = np.asarray(scaled, dtype=np.float64)
    n_valid = np.asarray(n_valid, dtype=np.int64).reshape(-1)
    if n_valid.shape[0] != scaled.shape[0]:
        raise ValueError(f"{n_valid.shape[0]} frame counts for {scaled.shape[0]} samples")
    centres = (np.arange(n_bins) + 0.5) / n_bins
    inv_two_var = 1.0 / (2.0 * (sigma_bins / n_bins) ** 2)
    out = np.zeros((scaled.shape[0], scaled.shape[1], n_bins))
    for i, n in enumerate(np.clip(n_valid, 0, scaled.shape[2])):
        if n == 0:
            continue
        x = scaled[i, :, :n, None]                            # (C, n, 1)
        out[i] = np.exp(-((x - centres) ** 2) * inv_two_var).mean(axis=1)
    return out


def segment_population_code(scaled: np.ndarray, n_valid, n_segments: int, n_bins: int,
                            sigma_bins: float) -> np.ndarray:
    """:func:`population_code` of each of ``n_segments`` equal parts of every clip's real frames.

    Segment ``s`` of a clip with ``n`` real frames holds frames
    ``round(s n / S) .. round((s + 1) n / S) - 1`` (at least one frame while the clip
    has any), so the segments follow the speech, not the clip's padding.

    Returns
    -------
    ndarray of float64, shape (n_samples, n_segments, n_coeff, n_bins)
        In [0, 1]; ``n_segments = 1`` gives :func:`population_code`.
    """
    scaled = np.asarray(scaled, dtype=np.float64)
    n_valid = np.asarray(n_valid, dtype=np.int64).reshape(-1)
    if n_segments == 1:
        return population_code(scaled, n_valid, n_bins, sigma_bins)[:, None]
    if n_valid.shape[0] != scaled.shape[0]:
        raise ValueError(f"{n_valid.shape[0]} frame counts for {scaled.shape[0]} samples")
    centres = (np.arange(n_bins) + 0.5) / n_bins
    inv_two_var = 1.0 / (2.0 * (sigma_bins / n_bins) ** 2)
    out = np.zeros((scaled.shape[0], n_segments, scaled.shape[1], n_bins))
    for i, n in enumerate(np.clip(n_valid, 0, scaled.shape[2])):
        if n == 0:
            continue
        resp = np.exp(-((scaled[i, :, :n, None] - centres) ** 2) * inv_two_var)   # (C, n, B)
        csum = np.concatenate([np.zeros((resp.shape[0], 1, n_bins)), resp.cumsum(axis=1)], 1)
        lo = np.minimum(np.rint(np.arange(n_segments) * n / n_segments).astype(int), n - 1)
        hi = np.maximum(np.rint(np.arange(1, n_segments + 1) * n / n_segments).astype(int), lo + 1)
        out[i] = np.moveaxis((csum[:, hi] - csum[:, lo]) / (hi - lo)[None, :, None], 1, 0)
    return out


def expected_spikes_per_input(inputs: np.ndarray, max_rate_hz: float, present_ms: float,
                              segments: int = 1) -> np.ndarray:
    """Expected spikes of every input neuron during each sample's presentation.

    Parameters
    ----------
    inputs : ndarray, shape (n_samples, segments * n_inputs)
        Values in [0, 1]; with ``segments > 1`` (temporal code) each segment's vector is
        shown for ``present_ms / segments``.

    Returns
    -------
    ndarray, shape (n_samples, n_inputs)
    """
    x = np.asarray(inputs, dtype=np.float64)
    x = x.reshape(x.shape[0], int(segments), -1).sum(axis=1)
    return x * max_rate_hz * present_ms * 1e-3 / int(segments)


def expected_input_spikes(inputs: np.ndarray, max_rate_hz: float, present_ms: float,
                          segments: int = 1) -> np.ndarray:
    """Expected number of input spikes of each sample, shape (n_samples,)
    (see :func:`expected_spikes_per_input`)."""
    return expected_spikes_per_input(inputs, max_rate_hz, present_ms, segments).sum(axis=1)


# ------------------------------------------------ facial action units (visual source "au")
def au_scale(values: np.ndarray, percentile: float = 99.0) -> np.ndarray:
    """Per-column scale of training values: their ``percentile`` (1 where that is 0),
    shape (n_columns,).  Rates are ``clip(values / scale, 0, 1)``."""
    s = np.percentile(np.asarray(values, float), percentile, axis=0) if len(values) else \
        np.ones(np.shape(values)[1])
    return np.where(s > 0, s, 1.0)


def au_rates(values: np.ndarray, scale: np.ndarray, copies: int = 1) -> np.ndarray:
    """Input rates in [0, 1] of action-unit values.

    Every unit drives ``copies`` independent Poisson inputs (the same rate), so that a
    clip's 35 values give about as many input spikes as DC15's MNIST digits
    (``encoding.au_copies``); the layout is (copies, n_columns), flattened.

    Returns
    -------
    ndarray, shape (n_clips, copies * n_columns)
    """
    r = np.clip(np.asarray(values, float) / np.asarray(scale, float)[None, :], 0.0, 1.0)
    return np.tile(r, (1, int(copies)))


@dataclass(frozen=True, eq=False)
class AUEncoder:
    """Action-unit values -> input rates, with everything fitted on the training split.

    The values are scaled per column (:func:`au_scale`); with
    ``encoding.au_contrast_sd = k > 0`` (default) each scaled value then drives an
    ON and an OFF input, its deviation from the training mean in s.d. (as the audio
    contrast code, :func:`contrast_code`).  Without it, every neuron imprinted from
    a clip is driven most by the clips with the largest action units, whatever
    their pattern: on RAVDESS validation data a winner-take-all over one imprinted
    prototype per training clip scores 28 % on the plain rates and 84 % on the
    ON/OFF code (random split; speaker split 26 % vs 52 %).  Every input is then
    copied ``encoding.au_copies`` times (:func:`au_rates`).

    Attributes
    ----------
    enc : EncodingConfig
    scale : ndarray, shape (n_columns,)
    mean, sd : ndarray, shape (n_columns,), or empty
        Training statistics of the scaled values (contrast code only).
    """

    enc: EncodingConfig
    scale: np.ndarray
    mean: np.ndarray
    sd: np.ndarray

    @classmethod
    def fit(cls, values: np.ndarray, enc: EncodingConfig) -> "AUEncoder":
        """Fit on the *training* clips' values, shape (n, n_columns)."""
        scale = au_scale(values)
        empty = np.zeros(0)
        if enc.au_contrast_sd <= 0:
            return cls(enc, scale, empty, empty)
        r = au_rates(values, scale)
        return cls(enc, scale, r.mean(axis=0), r.std(axis=0))

    @property
    def channels(self) -> int:
        """1 (plain rates) or 2 (ON/OFF)."""
        return 2 if self.mean.size else 1

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Input vectors, shape (n, copies * channels * n_columns), values in [0, 1]."""
        copies = int(self.enc.au_copies)
        if not self.mean.size:
            return au_rates(values, self.scale, copies)
        r = contrast_code(au_rates(values, self.scale), self.mean, self.sd, self.enc.au_contrast_sd)
        return np.tile(r, (1, copies))      # the layout of au_rates: (copies, inputs), flattened

    def to_arrays(self) -> dict[str, np.ndarray]:
        """``au_scale``, ``au_mean``, ``au_sd`` (for a model's ``network.npz``)."""
        return {"au_scale": self.scale, "au_mean": self.mean, "au_sd": self.sd}

    @classmethod
    def from_arrays(cls, arrays, enc: EncodingConfig) -> "AUEncoder":
        """Inverse of :meth:`to_arrays`.  ``au_mean``/``au_sd`` absent or empty (models
        from before the contrast code): the plain rates, whatever ``enc`` says."""
        empty = np.zeros(0)
        mean = np.asarray(arrays.get("au_mean", empty), dtype=np.float64)
        sd = np.asarray(arrays.get("au_sd", empty), dtype=np.float64)
        return cls(enc, np.asarray(arrays["au_scale"], dtype=np.float64), mean, sd)


def dvs_rates(counts: np.ndarray, rate_percentile: float = 100.0) -> np.ndarray:
    """Input values in [0, 1] of DVS event counts (:func:`stdp_emo.features.dvs.event_counts`).

    Each clip's counts are divided by the ``rate_percentile`` percentile of its non-zero
    counts (100: the largest count) and clipped to 1; a clip without events gives zeros.

    Parameters
    ----------
    counts : ndarray, shape (n_inputs,) or (n_clips, n_inputs)
    rate_percentile : float in (0, 100]
    """
    if not 0.0 < rate_percentile <= 100.0:
        raise ValueError(f"rate_percentile must be in (0, 100], got {rate_percentile}")
    counts = np.asarray(counts, dtype=np.float64)
    rows = np.atleast_2d(counts)
    out = np.zeros_like(rows)
    for k, row in enumerate(rows):
        nonzero = row[row > 0]
        top = float(np.percentile(nonzero, rate_percentile)) if nonzero.size else 0.0
        if top > 0:
            out[k] = np.minimum(row / top, 1.0)
    return out.reshape(counts.shape)


# ------------------------------------------------------------------ presentations
#: random-stream phases of the frozen presentations (training epochs use 0, 1, ...)
PHASE_LABEL, PHASE_TEST, PHASE_PREDICT = 1_000_000, 1_000_001, 1_000_002
#: stream ids leave room for this many presentations of one sample (the first and retries)
RETRY_SLOTS = 16


def stream_ids(sample_idx, retry) -> np.ndarray:
    """Position-independent id of a presentation: ``sample * 16 + retry`` (int64).

    With the seed and the phase it fixes the presentation's Poisson spikes
    (:func:`stdp_emo.network.rng.sample_streams`), so chunked, sharded, resumed and
    replayed (raster) presentations make the same spikes.
    """
    retry = np.asarray(retry, dtype=np.int64)
    if np.any(retry >= RETRY_SLOTS):
        raise ValueError(f"at most {RETRY_SLOTS - 1} retries per sample")
    return np.asarray(sample_idx, dtype=np.int64) * RETRY_SLOTS + retry


def phase_encoding(enc: EncodingConfig, learning: bool) -> EncodingConfig:
    """The presentation rules of a phase: learning shows a sample for ``present_ms``; the
    frozen phases (labelling, test, predict, rasters) for ``frozen_present_ms`` when it
    is > 0 (``frozen_present_ms`` stays set, so applying this twice changes nothing).

    A frozen network only counts spikes, so a longer presentation averages the Poisson
    noise of its inputs over more spikes before the lateral-inhibition race is read
    out; learning keeps the presentation its weights and thresholds adapted to.
    """
    if learning or enc.frozen_present_ms <= 0:
        return enc
    return dataclasses.replace(enc, present_ms=enc.frozen_present_ms)


def input_rates_hz(values: np.ndarray, enc: EncodingConfig, retry=0) -> np.ndarray:
    """Poisson rates (Hz) of input values in [0, 1]: ``value * max_rate_hz * intensity``.

    A sample presented again after too few spikes (retry ``r``) gets the intensity
    ``1 + r * intensity_step`` (DC15-code).

    Parameters
    ----------
    values : ndarray, shape (n_samples, n_inputs)
    retry : int or ndarray, shape (n_samples,)
    """
    gain = 1.0 + np.asarray(retry, dtype=np.float64) * enc.intensity_step
    return np.asarray(values, dtype=np.float64) * enc.max_rate_hz * np.reshape(gain, (-1, 1))
