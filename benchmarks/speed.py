"""Benchmark: seconds per sample of the stdp_emo networks, against the Brian2 reference.

Times, on this machine and in one run:

* ``audio``: the paper-size audio network (40 x 388 MFCC grid = 15,520 inputs,
  38 windows x 60 features = 2,280 excitatory neurons with inhibitory partners,
  912,000 plastic synapses), fed the reference's input load (dense U(0, 1)
  grid -> about 32 Hz per input), with the project's default model (paper
  STDP rule, inhibition within the window);
* ``audio_as_reference``: the same network configured like the reference
  (DC15-code trace rule, inhibition over the whole layer);
* ``audio_mfcc``: the ``audio`` network fed real MFCC inputs (the built-in
  synthetic set, scaled as in training), i.e. the load of a real run;
* ``visual``: the 6,000-neuron visual network (2 x 100 x 100 DVS inputs,
  10 x 10 windows, stride 10, 60 features) fed the DVS inputs of the synthetic
  set's rendered faces;
* ``early_fusion``: audio + visual + a 400-neuron multimodal layer fed by both;
* ``crossmodal``: audio + visual + the plastic visual -> audio projection;
* ``audio_default``: the default audio network (contrast population code of the
  eGeMAPS functionals, 2 x 88 x 8 inputs, fully connected layer of one neuron per
  training clip: 960, its size on RAVDESS) on the synthetic set's inputs;
* ``early_fusion_au`` / ``crossmodal_au``: the default audio network with real facial
  action units (``visual.source = "au"``) on ``../shared/data/ravdess`` (skipped when
  it is absent);
* ``crossmodal_dvs``: the default cross-modal network with the event-camera visual
  path (the synthetic set's rendered faces -> DVS -> the locally connected visual
  layer -> plastic visual -> audio projection into the default audio layer, 960 neurons);

The paper-size cases use ``configs/paper.toml`` (the design the peers implement).

each with learning on (training) and frozen (labelling / test): the median
over timed chunks of (wall time of one ``run_chunk`` / chunk size), after one
warm-up chunk, the binary's own network time, synaptic events per sample and
nanoseconds per event.  Build (code generation + C++ compile) is reported
separately.  Then it runs the reference,
``../shared/bench/peers/bench_brian2_standalone.py --size big`` (Brian2
cpp_standalone, all samples in one compiled run, learning on), from a
temporary copy (nothing is written into ``../shared``), and prints the ratio.

Synaptic events per sample (as processed by this implementation):
input spikes x fan-out (pre events of plastic synapses; input spikes are the
expected number, rates x 350 ms) + with learning, excitatory spikes x fan-in
(post events) + excitatory -> inhibitory (one per exc spike) + inhibitory ->
pool and -> own excitatory partner (two per inh spike; O(N) inhibition).

Targets (2 cores): paper-size audio learning <= 0.25 s/sample and >= 4x faster
than the reference measured in the same run, frozen <= 0.15 s/sample (issue 6);
training with action units, early fusion and cross-modal, <= 0.25 s/sample, and
the event-camera cross-modal network <= 0.4 s/sample (issue 13).

Usage::

    python benchmarks/speed.py [--cases audio,audio_as_reference,audio_mfcc,visual,crossmodal]
        [--chunk-size 20] [--chunks 2] [--cold] [--no-reference] [--reference-n 20]
        [--out FILE.json]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import REPO, machine_info, write_result  # noqa: E402
PEERS = REPO.parent / "shared" / "bench" / "peers"
ALL_CASES = ("audio", "audio_as_reference", "audio_mfcc", "audio_default", "visual", "early_fusion",
             "crossmodal", "early_fusion_au", "crossmodal_au", "crossmodal_dvs")
RAVDESS = REPO.parent / "shared" / "data" / "ravdess"     # with ravdess_au/ beside it
TARGET_LEARN_S, TARGET_FROZEN_S, TARGET_RATIO = 0.25, 0.15, 4.0
#: training clips of RAVDESS's 80 % split (random or speaker): the default's audio layer size there
RAVDESS_TRAIN_CLIPS = 960
# learning s/sample of the multimodal default networks (issue 13)
TARGET_MULTIMODAL_LEARN_S = {"early_fusion_au": 0.25, "crossmodal_au": 0.25, "crossmodal_dvs": 0.4}


def dense_grid(n: int, n_inputs: int, seed: int = 0) -> np.ndarray:
    """The reference's input load: values U(0, 1) (x 63.75 Hz -> ~32 Hz per input)."""
    return np.random.default_rng(seed).random((n, n_inputs))


def events_per_sample(comp, inputs: dict, counts: dict, enc, learning: bool) -> dict:
    """Synaptic events per sample, split by kind (see the module docstring)."""
    pre = post = 0.0
    for p in comp.projections:
        fan_out = np.bincount(p.pre)
        if p.source.endswith("_input"):
            x = inputs[p.source[: -len("_input")]] * enc.max_rate_hz * enc.present_ms * 1e-3
            pre += float((x[:, : fan_out.size] * fan_out[None, :]).sum(axis=1).mean())
        else:
            c = counts[p.source[: -len("_exc")]]
            pre += float((c[:, : fan_out.size] * fan_out[None, :]).sum(axis=1).mean())
        if learning:
            fan_in = np.bincount(p.post, minlength=comp.layer(p.target).n_neurons)
            post += float((counts[p.target] * fan_in[None, :]).sum(axis=1).mean())
    exc = sum(float(c.sum(axis=1).mean()) for c in counts.values())
    inhibition = 3 * exc          # exc->inh, inh->pool, inh->self (inh fires once per exc spike)
    return {"pre": pre, "post": post, "inhibition": inhibition, "total": pre + post + inhibition,
            "exc_spikes": {k: float(c.sum(axis=1).mean()) for k, c in counts.items()}}


def time_case(name: str, comp, net, enc, inputs: dict, *, learning: bool, chunk_size: int,
              chunks: int, cache_dir, seed: int = 0) -> dict:
    """Build (or load) one compiled network and time ``chunks`` chunks after a warm-up one."""
    from stdp_emo.network.rng import sample_streams
    from stdp_emo.network.state import initial_state
    from stdp_emo.simulate import CompiledNetwork

    n_needed = chunk_size * (chunks + 1)
    n_have = next(iter(inputs.values())).shape[0]
    idx = np.arange(n_needed) % n_have
    state = initial_state(comp, net, seed, samples=inputs)
    t0 = time.perf_counter()
    with CompiledNetwork(comp, net, enc, learning=learning, chunk_size=chunk_size,
                         cache_dir=cache_dir) as cn:
        build_s = time.perf_counter() - t0
        per_sample, in_binary, all_counts, rows = [], [], [], []
        for c in range(chunks + 1):
            sel = idx[c * chunk_size: (c + 1) * chunk_size]
            rates = {k: v[sel] * enc.max_rate_hz for k, v in inputs.items()}
            streams = sample_streams(seed, 0, np.arange(c * chunk_size, (c + 1) * chunk_size))
            t1 = time.perf_counter()
            counts, new = cn.run_chunk(rates, streams, state)
            wall = time.perf_counter() - t1
            if new is not None:
                state = new
            if c == 0:
                continue                              # warm-up (file cache, first load)
            per_sample.append(wall / chunk_size)
            in_binary.append(cn.device._last_run_time / chunk_size)
            all_counts.append(counts)
            rows.append(sel)
        timings = dict(cn.timings)
    counts = {k: np.concatenate([c[k] for c in all_counts]) for k in all_counts[0]}
    presented = {k: v[np.concatenate(rows)] for k, v in inputs.items()}
    ev = events_per_sample(comp, presented, counts, enc, learning)
    med = statistics.median(per_sample)
    res = {"case": name, "learning": learning, "chunk_size": chunk_size,
           "n_timed_samples": chunk_size * chunks,
           "median_s_per_sample": med, "min_s_per_sample": min(per_sample),
           "chunk_s_per_sample": per_sample,
           "binary_network_s_per_sample_median": statistics.median(in_binary),
           "build_s": build_s, "codegen_s": timings.get("codegen_s"),
           "compile_s": timings.get("compile_s"),
           "events_per_sample": ev, "ns_per_event": med / ev["total"] * 1e9 if ev["total"] else None,
           "n_neurons": {layer.name: layer.n_neurons for layer in comp.layers},
           "n_inputs": {i.name: i.n_inputs for i in comp.inputs},
           "n_plastic_synapses": int(comp.n_synapses)}
    print(f"{name:20s} {'learn ' if learning else 'frozen'} {med:7.3f} s/sample "
          f"(binary {res['binary_network_s_per_sample_median']:.3f}), "
          f"{ev['total'] / 1e6:6.2f} M events/sample, "
          f"{res['ns_per_event'] or 0:5.1f} ns/event, exc spikes {ev['exc_spikes']}, "
          f"build {build_s:.1f} s", flush=True)
    return res


def multimodal_targets(summary: dict) -> dict:
    """``{"<case>_learn_s_per_sample<=<target>": met}`` for the timed multimodal cases."""
    return {f"{case}_learn_s_per_sample<={limit}": summary[case]["learn_s_per_sample"] <= limit
            for case, limit in TARGET_MULTIMODAL_LEARN_S.items() if case in summary}


def run_reference(n: int, repeats: int) -> dict:
    """``bench_brian2_standalone.py --size big`` from a temporary copy of the peer scripts."""
    if not (PEERS / "bench_brian2_standalone.py").is_file():
        return {"skipped": f"{PEERS} not found"}
    with tempfile.TemporaryDirectory(prefix="peers_") as tmp:
        for f in PEERS.glob("*.py"):
            shutil.copy2(f, tmp)
        cmd = [sys.executable, "bench_brian2_standalone.py", "--size", "big", "--n", str(n),
               "--repeats", str(repeats)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            return {"failed": proc.stderr.strip().splitlines()[-1:] or ["?"], "cmd": " ".join(cmd)}
        res = json.loads((Path(tmp) / "results" / "brian2_standalone_big.json").read_text())
    res["cmd"] = " ".join(cmd[1:])
    res["wall_s"] = wall
    print(f"reference (brian2 cpp_standalone, one run, --size big): "
          f"median {res['median_s']:.3f} s/sample, exc spikes/sample "
          f"{res['exc_spikes_per_sample_median']}, compile {res['compile_s']:.1f} s", flush=True)
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default=",".join(ALL_CASES))
    ap.add_argument("--chunk-size", type=int, default=20)
    ap.add_argument("--chunks", type=int, default=2, help="timed chunks after the warm-up one")
    ap.add_argument("--cold", action="store_true",
                    help="compile into an empty temporary cache (build times of a first run)")
    ap.add_argument("--no-reference", action="store_true")
    ap.add_argument("--reference-n", type=int, default=20)
    ap.add_argument("--reference-repeats", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    cases = [c for c in args.cases.split(",") if c]
    bad = [c for c in cases if c not in ALL_CASES]
    if bad:
        ap.error(f"unknown case(s) {bad}; choose from {ALL_CASES}")

    from stdp_emo import config as C
    from stdp_emo.preparation import prepare, rows
    from stdp_emo.network.composition import compose
    from stdp_emo.network.topology import audio_topology

    base = C.load(REPO / "configs" / "paper.toml")       # the design the peer scripts run
    net, enc = base.network, base.encoding
    n_in = args.chunk_size * (args.chunks + 1)
    tmp_cache = tempfile.mkdtemp(prefix="stdp_emo_speed_") if args.cold else None
    results, t_start = [], time.perf_counter()
    audio_topo = audio_topology(base.audio.n_mfcc, base.audio.n_frames, net.window, net.stride,
                                net.n_features)
    real = None
    if any(c in cases for c in ("audio_mfcc", "visual", "early_fusion", "crossmodal")):
        cfg = base.replace(train={"modality": "crossmodal"})
        prep = prepare(cfg, progress=False)           # synthetic set: MFCC + rendered-face DVS
        real = rows(prep.inputs, prep.train_idx)
        comp_x = prep.composition
    try:
        for case in cases:
            if case == "audio":
                comp, inputs, n_cfg = (compose("audio", {"audio": audio_topo}, net),
                                       {"audio": dense_grid(n_in, audio_topo.n_inputs)}, net)
            elif case == "audio_as_reference":
                n_cfg = dataclasses.replace(net, stdp_rule="trace", inhibition="all")
                comp = compose("audio", {"audio": audio_topo}, n_cfg)
                inputs = {"audio": dense_grid(n_in, audio_topo.n_inputs)}
            elif case == "audio_mfcc":
                comp, inputs, n_cfg = (compose("audio", {"audio": audio_topo}, net),
                                       {"audio": real["audio"]}, net)
            elif case == "visual":
                comp = compose("visual", {"visual": comp_x.topologies["visual"]}, net)
                inputs, n_cfg = {"visual": real["visual"]}, net
            elif case in ("audio_default", "early_fusion_au", "crossmodal_au", "crossmodal_dvs"):
                dcfg = C.ExperimentConfig()
                if case in ("audio_default", "crossmodal_dvs"):
                    # synthetic set (360 clips): the layer sizes the default has on RAVDESS
                    dcfg = dcfg.sized_for_training(RAVDESS_TRAIN_CLIPS)
                if case == "crossmodal_dvs":                 # synthetic set: rendered faces
                    dcfg = dcfg.replace(train={"modality": "crossmodal"})
                elif case != "audio_default":
                    if not RAVDESS.is_dir():
                        print(f"{case}: skipped ({RAVDESS} not present)", file=sys.stderr)
                        continue
                    dcfg = dcfg.replace(data={"dataset": "ravdess", "root": str(RAVDESS)},
                                        visual={"source": "au"},
                                        train={"modality": case[: -len("_au")]})
                dprep = prepare(dcfg, progress=False)
                comp, n_cfg = dprep.composition, dprep.config.network
                inputs = rows(dprep.inputs, dprep.train_idx)
                for learning in (True, False):
                    results.append(time_case(case, comp, n_cfg, dcfg.encoding, inputs,
                                             learning=learning, chunk_size=args.chunk_size,
                                             chunks=args.chunks, cache_dir=tmp_cache))
                continue
            elif case == "early_fusion":
                comp, inputs, n_cfg = compose("early_fusion", comp_x.topologies, net), real, net
            else:
                comp, inputs, n_cfg = comp_x, real, net
            for learning in (True, False):
                results.append(time_case(case, comp, n_cfg, enc, inputs, learning=learning,
                                         chunk_size=args.chunk_size, chunks=args.chunks,
                                         cache_dir=tmp_cache))
    finally:
        if tmp_cache:
            shutil.rmtree(tmp_cache, ignore_errors=True)
    ref = None if args.no_reference else run_reference(args.reference_n, args.reference_repeats)
    by = {(r["case"], r["learning"]): r for r in results}
    summary = {}
    for case in cases:
        if (case, True) not in by:
            continue
        learn, frozen = by[(case, True)], by[(case, False)]
        s = {"learn_s_per_sample": learn["median_s_per_sample"],
             "frozen_s_per_sample": frozen["median_s_per_sample"],
             "learn_ns_per_event": learn["ns_per_event"],
             "frozen_ns_per_event": frozen["ns_per_event"]}
        if ref and "median_s" in ref and case in ("audio", "audio_as_reference", "audio_mfcc"):
            s["speed_up_vs_reference_learn"] = ref["median_s"] / learn["median_s_per_sample"]
        summary[case] = s
    targets = {}
    if "audio" in summary:
        a = summary["audio"]
        targets = {"audio_learn_s_per_sample<=0.25": a["learn_s_per_sample"] <= TARGET_LEARN_S,
                   "audio_frozen_s_per_sample<=0.15": a["frozen_s_per_sample"] <= TARGET_FROZEN_S}
        if "speed_up_vs_reference_learn" in a:
            targets["audio_speed_up_vs_reference>=4"] = a["speed_up_vs_reference_learn"] >= TARGET_RATIO
    targets.update(multimodal_targets(summary))
    out = {"benchmark": "speed", "when": time.strftime("%Y-%m-%d %H:%M:%S"),
           "machine": machine_info(),
           "cold_cache": args.cold, "chunk_size": args.chunk_size, "timed_chunks": args.chunks,
           "summary": summary, "targets_met": targets, "cases": results, "reference": ref,
           "wall_s": time.perf_counter() - t_start}
    print(json.dumps({"summary": summary, "targets_met": targets}, indent=2))
    write_result(out, "speed.json", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
