"""Who speaks, and how: speaker traits and the voice parameters of one clip.

The first two stages of the synthetic speech generator (:mod:`.speech` turns
these parameters into audio):

1. :func:`make_actor` -- speaker traits: sex (odd actor = male), base F0,
   vocal-tract length, speaking rate, loudness, voice quality, expressiveness,
   and an idiosyncratic way of showing each emotion.
2. :func:`voice_params` -- the parameters of one clip: emotion profile
   (:data:`PROFILES`, scaled by intensity and the actor's expressiveness),
   plus actor traits, plus per-clip randomness.

The clips of a set follow the RAVDESS design (:class:`Trial`, :func:`design`).
Other modalities (faces) can reuse the per-clip parameters.

Emotion profiles follow the usual acoustic findings (e.g. Banse & Scherer
1996; Juslin & Laukka 2003): anger loud, high, flat tilt, fast; sadness low,
narrow, slow, soft, steep tilt, breathy; happiness high with a wide arched
contour; fear high, fast, jittery; surprise a wide rising contour; disgust
low, slow, creaky; calm a slightly softer and slower neutral.  Actor traits
and per-clip randomness are about as large as the emotion effects, so the
classes overlap (see :mod:`.speech` for how well a classifier separates them).

All randomness comes from ``numpy.random.default_rng`` seeded by
``(seed, actor, ...)`` (:func:`rng_for`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import EMOTIONS_RAVDESS

LEAD_S, TAIL_S = 0.15, 0.15
"""Nominal silence before and after the utterance (s)."""

STRONG_GAIN = 1.6
"""Strong intensity multiplies the deviation of an emotion from neutral by this."""

# Per emotion: f0_st (F0 shift, semitones), range_st (F0 excursion, semitones),
# slope (contour: -1 falling .. +1 rising), arch (rise-fall hump), loud_db,
# rate (syllable-rate factor), jitter / shimmer (cycle-to-cycle relative sd),
# breath (aspiration noise / voice), tilt (one-pole low-pass coefficient: 0 flat
# spectrum, 0.9 steep), creak (period-doubling depth), formant (formant scale).
PROFILES: dict[str, dict[str, float]] = {
    "neutral":   dict(f0_st=0.0, range_st=3.0, slope=-0.6, arch=0.2, loud_db=0.0, rate=1.00,
                      jitter=0.006, shimmer=0.04, breath=0.05, tilt=0.55, creak=0.00, formant=1.00),
    "calm":      dict(f0_st=-0.8, range_st=2.6, slope=-0.6, arch=0.1, loud_db=-2.0, rate=0.90,
                      jitter=0.005, shimmer=0.035, breath=0.08, tilt=0.62, creak=0.00, formant=0.99),
    "happy":     dict(f0_st=3.0, range_st=6.5, slope=-0.3, arch=0.9, loud_db=3.0, rate=1.08,
                      jitter=0.006, shimmer=0.04, breath=0.05, tilt=0.42, creak=0.00, formant=1.04),
    "sad":       dict(f0_st=-1.5, range_st=1.6, slope=-0.8, arch=0.0, loud_db=-5.0, rate=0.76,
                      jitter=0.009, shimmer=0.06, breath=0.13, tilt=0.75, creak=0.08, formant=0.98),
    "angry":     dict(f0_st=3.5, range_st=4.5, slope=-0.2, arch=0.3, loud_db=7.0, rate=1.12,
                      jitter=0.007, shimmer=0.05, breath=0.03, tilt=0.20, creak=0.05, formant=1.03),
    "fearful":   dict(f0_st=5.0, range_st=4.0, slope=0.0, arch=0.2, loud_db=1.0, rate=1.18,
                      jitter=0.020, shimmer=0.07, breath=0.11, tilt=0.45, creak=0.00, formant=1.01),
    "disgust":   dict(f0_st=-2.0, range_st=4.0, slope=-0.9, arch=0.1, loud_db=0.0, rate=0.80,
                      jitter=0.012, shimmer=0.06, breath=0.07, tilt=0.60, creak=0.45, formant=0.98),
    "surprised": dict(f0_st=4.0, range_st=7.5, slope=1.0, arch=0.2, loud_db=2.0, rate=1.00,
                      jitter=0.006, shimmer=0.04, breath=0.07, tilt=0.45, creak=0.00, formant=1.02),
}
_FIELDS = tuple(PROFILES["neutral"])
_LOG_FIELDS = ("range_st", "rate", "jitter", "shimmer", "breath", "formant")
"""Fields varied multiplicatively (their random spreads below are in natural-log units)."""

# Random spread of each field (sd; log units for _LOG_FIELDS): between actors,
# between clips, and of an actor's idiosyncratic offset per emotion.
ACTOR_SD = dict(f0_st=0.0, range_st=0.25, slope=0.2, arch=0.2, loud_db=2.5, rate=0.12, jitter=0.3,
                shimmer=0.2, breath=0.3, tilt=0.08, creak=0.03, formant=0.05)
CLIP_SD = dict(f0_st=1.2, range_st=0.25, slope=0.35, arch=0.25, loud_db=2.0, rate=0.08, jitter=0.25,
               shimmer=0.25, breath=0.3, tilt=0.07, creak=0.04, formant=0.02)
QUIRK_SD = {k: 0.8 * v for k, v in CLIP_SD.items()}
EXPRESSIVENESS_SD = 0.3
"""sd of the log of an actor's expressiveness (scales all emotion deviations)."""


@dataclass(frozen=True)
class Actor:
    """Speaker traits.

    Attributes
    ----------
    number : int
        1-24; odd = male, even = female.
    f0_hz : float
        Base F0 (Hz) of neutral speech.
    vtl_scale : float
        Formant scale from vocal-tract length (male about 1, female about 1.16).
    offsets : dict
        Per voice field, the actor's offset (log units for multiplicative fields).
    expressiveness : float
        Multiplies the emotion deviations from neutral.
    quirks : dict
        Per emotion, per field: the actor's idiosyncratic offset for that emotion.
    noise_db : float
        Background noise level (dBFS) of the actor's recordings.
    """

    number: int
    f0_hz: float
    vtl_scale: float
    offsets: dict
    expressiveness: float
    quirks: dict
    noise_db: float

    @property
    def male(self) -> bool:
        """Odd actor numbers are male (as in RAVDESS)."""
        return self.number % 2 == 1


@dataclass(frozen=True)
class Trial:
    """One clip of the design (RAVDESS codes, all 1-based)."""

    actor: int
    emotion: int
    intensity: int
    statement: int
    repetition: int

    @property
    def relpath(self) -> str:
        """``"Actor_AA/03-01-EE-II-SS-RR-AA.wav"``."""
        codes = (3, 1, self.emotion, self.intensity, self.statement, self.repetition, self.actor)
        return f"Actor_{self.actor:02d}/" + "-".join(f"{c:02d}" for c in codes) + ".wav"


@dataclass(frozen=True)
class VoiceParams:
    """Voice parameters of one clip (natural units; see :data:`PROFILES` for the fields).

    ``f0_hz`` is the clip's F0 level, ``loud_db`` its level relative to
    -26 dBFS RMS, ``rate`` its syllable-rate factor, ``formant`` the total
    formant scale (vocal tract times emotion), ``noise_db`` the background
    noise level (dBFS) and ``onset_s`` the start of speech.
    """

    f0_hz: float
    range_st: float
    slope: float
    arch: float
    loud_db: float
    rate: float
    jitter: float
    shimmer: float
    breath: float
    tilt: float
    creak: float
    formant: float
    noise_db: float
    onset_s: float


def design(n_actors: int) -> list[Trial]:
    """All trials of a set, RAVDESS design.

    Per actor: 8 emotions x intensity (normal, and strong except for neutral)
    x 2 statements x 2 repetitions.

    Returns
    -------
    list of Trial
        ``60 * n_actors`` trials, in file-name order.
    """
    return [Trial(a, e, i, s, r)
            for a in range(1, n_actors + 1)
            for e in range(1, len(EMOTIONS_RAVDESS) + 1)
            for i in ((1,) if e == 1 else (1, 2))
            for s in (1, 2) for r in (1, 2)]


def rng_for(*keys: int) -> np.random.Generator:
    """Generator seeded by a tuple of non-negative ints."""
    return np.random.default_rng(np.random.SeedSequence([int(k) for k in keys]))


def _to_space(key: str, value: float) -> float:
    """A voice field in the space where random offsets add: log for :data:`_LOG_FIELDS`."""
    return float(np.log(value)) if key in _LOG_FIELDS else value


def _from_space(key: str, value: float) -> float:
    """Inverse of :func:`_to_space`."""
    return float(np.exp(value)) if key in _LOG_FIELDS else float(value)


def _draw(rng: np.random.Generator, sd: dict[str, float]) -> dict[str, float]:
    """One normal draw per voice field, scaled by ``sd``, in the order of ``_FIELDS``."""
    z = rng.standard_normal(len(_FIELDS))
    return {k: float(sd[k] * zk) for k, zk in zip(_FIELDS, z)}


def make_actor(number: int, seed: int) -> Actor:
    """Draw the traits of actor ``number`` (depends only on ``seed`` and ``number``)."""
    rng = rng_for(seed, number, 0)
    male = number % 2 == 1
    f0 = (115.0 if male else 205.0) * 2 ** (rng.normal(0.0, 2.0) / 12)
    vtl = (1.0 if male else 1.16) * np.exp(rng.normal(0.0, 0.04))
    offsets = _draw(rng, ACTOR_SD)
    expressiveness = float(np.exp(rng.normal(0.0, EXPRESSIVENESS_SD)))
    quirks = {e: _draw(rng, QUIRK_SD) for e in EMOTIONS_RAVDESS}
    noise_db = float(rng.normal(-52.0, 4.0))
    return Actor(number, float(f0), float(vtl), offsets, expressiveness, quirks, noise_db)


def voice_params(actor: Actor, trial: Trial, seed: int) -> VoiceParams:
    """Parameters of one clip: emotion profile x intensity x expressiveness + actor + clip noise."""
    rng = rng_for(seed, trial.actor, trial.emotion, trial.intensity, trial.statement, trial.repetition, 1)
    emotion = EMOTIONS_RAVDESS[trial.emotion - 1]
    gain = (STRONG_GAIN if trial.intensity == 2 else 1.0) * actor.expressiveness
    clip = _draw(rng, CLIP_SD)
    v = {}
    for k in _FIELDS:
        base, emo = _to_space(k, PROFILES["neutral"][k]), _to_space(k, PROFILES[emotion][k])
        spread = actor.offsets[k] + actor.quirks[emotion][k] + clip[k]
        v[k] = _from_space(k, base + gain * (emo - base) + spread)
    return VoiceParams(
        f0_hz=actor.f0_hz * 2 ** (v["f0_st"] / 12), range_st=v["range_st"], slope=v["slope"],
        arch=v["arch"], loud_db=v["loud_db"], rate=v["rate"], jitter=v["jitter"],
        shimmer=v["shimmer"], breath=v["breath"], tilt=float(np.clip(v["tilt"], 0.0, 0.92)),
        creak=float(np.clip(v["creak"], 0.0, 0.8)), formant=actor.vtl_scale * v["formant"],
        noise_db=actor.noise_db + float(rng.normal(0.0, 2.0)),
        onset_s=float(LEAD_S * rng.uniform(0.6, 1.4)))
