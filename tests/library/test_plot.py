"""The shared figures draw what they claim to draw."""

import matplotlib.pyplot as plt
import numpy as np

import mlpcore
from mlpcore import plot


def teardown_function():
    plt.close("all")


def test_activation_curves_draw_f_and_its_derivative():
    fig = plot.activation_curves(["sigmoid", "relu", "tanh", "step"], ncols=3)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["sigmoid", "relu", "tanh", "step"]
    x, y = visible[0].lines[2].get_data()  # after the two axis lines: f, then f'
    np.testing.assert_allclose(y, mlpcore.activations.sigmoid(x))


def test_network_diagram_shows_the_actual_weights():
    net = mlpcore.MLP([2, 2, 1])
    net.weights[1] = [[0.2, 0.4], [0.6, 0.8]]
    net.biases[2] = [0.4]
    ax = plot.network_diagram(net)
    texts = {t.get_text() for t in ax.texts}
    assert {"0.20", "0.40", "0.60", "0.80", "b=0.40"} <= texts
    assert len([p for p in ax.patches if isinstance(p, plt.Circle)]) == 5


def test_loss_curve_decision_boundary_and_weight_images():
    X, Y = mlpcore.data.xor()
    net = mlpcore.MLP([2, 4, 1], activation="tanh", output_activation="sigmoid", seed=0)
    h = net.fit(X, Y, epochs=5, lr=0.5)
    ax = plot.loss_curve(h, [1.0, 0.5], labels=["fit", "list"])
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    ax = plot.decision_boundary(net, X, Y)
    assert len(ax.collections) >= 2
    fig = plot.weight_images(np.arange(12.0).reshape(3, 4), (2, 2), ncols=2)
    assert sum(ax.get_visible() for ax in fig.axes) == 3 + 1  # three images and the colour bar


def test_weights_have_one_colour_convention_stated_on_every_figure():
    """Positive blue, negative red: the diagram's arrows, its legend and the images' colour bar agree."""
    net = mlpcore.MLP([2, 2, 1])
    net.weights[1] = [[0.5, -0.5], [1.0, -1.0]]
    net.weights[2] = [[0.3, -0.3]]
    ax = plot.network_diagram(net)
    arrows = [a.arrow_patch.get_edgecolor() for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
    weights = [w for W in net.weights for w in W.ravel()]  # the order the arrows are drawn in
    cmap = plt.get_cmap(plot.WEIGHT_CMAP)
    for w, colour in zip(weights, arrows, strict=True):
        np.testing.assert_allclose(colour, cmap(0.9 if w >= 0 else 0.1))
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["positive weight", "negative weight"]
    np.testing.assert_allclose(legend.get_lines()[0].get_color(), cmap(0.9))
    fig = plot.weight_images(np.array([[1.0, -1.0, 0.5, 0.0]]), (2, 2), ncols=1)
    image = fig.axes[0].images[0]
    np.testing.assert_allclose(image.cmap(image.norm(1.0)), cmap(1.0))  # the largest positive weight: blue end
    np.testing.assert_allclose(image.cmap(image.norm(-1.0)), cmap(0.0))  # the most negative: red end
    bar = fig.axes[-1]
    assert bar.get_ylabel() == "weight" and [t.get_text() for t in bar.get_yticklabels()][1] == "0"
    assert cmap(0.9)[2] > cmap(0.9)[0] and cmap(0.1)[0] > cmap(0.1)[2]  # the positive end is blue, the negative red
