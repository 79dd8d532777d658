"""Benchmark: a trained model's unsupervised vote with other frozen-phase settings.

Re-runs the labelling and test presentations of trained models (their own split and
encoding, weights and thresholds unchanged) with one or more frozen-phase values changed per
variant, e.g. a longer presentation (``encoding.present_ms``) or weaker lateral inhibition
(``network.w_inh_exc``) or a stronger visual -> audio drive of a cross-modal model
(``network.cross_gain``), and reports the vote (the model's ``[train] vote``), spikes and
active neurons per test sample (per voting layer too).  Nothing is learned; labels only name neurons
(unsupervised).  Only values that leave the network's structure alone can be varied
(:data:`FROZEN_KEYS`).  Tune on models trained with ``--validation``.

``--stream-seeds S ...`` also re-runs the model as trained and every variant with the
frozen phases' Poisson input streams drawn from other seeds (``[train] seed`` of the
frozen phases; weights, thresholds and split unchanged): how much of a difference
between two settings is the noise of one realisation of the input spikes.

Usage::

    python benchmarks/frozen_variants.py MODEL_DIR [MODEL_DIR ...] \\
        --variant encoding.frozen_present_ms=2100 --variant network.w_inh_exc=8 \\
        --variant "network.cross_gain=20;network.w_inh_exc=34" [--stream-seeds 101 102 103] [--out FILE.json]

(``encoding.present_ms`` changes the frozen presentation only of a model whose
``frozen_present_ms`` is 0; otherwise vary ``encoding.frozen_present_ms``.)
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from _common import apply_overrides, machine_info, write_result

FROZEN_KEYS = ("encoding.present_ms", "encoding.frozen_present_ms", "encoding.max_rate_hz",
               "network.w_inh_exc", "network.w_exc_inh", "network.cross_gain")
"""Config values a frozen network can be re-run with (the structure does not depend on them)."""


def variant_config(cfg, item: str):
    """``cfg`` with the ``SECTION.KEY=VALUE`` of ``item`` changed, each of :data:`FROZEN_KEYS`
    (several values changed together are joined by ``;``).

    Raises
    ------
    ConfigError
        A malformed item, a key outside :data:`FROZEN_KEYS`, or a value the config refuses.
    """
    from stdp_emo.errors import ConfigError

    parts = [part.strip() for part in item.split(";")]
    for part in parts:
        key = part.partition("=")[0]
        if key not in FROZEN_KEYS:
            raise ConfigError(f"--variant {item!r}: {key!r} cannot be changed in a frozen network "
                              f"(one of {', '.join(FROZEN_KEYS)})")
    return apply_overrides(cfg, parts)


def variant_prepared(prep, cfg, input_shapes: dict):
    """``prep`` with the network rebuilt from ``cfg``: values held by the composition
    (``network.cross_gain``, a projection's conductance per unit weight) take effect;
    the layers and synapses are the model's (:data:`FROZEN_KEYS` leave them alone)."""
    import dataclasses

    from stdp_emo.network.composition import composition_for

    if cfg == prep.config:                       # the model as trained: its own network
        return prep
    comp = composition_for(cfg, input_shapes)
    if [p.n_synapses for p in comp.projections] != [p.n_synapses for p in prep.composition.projections]:
        raise AssertionError("a frozen variant changed the network's synapses")
    return dataclasses.replace(prep, composition=comp)


def frozen_vote(cfg, prep, state) -> dict:
    """Label and test ``state`` under ``cfg`` (one process); vote accuracy and spike figures."""
    from stdp_emo import evaluation as E
    from stdp_emo.frozen import evaluate_frozen, fallback_class

    t0 = time.perf_counter()
    ev = evaluate_frozen(cfg.replace(train={"eval_workers": 1}), prep, state, progress=False)
    y_test = prep.dataset.labels[prep.test_idx]
    pred = E.predict(ev["test"].counts, ev["assignments"], len(prep.dataset.classes),
                     fallback=fallback_class(prep), weights=ev["weights"])
    test = np.asarray(ev["test"].counts, dtype=np.float64)
    out = {"accuracy": float(np.mean(pred == y_test)),
           "spikes_per_sample": float(test.sum(axis=1).mean()),
           "active_neurons": float((test > 0).sum(axis=1).mean()),
           "seconds": time.perf_counter() - t0}
    layers = prep.composition.vote_layers
    if len(layers) > 1:                          # the same figures per voting layer
        sizes = [prep.composition.layer(name).n_neurons for name in layers]
        parts = np.split(test, np.cumsum(sizes)[:-1], axis=1)
        out["per_layer"] = {name: {"spikes_per_sample": float(c.sum(axis=1).mean()),
                                   "active_neurons": float((c > 0).sum(axis=1).mean())}
                            for name, c in zip(layers, parts)}
    return out


def stream_summary(r: dict) -> str:
    """``"  streams 63.0 63.5 68.2: 64.9 +- 2.9 %"`` for a result with other stream seeds."""
    accs = r.get("accuracy_per_stream_seed")
    if not accs:
        return ""
    a = 100 * np.asarray(accs)
    return (f"  streams {' '.join(f'{v:.1f}' for v in a)}: "
            f"{a.mean():.1f} +- {a.std(ddof=1) if a.size > 1 else 0.0:.1f} %")


def layer_summary(r: dict) -> str:
    """``"  [audio 40.1 spikes, 5.2 active; visual ...]"`` for a model of several voting layers."""
    per = r.get("per_layer")
    if not per:
        return ""
    return "  [" + "; ".join(f"{name} {v['spikes_per_sample']:.1f} spikes, "
                             f"{v['active_neurons']:.1f} active" for name, v in per.items()) + "]"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+", metavar="MODEL_DIR")
    ap.add_argument("--variant", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help=f"frozen-phase value(s) to change, joined by ';' ({', '.join(FROZEN_KEYS)}); "
                         "repeat for more variants; the model as trained is always run first")
    ap.add_argument("--stream-seeds", type=int, nargs="*", default=[], metavar="S",
                    help="also run every setting with the frozen phases' input spikes drawn "
                         "from these seeds (the noise of one realisation)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    from stdp_emo.errors import ConfigError, DataError
    from stdp_emo.model import TrainedModel
    from stdp_emo.preparation import prepare_for_model

    t0 = time.perf_counter()
    results = {}
    try:
        models = [TrainedModel.load(d) for d in args.models]
        for m in models:                          # every variant is checked before any run
            for item in args.variant:
                variant_config(m.config, item)
        for d, m in zip(args.models, models):
            cfg, prep = prepare_for_model(m, progress=False)
            row = {}
            for name, c in [("as trained", cfg)] + [(item, variant_config(cfg, item))
                                                      for item in args.variant]:
                p = variant_prepared(prep, c, m.input_shapes)
                r = row[name] = frozen_vote(c, p, m.state)
                if args.stream_seeds:
                    r["stream_seeds"] = [c.train.seed, *args.stream_seeds]
                    r["accuracy_per_stream_seed"] = [r["accuracy"]] + [
                        frozen_vote(c.replace(train={"seed": s}), p, m.state)["accuracy"]
                        for s in args.stream_seeds]
                print(f"{d}  {name:32s} vote {100 * r['accuracy']:5.1f} %  spikes "
                      f"{r['spikes_per_sample']:6.1f}  active {r['active_neurons']:5.1f}  "
                      f"{r['seconds']:.0f} s" + stream_summary(r) + layer_summary(r), flush=True)
            results[str(d)] = row
    except (ConfigError, DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    write_result({"benchmark": "frozen_variants", "machine": machine_info(),
                  "variants": args.variant, "results": results,
                  "wall_s": time.perf_counter() - t0}, "frozen_variants.json", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
