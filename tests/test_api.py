"""The documented Python API: the README's example runs as written."""
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _example() -> str:
    text = README.read_text(encoding="utf-8")
    m = re.search(r"<!-- python-example: run by tests/test_api.py -->\n```python\n(.*?)```", text,
                  re.S)
    assert m, "README lost its Python example"
    return m.group(1)


def test_the_api_names_exist_without_importing_the_simulator():
    import subprocess
    import sys

    code = ("import sys, stdp_emo; stdp_emo.TrainedModel, stdp_emo.ExperimentConfig, "
            "stdp_emo.load_config, stdp_emo.train, stdp_emo.load_model; "
            "sys.exit(1 if 'brian2' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
    import stdp_emo

    with pytest.raises(AttributeError):
        stdp_emo.no_such_name


@pytest.mark.slow
def test_readme_python_example_runs(isolated, monkeypatch, capsys):
    """Trains configs/tiny.toml on the synthetic set, predicts, evaluates, records, reshapes."""
    import shutil

    repo = README.parent
    shutil.copytree(repo / "configs", isolated / "configs")
    monkeypatch.chdir(isolated)
    namespace: dict = {}
    exec(compile(_example(), "README.md", "exec"), namespace)
    model, again = namespace["model"], namespace["again"]
    out = capsys.readouterr().out.splitlines()
    # the printed accuracy is the training run's; evaluating the same frozen network again gives it
    assert float(out[-1]) == model.metrics["unsupervised"]["accuracy"]
    assert again["run_dir"].is_dir() and model.path.parent == isolated / "models"
    emotions = set(model.classes)
    said = [ln.split()[:2] for ln in out if re.match(r"\d\d(-\d\d){5}-01\.wav ", ln)]
    assert len(said) == 60 and all(e in emotions for _, e in said)     # Actor_01: 60 clips
    assert namespace["weights"].shape[0] == model.composition.layer(namespace["layer"]).n_neurons
    assert set(namespace["rec"]["groups"]) == {"audio input", "audio excitatory",
                                               "audio inhibitory"}
