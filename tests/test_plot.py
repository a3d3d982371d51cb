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
    assert sum(ax.get_visible() for ax in fig.axes) == 3
