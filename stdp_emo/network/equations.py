r"""Equation templates of the network (Brian2 strings, no numbers inside).

Every number lives in the namespace built by
:func:`stdp_emo.network.namespace.build_namespace`; the templates below name
constants only, and layer-specific names are put in by
:class:`brian2.Equations` substitution.

Neurons (DC15): conductance-based leaky integrate-and-fire

.. math::

    \tau_m \frac{dv}{dt} = (v_{rest} - v) + g_e (E_{exc} - v) + g_i (E_{inh} - v),
    \qquad \tau_{g_e} \frac{dg_e}{dt} = -g_e, \qquad \tau_{g_i} \frac{dg_i}{dt} = -g_i

Excitatory neurons add an adaptive threshold :math:`v > \theta - \theta_{off} + v_{th}`,
:math:`\theta \mathrel{+}= \theta_+` at each spike, :math:`\tau_\theta d\theta/dt = -\theta`.

Lateral inhibition in O(N): the inhibitory input of excitatory neuron k is
``gi = gi_pool - gi_self``: ``gi_pool`` (a linked variable) is the summed,
decaying conductance from *every* inhibitory neuron of k's pool (its window
position, or the whole layer), ``gi_self`` the part from k's own partner.  As
both decay with the same linear equation, this equals DC15's all-but-self
connection with N pool synapses instead of N^2.

Poisson inputs draw exponential inter-spike intervals from a counter-based
hash (see :mod:`stdp_emo.network.rng`); rates change only at sample starts, so
the process is exactly Poisson with rate ``stim(sample, i)`` during the
presentation and silent during the rest.

STDP traces are per neuron, not per synapse: with DC15-code's "trace = 1 at a
spike" rule a trace is ``exp(-(t - t_last)/tau)``, computed from the neuron's
last spike time ``t_last`` when needed.
"""

# ---------------------------------------------------------------- neurons
CONDUCTANCE_LIF = """
dv/dt = ((v_rest - v) + ge * (E_exc - v) + gi * (E_inh - v)) / tau_mem : volt (unless refractory)
dge/dt = -ge / tau_ge : 1
t_last : second
"""

EXC_INHIBITION = """
gi = gi_pool - gi_self : 1
dgi_self/dt = -gi_self / tau_gi : 1
gi_pool : 1 (linked)
"""

INH_INHIBITION = """
dgi/dt = -gi / tau_gi : 1
"""

THETA_PLASTIC = """
dtheta/dt = -theta / tau_theta : volt
"""

THETA_FROZEN = """
theta : volt (constant)
"""

# Time comparisons are made in whole time steps (Brian2's ``timestep``, as its own
# refractoriness does): ``t - t_last > spike_block`` in floating point is decided by
# rounding when the difference is a whole number of steps, and the rounding depends on
# the absolute time, so a sample's response would depend on its position in a run.
EXC_THRESHOLD = ("v > (theta - theta_offset + v_thresh_exc)"
                 " and timestep(t - t_last, dt) > timestep(spike_block, dt)")
EXC_RESET_PLASTIC = "v = v_reset_exc; theta += theta_plus; t_last = t"
EXC_RESET_FROZEN = "v = v_reset_exc; t_last = t"
INH_THRESHOLD = "v > v_thresh_inh"
INH_RESET = "v = v_reset_inh; t_last = t"

POOL = """
dg/dt = -g / tau_gi : 1
"""

# run at the start of every sample: what is left of the previous sample after the
# rest period (DC15 lets it decay for 150 ms) is cleared, so that a frozen
# network's response to a sample does not depend on which sample came before
# (presentation order, chunking and sharding then give identical results)
SAMPLE_START_CLEAR = """
v = v_rest
ge = 0
gi_own = 0
"""
SAMPLE_START_CLEAR_POOL = "g = 0"

# ------------------------------------------------------------- Poisson input
INPUT = """
rate : Hz
next_spike : second
t_end : second
n_draws : integer
stream : 1 (shared)
t_last : second
"""
INPUT_THRESHOLD = "t >= next_spike and timestep(t, dt) < timestep(t_end, dt)"
INPUT_RESET = """
t_last = t
next_spike = t - log(hash_uniform(stream, i + index_offset, n_draws)) / rate
n_draws += 1
"""
# run at the start of every sample (stim and stim_stream are TimedArrays, one row per sample);
# the input is on from input_onset to input_onset + present after the sample start
INPUT_SAMPLE_START = """
stream = stim_stream(t)
rate = stim(t, i)
n_draws = 1
next_spike = t + input_onset - log(hash_uniform(stream, i + index_offset, 0)) / rate
t_end = t + input_onset + present
"""

# temporal inputs (segments > 1): stim is a TimedArray with one row per segment; the sample
# start opens the input window, and every segment start draws the next spike at that segment's
# rate (memoryless: the train stays exactly Poisson with a piecewise-constant rate)
INPUT_TEMPORAL = INPUT + """
t_on : second
"""
INPUT_TEMPORAL_SAMPLE_START = """
stream = stim_stream(t)
n_draws = 1
t_on = t + input_onset
t_end = t + input_onset + present
"""
INPUT_SEGMENT_START = """
rate = stim(t, i)
next_spike = clip(t, t_on, t_end) - log(hash_uniform(stream, i + index_offset, n_draws)) / rate
n_draws += 1
"""

# ----------------------------------------------------------- fixed synapses
EXC_TO_INH = "ge_post += w_exc_inh"
INH_TO_POOL = "g_post += w_inh_exc"
INH_TO_SELF = "gi_self_post += w_inh_exc"
INH_TO_EXC = "gi_post += w_inh_exc"      # pairwise reference form (DC15)

# --------------------------------------------------------- plastic synapses
# a presynaptic spike opens w_gain * w of conductance: w_gain is 1 for every projection
# but visual -> audio ([network] cross_gain), so learning and normalisation see the same w
PLASTIC_MODEL = """
w : 1
"""
ON_PRE_FROZEN = "ge_post += w_gain * w"

# the paper's rule (DC15 eq. 4, MBY19): dw = eta (x_pre - x_tar)(w_max - w)^mu at post spikes.
# Normalisation can push a weight above w_max; the soft-bound base is clipped at 0 there
# (a negative base to a fractional power is NaN) and the result is clipped to [0, w_max].
PAPER_ON_PRE = "ge_post += w_gain * w"
PAPER_ON_POST = """
w_old = w
w = clip(w + eta * (exp(-(t - t_last_pre) / tau_pre) - x_tar) * clip(w_max - w, 0, w_max)**mu, 0, w_max)
wsum_post += w - w_old
"""

# DC15-code pre/post rule: depression nu_pre * x_post1 at pre spikes,
# potentiation nu_post * x_pre * x_post2(before this spike) at post spikes
TRACE_ON_PRE = """
ge_post += w_gain * w
w_old = w
w = clip(w - nu_pre * exp(-(t - t_last_post) / tau_post1), 0, w_max)
wsum_post += w - w_old
"""
TRACE_ON_POST = """
w_old = w
w = clip(w + nu_post * exp(-(t - t_last_pre) / tau_pre) * exp(-(t - t_last_post) / tau_post2), 0, w_max)
wsum_post += w - w_old
"""

# weight normalisation at each sample start (DC15-code normalize_weights):
# the column sum of every excitatory neuron is rescaled to norm_total
NORMALISE_SYNAPSES = "w = w * norm_total / (wsum_post + wsum_floor)"
NORMALISE_NEURONS = "wsum = norm_total"
WSUM = """
wsum : 1
"""
