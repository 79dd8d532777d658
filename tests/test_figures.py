"""Figures of stored results (stdp_emo.figures): models, runs, compare runs, recorded samples."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402

from run_fixtures import CLASSES, compare_dir, crossmodal_model_dir, model_dir  # noqa: E402,F401
from stdp_emo.cli import main  # noqa: E402
from stdp_emo.model import TrainedModel  # noqa: E402


def test_plot_compare_writes_figure(compare_dir, tmp_path):
    from stdp_emo.figures import plot_compare

    png = plot_compare(compare_dir)
    assert png == compare_dir / "compare.png"
    h, w = mpimg.imread(png).shape[:2]
    assert w >= 1200 and h >= 900
    svg = plot_compare(compare_dir, tmp_path / "c.svg")
    assert "<svg" in svg.read_text()


def test_trace_panel_puts_neurons_in_columns():
    from stdp_emo.figures import trace_panel

    t = np.arange(5.0)
    v = np.array([[-65.0, -60, -55, -65, -64], [-70.0, -69, -68, -67, -66]])   # (k, n_t)
    panel = trace_panel({"t_ms": t, "neurons": np.array([3, 7]), "v_mv": v,
                         "threshold_mv": v + 12})
    assert set(panel) == {"v_mV", "threshold_mV"}
    np.testing.assert_array_equal(panel["v_mV"][1], v.T)          # (n_t, k): one line per neuron
    np.testing.assert_array_equal(panel["threshold_mV"][0], t)
    assert trace_panel(None) is None
    assert trace_panel({"t_ms": t, "neurons": np.array([], int), "v_mv": v[:0],
                        "threshold_mv": v[:0]}) is None


def test_block_means_on_hand_made_values():
    from stdp_emo.plotting import block_means

    m = block_means([1.0, 3.0, 5.0, 7.0, 100.0], [0, 0, 1, 1, -1], [0, 0, 0, 2, 1], 2, 3)
    np.testing.assert_array_equal(m[0, 0], 2.0)                 # mean of 1 and 3
    assert m[1, 0] == 5.0 and m[1, 2] == 7.0
    assert np.isnan(m[0, 1]) and np.isnan(m[1, 1])              # empty blocks; -1 left out


def test_cross_weight_figure_of_a_crossmodal_model(crossmodal_model_dir, capsys):
    from stdp_emo.figures import cross_weight_figure_for

    mdir, w = crossmodal_model_dir
    fig = cross_weight_figure_for(TrainedModel.load(mdir))
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == 1 + len(CLASSES)
    by_position = images[0].get_array()
    assert by_position.shape == (4, 4)                         # 4 audio x 2x2 visual positions
    np.testing.assert_allclose(by_position, np.tile([0.1, 0.2, 0.3, 0.4], (4, 1)))
    np.testing.assert_allclose(images[1].get_array(), [[0.1, 0.2], [0.3, 0.4]])

    assert main(["plot", "weights", str(mdir)]) == 0
    out = capsys.readouterr().out.split()
    assert out == [str(mdir / "receptive_fields.png"), str(mdir / "receptive_fields_cross.png")]
    assert mpimg.imread(out[1]).shape[0] > 200


def test_no_cross_weight_figure_for_an_audio_model(model_dir):
    from stdp_emo.figures import cross_weight_figure_for

    assert cross_weight_figure_for(TrainedModel.load(model_dir)) is None
