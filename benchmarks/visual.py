"""Benchmark: event-camera emulation and the 6,000-neuron visual STDP network.

Measures, prints and writes as JSON (``benchmarks/results/``):

1. ``dvs``: DVS emulation speed at 100x100 (:func:`stdp_emo.features.dvs.emulate`
   on face crops of rendered face videos, ``render_face_video`` at 160x160 as
   ``stdp-emo synth faces`` writes them, cropped by the Haar-cascade face
   cropper), in frames per second, for the v2e-style emulator and the
   frame-difference scheme; the face crop's own speed for comparison.
2. ``network``: the visual network (2 x 100 x 100 inputs, 10x10 windows,
   stride 10, 60 features = 6,000 excitatory neurons, 1.2 M plastic synapses)
   trained, labelled and tested on the ``synthetic`` set in a child process:
   seconds per sample with learning on (training) and frozen (labelling,
   testing), and the peak resident memory of the child process tree
   (``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``).  Target: < 2 GB.
   Faces, DVS events and the compiled network are prepared by an earlier
   child process, so the measured process only loads cached inputs and runs
   the simulation.  The same run gives the visual-only accuracy on ``synthetic``.
3. ``ravdess``: visual-only accuracy on real RAVDESS audio + SIMULATED faces
   (``--ravdess-faces DIR``, a folder made by
   ``stdp-emo synth faces --audio-root ../shared/data/ravdess --out DIR``;
   actors 01-20, random stratified 80/20 split).

Accuracies of the unsupervised (labelled-neuron) classifier; the supervised
linear read-out on the same spike counts is reported beside them, labelled as such.

Usage::

    python benchmarks/visual.py [--parts dvs,network,ravdess] [--max-per-class N]
        [--epochs N] [--chunk-size N] [--eval-workers N] [--seed S] [--config FILE]
        [--ravdess-faces DIR] [--out FILE.json] [--quiet]

Frozen presentations run in one process by default (``--eval-workers 1``), so
time and memory are those of one network.

Quick check (a few minutes on 2 cores)::

    python benchmarks/visual.py --parts dvs,network --max-per-class 3 --chunk-size 8
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import REPO, machine_info, write_result  # noqa: E402
PARTS = ("dvs", "network", "ravdess")
MEMORY_TARGET_MB = 2048.0


# ------------------------------------------------------------------ 1. DVS speed
def bench_dvs(n_videos: int = 4, duration_s: float = 2.0, repeats: int = 3, seed: int = 0) -> dict:
    """Frames per second of the face crop and of the DVS emulator (v2e, framediff) at 100x100.

    Parameters
    ----------
    n_videos : int
        Rendered face videos (different emotions and actors), each ``duration_s`` long at 30 fps.
    repeats : int
        Timed repetitions; the best (least disturbed) is reported.
    """
    import dataclasses

    from stdp_emo.config import VisualConfig
    from stdp_emo.features import dvs
    from stdp_emo.features.video import FaceCropper
    from stdp_emo.generators.faces import render_face_video

    fps_video = 30.0
    crops, stamps = [], []
    t_render = t_crop = 0.0
    cropper = FaceCropper(size=100)
    for k in range(n_videos):
        t0 = time.perf_counter()
        frames = render_face_video(emotion=(2 * k + 2) % 8, intensity=2, actor=k + 1,
                                   duration_s=duration_s, fps=fps_video, size=(160, 160), seed=seed)
        t1 = time.perf_counter()
        crop, _ = cropper.crop(frames, fps_video)
        t2 = time.perf_counter()
        t_render += t1 - t0
        t_crop += t2 - t1
        crops.append(crop)
        stamps.append(np.round(np.arange(len(crop)) * 1e6 / fps_video).astype(np.int64))
    n_frames = sum(len(c) for c in crops)
    out = {"videos": n_videos, "frames": n_frames, "sensor": [100, 100, 2],
           "render_160x160_fps": n_frames / t_render, "face_crop_fps": n_frames / t_crop,
           "emulators": {}}
    configs = {"v2e": VisualConfig(),
               "v2e_upsample4": VisualConfig(upsample_factor=4),
               "framediff": VisualConfig(dvs_method="framediff")}
    for name, cfg in configs.items():
        best, n_events = np.inf, 0
        for r in range(repeats):
            cfg_r = dataclasses.replace(cfg, dvs_seed=r)
            t0 = time.perf_counter()
            n_events = sum(dvs.emulate(c, ts, cfg_r).size for c, ts in zip(crops, stamps))
            best = min(best, time.perf_counter() - t0)
        out["emulators"][name] = {"fps": n_frames / best, "seconds": best,
                                  "events_per_frame": n_events / n_frames}
    return out


# ------------------------------------------------------------------ 2./3. network in a child process
def _config(spec: dict):
    from stdp_emo import config as C

    cfg = C.load(spec["config"]) if spec.get("config") else C.ExperimentConfig()
    train = {"modality": "visual", "seed": spec["seed"]}
    if spec.get("epochs") is not None:
        train["epochs"] = spec["epochs"]
    if spec.get("chunk_size") is not None:
        train["chunk_size"] = spec["chunk_size"]
    if spec.get("eval_workers") is not None:
        train["eval_workers"] = spec["eval_workers"]
    data = {"dataset": spec["dataset"], "root": spec.get("root") or "", "split": "random",
            "seed": spec["seed"], "max_per_class": spec.get("max_per_class", 0)}
    return cfg.replace(data=data, train=train)


class _TreeRSS:
    """Samples, every ``period_s``, the resident memory of this process and all its descendants.

    ``getrusage`` gives each process's own peak only, and on Linux a child's
    figure includes the parent pages it had between ``fork`` and ``exec``; this
    poller adds up what the processes hold *at the same time* (``VmRSS`` of
    /proc/<pid>/status; shared pages are counted in every process, so it is an
    upper bound) and keeps the simulator binary's own peak (``VmHWM`` after exec).
    Linux only; elsewhere it reports nothing.
    """

    def __init__(self, period_s: float = 0.05):
        import threading

        self.period_s, self.peak_total_kb, self.peak_descendant_kb = period_s, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.ok = Path("/proc/self/status").exists()

    @staticmethod
    def _status_kb(pid, key: str) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
        return 0

    def _descendants(self) -> list[int]:
        parent: dict[int, int] = {}
        for p in Path("/proc").iterdir():
            if p.name.isdigit():
                try:
                    stat = (p / "stat").read_text()
                    parent[int(p.name)] = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
        out, frontier = [], [os.getpid()]
        while frontier:
            kids = [pid for pid, pp in parent.items() if pp in frontier]
            out += kids
            frontier = kids
        return out

    def _loop(self) -> None:
        while not self._stop.wait(self.period_s):
            kids = self._descendants()
            total = self._status_kb("self", "VmRSS") + sum(self._status_kb(k, "VmRSS") for k in kids)
            self.peak_total_kb = max(self.peak_total_kb, total)
            for k in kids:
                self.peak_descendant_kb = max(self.peak_descendant_kb, self._status_kb(k, "VmHWM"))

    def __enter__(self):
        if self.ok:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self.ok:
            self._thread.join()

    def result(self) -> dict:
        if not self.ok:
            return {}
        return {"sampled_peak_total_mb": self.peak_total_kb / 1024,
                "sampled_peak_simulator_own_mb": self.peak_descendant_kb / 1024,
                "sampling_period_s": self.period_s}


def _child(spec_path: str) -> int:
    """Child-process entry: ``prepare`` (faces, events, compile) or ``train`` (measured)."""
    spec = json.loads(Path(spec_path).read_text())
    cfg = _config(spec)
    progress = not spec.get("quiet", False)
    t0 = time.perf_counter()
    if spec["stage"] == "train":
        with _TreeRSS() as poll:
            result = _child_stage(spec, cfg, progress, t0)
        result["rss_poll"] = poll.result()
    else:
        result = _child_stage(spec, cfg, progress, t0)
    # ru_maxrss is in KiB on Linux: this process (Python: inputs, Brian2 objects) and the
    # largest of its finished children (the compiled simulator binary; no compiler runs
    # here when the prepare stage compiled the project)
    result["maxrss_self_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["maxrss_children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if spec["stage"] == "train":
        result["full_chunk_timing"] = _full_chunk_timing(cfg, repeats=spec.get("repeats", 2))
    Path(spec["result"]).write_text(json.dumps(result))
    return 0


def _child_stage(spec: dict, cfg, progress: bool, t0: float) -> dict:
    if spec["stage"] == "prepare":
        from stdp_emo.preparation import prepare
        from stdp_emo.simulate import CompiledNetwork

        prep = prepare(cfg, progress=progress)
        t1 = time.perf_counter()
        compiled = {}
        for learning in (True, False):
            with CompiledNetwork(prep.composition, cfg.network, cfg.encoding, learning=learning,
                                 chunk_size=cfg.train.chunk_size) as net:
                compiled["learn" if learning else "frozen"] = dict(net.timings)
        result = {"features_s": t1 - t0, "compile": compiled,
                  "n_clips": len(prep.dataset), "n_train": int(prep.train_idx.size),
                  "n_test": int(prep.test_idx.size), "visual_features": prep.feature_info}
    else:
        from stdp_emo.training import train

        out = train(cfg, tag=f"bench_visual_{cfg.data.dataset}", progress=progress)
        m = out["metrics"]
        n_train_pres = sum(s["presentations"] for s in m["training"])
        result = {
            "wall_time_s": time.perf_counter() - t0,
            "n_train": m["n_train"], "n_test": m["n_test"], "epochs": cfg.train.epochs,
            "chunk_size": cfg.train.chunk_size, "train_presentations": n_train_pres,
            "description": m["description"],
            "stdp_unsupervised": {k: m["unsupervised"][k] for k in
                                  ("accuracy", "uar", "per_class_accuracy", "neurons_assigned",
                                   "silent_test_samples")},
            "linear_readout_supervised": {k: m["linear_readout_supervised"][k]
                                          for k in ("accuracy", "uar")},
            "chance": 1.0 / len(m["unsupervised"]["per_class_accuracy"]),
            "seconds_per_sample": m["seconds_per_sample"],
            "timings_s": m["timings_s"],
            "spikes_per_sample": {"train_last_epoch": m["training"][-1]["spikes_per_sample_mean"],
                                  "label": m["labelling"]["spikes_per_sample_mean"],
                                  "test": m["testing"]["spikes_per_sample_mean"]},
            "visual_features": m["visual_features"],
            "run_dir": str(out["run_dir"]), "model_dir": str(out["model_dir"]),
        }
    return result


def _full_chunk_timing(cfg, repeats: int = 2) -> dict:
    """Seconds per sample of full chunks (no retries, no half-empty chunks), learning on and frozen.

    The same ``chunk_size`` training inputs (1x intensity) are presented
    ``repeats`` times to the compiled learning and frozen networks (already
    compiled: cached); the best time divided by the chunk size is reported,
    with the spikes they produced.  Wall time includes passing weights in and
    out of the simulator binary, as in training.
    """
    from stdp_emo.encoding import input_rates_hz
    from stdp_emo.preparation import prepare
    from stdp_emo.network.rng import sample_streams
    from stdp_emo.network.state import initial_state
    from stdp_emo.simulate import CompiledNetwork, as_inputs

    prep = prepare(cfg, progress=False)
    comp = prep.composition
    k, enc = cfg.train.chunk_size, cfg.encoding
    idx = np.resize(prep.train_idx, k)
    features = as_inputs(comp, prep.inputs)
    rates = {spec.name: input_rates_hz(features[spec.name][idx], enc) for spec in comp.inputs}
    streams = sample_streams(cfg.train.seed, 0, np.arange(k))
    state = initial_state(comp, cfg.network, cfg.train.seed,
                          samples={m: x[prep.train_idx] for m, x in features.items()})
    n_in = sum(r.sum(axis=1).mean() for r in rates.values())
    out = {"chunk_size": k, "repeats": repeats,
           "input_spikes_per_sample_expected": float(n_in * enc.present_ms / 1000)}
    for learning in (True, False):
        with CompiledNetwork(comp, cfg.network, cfg.encoding, learning=learning,
                             chunk_size=k) as net:
            best, counts = np.inf, None
            for _ in range(repeats):
                t0 = time.perf_counter()
                counts, _ = net.run_chunk(rates, streams, state)
                best = min(best, time.perf_counter() - t0)
        out["learning" if learning else "frozen"] = {
            "seconds_per_sample": best / k,
            "exc_spikes_per_sample": {layer: float(c.sum(axis=1).mean())
                                      for layer, c in counts.items()}}
    return out


def _run_child(spec: dict) -> tuple[dict, float]:
    """Run one stage in a child process; (its result, the parent's children peak RSS in MB)."""
    with tempfile.TemporaryDirectory(prefix="bench_visual_") as tmp:
        spec = dict(spec, result=str(Path(tmp) / "result.json"))
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec))
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child",
                               str(spec_path)], cwd=os.getcwd())
        if proc.returncode != 0:
            raise RuntimeError(f"child process ({spec['stage']} {spec['dataset']}) failed with "
                               f"status {proc.returncode}")
        result = json.loads(Path(spec["result"]).read_text())
    return result, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def bench_network(spec: dict) -> dict:
    """Prepare (child 1), then train/label/test and measure (child 2).

    Memory (MB), ``memory_mb``:

    * ``peak_rss_training_process_tree``: ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` as a
      parent that ran only the training child sees it: the largest peak of any one
      process of the tree (the Python process or the simulator binary);
    * ``python_process`` / ``simulator_children``: the training child's own
      ``RUSAGE_SELF`` and ``RUSAGE_CHILDREN`` peaks (on Linux the latter includes
      the Python pages a child had between fork and exec, so it is at least the
      Python RSS at that moment);
    * ``sum_python_and_simulator``: their sum, an upper bound of the footprint;
    * ``sampled_peak_total`` / ``sampled_peak_simulator_own``: /proc sampling every
      50 ms of the RSS held at the same time by the whole tree, and the
      simulator's own high-water mark after exec.
    """
    t0 = time.perf_counter()
    prepared, _ = _run_child(dict(spec, stage="prepare"))
    prepare_s = time.perf_counter() - t0
    result, parent_children_mb = _run_child(dict(spec, stage="train"))
    result["prepare"] = dict(prepared, wall_time_s=prepare_s)
    py, sim = result.pop("maxrss_self_mb"), result.pop("maxrss_children_mb")
    poll = result.pop("rss_poll", {}) or {}
    mem = {"peak_rss_training_process_tree": max(py, sim), "python_process": py,
           "simulator_children": sim, "sum_python_and_simulator": py + sim,
           "sampled_peak_total": poll.get("sampled_peak_total_mb"),
           "sampled_peak_simulator_own": poll.get("sampled_peak_simulator_own_mb"),
           # the parent's RUSAGE_CHILDREN after both children: includes face rendering,
           # DVS extraction workers and the C++ compiler of the prepare stage
           "peak_rss_any_child_incl_prepare": parent_children_mb,
           "target": MEMORY_TARGET_MB}
    mem["target_met"] = mem["sum_python_and_simulator"] < MEMORY_TARGET_MB
    result["memory_mb"] = mem
    return result


def _summary(result: dict) -> str:
    lines = []
    d = result.get("dvs")
    if d:
        lines.append(f"DVS emulation at 100x100 ({d['frames']} frames of {d['videos']} rendered "
                     f"face videos):")
        for name, e in d["emulators"].items():
            lines.append(f"  {name:<14} {e['fps']:10.0f} frames/s  ({e['events_per_frame']:.0f} "
                         "events/frame)")
        lines.append(f"  face crop (Haar, 160x160 -> 100x100) {d['face_crop_fps']:.0f} frames/s; "
                     f"rendering {d['render_160x160_fps']:.0f} frames/s")
    for key, label in (("network_synthetic", "synthetic"), ("ravdess", "RAVDESS audio + SIMULATED faces")):
        r = result.get(key)
        if not r:
            continue
        sps, mem = r["seconds_per_sample"], r["memory_mb"]
        u, s = r["stdp_unsupervised"], r["linear_readout_supervised"]
        lines += [f"visual network on {label} (train {r['n_train']} / test {r['n_test']}, "
                  f"{r['epochs']} epoch(s), chunk {r['chunk_size']}):",
                  f"  seconds per presentation in the run: learning {sps['train']:.3f}, frozen "
                  f"labelling {sps['label']:.3f}, frozen testing {sps['test']:.3f}"]
        fc = r.get("full_chunk_timing")
        if fc:
            lines.append(f"  seconds per sample, full chunks of {fc['chunk_size']}: learning "
                         f"{fc['learning']['seconds_per_sample']:.3f}, frozen "
                         f"{fc['frozen']['seconds_per_sample']:.3f}")
        lines += [
                  f"  peak RSS (getrusage): training process tree {mem['peak_rss_training_process_tree']:.0f}"
                  f" MB; Python {mem['python_process']:.0f} MB + simulator {mem['simulator_children']:.0f}"
                  f" MB = {mem['sum_python_and_simulator']:.0f} MB (upper bound; target < "
                  f"{MEMORY_TARGET_MB:.0f} MB: {'met' if mem['target_met'] else 'NOT met'})",
                  f"  sampled every 50 ms: whole tree at once {mem['sampled_peak_total'] or 0:.0f} MB, "
                  f"simulator binary alone {mem['sampled_peak_simulator_own'] or 0:.0f} MB",
                  f"  accuracy: unsupervised {u['accuracy']:.3f} (UAR {u['uar']:.3f}), "
                  f"SUPERVISED read-out {s['accuracy']:.3f}, chance {r['chance']:.3f}"]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--parts", default="dvs,network",
                    help=f"comma-separated, of {', '.join(PARTS)} (default dvs,network; "
                         "ravdess needs --ravdess-faces)")
    ap.add_argument("--ravdess-faces", type=Path, default=None,
                    help="RAVDESS-layout folder with simulated face videos (stdp-emo synth faces)")
    ap.add_argument("--max-per-class", type=int, default=0, help="at most N clips per class (0 = all)")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--chunk-size", type=int, default=None, help="samples per simulator run")
    ap.add_argument("--eval-workers", type=int, default=1,
                    help="processes for the frozen presentations (default 1: the memory and "
                         "time of one network; 0 = the project's automatic choice)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--config", type=Path, default=None)
    ap.add_argument("--dvs-videos", type=int, default=4)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.child:
        return _child(args.child)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    bad = [p for p in parts if p not in PARTS]
    if bad:
        ap.error(f"unknown part(s) {', '.join(bad)}; choose from {', '.join(PARTS)}")
    if "ravdess" in parts and (args.ravdess_faces is None or not args.ravdess_faces.is_dir()):
        print("part ravdess needs --ravdess-faces DIR (stdp-emo synth faces --audio-root "
              "../shared/data/ravdess --out DIR)", file=sys.stderr)
        return 2

    result = {"benchmark": "visual", "when": time.strftime("%Y-%m-%d %H:%M:%S"),
              "machine": machine_info(),
              "parts": parts, "max_per_class": args.max_per_class, "seed": args.seed}
    base = {"seed": args.seed, "epochs": args.epochs, "chunk_size": args.chunk_size,
            "eval_workers": args.eval_workers,
            "max_per_class": args.max_per_class, "quiet": args.quiet,
            "config": str(args.config) if args.config else None}
    if "dvs" in parts:
        result["dvs"] = bench_dvs(n_videos=args.dvs_videos, seed=args.seed)
    if "network" in parts:
        result["network_synthetic"] = bench_network(dict(base, dataset="synthetic"))
    if "ravdess" in parts:
        result["ravdess"] = bench_network(dict(base, dataset="ravdess",
                                               root=str(args.ravdess_faces.resolve())))
    text = json.dumps(result, indent=2)
    print(text)
    print(_summary(result))
    write_result(result, f"visual_{'_'.join(parts)}_m{args.max_per_class}_s{args.seed}.json",
                 args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
