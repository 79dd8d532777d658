"""Benchmark: a 6-point sweep on a 2-worker Dask LocalCluster vs. the same points one by one.

Grid: ``network.window`` {5, 10, 20} x ``network.n_features`` {4, 8} on the
built-in synthetic set, ``configs/tiny.toml`` as the base config.  Each
mode gets its own compiled-code cache, created empty, and runs twice:

* ``cold``: empty cache, every point compiles its two networks (learning and
  frozen) -- what a new sweep over network shapes costs;
* ``warm``: the same points again with the cache the cold pass filled
  (simulation and Python overhead only).

``serial`` runs :func:`stdp_emo.sweep.train_point` for every point, one
after the other in this process; ``sweep`` is :func:`stdp_emo.sweep.run_sweep`
on a fresh ``LocalCluster(n_workers=2, threads_per_worker=1)`` (its start-up
is timed and included).  Feature caches are prepared before both (they are
shared and already on disk after the first pass).  Reported: wall time of
each mode, the speed-up, the time in the points split into build (code
generation + compilation), simulation (training, labelling, testing
presentations) and the rest (loading, scoring, writing records), and whether
both modes got the same accuracies (they must: same configs, same seeds).

Usage::

    python benchmarks/sweep.py [--workers 2] [--passes cold warm] [--out FILE.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GRID = """[grid]
"network.window" = [5, 10, 20]
"network.n_features" = [4, 8]

[base.audio]
kind = "mfcc"          # frame-level features for the image code

[base.encoding]
audio_code = "image"   # windows along time belong to the paper's image code
"""


def _phases(point_dir: Path) -> dict:
    """Seconds of one point by phase, from its run record's metrics.json."""
    runs = sorted((point_dir / "runs").glob("*/*/metrics.json"))
    if not runs:
        return {}
    m = json.loads(runs[-1].read_text())
    t = m["timings_s"]
    build = sum(v for k, v in t.items() if k.endswith(("codegen_s", "compile_s")))
    compile_s = sum(v for k, v in t.items() if k.endswith("compile_s"))
    simulate = (sum(e.get("seconds", 0.0) for e in m.get("training", []))   # presentations only
                + t.get("label_s", 0.0) + t.get("test_s", 0.0))
    return {"build_s": build, "compile_s": compile_s, "simulate_s": simulate,
            "features_s": t.get("features_s", 0.0)}


def _summarise(rows: list[dict], point_dirs: dict[str, Path]) -> dict:
    per = {}
    for r in rows:
        ph = _phases(point_dirs[r["id"]])
        ph["point_s"] = r["seconds"]
        ph["other_s"] = (r["seconds"] or 0.0) - ph.get("build_s", 0.0) - ph.get("simulate_s", 0.0)
        per[r["id"]] = ph
    tot = {k: sum(p.get(k, 0.0) or 0.0 for p in per.values())
           for k in ("point_s", "build_s", "compile_s", "simulate_s", "other_s")}
    return {"sum_over_points_s": tot, "points": per}


def run_serial(grid, root: Path) -> dict:
    from stdp_emo import sweep

    points = grid.points()
    t0 = time.perf_counter()
    sweep.prepare_features(points)
    t_feat = time.perf_counter() - t0
    rows, dirs = [], {}
    for p in points:
        pdir = root / "points" / p.id
        pdir.mkdir(parents=True)
        res = sweep.run_point(sweep.train_point, p.config, str(pdir), p.values)
        if res["status"] != "done":
            raise RuntimeError(f"serial point {p.id} failed: {res['error']}")
        rows.append(sweep.make_row(p.id, p.values, res))
        dirs[p.id] = pdir
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "features_s": t_feat, **_summarise(rows, dirs),
            "accuracy": {r["id"]: r["accuracy"] for r in rows}}


def run_parallel(grid, root: Path, workers: int) -> dict:
    import dask

    from stdp_emo import sweep

    t0 = time.perf_counter()
    with dask.config.set(sweep.local_cluster_config()):
        client = sweep.local_client(workers)
        t_start = time.perf_counter() - t0
        try:
            res = sweep.run_sweep(grid, runs_home=root, client=client, echo=print)
        finally:
            client.close()
            client.cluster.close()
    wall = time.perf_counter() - t0
    if res.failed:
        raise RuntimeError(f"sweep points failed: {[r['error'] for r in res.failed]}")
    dirs = {r["id"]: res.sweep_dir / "points" / r["id"] for r in res.rows}
    return {"wall_s": wall, "cluster_start_s": t_start, "sweep_dir": str(res.sweep_dir),
            **_summarise(res.rows, dirs), "accuracy": {r["id"]: r["accuracy"] for r in res.rows}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--passes", nargs="+", choices=["cold", "warm"], default=["cold", "warm"])
    ap.add_argument("--config", type=Path, default=REPO / "configs" / "tiny.toml")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)

    from stdp_emo import config as C, sweep
    from stdp_emo.paths import data_home

    os.environ.setdefault("STDP_EMO_DATA", str(data_home().resolve()))
    grid = sweep.parse_grid(GRID, "benchmarks/sweep.py", base=C.load(args.config),
                            dataset="synthetic")
    work = Path(tempfile.mkdtemp(prefix="stdp-emo-sweep-bench-"))
    caches = {m: work / f"cache-{m}" for m in ("serial", "sweep")}
    report = {"benchmark": "sweep", "grid": dict(grid.axes), "base_config": str(args.config),
              "n_points": len(grid.points()), "workers": args.workers,
              "cpu_count": os.cpu_count(), "python": platform.python_version(),
              "machine": platform.machine(), "passes": {}}
    try:
        for pas in args.passes:
            out = {}
            for mode in ("serial", "sweep"):
                os.environ["STDP_EMO_CACHE"] = str(caches[mode])
                root = work / f"{pas}-{mode}"
                print(f"--- {pas} {mode} (compiled-code cache {caches[mode]})", flush=True)
                out[mode] = (run_serial(grid, root) if mode == "serial"
                             else run_parallel(grid, root, args.workers))
                print(f"{pas} {mode}: {out[mode]['wall_s']:.1f} s", flush=True)
            out["speedup"] = out["serial"]["wall_s"] / out["sweep"]["wall_s"]
            out["same_accuracy"] = out["serial"]["accuracy"] == out["sweep"]["accuracy"]
            report["passes"][pas] = out
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\n{report['n_points']}-point sweep (window x n_features, tiny networks, synthetic), "
          f"{args.workers} workers, {os.cpu_count()} CPU cores")
    print(f"{'pass':<6}{'mode':<8}{'wall s':>9}{'in points s':>13}{'build s':>9}{'compile s':>11}"
          f"{'simulate s':>12}{'other s':>9}")
    for pas, out in report["passes"].items():
        for mode in ("serial", "sweep"):
            m, s = out[mode], out[mode]["sum_over_points_s"]
            print(f"{pas:<6}{mode:<8}{m['wall_s']:>9.1f}{s['point_s']:>13.1f}{s['build_s']:>9.1f}"
                  f"{s['compile_s']:>11.1f}{s['simulate_s']:>12.1f}{s['other_s']:>9.1f}")
        extra = out["sweep"]
        print(f"{pas:<6}speed-up {out['speedup']:.2f}x (sweep: cluster start "
              f"{extra['cluster_start_s']:.1f} s); same accuracies: {out['same_accuracy']}")
    dest = args.out or REPO / "benchmarks" / "results" / f"sweep_{time.strftime('%Y%m%d-%H%M%S')}.json"
    from stdp_emo.fileio import write_json

    write_json(dest, report)
    print(f"\nwritten {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
