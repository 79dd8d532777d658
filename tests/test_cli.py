import json

import numpy as np
import pytest

from stdp_emo.cli import main

REPO_CONFIGS = __import__("pathlib").Path(__file__).resolve().parents[1] / "configs"


@pytest.mark.slow
def test_train_then_evaluate_tiny_network(isolated, capsys):
    assert main(["train", "--config", str(REPO_CONFIGS / "tiny.toml"), "--quiet", "--tag", "smoke"]) == 0
    out = capsys.readouterr().out
    assert "unsupervised STDP" in out and "SUPERVISED" in out
    runs = list((isolated / "runs" / "synthetic").iterdir())
    assert len(runs) == 1 and runs[0].name.endswith("_smoke")
    for f in ("config.toml", "split.json", "metrics.json", "log.txt", "predictions.json"):
        assert (runs[0] / f).is_file(), f
    metrics = json.loads((runs[0] / "metrics.json").read_text())
    assert 0.0 <= metrics["unsupervised"]["accuracy"] <= 1.0
    n_classes = 8
    conf = np.array(metrics["unsupervised"]["confusion"])
    assert conf.shape == (n_classes, n_classes) and conf.sum() == metrics["n_test"]
    split = json.loads((runs[0] / "split.json").read_text())
    assert not set(split["train_ids"]) & set(split["test_ids"])
    # the recorded spike counts give back the run's own predictions (late fusion reads them)
    from stdp_emo import evaluation
    from stdp_emo.config import load
    from stdp_emo.late_fusion import read_counts
    counts = read_counts(runs[0])
    assert counts["label_ids"] == split["train_ids"] and counts["test_ids"] == split["test_ids"]
    vote = load(runs[0] / "config.toml").train.vote
    pred = evaluation.label_and_predict(
        counts["label"]["audio"], counts["y_label"], counts["test"]["audio"], n_classes, vote,
        int(np.bincount(counts["y_label"], minlength=n_classes).argmax()))
    assert pred.tolist() == json.loads((runs[0] / "predictions.json").read_text())["y_pred"]
    models = list((isolated / "models").iterdir())
    assert len(models) == 1
    with np.load(models[0] / "network.npz", allow_pickle=False) as z:
        # the default population code, fully connected: fan-in ON/OFF x 8 coefficients x 16 bins
        # tiny.toml: the default eGeMAPS code, ON/OFF x 88 functionals x 8 tuning curves
        assert z["w__audio_input_to_audio_exc"].size == z["assignments"].size * 2 * 88 * 8
        assert np.all(z["w__audio_input_to_audio_exc"] >= 0)

    assert main(["evaluate", str(models[0]), "--quiet"]) == 0
    out2 = capsys.readouterr().out
    assert "unsupervised STDP" in out2
    ev = sorted((isolated / "runs" / "synthetic").glob("*_evaluate"))
    assert len(ev) == 1
    m2 = json.loads((ev[0] / "metrics.json").read_text())
    # same frozen network, same test split, same random streams: identical result
    assert m2["unsupervised"]["accuracy"] == metrics["unsupervised"]["accuracy"]
    assert m2["unsupervised"]["confusion"] == metrics["unsupervised"]["confusion"]

    # raster of one test sample: same random stream as in testing -> same prediction
    preds = json.loads((runs[0] / "predictions.json").read_text())
    sid, y_pred = preds["test_ids"][0], preds["y_pred"][0]
    out_png = isolated / "r.png"
    assert main(["raster", str(models[0]), "--sample", sid, "--out", str(out_png),
                 "--trace", "2"]) == 0
    import matplotlib.image as mpimg
    img = mpimg.imread(out_png)
    assert img.shape[0] > 300 and img.shape[1] > 300
    from stdp_emo.model import TrainedModel
    rec = TrainedModel.load(models[0]).record(sid, trace_neurons=2)
    tr = rec["traces"]
    assert tr["v_mv"].shape == tr["threshold_mv"].shape == (2, tr["t_ms"].size)
    # conductance LIF: v stays between the inhibitory and excitatory reversal potentials;
    # the threshold is v_thresh (-52 mV) + theta - offset with theta >= its 20 mV start
    assert tr["t_ms"].size >= 350 and np.all((tr["v_mv"] >= -100.0) & (tr["v_mv"] <= 0.0))
    assert np.all(tr["threshold_mv"] >= -52.0 - 1e-2)      # (theta decays with tau 1e7 ms)
    assert set(rec["groups"]) == {"audio input", "audio excitatory", "audio inhibitory"}
    classes = json.loads((models[0] / "model.json").read_text())["classes"]
    assert rec["predicted"] == classes[y_pred]
    assert main(["raster", str(models[0]), "--sample", "no-such-id"]) == 2

    # report with rasters of 2 test samples recorded through the model (1 correct, 1 wrong
    # when the test set has both)
    capsys.readouterr()
    assert main(["report", str(runs[0]), "--rasters", "2"]) == 0
    html = (runs[0] / "report.html").read_text()
    section = html.split('<section id="rasters">')[1].split("</section>")[0]
    assert section.count('src="data:image/png;base64,') == 2, section[:500]
    assert "could not be recorded" not in section
    n_right = sum(t == p for t, p in zip(preds["y_true"], preds["y_pred"]))
    if 0 < n_right < len(preds["y_pred"]):
        assert section.count("correctly classified:") == 1 and section.count("MISCLASSIFIED:") == 1


@pytest.mark.parametrize("argv, needle", [
    (["train", "nosuchset"], "invalid choice"),
])
def test_argparse_rejects_unknown_dataset(isolated, capsys, argv, needle):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    assert needle in capsys.readouterr().err


def test_bad_config_key_is_one_line_error(isolated, capsys):
    bad = isolated / "bad.toml"
    bad.write_text("[network]\nn_featurez = 3\n")
    assert main(["train", "--config", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "n_featurez" in err and str(bad) in err
    assert len(err.splitlines()) == 1
    assert not (isolated / "runs").exists() and not (isolated / "models").exists()


def test_empty_ravdess_root_is_one_line_error(isolated, capsys):
    (isolated / "empty").mkdir()
    assert main(["train", "ravdess", "--root", str(isolated / "empty"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "empty" in err and len(err.splitlines()) == 1


def test_evaluate_missing_model_dir(isolated, capsys):
    assert main(["evaluate", str(isolated / "no_model")]) == 2
    assert "not a model directory" in capsys.readouterr().err


def test_datasets_command_counts(isolated, capsys, ravdess_root):
    assert main(["datasets", "ravdess", "--root", str(ravdess_root)]) == 0
    out = capsys.readouterr().out
    assert "1200 clips, 20 actors, 8 classes" in out
    rows = [ln.split() for ln in out.splitlines() if ln[:2].isdigit() and " clips" not in ln]
    assert [r[0] for r in rows] == [f"{a:02d}" for a in range(1, 21)]
    assert all(r[-1] == "60" and r[1] == "4" for r in rows)     # 60 speech clips, 4 neutral



@pytest.mark.slow
def test_resume_equals_uninterrupted(isolated):
    from stdp_emo import config as C
    from stdp_emo.model import TrainedModel
    from stdp_emo.training import train

    # the layer sized from the training split (resolved again on resume, to the same size)
    cfg = C.load(REPO_CONFIGS / "tiny.toml").replace(network={"dense_n_neurons": 0,
                                                                "neurons_per_clip": 0.5})
    ref = train(cfg, tag="ref", progress=False)
    n_neurons = round(0.5 * ref["metrics"]["n_train"])
    assert ref["model"].config.network.dense_n_neurons == n_neurons
    assert TrainedModel.load(ref["model_dir"]).composition.layer("audio").n_neurons == n_neurons
    assert C.load(ref["run_dir"] / "config.toml") == ref["model"].config   # the record says so

    def interrupt(path):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(cfg, tag="cut", progress=False, checkpoint_every=cfg.train.chunk_size,
              on_checkpoint=interrupt)
    cut = next((isolated / "runs" / "synthetic").glob("*_cut"))
    assert (cut / "checkpoint.npz").is_file() and not (cut / "metrics.json").exists()
    resumed = train(cfg, resume=cut, progress=False)
    assert resumed["run_dir"] == cut and not (cut / "checkpoint.npz").exists()
    a = TrainedModel.load(ref["model_dir"]).to_arrays()
    b = TrainedModel.load(resumed["model_dir"]).to_arrays()
    assert set(a) == set(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert resumed["metrics"]["unsupervised"] == ref["metrics"]["unsupervised"]
    # three trainings in one process: no dead network held a name, so every build generated
    # the same code under the same names (numbered names would recompile the cached project)
    from stdp_emo.paths import cache_home
    mains = list((cache_home() / "standalone").glob("audio-*/main.cpp"))
    assert mains and not [m for m in mains if "_clock_1" in m.read_text()]


@pytest.mark.slow
def test_sharded_evaluation_equals_serial(isolated):
    """Shards start their samples at other times in a run than the serial run does: the
    responses must not depend on that (see test_network's position test)."""
    from stdp_emo import config as C
    from stdp_emo.frozen import evaluate_model
    from stdp_emo.training import train

    ref = train(C.load(REPO_CONFIGS / "tiny.toml"), tag="ref", progress=False)
    # the test split presented by 2 local processes and by a 2-worker Dask cluster
    serial = evaluate_model(ref["model_dir"], progress=False, workers=1)
    shard = evaluate_model(ref["model_dir"], progress=False, workers=2)
    assert shard["metrics"]["workers"] == 2
    assert shard["predictions"] == serial["predictions"]
    assert shard["metrics"]["testing"]["spikes_per_sample_mean"] == \
        serial["metrics"]["testing"]["spikes_per_sample_mean"]
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        dask = evaluate_model(ref["model_dir"], progress=False, workers=2, client=client)
    assert dask["predictions"] == serial["predictions"]


@pytest.mark.slow
def test_predict_and_evaluate_all_on_new_recordings(isolated, capsys):
    """A trained model classifies files and a whole folder it has never seen."""
    import shutil

    assert main(["train", "--config", str(REPO_CONFIGS / "tiny.toml"), "--quiet",
                 "--name", "tiny"]) == 0
    capsys.readouterr()
    model = isolated / "models" / "tiny"
    synth = isolated / "datasets" / "synthetic"
    # a RAVDESS-layout folder of two actors the model was trained on, plus a corrupt clip
    new = isolated / "new"
    for actor in ("Actor_01", "Actor_02"):
        shutil.copytree(synth / actor, new / actor)
    wavs = sorted(new.rglob("*.wav"))
    bad = new / "Actor_02" / "03-01-05-01-01-01-02.wav"
    bad.write_bytes(b"RIFF not really a wav file")

    # predict: three good files and the corrupt one -> three lines, one error naming the file
    code = main(["predict", str(model), str(wavs[0]), str(wavs[1]), str(bad), str(wavs[2])])
    out, err = capsys.readouterr()
    assert code == 2
    lines = out.strip().splitlines()
    classes = json.loads((model / "model.json").read_text())["classes"]
    assert [ln.split("\t")[0] for ln in lines] == [str(w) for w in (wavs[0], wavs[1], wavs[2])]
    for ln in lines:
        assert ln.split("\t")[1] in classes
    assert str(bad) in err and "1 of 4 files" in err
    # a folder, as JSON; every file once, scores for every class
    assert main(["predict", str(model), str(new / "Actor_01"), "--json"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.strip().splitlines()]
    assert len(rows) == len(list((new / "Actor_01").glob("*.wav")))
    assert all(set(r["scores"]) == set(classes) and r["emotion"] in classes for r in rows)

    # evaluate --all: every readable clip of the folder, the corrupt one skipped and listed
    assert main(["evaluate", str(model), "--root", str(new), "--all", "--dataset", "ravdess",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "unsupervised STDP" in out and "1 clips skipped" in out
    run = next((isolated / "runs" / "ravdess").glob("*_evaluate_all"))
    m = json.loads((run / "metrics.json").read_text())
    assert m["n_test"] == len(wavs) - 1 and list(m["skipped"]) == ["01-05-01-01-01-02"]
    preds = json.loads((run / "predictions.json").read_text())
    assert len(preds["y_pred"]) == m["n_test"] and sum(map(sum, m["unsupervised"]["confusion"])) == m["n_test"]
    # predicting a file again gives the same answer (the random streams depend on the seed)
    assert main(["predict", str(model), str(wavs[0])]) == 0
    assert capsys.readouterr().out.strip() == lines[0]
    # --all without --root is a one-line error
    assert main(["evaluate", str(model), "--all"]) == 2
    assert "--all needs --root" in capsys.readouterr().err


@pytest.mark.slow
def test_model_write_failure_keeps_the_trained_network_and_resume_writes_it(isolated, capsys,
                                                                            monkeypatch):
    import errno
    import os

    import stdp_emo.fileio as fileio
    from stdp_emo.model import TrainedModel

    real_rename = os.rename

    def full_disk(src, dst):                # the models folder is full; the rest is fine
        if str(dst).startswith(str(isolated / "models")):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_rename(src, dst)

    tiny = str(REPO_CONFIGS / "tiny.toml")
    with monkeypatch.context() as m:
        m.setattr(fileio.os, "rename", full_disk)           # the model folder's final rename
        assert main(["train", "--config", tiny, "--quiet", "--name", "kept"]) == 2
    (err,) = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("error: ")]
    assert "cannot write (no space left on the device)" in err
    (run,) = (isolated / "runs" / "synthetic").iterdir()
    assert f"stdp-emo train --resume {run}" in err and str(isolated / "models") in err
    assert json.loads((run / "status.json").read_text())["status"] == "failed"
    assert "cannot write" in (run / "log.txt").read_text()
    assert not (isolated / "models").exists() or not any((isolated / "models").iterdir())
    with np.load(run / "checkpoint.npz", allow_pickle=False) as z:
        kept = {k: z[k] for k in z.files if k.startswith(("w__", "theta__"))}
        assert json.loads(str(z["meta"]))["queue"] == []            # training had finished

    assert main(["train", "--resume", str(run), "--quiet"]) == 0
    model = TrainedModel.load(isolated / "models" / "kept").to_arrays()   # the name given first
    for k, v in kept.items():
        np.testing.assert_array_equal(model[k], v, err_msg=k)
    assert json.loads((run / "status.json").read_text()) == {"status": "complete"}
    assert not (run / "checkpoint.npz").exists() and os.path.isfile(run / "metrics.json")


@pytest.mark.slow
def test_one_sigint_stops_training_with_a_checkpoint_that_resumes_exactly(isolated, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from stdp_emo.model import TrainedModel

    cfg = tmp_path / "long.toml"
    cfg.write_text((REPO_CONFIGS / "tiny.toml").read_text().replace("epochs = 1", "epochs = 12"))
    argv = [sys.executable, "-m", "stdp_emo", "train", "--config", str(cfg), "--quiet"]
    # as a terminal's Ctrl-C: SIGINT to the whole process group (Python and the simulator)
    proc = subprocess.Popen(argv + ["--name", "cut", "--checkpoint-every", "16"],
                            start_new_session=True, stderr=subprocess.PIPE, text=True)
    runs = isolated / "runs" / "synthetic"
    deadline = time.time() + 300
    while time.time() < deadline and not list(runs.glob("*/checkpoint.npz")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    (run,) = runs.iterdir()
    assert (run / "checkpoint.npz").is_file() and not (run / "metrics.json").exists()
    assert json.loads((run / "status.json").read_text())["status"] == "interrupted"
    with np.load(run / "checkpoint.npz", allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
    assert meta["epoch"] < 12                                   # stopped early, not at the end

    assert main(["train", "--resume", str(run), "--quiet"]) == 0
    assert main(["train", "--config", str(cfg), "--quiet", "--name", "whole"]) == 0
    a = TrainedModel.load(isolated / "models" / "cut").to_arrays()
    b = TrainedModel.load(isolated / "models" / "whole").to_arrays()
    assert set(a) == set(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_read_only_runs_folder_is_one_line_before_any_work(isolated, capsys, monkeypatch):
    """As root a chmod does not stop writes: the folder refuses through the OS call instead."""
    import errno
    import os
    from pathlib import Path

    real_mkdir = Path.mkdir
    runs = isolated / "ro_runs"

    def read_only(self, *a, **k):
        if str(self).startswith(str(runs)):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_mkdir(self, *a, **k)

    monkeypatch.setattr(Path, "mkdir", read_only)
    argv = ["train", "--config", str(REPO_CONFIGS / "tiny.toml"), "--quiet", "--runs-dir", str(runs)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(runs) in err and "read-only" in err
    assert not (isolated / "models").exists() and not (isolated / "datasets").exists()
