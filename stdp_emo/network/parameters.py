"""Named model constants, each with its unit and its source.

This module is the single source of truth for every number of the spiking
network.  It does not import Brian2: each constant is a :class:`Param` holding
a plain float, the name of its Brian2 unit and a citation.  The config
dataclasses (:mod:`stdp_emo.config`) take their defaults from here, and
:func:`stdp_emo.network.namespace.build_namespace` is the one function that
turns (possibly overridden) values into Brian2 quantities.

Sources
-------
DC15
    Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit recognition
    using spike-timing-dependent plasticity. Front. Comput. Neurosci. 9:99.
DC15-code
    The Brian (1) code published with DC15 (``Diehl_and_Cook_spiking_MNIST.py``).
MBY19
    Mansouri-Benssassi, E. & Ye, J. (2019). Speech emotion recognition with
    early visual cross-modal enhancement using spiking neural networks. IJCNN.
SSK18
    Saunders, D. J., Siegelmann, H. T., Kozma, R. et al. (2018). STDP learning
    of image patches with convolutional spiking neural networks. IJCNN.
here
    Chosen in this project (the papers give no value); see the comment.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Param:
    """A model constant.

    Attributes
    ----------
    value : float
        Numerical value in ``unit``.
    unit : str
        Name of the Brian2 unit (``"mV"``, ``"ms"``, ``"Hz"``) or ``"1"`` for
        dimensionless values.
    source : str
        Where the value comes from (see the module docstring).
    """

    value: float
    unit: str
    source: str


# --------------------------------------------------------------- time base
DT = Param(0.5, "ms", "DC15-code: defaultclock.dt = 0.5 ms")
PRESENT = Param(350.0, "ms", "DC15-code single_example_time; MBY19: 350 ms per sample")
REST = Param(150.0, "ms", "DC15-code resting_time; MBY19: 150 ms rest")

# ------------------------------------------------------------ input coding
MAX_RATE = Param(63.75, "Hz", "DC15-code: pixel/8 * intensity 2 -> 255/4 Hz; MBY19: 0-63.75 Hz")
INTENSITY_STEP = Param(0.5, "1", "DC15-code: input_intensity 2 -> 3 (x1.5) when < 5 spikes")
MIN_SPIKES = Param(5.0, "1", "DC15-code: re-present a sample that gives fewer than 5 spikes")
MAX_RETRIES = Param(3.0, "1", "here: bound on re-presentations (DC15-code is unbounded)")

POPULATION_BINS = Param(8.0, "1", "here: tuning curves per feature of the population audio code; "
                        "8 vs 16 chosen on RAVDESS validation data for the eGeMAPS default "
                        "(prototype proxies; 16 was chosen for the MFCC code, configs/mfcc.toml)")
POPULATION_SIGMA_BINS = Param(1.0, "1", "here: tuning-curve s.d. in bin spacings (1 vs 2 chosen on "
                              "RAVDESS validation data)")
POPULATION_CONTRAST_SD = Param(2.0, "1", "here: ON/OFF contrast code at full rate 2 s.d. from the "
                               "training mean (2 vs 3 chosen on RAVDESS validation data)")
TEMPORAL_SEGMENTS = Param(14.0, "1", "here: segments of the temporal audio presentation (the "
                          "clip's real frames in this many equal parts, 25 ms each in a 350 ms "
                          "presentation); numpy proxy on RAVDESS validation data, seeds 0 / 1 "
                          "(benchmarks/temporal_proxy.py: MFCC, imprinted prototypes, segment "
                          "winners pooled), mean %, 1 / 7 / 14 / 35 segments: speaker split "
                          "25.6 / 31.4 / 32.5 / 36.1, random 61.7 / 39.8 / 41.9 / 41.4; the "
                          "network measured in README 'A temporal presentation'")
TEMPORAL_TAPS = Param(1.0, "1", "here: delay taps of the temporal audio presentation (segments a "
                      "neuron sees at once: the current one and taps - 1 before it)")

# ------------------------------------------------------ excitatory neurons
V_REST_EXC = Param(-65.0, "mV", "DC15-code v_rest_e")
V_RESET_EXC = Param(-65.0, "mV", "DC15-code v_reset_e")
V_THRESH_EXC = Param(-52.0, "mV", "DC15-code v_thresh_e")
THETA_OFFSET = Param(20.0, "mV", "DC15-code offset: threshold = theta - offset + v_thresh_e")
REFRAC_EXC = Param(5.0, "ms", "DC15-code refrac_e")
SPIKE_BLOCK_EXC = Param(50.0, "ms", "DC15-code: 'timer' variable grows at 0.1 s/s, so a neuron "
                        "cannot fire again within 50 ms (kept as in the code and the peers)")
TAU_MEM_EXC = Param(100.0, "ms", "DC15-code: membrane time constant of excitatory neurons")
E_EXC = Param(0.0, "mV", "DC15-code: excitatory reversal potential (I_synE = ge * -v)")
E_INH_EXC = Param(-100.0, "mV", "DC15-code: inhibitory reversal potential, excitatory neurons")
TAU_GE = Param(1.0, "ms", "DC15-code: dge/dt = -ge/(1.0*ms)")
TAU_GI = Param(2.0, "ms", "DC15-code: dgi/dt = -gi/(2.0*ms)")
THETA_INIT = Param(20.0, "mV", "DC15-code / peers: initial theta (makes threshold -52 mV)")
THETA_PLUS = Param(0.05, "mV", "DC15-code theta_plus_e")
TAU_THETA = Param(1e7, "ms", "DC15-code tc_theta")

# ------------------------------------------------------ inhibitory neurons
V_REST_INH = Param(-60.0, "mV", "DC15-code v_rest_i")
V_RESET_INH = Param(-45.0, "mV", "DC15-code v_reset_i")
V_THRESH_INH = Param(-40.0, "mV", "DC15-code v_thresh_i")
REFRAC_INH = Param(2.0, "ms", "DC15-code refrac_i")
TAU_MEM_INH = Param(10.0, "ms", "DC15-code: membrane time constant of inhibitory neurons")
E_INH_INH = Param(-85.0, "mV", "DC15-code: inhibitory reversal potential, inhibitory neurons")

# ------------------------------------------------------ fixed connections
W_EXC_INH = Param(10.4, "1", "DC15-code weight['ei_input'] (one-to-one exc -> inh)")
W_INH_EXC = Param(17.0, "1", "DC15-code weight['ie'] (inh -> every other exc)")

# ------------------------------------------------------ plastic input weights
W_INIT_MAX = Param(0.3, "1", "DC15-code: initial weights (rand + 0.01) * 0.3")
W_MAX = Param(1.0, "1", "DC15-code wmax_ee")
NORM_PER_SYNAPSE = Param(78.0 / 784.0, "1", "DC15-code: column sum 78 for 784 inputs, scaled "
                         "to each neuron's fan-in (0.0995 per synapse)")

# STDP, DC15-code trace rule ("pre/post", with a triplet-like second post trace)
TAU_PRE = Param(20.0, "ms", "DC15-code tc_pre_ee")
TAU_POST1 = Param(20.0, "ms", "DC15-code tc_post_1_ee")
TAU_POST2 = Param(40.0, "ms", "DC15-code tc_post_2_ee")
NU_PRE = Param(0.0001, "1", "DC15-code nu_ee_pre")
NU_POST = Param(0.01, "1", "DC15-code nu_ee_post")
# with imprinted initial weights (w_init = "samples") the prototypes only need refining:
# a 5x smaller rate (same pre/post ratio as DC15-code) was better on RAVDESS validation data
# (5 epochs, seeds 0/1, proportion vote: 41.1/40.6 % against 40.1/34.9 % with DC15's rates)
NU_PRE_IMPRINTED = Param(0.00002, "1", "DC15-code nu_ee_pre / 5 (chosen on validation data)")
NU_POST_IMPRINTED = Param(0.002, "1", "DC15-code nu_ee_post / 5 (chosen on validation data)")

# STDP, the paper's rule: dw = eta (x_pre - x_tar) (w_max - w)^mu on post spikes (DC15 eq. 4, MBY19)
ETA = Param(0.01, "1", "here: DC15 give no value; set to DC15-code's nu_post")
X_TAR = Param(0.4, "1", "here: DC15 give no value; a presynaptic trace (pre = 1 on each spike, "
              "tau 20 ms) averages 0.39 at half the maximum rate, so inputs weaker than that "
              "are depressed")
MU = Param(0.2, "1", "here: DC15 give no value; soft bound exponent, small = weak dependence")

# ------------------------------------------------------- topology (MBY19)
WINDOW = Param(10.0, "1", "MBY19: convolution window of 10 frames (or 10x10 pixels)")
STRIDE = Param(10.0, "1", "MBY19: stride 10")
N_FEATURES = Param(60.0, "1", "MBY19: 60 features per window position")

# --------------------------------------------------------- cross-modal (MBY19)
VISUAL_LEAD = Param(5.0, "ms", "MBY19: vision precedes audition by a few ms. Swept here on RAVDESS "
                    "validation data (action units, co-occurrence cross-modal, cross_gain 10, random "
                    "split, seed 0): 0 / 5 / 20 ms -> 64.1 / 65.1 / 63.0 %, within the ~3.5-point "
                    "noise of 192 clips (rate-coded clip features: the lead only shifts the onset)")
CROSS_NORM_PER_SYNAPSE = Param(78.0 / 784.0, "1", "MBY19: visual->audio synapses are plastic and "
                               "'initialised like the input weights'; here also normalised like "
                               "them (column sum 0.0995 per synapse of fan-in)")
CROSS_GAIN = Param(10.0, "1", "here: conductance opened per unit weight by a visual->audio "
                   "synapse, relative to the input synapses (MBY19 give none). Chosen on RAVDESS "
                   "validation data (random split, split seed 0) with facial action units, "
                   "eGeMAPS audio and the co-occurrence imprint: 5 -> 60.9 % (seed 0), "
                   "10 -> 65.1 / 62.0 % (seeds 0 / 1), 30 -> 53.1 % (seed 0; the audio layer "
                   "fires 98 spikes per sample against 50 audio-only). Re-checked 2026-12-08 (validation, "
                   "every layer voting, gain changed in the frozen phases): 40 -> speaker "
                   "61.7 / 60.6 against 57.2 / 56.7 %, random 59.4 / 57.8 against 71.9 / 71.9 %: "
                   "no value helps both splits")
CROSS_INIT_TOP = Param(100.0, "1", "here: visual neurons each audio neuron is connected to by "
                       "the co-occurrence imprint (column sum 76 over 100 synapses keeps them "
                       "below w_max 1); chosen with a numpy winner-take-all proxy on RAVDESS "
                       "validation data, split seed 0, best weighting of the two drives: 20 / 50 / "
                       "100 / 150 gave 87.5 / 88.0 / 89.6 / 89.1 % random, 57.8 / 57.2 / 55.0 / "
                       "59.4 % speaker (audio alone 60.9 / 37.2, early fusion 91.1 / 56.1)")
CROSS_FAN_IN = Param(768.0, "1", "MBY19: visual excitatory neurons connect to the audio "
                     "excitatory neurons (all-to-all). Here: about this many visual synapses per "
                     "audio neuron, each (visual, audio) pair connected with probability "
                     "min(1, 768 / visual neurons) from a fixed seed: all-to-all for the 768-neuron "
                     "action-unit layer (as chosen there), 12.8 % of the 6,000-neuron DVS layer, so "
                     "an audio neuron sees a visual fan-in of the same size from either source. "
                     "DVS: chosen on RAVDESS validation data (faces rendered from real action "
                     "units, cross-modal, random split, split seed 0, seeds 0 / 1): 768 -> "
                     "40.1 / 45.3 % (audio neurons alone 49.0 / 52.1), all-to-all -> 34.4 / "
                     "31.8 % (41.1 / 44.8); 5 training epochs 1,274 against 1,444 s, seed 0")

# --------------------------------------------------- early fusion (MBY19 baseline)
FUSION_N_NEURONS = Param(768.0, "1", "here: as many neurons as the audio-only layer had "
                         "(fixed DENSE_N_NEURONS 768 before 2026-12-07), so early fusion was "
                         "compared at equal size (MBY19 give no size for the multimodal layer; "
                         "DC15: 400); 0 = NEURONS_PER_CLIP x the training clips")
FUSION_NORM_PER_SYNAPSE = Param(78.0 / 784.0, "1", "here: exc->multimodal weights normalised "
                                "like the input weights (column sum 0.0995 per synapse)")
FUSION_VISUAL_FAN_IN = Param(1408.0, "1", "MBY19: the multimodal layer is fully connected. Here: "
                             "about this many visual synapses per multimodal neuron, each (visual, "
                             "multimodal) pair connected with probability min(1, 1408 / visual "
                             "sources) from a fixed seed: as many as the default audio code has "
                             "inputs (2 x 88 x 8), so the 700 action-unit inputs (35 units, ON / "
                             "OFF, 10 copies) and the audio stay all-to-all and a multimodal "
                             "neuron sees about as many visual "
                             "inputs as audio ones (7 % of the 20,000 DVS inputs, which all-to-all "
                             "made 16.4 M synapses learning at 3.1 s per sample). Set a priori, "
                             "not tuned. On the DVS path, RAVDESS validation data (faces rendered "
                             "from real action units, random split, split seed 0, seeds 0 / 1): "
                             "1408 -> 35.9 / 39.6 %, 352 -> 49.0 / 51.0 %, 88 -> 52.1 / 51.6 % "
                             "(audio-only 51.6 / 52.1): configs/dvs_faces.toml sets 88")

# ---------------------------------------- fully connected audio layer (population code)
DENSE_N_NEURONS = Param(0.0, "1", "here: 0 = as many neurons as NEURONS_PER_CLIP x the "
                        "training clips (resolved at training); a number > 0 fixes the size. The "
                        "fixed size before 2026-12-07 was 768, against DC15's 400 chosen on RAVDESS "
                        "validation data (eGeMAPS code, imprinted weights, seeds 0/1: random split "
                        "51.0/52.6 vs 45.8/43.8 %, speaker split 42.2/41.1 vs 36.1/35.0 %), which "
                        "was one neuron per clip of the 768-clip validation training part")
NEURONS_PER_CLIP = Param(1.0, "1", "here: one imprinted neuron per training clip, for every "
                         "fully connected layer sized 0 (the audio layer by default). The "
                         "imprinted, competing layer answers much like 1-NN over its clips; "
                         "RAVDESS validation (768 training clips, seeds 0 / 1): the default "
                         "with 614 neurons (80 % of the clips, what 768 neurons cover of the "
                         "test protocol's 960) 49.0 / 53.6 vs 768: 51.6 / 54.2 % random, "
                         "41.7 / 43.3 vs 41.1 / 46.7 % speaker; hard_competition_mfcc 62.5 / "
                         "60.9 vs 63.0 / 65.1 % random; cosine 1-NN on those inputs with 80 % "
                         "of the clips vs all (split seeds 0-3) 61.7 vs 65.8 % random, 36.8 vs "
                         "37.4 % speaker. Test split (960 clips, seeds 0 / 1 / 2), the default "
                         "with 960 vs 768 neurons: random 53.3 / 51.2 / 53.3 vs 50.4 / 47.9 / "
                         "50.8 %, speaker 41.7 / 42.1 / 39.2 vs 37.9 / 39.6 / 37.5 % "
                         "(benchmarks/results/accuracy_default_n960_*.json). More clips, "
                         "more neurons: learning time grows with the square of the clips")
AU_N_NEURONS = Param(768.0, "1", "here: a visual layer for the action-unit inputs, as large as "
                     "the audio layer was (fixed 768 before 2026-12-07; MBY19's visual layer "
                     "sees DVS windows; no size given for per-clip units); 0 = NEURONS_PER_CLIP "
                     "x the training clips. RAVDESS validation (ON/OFF code, seeds 0/1; 768 "
                     "training clips, so 768 was one per clip there): 768 neurons 68.2 / 72.9 %, "
                     "100 neurons 48.4 / 50.5 %")
AU_CONTRAST_SD = Param(2.0, "1", "here: ON/OFF action-unit code at full rate 2 s.d. from the "
                       "training mean (as POPULATION_CONTRAST_SD); RAVDESS validation, one imprinted "
                       "prototype per clip, winner-take-all: 1.5 / 2 / 3 s.d. 83.3 / 83.9 / 81.2 % "
                       "(random split), 49.4 / 52.2 / 47.8 % (speaker); plain rates 28.1 / 26.1 %")
AU_COPIES = Param(10.0, "1", "here: DC15's MNIST digits give ~2,300 input spikes per sample; "
                  "35 action units at their mean rate give ~245, so each drives 10 Poisson inputs "
                  "(measured on RAVDESS: 3.5 excitatory spikes per sample with 1 copy)")
