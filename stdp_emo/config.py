"""Experiment configuration: one frozen dataclass per pipeline stage, read from TOML.

A config file has one table per stage::

    [data]
    dataset = "ravdess"
    split = "speaker"

    [audio]
    kind = "mel"

    [network]
    n_features = 40

Unknown tables or keys and values of the wrong type are rejected with a
:class:`~stdp_emo.errors.ConfigError` naming the file and the key.  Units are
part of the field names (``tau_pre_ms``, ``max_rate_hz``); defaults come from
:mod:`stdp_emo.network.parameters`.  :func:`stdp_emo.network.namespace.build_namespace`
is the one place where these plain numbers become Brian2 quantities.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import tomllib
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from .errors import ConfigError
from .network import parameters as P

#: the network modes (one definition: the CLI, campaigns and the composition read it)
Mode = Literal["audio", "visual", "early_fusion", "crossmodal"]
MODES: tuple[str, ...] = typing.get_args(Mode)
#: the audio feature kinds ("egemaps_mfcc": the clip's eGeMAPS functionals held over its real
#: frames above its MFCCs, see :mod:`stdp_emo.features.audio`)
FeatureKind = Literal["mfcc", "mel", "egemaps", "egemaps_mfcc"]
FEATURE_KINDS: tuple[str, ...] = typing.get_args(FeatureKind)
#: ``[network]`` layer sizes where 0 means ``neurons_per_clip`` per training clip (resolved
#: when a network is trained: :meth:`ExperimentConfig.sized_for_training`)
SIZED_PER_CLIP: tuple[str, ...] = ("dense_n_neurons", "au_n_neurons", "fusion_n_neurons")


def _v(p: P.Param):
    return p.value


@dataclass(frozen=True)
class DataConfig:
    """Which data, and how it is split.

    Attributes
    ----------
    dataset : {"synthetic", "ravdess", "enterface"}
    root : str
        Dataset folder ("" = the dataset's default location).
    split : {"random", "speaker"}
        ``random``: stratified random split (the paper's protocol);
        ``speaker``: whole actors held out (speaker-independent).
    test_fraction : float
        Fraction of samples (random) or of actors (speaker) in the test set.
    seed : int
        Seed of the split.
    include_song : bool
        RAVDESS: also use the song clips (vocal channel 02).
    max_per_class : int
        Use at most this many clips per emotion (0 = all); for quick runs.
    holdout : {"test", "validation"}
        ``test``: evaluate on the test split.  ``validation``: for tuning, split
        the *training* part again (same kind and fraction) and evaluate on that
        validation part; the test split is not used at all.
    """

    dataset: Literal["synthetic", "ravdess", "enterface"] = "synthetic"
    root: str = ""
    split: Literal["random", "speaker"] = "random"
    test_fraction: float = 0.2
    seed: int = 0
    include_song: bool = False
    max_per_class: int = 0
    holdout: Literal["test", "validation"] = "test"


@dataclass(frozen=True)
class AudioConfig:
    """Audio features (librosa; openSMILE for eGeMAPS).

    Attributes
    ----------
    kind : {"mfcc", "mel", "egemaps", "egemaps_mfcc"}
        40 MFCCs or a 128-band log-Mel spectrogram (MBY19), frame by frame; or
        the 88 eGeMAPS v02 functionals of the clip (Eyben et al. 2016), a
        one-frame feature image (:mod:`stdp_emo.features.functionals`; the
        frame, trimming and length fields below do not apply to it).
        "egemaps_mfcc": both, the functionals held over the MFCCs' real frames
        above the MFCCs, shape (88 + n_mfcc, n_frames).
    sample_rate_hz : int
        Audio is resampled to this rate on load.
    n_fft : int
        FFT size in samples.
    win_length_samples, hop_length_samples : int
        Analysis window and hop (25 ms / 10 ms at 16 kHz).
    n_mfcc : int
        Number of MFCCs (kind = "mfcc").
    n_mels : int
        Mel bands (128 for kind = "mel"; the MFCCs are computed from this Mel spectrogram too).
    fmax_hz : float
        Highest Mel band edge (MBY19: 8 kHz).
    n_frames : int
        Frames after padding or cropping (MBY19: 388).
    trim_db : float
        Leading/trailing silence quieter than this (dB below the peak) is trimmed
        before analysis; 0 disables trimming.
    scale_low_percentile, scale_high_percentile : float
        Scaling to [0, 1]: per coefficient (row), values at these percentiles of
        the *training split* map to 0 and 1; values outside are clipped.
        Padded frames are 0 (no input spikes).
    normalisation : {"none", "speaker"}
        ``speaker``: a separately named protocol: before scaling, every clip's
        features are standardised per coefficient with the mean and s.d. over
        the real frames of *all* clips of its speaker (test speakers included:
        their unlabelled audio is used, never their labels).
    speaker_subspace_dims : int
        > 0: before scaling, the features lose this many directions in which
        the *training* speakers' mean features differ most (nuisance attribute
        projection, :mod:`stdp_emo.features.speaker_subspace`; uses the training
        clips' speakers, no emotion label, nothing of the test speakers; a model
        applies the same projection to new recordings).  0: off.
    """

    kind: FeatureKind = "egemaps"
    sample_rate_hz: int = 16000
    n_fft: int = 512
    win_length_samples: int = 400
    hop_length_samples: int = 160
    n_mfcc: int = 40
    n_mels: int = 128
    fmax_hz: float = 8000.0
    n_frames: int = 388
    trim_db: float = 30.0
    scale_low_percentile: float = 1.0
    scale_high_percentile: float = 99.0
    normalisation: Literal["none", "speaker"] = "none"
    speaker_subspace_dims: int = 0

    def __post_init__(self):
        if self.speaker_subspace_dims < 0:
            raise ValueError(f"speaker_subspace_dims must be >= 0, got {self.speaker_subspace_dims}")


@dataclass(frozen=True)
class VisualConfig:
    """The visual input: face video -> simulated event camera (DVS) -> input rates, or real
    facial action units per clip.

    The event-camera fields (``dvs_method`` to ``dvs_seed``) are the parameters of the
    emulator, :func:`stdp_emo.features.dvs.emulate`, which reads them from this config.

    Attributes
    ----------
    source : {"dvs", "au"}
        ``dvs``: face videos through the event-camera emulator (the fields below);
        ``au``: per-clip facial action units from a CSV (OpenFace clip means, see
        :mod:`stdp_emo.datasets.action_units`), scaled on the training split.
    au_csv : str
        The action-unit file; "" = ``<data root>/../ravdess_au/openface_au_clip_means.csv``.
    dvs_method : {"v2e", "framediff"}
        ``v2e``: v2e-style log-intensity threshold crossings (several events per
        pixel and frame possible); ``framediff``: the frame-difference scheme of
        Wang et al. (Spiking Emotions), one event per pixel and frame when the
        linear intensity difference exceeds ``sensitivity``.
    pos_threshold, neg_threshold : float
        Nominal ON / OFF contrast thresholds (change of natural log intensity; v2e).
    threshold_sigma : float
        Standard deviation of the per-pixel thresholds around the nominal values
        (drawn once; clipped to at least 0.01).
    refractory_us : int
        Per-pixel refractory period, microseconds: an event closer than this to the
        pixel's previous event is dropped.
    leak_rate_hz : float
        Leak events: the memorised level of every pixel falls by
        ``leak_rate_hz * pos_threshold`` per second, so a static pixel fires ON
        events at about this rate (random initial phase per pixel).
    shot_noise_rate_hz : float
        Poisson noise events per pixel per second (half ON, half OFF); they
        neither move the memorised level nor obey the refractory period.
    upsample_factor : int
        Temporal upsampling: ``k - 1`` linearly interpolated frames are inserted
        between consecutive frames (1 = none).  Linear interpolation is monotonic
        between frames, so it changes event times (crossings are then placed on
        the interpolated intensity) but not event counts; v2e uses a learned
        (SuperSloMo) interpolator instead.
    sensitivity : float
        Threshold of the frame-difference scheme, on [0, 1] intensity.
    dvs_seed : int
        Seed of the per-pixel thresholds, leak phase and noise.
    crop_size : int
        Face crop side (the sensor is crop_size x crop_size; MBY19: 100).
    merge_polarity : bool
        One input channel for ON and OFF events instead of two.
    rate_percentile : float
        Event counts per input are divided by this percentile of the clip's
        non-zero counts and clipped to 1 (100: by the largest count, so one hot
        pixel sets the scale of the whole clip; lower values raise the drive of
        the many weakly active pixels).  Default 50, chosen on the validation
        part of the synthetic set's training split (visual-only, seed 0; 58
        validation clips): percentile 100 / 90 / 75 / 50 / 25 gave 17 / 24 /
        33 / 38 / 38 % accuracy and 11 / 114 / 211 / 340 / 481 excitatory
        spikes per training sample.
    """

    source: Literal["dvs", "au"] = "dvs"
    au_csv: str = ""
    dvs_method: Literal["v2e", "framediff"] = "v2e"
    pos_threshold: float = 0.2
    neg_threshold: float = 0.2
    threshold_sigma: float = 0.03
    refractory_us: int = 0
    leak_rate_hz: float = 0.0
    shot_noise_rate_hz: float = 0.0
    upsample_factor: int = 1
    sensitivity: float = 0.15
    dvs_seed: int = 0
    crop_size: int = 100
    merge_polarity: bool = False
    rate_percentile: float = 50.0

    def check_dvs(self) -> None:
        """Raise ValueError if an event-camera field is out of range.

        Called when a config is read (as a :class:`ConfigError` naming the file) and
        by the emulator, for configs built in Python.
        """
        if self.dvs_method not in ("v2e", "framediff"):
            raise ValueError(f"dvs_method must be 'v2e' or 'framediff', got {self.dvs_method!r}")
        if min(self.pos_threshold, self.neg_threshold) <= 0 or self.threshold_sigma < 0:
            raise ValueError("thresholds must be > 0 and threshold_sigma >= 0")
        if min(self.refractory_us, self.leak_rate_hz, self.shot_noise_rate_hz) < 0:
            raise ValueError("refractory_us, leak_rate_hz and shot_noise_rate_hz must be >= 0")
        if not 0 < self.sensitivity < 1:
            raise ValueError("sensitivity must be in (0, 1)")
        if int(self.upsample_factor) < 1:
            raise ValueError(f"upsample_factor must be >= 1, got {self.upsample_factor}")


@dataclass(frozen=True)
class EncodingConfig:
    """Rate coding of features into Poisson spike trains (DC15-code, MBY19).

    Attributes
    ----------
    max_rate_hz : float
        Rate of a feature value of 1.
    present_ms, rest_ms : float
        Presentation and rest time per sample.
    frozen_present_ms : float
        > 0: the presentation time of the frozen phases (labelling, test, predict,
        rasters) instead of ``present_ms``; learning keeps ``present_ms``.  A longer
        frozen presentation gives the lateral-inhibition race more input spikes to
        decide on (:func:`stdp_emo.encoding.phase_encoding`).  0 (default): ``present_ms``.
    dt_ms : float
        Simulation time step.
    min_spikes : int
        A sample making the excitatory layer fire fewer spikes is presented again ...
    intensity_step : float
        ... with its rates multiplied by ``1 + k * intensity_step`` at retry k ...
    max_retries : int
        ... at most this many times.
    audio_code : {"population", "image", "temporal"}
        How scaled audio features become input rates.  ``image`` (MBY19): one
        input per coefficient and frame, the (n_coeff, n_frames) image with the
        padding (rate 0).  ``population`` (default): a time-invariant value
        distribution code: every coefficient drives ``population_bins`` inputs
        with Gaussian tuning curves over [0, 1]; an input's rate is its tuning
        curve's mean response over the clip's real frames, so where in the clip
        speech happens and how much padding follows change nothing.  The audio
        layer is then fully connected (``network.dense_n_neurons`` neurons;
        ``window``/``stride``/``n_features`` apply to the image code and to vision).
        ``temporal``: the population code of successive segments of the clip's
        real frames streams through the input layer during the presentation
        (``temporal_segments``, ``temporal_taps``), into a fully connected layer
        as for ``population``.
    population_bins : int
        Preferred values (tuning-curve centres ``(b + 0.5) / bins``) per coefficient.
    population_sigma_bins : float
        Tuning-curve standard deviation, in bin spacings (``1 / bins``).
    population_contrast_sd : float
        > 0: the population code drives ON/OFF inputs, its deviation from the
        training split's mean in units of s.d., full rate at this many s.d.
        (:func:`stdp_emo.encoding.contrast_code`); 0: the code itself.
    temporal_segments : int
        ``audio_code = "temporal"``: the clip's real frames are cut into this many
        equal segments, each shown for ``present_ms / temporal_segments`` in turn
        (the population code of its frames), through the same input layer and
        synapses (weight sharing along time); a clip's spikes are pooled over its
        whole presentation.  ``present_ms + rest_ms`` must be a whole number of
        segments, a segment a whole number of time steps.
    temporal_taps : int
        ``audio_code = "temporal"``: delay taps: during segment ``s`` the input layer
        shows segments ``s, s - 1, ..., s - taps + 1`` side by side (before the first
        segment: silent), so a neuron can learn a short spectral sequence.
    au_copies : int
        Visual source ``"au"``: Poisson inputs per action unit (same rate, independent
        spikes; :func:`stdp_emo.encoding.au_rates`).
    au_contrast_sd : float
        Visual source ``"au"``: > 0: every scaled action unit drives ON/OFF inputs, its
        deviation from the training mean in s.d., full rate at this many s.d.
        (:class:`stdp_emo.encoding.AUEncoder`); 0: the scaled values themselves.
    """

    max_rate_hz: float = _v(P.MAX_RATE)
    present_ms: float = _v(P.PRESENT)
    rest_ms: float = _v(P.REST)
    frozen_present_ms: float = 0.0
    dt_ms: float = _v(P.DT)
    min_spikes: int = int(_v(P.MIN_SPIKES))
    intensity_step: float = _v(P.INTENSITY_STEP)
    max_retries: int = int(_v(P.MAX_RETRIES))
    audio_code: Literal["population", "image", "temporal"] = "population"
    population_bins: int = int(_v(P.POPULATION_BINS))
    population_sigma_bins: float = _v(P.POPULATION_SIGMA_BINS)
    population_contrast_sd: float = _v(P.POPULATION_CONTRAST_SD)
    temporal_segments: int = int(_v(P.TEMPORAL_SEGMENTS))
    temporal_taps: int = int(_v(P.TEMPORAL_TAPS))
    au_copies: int = int(_v(P.AU_COPIES))
    au_contrast_sd: float = _v(P.AU_CONTRAST_SD)


@dataclass(frozen=True)
class NetworkConfig:
    """Topology and learning of one excitatory/inhibitory layer (DC15, MBY19).

    Attributes
    ----------
    window, stride : int
        Convolution window and stride along time (audio: frames, all
        coefficients in every window; vision: pixels in x and y).
    n_features : int
        Excitatory neurons per window position.  Weights are *not* shared
        between positions (locally connected, as SSK18 and the peers).
    inhibition : {"window", "all"}
        Lateral inhibition reaches the other neurons of the same window
        position (SSK18), or every other excitatory neuron (DC15).
    stdp_rule : {"trace", "paper"}
        ``trace`` (default): DC15-code pre/post rule with a second post trace;
        ``paper``: dw = eta (x_pre - x_tar)(w_max - w)^mu on post spikes (DC15
        eq. 4, MBY19; ``configs/paper.toml``).  Chosen on RAVDESS validation data
        (population code, 5 epochs, 2 seeds): trace 31.2 % / paper 26.6 % with the
        mean vote, 34.4 % / 27.4 % with the proportion vote.
    visual_lead_ms : float
        Multimodal modes: the audio input starts this long after the visual
        input (MBY19: vision precedes audition by a few ms).
    cross_norm_per_synapse : float
        Cross-modal mode: visual->audio column sum per synapse.
    cross_fan_in : int
        Cross-modal mode: visual synapses an audio neuron receives, on average: every
        (visual, audio) pair is connected with probability ``min(1, cross_fan_in /
        visual neurons)`` from a fixed seed (all-to-all when the visual layer has at most
        ``cross_fan_in`` neurons).  Default 768: all-to-all for the action-unit layer,
        12.8 % of the 6,000-neuron event-camera layer (figures in
        ``network.parameters.CROSS_FAN_IN``).
    cross_gain : float
        Cross-modal mode: conductance a visual->audio synapse opens per unit weight,
        relative to the input synapses (1 = the same, the paper's description).  The
        weights learn and are normalised as before; only their effect on the audio
        neurons is scaled.  Default 10, chosen on RAVDESS validation data (figures in
        ``network.parameters.CROSS_GAIN``).
    cross_init : {"random", "cooccurrence"}
        Cross-modal mode, with imprinting (``w_init = "samples"``): the visual->audio
        synapses start random (DC15, MBY19: "initialised like the input weights") or,
        the default, from co-occurrence: every audio neuron, imprinted from one training
        clip, is connected to the ``cross_init_top`` visual neurons that respond most to
        that clip's face (no labels, only the pairing of a clip's two modalities;
        :func:`stdp_emo.network.state.cooccurrence_weights`).  Chosen on RAVDESS
        validation data with action units (random split, seed 0): random weights 52.6 %
        (``cross_gain`` 30), co-occurrence 53.1 % (gain 30) and 65.1 % (gain 10); with
        random weights STDP does not find the associations in 5 epochs.  Without
        imprinting (``w_init = "random"``) the weights start random either way.
    cross_init_top : int
        Visual neurons each audio neuron is connected to by ``cross_init = "cooccurrence"``.
    fusion_n_neurons : int
        Early fusion: size of the multimodal excitatory layer (one inhibition pool);
        0: ``neurons_per_clip`` per training clip (see ``dense_n_neurons``).
    fusion_from : {"layers", "inputs"}
        Early fusion: the multimodal layer learns from the audio and visual excitatory
        layers (``layers``), or from the audio and visual inputs themselves, fully
        connected, each projection normalised like an input layer's (``inputs``,
        default: feature-level fusion, no unimodal layers).  Chosen on RAVDESS
        validation data with facial action units (seeds 0 / 1): from the layers the
        multimodal layer fired 2.6 spikes per sample (retries made an epoch take
        268 s, seed 0); from the inputs 36 spikes per sample and 49.0 / 46.4 %
        against 41.1 / 40.6 % audio-only.  With DVS input (20,000 inputs) the
        fused layer has 8.5 million synapses: ``layers`` is the smaller network.
    fusion_norm_per_synapse : float
        Early fusion: exc->multimodal column sum per synapse.
    fusion_visual_fan_in : int
        Early fusion: visual synapses a multimodal neuron receives, on average (from the
        visual inputs, or from the visual excitatory neurons with ``fusion_from =
        "layers"``): every (visual, multimodal) pair is connected with probability
        ``min(1, fusion_visual_fan_in / visual sources)`` from a fixed seed.  The audio
        projection stays all-to-all.  Default 1,408 (the default audio code's size):
        all-to-all for action units, 7 % of the 20,000 event-camera inputs (figures in
        ``network.parameters.FUSION_VISUAL_FAN_IN``).
    dense_n_neurons : int
        Excitatory neurons of the fully connected audio layer that the
        population code (``encoding.audio_code``) drives (one inhibition pool).
        0 (default): sized from the training split, ``neurons_per_clip`` per
        training clip, when a network is trained
        (:meth:`ExperimentConfig.sized_for_training`); the trained model's config
        holds the resolved number.  A number > 0 fixes the size.
    neurons_per_clip : float
        Neurons per training clip of every layer sized 0 (:data:`SIZED_PER_CLIP`):
        ``round(value x training clips)`` (default 1.0: one per clip, each imprinted
        from its own clip with ``w_init = "samples"``; RAVDESS's 960 training clips
        give 960).
    au_n_neurons : int
        Excitatory neurons of the fully connected visual layer that facial action
        units (``visual.source = "au"``) drive (one inhibition pool); 0: per
        training clip, as ``dense_n_neurons``.
    w_init : {"random", "samples"}
        Initial input weights: DC15's random ones, or imprinting: every neuron
        starts from the input code of one training clip (no labels; see
        :func:`stdp_emo.simulate.initial_state`).
    """

    window: int = int(_v(P.WINDOW))
    stride: int = int(_v(P.STRIDE))
    n_features: int = int(_v(P.N_FEATURES))
    inhibition: Literal["window", "all"] = "window"
    stdp_rule: Literal["paper", "trace"] = "trace"
    eta: float = _v(P.ETA)
    x_tar: float = _v(P.X_TAR)
    mu: float = _v(P.MU)
    nu_pre: float = _v(P.NU_PRE_IMPRINTED)
    nu_post: float = _v(P.NU_POST_IMPRINTED)
    tau_pre_ms: float = _v(P.TAU_PRE)
    tau_post1_ms: float = _v(P.TAU_POST1)
    tau_post2_ms: float = _v(P.TAU_POST2)
    w_max: float = _v(P.W_MAX)
    w_init_max: float = _v(P.W_INIT_MAX)
    w_init: Literal["random", "samples"] = "samples"
    norm_per_synapse: float = _v(P.NORM_PER_SYNAPSE)
    theta_plus_mv: float = _v(P.THETA_PLUS)
    tau_theta_ms: float = _v(P.TAU_THETA)
    theta_init_mv: float = _v(P.THETA_INIT)
    spike_block_ms: float = _v(P.SPIKE_BLOCK_EXC)
    w_exc_inh: float = _v(P.W_EXC_INH)
    w_inh_exc: float = _v(P.W_INH_EXC)
    visual_lead_ms: float = _v(P.VISUAL_LEAD)
    cross_norm_per_synapse: float = _v(P.CROSS_NORM_PER_SYNAPSE)
    cross_gain: float = _v(P.CROSS_GAIN)
    cross_fan_in: int = int(_v(P.CROSS_FAN_IN))
    cross_init: Literal["random", "cooccurrence"] = "cooccurrence"
    cross_init_top: int = int(_v(P.CROSS_INIT_TOP))
    fusion_n_neurons: int = int(_v(P.FUSION_N_NEURONS))
    fusion_from: Literal["layers", "inputs"] = "inputs"
    fusion_norm_per_synapse: float = _v(P.FUSION_NORM_PER_SYNAPSE)
    fusion_visual_fan_in: int = int(_v(P.FUSION_VISUAL_FAN_IN))
    dense_n_neurons: int = int(_v(P.DENSE_N_NEURONS))             # 0: per training clip
    neurons_per_clip: float = _v(P.NEURONS_PER_CLIP)
    au_n_neurons: int = int(_v(P.AU_N_NEURONS))


@dataclass(frozen=True)
class TrainConfig:
    """Training schedule.

    Attributes
    ----------
    modality : {"audio", "visual", "early_fusion", "crossmodal"}
        Which input the network learns from, and how the modalities are
        composed: audio-only, visual-only, a multimodal layer fed by both
        excitatory layers (early fusion), or visual excitatory neurons
        projecting into the audio layer (cross-modal enhancement).
    epochs : int
        Passes over the training split with plasticity on (default 5; the
        paper's design, ``configs/paper.toml``, 1).  RAVDESS validation,
        population code: 1 / 5 / 10 epochs 23 / 28 / 29 % (paper rule, seed 0).
    seed : int
        Seed of weights, sample order and Poisson spikes.
    chunk_size : int
        Samples per compiled simulation run (the binary is reused across chunks).
    eval_workers : int
        Processes for labelling and testing (0: automatic, every core up to 2
        when there are enough samples); results do not depend on it.
    device : {"cpp_standalone"}
        Brian2 device.
    vote : {"mean", "normalised", "proportion"}
        Unsupervised classifier (:mod:`stdp_emo.evaluation`): ``mean`` (DC15):
        the class whose assigned neurons respond most on average; ``normalised``:
        the same on responses divided by each neuron's mean response to the
        labelling set, so that neurons that fire for everything do not dominate;
        ``proportion`` (BindsNET, default): assigned neurons' counts weighted by the
        fraction of their labelling response that went to their class.  Chosen on
        RAVDESS validation data (trace rule, 2 seeds): mean 31.2 %, normalised
        33.1 %, proportion 34.4 %; every run records all three.
    vote_layers : {"readout", "all"}
        Which excitatory neurons are labelled and vote: those of every excitatory
        layer (``all``, default: cross-modal then lets the visual neurons vote beside
        the audio ones they enhance, a decision-level fusion on top of the cross-modal
        one) or those of the mode's labelled layer only (``readout``: the paper's,
        cross-modal votes with the audio layer; ``configs/paper.toml``).  One-layer
        networks (audio, visual, early fusion from the inputs) are the same either
        way.  Multimodal runs record each layer's vote and all layers'
        (``accuracy_by_vote_layers``).  Chosen on RAVDESS validation data with facial
        action units (cross-modal, seeds 0 / 1): random split 72.4 / 72.9 % against
        65.1 / 62.0 % with the audio neurons alone; speaker split 56.7 / 57.8 %
        against 53.9 / 56.7 %.
    layer_vote : {"pooled", "per_layer"}
        How several voting layers are combined: ``pooled``: one class mean over all
        their labelled neurons, so a layer's say grows with its number of neurons;
        ``per_layer`` (default): each layer's class means are summed, every layer has
        the same say (:func:`stdp_emo.evaluation.vote_weights`, ``groups``).  Chosen on
        RAVDESS validation data (cross-modal, random split, seeds 0 / 1,
        ``benchmarks/results/crossmodal_val_layer_vote.json``): with the 6,000-neuron
        event-camera layer (faces rendered from real action units) per layer 50.5 / 55.2 %
        against pooled 40.1 / 45.3 %; with the 768-neuron action-unit layer 71.9 / 71.9 %
        against 72.4 / 72.9 % (one and two clips of 192).  Late fusion combines its two
        networks the same way.
    """

    modality: Mode = "audio"
    epochs: int = 5
    seed: int = 0
    chunk_size: int = 40
    eval_workers: int = 0
    device: Literal["cpp_standalone"] = "cpp_standalone"
    vote: Literal["mean", "normalised", "proportion"] = "proportion"
    vote_layers: Literal["readout", "all"] = "all"
    layer_vote: Literal["pooled", "per_layer"] = "per_layer"


@dataclass(frozen=True)
class ExperimentConfig:
    """All stages together; one TOML table per field."""

    data: DataConfig = field(default_factory=DataConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    visual: VisualConfig = field(default_factory=VisualConfig)
    encoding: EncodingConfig = field(default_factory=EncodingConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def replace(self, **sections: dict[str, Any]) -> "ExperimentConfig":
        """Return a copy with some fields of some sections changed (validated)."""
        merged = to_dict(self)
        for name, values in sections.items():
            if name not in merged:
                raise ConfigError(f"unknown config section [{name}]")
            merged[name].update(values)
        return from_dict(merged, source="<override>")

    def sized_for_training(self, n_train_clips: int) -> "ExperimentConfig":
        """This config with the layer sizes that follow the training split resolved.

        Every ``[network]`` size of :data:`SIZED_PER_CLIP` that is 0 becomes
        ``round(neurons_per_clip x n_train_clips)`` (at least 1); a config with fixed
        sizes is returned unchanged.  Called once, when a network is trained; a
        trained model keeps the resolved sizes.

        Parameters
        ----------
        n_train_clips : int
            Clips of the training split (after clips without usable input are left out).
        """
        n = max(1, round(self.network.neurons_per_clip * n_train_clips))
        sizes = {k: n for k in SIZED_PER_CLIP if getattr(self.network, k) == 0}
        return self.replace(network=sizes) if sizes else self

    def digest(self, *sections: str) -> str:
        """Short stable hash of the given sections (all if none), for cache keys."""
        d = to_dict(self)
        if sections:
            d = {k: d[k] for k in sections}
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]


# ------------------------------------------------------------------ TOML I/O
def _check_value(value: Any, tp: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is Literal:
        choices = typing.get_args(tp)
        if value not in choices:
            raise ConfigError(f"{where}: {value!r} is not one of {', '.join(map(repr, choices))}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true/false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    raise TypeError(f"unsupported config type {tp!r}")


#: keys of earlier versions -> what replaced them (a clearer error than "unknown key")
RENAMED_KEYS = {
    "cross_p_connect": "replaced by cross_fan_in (visual synapses per audio neuron, on average; "
                       "all-to-all = a value >= the visual layer's size)",
}


def _section_from_dict(cls, values: Any, where: str):
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: expected a table, got {values!r}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for key in values:
        if key in RENAMED_KEYS and key not in known:
            raise ConfigError(f"{where}.{key}: {RENAMED_KEYS[key]}")
        if key not in known:
            raise ConfigError(f"{where}: unknown key '{key}' (known: {', '.join(sorted(known))})")
    kwargs = {k: _check_value(v, hints[k], f"{where}.{k}") for k, v in values.items()}
    obj = cls(**kwargs)
    validate_section(obj, where)
    return obj


def segment_steps(enc: "EncodingConfig") -> tuple[int, int]:
    """``(time steps per segment, segments per sample)`` of the temporal audio presentation
    (a sample is ``present_ms + rest_ms``; the rest's segments are silent)."""
    seg = enc.present_ms / enc.temporal_segments / enc.dt_ms
    return int(round(seg)), int(round((enc.present_ms + enc.rest_ms) / enc.dt_ms / round(seg)))


def _check_segments(enc: "EncodingConfig", where: str) -> None:
    seg_ms = enc.present_ms / enc.temporal_segments
    steps = seg_ms / enc.dt_ms
    if abs(steps - round(steps)) > 1e-9 or round(steps) < 1:
        raise ConfigError(f"{where}.temporal_segments: present_ms / temporal_segments = "
                          f"{seg_ms:g} ms is not a whole number of time steps (dt_ms {enc.dt_ms:g})")
    per_sample = (enc.present_ms + enc.rest_ms) / seg_ms
    if abs(per_sample - round(per_sample)) > 1e-9:
        raise ConfigError(f"{where}.temporal_segments: present_ms + rest_ms = "
                          f"{enc.present_ms + enc.rest_ms:g} ms is not a whole number of "
                          f"{seg_ms:g} ms segments (e.g. 350 + 150 ms: 7, 14 or 35 segments)")
    if enc.temporal_taps > enc.temporal_segments:
        raise ConfigError(f"{where}.temporal_taps: must be <= temporal_segments "
                          f"({enc.temporal_segments}), got {enc.temporal_taps}")


def validate_section(obj, where: str) -> None:
    """Range checks that types alone cannot express."""
    for f in fields(obj):
        v = getattr(obj, f.name)
        if isinstance(v, float) and not math.isfinite(v):
            raise ConfigError(f"{where}.{f.name}: must be a finite number, got {v!r}")
        positive = ((f.name.endswith(("_ms", "_samples"))
                     and f.name not in ("visual_lead_ms", "frozen_present_ms"))
                    or f.name in
                    {"n_fft", "n_mfcc", "n_mels", "n_frames", "window", "stride", "n_features",
                     "epochs", "chunk_size", "w_max", "norm_per_synapse", "crop_size",
                     "upsample_factor", "cross_norm_per_synapse", "cross_gain",
                     "fusion_norm_per_synapse", "cross_fan_in", "fusion_visual_fan_in",
                     "neurons_per_clip", "population_bins", "population_sigma_bins", "au_copies",
                     "cross_init_top", "temporal_segments", "temporal_taps"})
        if positive and not isinstance(v, str) and v <= 0:
            raise ConfigError(f"{where}.{f.name}: must be > 0, got {v!r}")
    if isinstance(obj, NetworkConfig):
        # learning rates, trace targets, exponents and fixed weights: zero switches a term off,
        # a negative value has no meaning (a negative rate would unlearn)
        for name in ("eta", "x_tar", "mu", "nu_pre", "nu_post", "w_init_max", "theta_plus_mv",
                     "theta_init_mv", "w_exc_inh", "w_inh_exc", "spike_block_ms",
                     *SIZED_PER_CLIP):
            if getattr(obj, name) < 0:
                raise ConfigError(f"{where}.{name}: must be >= 0, got {getattr(obj, name)!r}")
    if isinstance(obj, EncodingConfig):
        for name in ("population_contrast_sd", "au_contrast_sd"):
            if getattr(obj, name) < 0:
                raise ConfigError(f"{where}.{name}: must be >= 0 (0 = no contrast code), "
                                  f"got {getattr(obj, name)!r}")
        if obj.frozen_present_ms < 0:
            raise ConfigError(f"{where}.frozen_present_ms: must be >= 0 (0 = present_ms), "
                              f"got {obj.frozen_present_ms!r}")
        if obj.audio_code == "temporal":
            _check_segments(obj, where)
            if obj.frozen_present_ms > 0:
                _check_segments(dataclasses.replace(obj, present_ms=obj.frozen_present_ms),
                                f"{where} (frozen phases: present_ms = frozen_present_ms)")
    if isinstance(obj, TrainConfig) and obj.eval_workers < 0:
        raise ConfigError(f"{where}.eval_workers: must be >= 0, got {obj.eval_workers}")
    if isinstance(obj, NetworkConfig) and obj.visual_lead_ms < 0:
        raise ConfigError(f"{where}.visual_lead_ms: must be >= 0, got {obj.visual_lead_ms!r}")
    for name in ("sample_rate_hz", "fmax_hz", "max_rate_hz"):
        if hasattr(obj, name) and getattr(obj, name) <= 0:
            raise ConfigError(f"{where}.{name}: must be > 0, got {getattr(obj, name)!r}")
    if isinstance(obj, VisualConfig):
        if not 0.0 < obj.rate_percentile <= 100.0:
            raise ConfigError(f"{where}.rate_percentile: must be in (0, 100], got {obj.rate_percentile!r}")
        try:
            obj.check_dvs()
        except (ValueError, TypeError) as e:
            raise ConfigError(f"{where}: {e}") from None
    if isinstance(obj, DataConfig) and not 0.0 < obj.test_fraction < 1.0:
        raise ConfigError(f"{where}.test_fraction: must be in (0, 1), got {obj.test_fraction!r}")
    if isinstance(obj, AudioConfig):
        if not 0 <= obj.scale_low_percentile < obj.scale_high_percentile <= 100:
            raise ConfigError(f"{where}: need 0 <= scale_low_percentile < scale_high_percentile <= 100")
        if obj.fmax_hz > obj.sample_rate_hz / 2:
            raise ConfigError(f"{where}.fmax_hz: {obj.fmax_hz} exceeds the Nyquist frequency "
                              f"{obj.sample_rate_hz / 2}")
        if obj.win_length_samples > obj.n_fft:
            raise ConfigError(f"{where}.win_length_samples: must be <= n_fft ({obj.n_fft})")


def from_dict(d: dict[str, Any], source: str = "<dict>") -> ExperimentConfig:
    """Build a validated :class:`ExperimentConfig` from nested dicts (missing = default)."""
    if not isinstance(d, dict):
        raise ConfigError(f"{source}: expected a table of sections")
    hints = typing.get_type_hints(ExperimentConfig)
    sections = {}
    for name, values in d.items():
        if name not in hints:
            raise ConfigError(f"{source}: unknown section [{name}] "
                              f"(known: {', '.join(sorted(hints))})")
        sections[name] = _section_from_dict(hints[name], values, f"{source}: [{name}]")
    cfg = ExperimentConfig(**sections)
    if cfg.audio.kind == "egemaps" and cfg.encoding.audio_code in ("image", "temporal"):
        raise ConfigError(f"{source}: [encoding] audio_code = {cfg.encoding.audio_code!r} needs "
                          f"a frame-level [audio] kind ('mfcc' or 'mel'); 'egemaps' has one "
                          f"value per clip")
    return cfg


def load(path: str | Path) -> ExperimentConfig:
    """Read a TOML config file.

    Raises
    ------
    ConfigError
        If the file is missing, is not valid TOML, or has unknown keys or bad values.
    """
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config ({e.strerror or e})") from None
    try:
        d = tomllib.loads(text.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None
    return from_dict(d, source=str(path))


def to_dict(cfg: ExperimentConfig) -> dict[str, dict[str, Any]]:
    """Nested plain dict of a config (round-trips through :func:`from_dict`)."""
    return dataclasses.asdict(cfg)


def to_toml(cfg: ExperimentConfig) -> str:
    """Serialise a config as TOML (every field written, so it records the resolved config)."""
    lines = []
    for section, values in to_dict(cfg).items():
        lines.append(f"[{section}]")
        for k, v in values.items():
            lines.append(f"{k} = {_toml_value(v)}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    raise TypeError(f"cannot write {v!r} to TOML")
