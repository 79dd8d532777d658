"""Figures from hand-made arrays (Agg backend, no Brian2)."""
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from stdp_emo import EMOTIONS_RAVDESS, plotting  # noqa: E402
from stdp_emo.datasets.enterface import EMOTIONS_ENTERFACE  # noqa: E402
from stdp_emo.network.topology import audio_topology, conv_topology  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _spikes(ax):
    colls = [c for c in ax.collections if c.get_gid() == "spikes"]
    assert len(colls) == 1
    return colls[0]


def _imports(module_path):
    """Every module an import statement of the file names, at any depth (lazy ones too)."""
    import ast

    tree = ast.parse(module_path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            out.add("." * node.level + (node.module or ""))
    return out


def test_plotting_and_evaluation_never_import_the_simulator():
    # read from the source, so an import inside a function counts as much as one at the top;
    # every module of the plotting package, the tables it draws (summaries) and evaluation
    pkg = Path(plotting.__file__).parent
    assert pkg.name == "plotting"
    files = sorted(pkg.glob("*.py"))
    assert {"__init__.py", "style.py", "rasters.py", "weights.py", "results.py", "comparison.py",
            "sweeps.py"} <= {f.name for f in files}
    files += [pkg.parent / "summaries.py", pkg.parent / "evaluation.py"]
    for path in files:
        imports = _imports(path)
        bad = {m for m in imports
               if m.split(".")[0] == "brian2"
               or m.lstrip(".") in ("simulate", "frozen", "training", "preparation", "inference",
                                    "sweep", "compare", "report")
               or m.lstrip(".").startswith(("network.builder", "network.namespace", "sweep."))}
        assert not bad, (path.name, bad)
    code = ("import sys, stdp_emo.plotting, stdp_emo.report, stdp_emo.cli, stdp_emo.model, "
            "stdp_emo.records; "
            "sys.exit(1 if any(m.startswith('brian2') for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_emotion_colours_fixed_and_shared_by_synonyms():
    colours = [plotting.class_color(c) for c in EMOTIONS_RAVDESS]
    assert len(set(colours)) == 8
    for a, b in [("anger", "angry"), ("fear", "fearful"), ("happiness", "happy"),
                 ("sadness", "sad"), ("surprise", "surprised"), ("disgust", "disgust")]:
        assert plotting.class_color(a) == plotting.class_color(b)
    assert all(c in plotting.EMOTION_COLORS for c in EMOTIONS_ENTERFACE)
    assert plotting.class_color("Angry") == plotting.EMOTION_COLORS["angry"]
    # an unknown name: a fallback colour, not an emotion's, the same in another process
    unknown = plotting.class_color("not-an-emotion")
    assert unknown in plotting._FALLBACK and unknown not in colours
    code = "from stdp_emo import plotting; print(plotting.class_color('not-an-emotion'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip() == unknown
    assert plotting.UNASSIGNED_COLOR not in colours


def test_raster_draws_every_spike_with_neuron_colours():
    fig, ax = plt.subplots()
    t = np.array([1.0, 2.0, 3.0, 4.0])
    i = np.array([0, 2, 2, 1])
    colors = np.array([to_rgba("red"), to_rgba("green"), to_rgba("blue")])
    coll = plotting.raster(ax, t, i, n_neurons=3, colors=colors)
    np.testing.assert_array_equal(coll.get_offsets(), np.c_[t, i])
    np.testing.assert_allclose(coll.get_facecolors(), colors[i])
    assert ax.get_ylim() == (-0.5, 2.5)
    with pytest.raises(ValueError):
        plotting.raster(ax, t, np.array([0, 1, 2, 3]), n_neurons=3)


def test_raster_of_many_spikes_is_one_collection():
    # what keeps it fast (speed itself is for benchmarks): one artist for all spikes,
    # not one per neuron or per spike
    rng = np.random.default_rng(0)
    fig, ax = plt.subplots()
    a = rng.integers(-1, 8, 6000)
    n_artists = len(ax.get_children())
    plotting.raster(ax, rng.uniform(0, 500, 50_000), rng.integers(0, 6000, 50_000),
                    n_neurons=6000, colors=plotting.neuron_colors(a, EMOTIONS_RAVDESS))
    assert len(ax.get_children()) == n_artists + 1
    assert _spikes(ax).get_offsets().shape == (50_000, 2)


def test_raster_figure_panels_in_data_flow_order_and_coloured_by_assignment():
    classes = ["neutral", "angry", "sad"]
    groups = {
        "audio excitatory": (np.array([10.0, 20.0, 30.0]), np.array([0, 1, 2]), 3),
        "visual input": (np.array([5.0, 6.0]), np.array([3, 4]), 10),
        "audio input": (np.array([1.0, 2.0, 3.0, 600.0, 700.0]), np.array([0, 1, 2, 3, 4]), 5),
        "multimodal": (np.array([], float), np.array([], int), 4),
    }
    assignments = {"audio excitatory": np.array([1, -1, 2])}
    fig = plotting.raster_figure(groups, assignments=assignments, classes=classes,
                                 present_ms=350, rest_ms=150, visual_lead_ms=50, title="t")
    axes = fig.axes
    titles = [ax.get_title(loc="left").split(" (")[0] for ax in axes]
    assert titles == ["audio input", "audio excitatory", "visual input", "multimodal"]
    sizes = [len(_spikes(ax).get_offsets()) for ax in axes]
    assert sizes == [5, 3, 2, 0]
    fc = _spikes(axes[1]).get_facecolors()
    np.testing.assert_allclose(fc[0], to_rgba(plotting.class_color("angry")))
    np.testing.assert_allclose(fc[1], to_rgba(plotting.UNASSIGNED_COLOR))
    np.testing.assert_allclose(fc[2], to_rgba(plotting.class_color("sad")))
    # two whole presentation periods (spikes up to 700 ms): x range 0..1000 ms
    assert axes[0].get_xlim() == (0.0, 1000.0)
    assert axes[-1].get_xlabel() == "time (ms)"
    assert all(ax.get_ylabel() == "neuron" for ax in axes)
    # presentation + rest + visual lead shading in every panel, 2 periods
    assert len(axes[0].patches) == 6
    legend_texts = {t.get_text() for t in fig.legends[0].get_texts()}
    assert set(classes) | {"unassigned", "presentation", "rest"} <= legend_texts


def test_raster_figure_with_traces():
    t = np.linspace(0, 500, 101)
    v = np.stack([np.full(101, -65.0), np.full(101, -60.0)], axis=1)
    fig = plotting.raster_figure({"audio excitatory": (np.array([1.0]), np.array([0]), 2)},
                                 assignments=None, classes=["a", "b"], present_ms=350, rest_ms=150,
                                 title="", traces={"v_mV": (t, v), "threshold_mV": (t, v + 10)})
    assert len(fig.axes) == 2
    assert len(fig.axes[1].lines) == 4
    assert "mV" in fig.axes[1].get_ylabel()


def test_receptive_fields_grid_grouped_by_class():
    rng = np.random.default_rng(1)
    classes = ["neutral", "calm", "happy"]
    assignments = np.array([0, 0, 0, 1, -1, 0, 0, 0, 1, 0])   # happy: none
    weights = rng.uniform(0, 1, (10, 2 * 5 * 5))
    fig = plt.figure(constrained_layout=True)
    axes = plotting.receptive_fields(fig, weights, (2, 5, 5), assignments, classes, max_per_class=4)
    assert axes.shape == (3, 4)
    n_images = [[len(axes[r, c].images) for c in range(4)] for r in range(3)]
    assert n_images == [[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 0, 0]]
    img = axes[0, 0].images[0].get_array()
    assert img.shape == (5, 11)                              # OFF | gap | ON
    assert axes[2, 0].texts[0].get_text() == "no neurons"
    assert "neutral" in axes[0, 0].get_ylabel()
    clims = {ax.images[0].get_clim() for ax in axes.ravel() if ax.images}
    assert len(clims) == 1                                   # one shared colour scale
    assert len(fig.axes) == 3 * 4 + 1                        # + colour bar
    # audio patches: coefficient x frame
    fig2 = plotting.receptive_field_figure(rng.uniform(0, 1, (6, 80)), (1, 8, 10),
                                           np.array([0, 1, 1, 2, 2, 2]), classes, max_per_class=8)
    grid = [ax for ax in fig2.axes if ax.images]
    assert grid[0].images[0].get_array().shape == (8, 10)


def test_confusion_annotates_counts():
    fig, ax = plt.subplots()
    m = np.array([[3, 1, 0], [0, 0, 0], [2, 0, 5]])
    plotting.confusion(ax, m, ["neutral", "sad", "angry"])
    texts = [t.get_text() for t in ax.texts]
    assert texts == [str(v) for v in m.ravel()]
    img = ax.images[0].get_array()
    filled = np.ma.filled(np.ma.asarray(img, dtype=float), np.nan)
    assert np.isclose(filled[0, 0], 0.75) and np.isnan(filled[1, 0])    # row fractions; empty row blank
    assert ax.get_xlabel() == "predicted emotion" and ax.get_ylabel() == "true emotion"
    with pytest.raises(ValueError):
        plotting.confusion(ax, m, ["a", "b"])


def test_per_class_bars_marks_missing_classes():
    fig, ax = plt.subplots()
    bars = plotting.per_class_bars(ax, {"neutral": 0.5, "sad": None, "angry": 1.0},
                                   ["neutral", "sad", "angry"])
    assert [b.get_visible() for b in bars] == [True, False, True]
    assert "n/a" in [t.get_text() for t in ax.texts]
    np.testing.assert_allclose(bars[2].get_facecolor(), to_rgba(plotting.class_color("angry")))


def test_compare_bars_shows_seeds():
    fig, ax = plt.subplots()
    table = {"audio": {"mean": 0.3, "std": 0.02, "seeds": [0.28, 0.3, 0.32]},
             "audio-visual": {"mean": 0.4, "std": 0.0, "seeds": [0.4]}}
    bars = plotting.compare_bars(ax, table, chance=0.125)
    assert [b.get_height() for b in bars] == [0.3, 0.4]
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [len(c.get_offsets()) for c in dots] == [3, 1]
    np.testing.assert_allclose(dots[0].get_offsets()[:, 1], [0.28, 0.3, 0.32])


def test_save_figure_png_size_and_svg(tmp_path):
    fig = plt.figure(figsize=(4, 3))
    fig.add_subplot().plot([0, 1], [0, 1])
    png = plotting.save_figure(fig, tmp_path / "a.png", close=False)
    assert png.stat().st_size > 0
    assert mpimg.imread(png).shape[:2] == (3 * 120, 4 * 120)
    svg = plotting.save_figure(fig, tmp_path / "a.svg")
    assert svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "a.svg"]   # no temp files
    with pytest.raises(ValueError):
        plotting.save_figure(plt.figure(), tmp_path / "a.bmp")


# ------------------------------------------------------------------ compare runs
def _compare():
    from compare_data import make_compare

    return make_compare()


def _seed_dots(ax):
    return [c for c in ax.collections if c.get_gid() == "seeds"]


def test_mode_colours_consistent_and_distinct():
    modes = ["audio", "visual", "early_fusion", "crossmodal"]
    assert len({plotting.mode_color(m) for m in modes}) == 4
    assert plotting.mode_color("cross-modal") == plotting.mode_color("Crossmodal")
    assert plotting.mode_color("early fusion") == plotting.MODE_COLORS["early_fusion"]
    assert plotting.mode_color("late_fusion") == plotting.mode_color("late_fusion")
    fig, ax = plt.subplots()
    bars = plotting.compare_bars(ax, {"visual": {"mean": 0.3}, "audio": {"mean": 0.4}})
    np.testing.assert_allclose(bars[0].get_facecolor()[:3], to_rgba(plotting.mode_color("visual"))[:3])


def test_tables_are_the_summaries_ones():
    # the numbers drawn come from stdp_emo.summaries (tests/test_summaries.py); the old names stay
    from stdp_emo import summaries

    assert plotting.compare_table is summaries.compare_table
    assert plotting.robustness_table is summaries.robustness_table
    assert plotting.condition_label is summaries.condition_label
    assert plotting.level_label is summaries.level_label


def test_mode_feature_bars_groups_bars_and_seed_dots():
    d = _compare()
    table = plotting.compare_table(d["runs"], d["summary"], "accuracy")
    fig, ax = plt.subplots()
    bars = plotting.mode_feature_bars(ax, table, modes=d["protocol"]["modes"],
                                      features=d["protocol"]["features"], chance=0.125)
    assert len(bars) == 7
    rects = [p for p in ax.patches if p.get_height() > 0]
    assert len(rects) == 7
    for (mode, feat), rect in bars.items():
        assert np.isclose(rect.get_height(), table[(mode, feat)]["mean"])
        np.testing.assert_allclose(rect.get_facecolor()[:3], to_rgba(plotting.mode_color(mode))[:3])
    dots = _seed_dots(ax)
    assert len(dots) == 7 and all(len(c.get_offsets()) == 3 for c in dots)
    # groups: mfcc, mel (protocol order), then dvs; visual only in the dvs group
    assert [t.get_text() for t in ax.get_xticklabels()] == ["mfcc", "mel", "dvs"]
    assert np.isclose(bars[("visual", "dvs")].get_x() + bars[("visual", "dvs")].get_width() / 2, 2)
    xs_mfcc = sorted(r.get_x() for (m, f), r in bars.items() if f == "mfcc")
    assert len(xs_mfcc) == 3 and xs_mfcc[0] < 0 < xs_mfcc[-1] + 1e-9
    # mode order inside a group: audio, early_fusion, crossmodal (protocol order)
    order = [m for (m, f), r in sorted(bars.items(), key=lambda kv: kv[1].get_x()) if f == "mfcc"]
    assert order == ["audio", "early_fusion", "crossmodal"]
    assert ax.get_ylabel() == "accuracy" and ax.get_xlabel() == "features"
    assert {t.get_text() for t in ax.get_legend().get_texts()} >= {"audio", "visual", "crossmodal",
                                                                    "individual seeds"}


def test_robustness_lines_one_line_per_mode_and_ordered_levels():
    d = _compare()
    fig, ax = plt.subplots(figsize=(10, 4))
    pts = plotting.robustness_lines(ax, d["robustness"], chance=0.125)
    assert list(pts) == [("audio", "mfcc"), ("early_fusion", "mfcc"), ("crossmodal", "mfcc")]
    assert all(p.shape == (7, 2) for p in pts.values())
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "clean" and len(labels) == 7
    assert labels.index("vision noise\n0.5 ev/px/s") < labels.index("vision noise\n2 ev/px/s")
    assert labels.index("audio noise\n20 dB SNR") < labels.index("audio noise\n5 dB SNR")
    # the mean over the 3 seeds: clean accuracy 0.45 + 0.01 * mean(seed)
    np.testing.assert_allclose(pts[("audio", "mfcc")][0, 1], 0.46)
    np.testing.assert_allclose(pts[("audio", "mfcc")][:, 1],
                               [0.46 - 0.03 * j for j in range(7)])
    # lines join only the levels of one condition: 5 line pieces, 7 points, per mode
    lines = [ln for ln in ax.lines if ln.get_gid() == "robustness:audio:mfcc"]
    assert sum(len(ln.get_xdata()) for ln in lines) == 7
    assert {ln.get_color() for ln in lines} == {plotting.mode_color("audio")}
    assert "audio" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_robustness_lines_several_feature_sets_get_own_style():
    rows = [{"mode": "audio", "features": f, "seed": 0, "condition": "clean", "level": None,
             "accuracy": 0.5} for f in ("mfcc", "mel")]
    fig, ax = plt.subplots()
    pts = plotting.robustness_lines(ax, rows)
    assert set(pts) == {("audio", "mfcc"), ("audio", "mel")}
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"audio (mfcc)", "audio (mel)"}


def test_compare_figure_panels(tmp_path):
    d = _compare()
    fig = plotting.compare_figure(d["runs"], d["summary"], d["robustness"],
                                  modes=d["protocol"]["modes"], features=d["protocol"]["features"],
                                  n_classes=8, title="t")
    labels = [ax.get_label() for ax in fig.axes]
    assert labels == ["accuracy", "uar", "polarity", "robustness"]
    assert len(_seed_dots(fig.axes[0])) == 7
    legend = {t.get_text() for t in fig.legends[0].get_texts()}
    assert set(d["protocol"]["modes"]) | {"individual seeds", "chance (0.125)"} <= legend
    png = plotting.save_figure(fig, tmp_path / "c.png")
    h, w = mpimg.imread(png).shape[:2]
    assert w >= 1200 and h >= 900
    # no robustness, no polarity: two panels only
    runs = [{k: v for k, v in r.items() if k != "polarity_accuracy"} for r in d["runs"]]
    fig2 = plotting.compare_figure(runs, None, [], n_classes=8)
    assert [ax.get_label() for ax in fig2.axes] == ["accuracy", "uar"]
    with pytest.raises(ValueError):
        plotting.compare_figure([], None, None)


# ------------------------------------------------------------------ sweeps
def test_sweep_lines_draws_one_line_per_feature_count():
    from stdp_emo.plotting import sweep_lines

    fig, ax = plt.subplots()
    mean = np.array([[0.2, 0.3, np.nan], [0.25, 0.35, 0.4]])
    lines = sweep_lines(ax, [5, 10, 20], mean, spread=np.full_like(mean, 0.02),
                        labels=["4 features", "8 features"], chance=0.125)
    assert len(lines) == 2
    assert list(lines[0].get_xdata()) == [5, 10]              # NaN point left out
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["4 features", "8 features"]
    with pytest.raises(ValueError):
        sweep_lines(ax, [5, 10], mean)
    plt.close(fig)
