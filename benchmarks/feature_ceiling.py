"""Would a larger standard feature set give prototype neurons more to work with?

On validation data only (``[data] holdout = "validation"``; a tool for choosing
designs, it never reads the test split), random and speaker splits of
``../shared/data/ravdess``: the default audio input code (eGeMAPS v02
functionals, population + contrast code) against the ComParE 2016 functionals
(openSMILE, 6,373 per clip; the INTERSPEECH paralinguistics challenges' set),
each scored as an **imprinted prototype layer would at best score it**: every
training clip's input vector is one normalised prototype, a validation clip
gets the majority class of its ``k`` most strongly driven prototypes
(dot product; k = 1 is cosine 1-NN). ComParE is scored as

* its population + contrast code (the default's encoder, 4 tuning curves per
  functional: 50,984 inputs),
* the same code of its first 88 / 256 principal components (PCA fitted on the
  training part; the input size of the default's code),

and, for reference, an RBF-SVM (SUPERVISED) on the standardised functionals.
Labels name the prototypes' classes only, as the network's own labelling does;
the SVM is the one supervised figure. ComParE values are cached in
``<data home>/cache/<dataset>-compare2016-<key>.npz``.

Usage::

    python benchmarks/feature_ceiling.py [--root DIR] [--k 1 10 20] [--out FILE.json]
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

from _common import REPO, machine_info, write_result  # noqa: E402

DEFAULT_ROOT = REPO.parent / "shared" / "data" / "ravdess"


def topk_vote(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, k: int,
              n_classes: int) -> np.ndarray:
    """Majority class of the ``k`` training rows with the largest dot product with each test row.

    Training rows are normalised to unit length (the layer's weight normalisation), so
    ``k = 1`` is cosine 1-NN. Ties go to the lower class index.

    Parameters
    ----------
    x_train : ndarray, shape (n_train, n_inputs)
    y_train : ndarray of int, shape (n_train,)
    x_test : ndarray, shape (n_test, n_inputs)

    Returns
    -------
    ndarray of int, shape (n_test,)
    """
    w = x_train / np.maximum(np.linalg.norm(x_train, axis=1, keepdims=True), 1e-12)
    nearest = np.argsort(-(x_test @ w.T), axis=1, kind="stable")[:, :k]
    votes = np.zeros((len(x_test), n_classes))
    np.add.at(votes, (np.arange(len(x_test))[:, None], y_train[nearest]), 1)
    return votes.argmax(axis=1)


def compare_functionals(dataset, cache_dir: Path, sample_rate_hz: int) -> np.ndarray:
    """ComParE 2016 functionals of every clip, shape (n_clips, 6373), cached on disk."""
    import hashlib

    import opensmile

    from stdp_emo.datasets.media import read_audio

    stamp = sorted([c.id, str(c.audio_path), c.audio_path.stat().st_size] for c in dataset.clips)
    stamp.append(sample_rate_hz)
    key = hashlib.sha256(repr(stamp).encode()).hexdigest()[:16]
    path = cache_dir / f"{dataset.name}-compare2016-{key}.npz"
    if path.is_file():
        with np.load(path) as z:
            return z["values"]
    smile = opensmile.Smile(feature_set=opensmile.FeatureSet.ComParE_2016,
                            feature_level=opensmile.FeatureLevel.Functionals)
    values = np.stack([smile.process_signal(read_audio(c.audio_path, sample_rate_hz),
                                            sample_rate_hz).to_numpy()[0]
                       for c in dataset.clips]).astype(np.float64)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, values=values)
    tmp.replace(path)
    return values


def code_of(values: np.ndarray, train_idx: np.ndarray, cfg, bins: int) -> np.ndarray:
    """The default encoder's population + contrast code of clip-level values (n, n_values)."""
    from stdp_emo.encoding import AudioEncoder

    feats = values[:, :, None].astype(np.float32)
    n_valid = np.ones(len(values), dtype=np.int64)
    enc = AudioEncoder.fit(feats[train_idx], n_valid[train_idx], cfg.audio,
                           dataclasses.replace(cfg.encoding, population_bins=bins))
    return enc(feats, n_valid).astype(np.float32)


def one_split(split: str, root: Path, ks: list[int]) -> dict:
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from stdp_emo import config as C
    from stdp_emo.paths import data_home
    from stdp_emo.preparation import prepare

    cfg = C.ExperimentConfig().replace(data={"dataset": "ravdess", "root": str(root), "split": split,
                                             "holdout": "validation"})
    prep = prepare(cfg, progress=False)
    y, tr, te = prep.dataset.labels, prep.train_idx, prep.test_idx
    n_classes = int(y.max()) + 1
    raw = compare_functionals(prep.dataset, data_home() / "cache", cfg.audio.sample_rate_hz)
    scaler = StandardScaler().fit(raw[tr])
    keep = scaler.scale_ > 0                                   # constant functionals carry nothing
    z = scaler.transform(raw)[:, keep]
    codes = {"egemaps_code_default": prep.inputs["audio"].astype(np.float32),
             "compare_code_4_bins": code_of(raw[:, keep], tr, cfg, 4)}
    for n in (88, 256):
        pcs = PCA(n, random_state=0).fit(z[tr]).transform(z)
        codes[f"compare_pca{n}_code"] = code_of(pcs, tr, cfg, cfg.encoding.population_bins)
    out = {"split": split, "n_train": int(len(tr)), "n_validation": int(len(te)),
           "compare_functionals_used": int(keep.sum()), "prototype_top_k": {}}
    for name, x in codes.items():
        out["prototype_top_k"][name] = {
            "n_inputs": int(x.shape[1]),
            **{str(k): float(np.mean(topk_vote(x[tr], y[tr], x[te], k, n_classes) == y[te])) for k in ks}}
    svm = SVC(C=10).fit(z[tr], y[tr])
    out["rbf_svm_compare_SUPERVISED"] = float(np.mean(svm.predict(z[te]) == y[te]))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    ap.add_argument("--k", type=int, nargs="+", default=[1, 10, 20])
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if not args.root.is_dir():
        print(f"RAVDESS not found at {args.root}; pass --root", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    result = {"benchmark": "feature_ceiling", "when": time.strftime("%Y-%m-%d %H:%M:%S"),
              "machine": machine_info(), "root": str(args.root), "holdout": "validation",
              "splits": []}
    for split in ("random", "speaker"):
        r = one_split(split, args.root, args.k)
        result["splits"].append(r)
        for name, v in r["prototype_top_k"].items():
            print(f"{split:8s} {name:24s} ({v['n_inputs']:6d} inputs) prototype vote "
                  + ", ".join(f"top-{k} {100 * v[str(k)]:.1f} %" for k in args.k), flush=True)
        print(f"{split:8s} RBF-SVM on ComParE (SUPERVISED) {100 * r['rbf_svm_compare_SUPERVISED']:.1f} %")
    result["wall_s"] = time.perf_counter() - t0
    write_result(result, "feature_ceiling.json", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
