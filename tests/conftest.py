import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_RAVDESS = REPO.parent / "shared" / "data" / "ravdess"


@pytest.fixture
def ravdess_root():
    """The real RAVDESS audio beside the checkout (``../shared``); skip when absent."""
    if not SHARED_RAVDESS.is_dir():
        pytest.skip(f"real RAVDESS data not found at {SHARED_RAVDESS}")
    return SHARED_RAVDESS


@pytest.fixture
def runtime_device():
    """Brian2 runtime (numpy) device: small networks, no compilation."""
    import brian2 as b2

    b2.set_device("runtime")
    b2.prefs.codegen.target = "numpy"
    yield b2
    b2.set_device("runtime")


@pytest.fixture(scope="session")
def standalone_cache(tmp_path_factory):
    """One compiled-code cache for the whole test session (compile cost paid once per shape)."""
    path = Path(os.environ.get("STDP_EMO_TEST_CACHE") or tmp_path_factory.mktemp("standalone"))
    return path


@pytest.fixture
def isolated(tmp_path, monkeypatch, standalone_cache):
    """A fresh working folder: data, runs, models under tmp_path; the shared compile cache."""
    monkeypatch.setenv("STDP_EMO_DATA", str(tmp_path / "datasets"))
    monkeypatch.setenv("STDP_EMO_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("STDP_EMO_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("STDP_EMO_CACHE", str(standalone_cache))
    monkeypatch.chdir(tmp_path)
    return tmp_path
