"""Degraded test inputs: missing, noisy or incongruent vision, noisy audio.

Every function returns new input rows for the test clips of a prepared
experiment (``{modality: (n_test, n_inputs)}``, values in [0, 1]) so a
trained, frozen network can be evaluated on them (``frozen.evaluate_frozen``
with ``inputs=``).  Nothing here imports Brian2.

Conditions
----------
``vision_missing``      no visual events at all (visual inputs 0)
``vision_noise``        random extra events at ``level`` per pixel, polarity and second
``vision_incongruent``  the face of a test clip of another emotion (seeded)
``audio_noise``         white noise added to the waveform at ``level`` dB SNR
"""
from __future__ import annotations

import numpy as np

from .errors import DataError

VISION_CONDITIONS = ("vision_missing", "vision_noise", "vision_incongruent")
AUDIO_CONDITIONS = ("audio_noise",)
#: default levels: extra events per pixel and second (a DVS's background activity is
#: about 0.1-1 Hz), and signal-to-noise ratios in dB
NOISE_RATES_HZ = (1.0, 5.0, 20.0)
SNRS_DB = (20.0, 10.0, 0.0)


def incongruent_partners(labels: np.ndarray, seed: int) -> np.ndarray:
    """For every sample, another sample of a different class (seeded choice).

    Parameters
    ----------
    labels : ndarray of int, shape (n,)

    Returns
    -------
    ndarray of int, shape (n,): index of the partner; ``labels[partner] != labels``
    wherever a sample of another class exists.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    out = np.arange(labels.size)
    for k in range(labels.size):
        other = np.flatnonzero(labels != labels[k])
        if other.size:
            out[k] = rng.choice(other)
    return out


def add_white_noise(signal: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """``signal`` plus Gaussian white noise at ``snr_db`` (power ratio over the clip)."""
    signal = np.asarray(signal, dtype=np.float64)
    power = float(np.mean(signal ** 2))
    if power == 0:
        return signal.copy()
    noise = rng.standard_normal(signal.size) * np.sqrt(power / 10 ** (snr_db / 10))
    return signal + noise


def degraded_inputs(prep, cfg, encoder, condition: str, level: float | None = None,
                    seed: int = 0) -> dict:
    """Test-clip inputs of ``prep`` under one condition.

    Parameters
    ----------
    prep : preparation.Prepared
    cfg : ExperimentConfig
    encoder : encoding.AudioEncoder or None
        The model's audio scaling (audio_noise).
    condition : str
        ``clean`` or one of :data:`VISION_CONDITIONS` / :data:`AUDIO_CONDITIONS`.
    level : float, optional
        Noise rate (Hz per pixel and polarity) or SNR (dB).
    seed : int
        Seed of the noise and of incongruent partners.

    Returns
    -------
    dict
        Modality -> inputs of every clip of ``prep.dataset`` (rows outside the
        test split are left unchanged), ready for ``evaluate_frozen(inputs=...)``.
    """
    inputs = {m: x.copy() for m, x in prep.inputs.items()}
    test = prep.test_idx
    if condition == "clean":
        return inputs
    if condition in VISION_CONDITIONS and "visual" not in inputs:
        raise DataError(f"condition {condition} needs a model with vision")
    if condition == "vision_missing":
        inputs["visual"][test] = 0.0
    elif condition == "vision_incongruent":
        partners = incongruent_partners(prep.dataset.labels[test], seed)
        inputs["visual"][test] = prep.inputs["visual"][test[partners]]
    elif condition == "vision_noise":
        if cfg.visual.source != "dvs":
            raise DataError("condition vision_noise adds event-camera noise: it needs "
                            "[visual] source = \"dvs\"")
        from .encoding import dvs_rates
        from .features.visual import clip_input
        from .paths import data_home

        cache = data_home() / "cache" / "events"
        for k, idx in enumerate(test):
            clip = prep.dataset.clips[idx]
            counts = clip_input(str(clip.video_path), cfg.visual, str(cache),
                                noise_rate_hz=float(level), noise_seed=seed * 100_003 + k)[0]
            inputs["visual"][idx] = dvs_rates(counts, cfg.visual.rate_percentile)
    elif condition == "audio_noise":
        from .datasets.media import read_audio
        from .features.audio import extract, speaker_normalise

        rng = np.random.default_rng(seed)
        noisy = []
        for idx in test:
            clip = prep.dataset.clips[idx]
            signal = add_white_noise(read_audio(clip.audio_path, cfg.audio.sample_rate_hz),
                                     float(level), rng)
            noisy.append(extract(signal.astype(np.float32), cfg.audio))
        if noisy:
            feats = np.stack([f for f, _ in noisy])
            n_valid = np.array([n for _, n in noisy])
            if cfg.audio.normalisation == "speaker":   # each speaker's noisy clips together
                feats = speaker_normalise(feats, n_valid, prep.dataset.actors[test])
            inputs["audio"][test] = encoder(feats, n_valid)
    else:
        raise ValueError(f"unknown condition {condition!r}")
    return inputs


def conditions_for(mode: str, noise_rates=NOISE_RATES_HZ, snrs=SNRS_DB,
                   visual_source: str = "dvs") -> list[tuple[str, float | None]]:
    """(condition, level) pairs that apply to a mode (vision ones need vision, audio ones audio;
    event-camera noise needs the DVS source)."""
    from .network.composition import modalities

    mods = modalities(mode)
    out: list[tuple[str, float | None]] = [("clean", None)]
    if "visual" in mods:
        out += [("vision_missing", None), ("vision_incongruent", None)]
        if visual_source == "dvs":
            out += [("vision_noise", float(r)) for r in noise_rates]
    if "audio" in mods:
        out += [("audio_noise", float(s)) for s in snrs]
    return out
