import numpy as np
import pytest

from stdp_emo.config import DataConfig
from stdp_emo.datasets.base import Clip, Dataset
from stdp_emo.experiment import experiment_split, limit_per_class


def _dataset(n_actors=10, per_class=4, n_classes=4):
    clips = [Clip(f"{a:02d}-{c}-{k}", f"{a:02d}", c, None)
             for a in range(1, n_actors + 1) for c in range(n_classes) for k in range(per_class)]
    return Dataset("toy", __import__("pathlib").Path("."), tuple("abcd"[:n_classes]), tuple(clips))


@pytest.mark.parametrize("kind", ["random", "speaker"])
def test_validation_holdout_is_inside_training_part(kind):
    ds = _dataset()
    tr, te = experiment_split(ds, DataConfig(split=kind, seed=3))
    vtr, vval = experiment_split(ds, DataConfig(split=kind, seed=3, holdout="validation"))
    assert set(vtr) | set(vval) == set(tr)          # the test split is never used
    assert not set(vval) & set(te) and not set(vtr) & set(vval)
    if kind == "speaker":
        assert not set(ds.actors[vtr]) & set(ds.actors[vval])


def test_limit_per_class():
    ds = _dataset()
    small = limit_per_class(ds, 5, seed=0)
    assert np.all(np.bincount(small.labels) == 5)
    assert limit_per_class(ds, 0, seed=0) is ds
