"""The package's own namespace is the surface the chapters use, and there is one way to do each
thing: a network trains, saves and loads itself; the modules behind the names stay out of sight."""

import numpy as np
import pytest

import mlpcore

SURFACE = ["DivergenceError", "ForwardPass", "Gradients", "History", "Layers", "MLP", "activations",
           "assign_flat", "data", "flatten", "gradcheck", "losses", "optimizers", "plot", "schedules"]


def test_dir_lists_the_surface_and_nothing_else():
    assert [name for name in dir(mlpcore) if not name.startswith("_")] == SURFACE
    assert sorted(mlpcore.__all__) == [name for name in SURFACE if name != "plot"]  # plot: matplotlib on demand


@pytest.mark.parametrize("name", ["fit", "save", "load", "io", "_checks", "_npz", "clip_by_norm", "Cosine"])
def test_no_second_way_and_no_private_module_at_the_top(name):
    with pytest.raises(AttributeError, match=f"module 'mlpcore' has no attribute '{name}'"):
        getattr(mlpcore, name)


def test_the_modules_behind_the_names_are_still_importable():
    import mlpcore.network
    import mlpcore.training

    assert mlpcore.network.MLP is mlpcore.MLP and mlpcore.training.DivergenceError is mlpcore.DivergenceError
    from mlpcore.network import Gradients

    assert Gradients is mlpcore.Gradients


def test_a_network_names_its_layers_activation_and_has_no_f():
    net = mlpcore.MLP([2, 3, 1], activation="tanh", output_activation="sigmoid")
    assert net.activation_of(1) is net.activation and net.activation_of(2) is net.output_activation
    assert not hasattr(net, "f")


def test_the_objects_describe_themselves():
    """What a student sees when a cell ends with one of them."""
    net = mlpcore.MLP([2, 3, 1], activation=mlpcore.activations.get("prelu", alpha=0.1), seed=0)
    X, Y = mlpcore.data.xor()
    assert repr(net.activation) == "Activation('prelu', alpha=0.1)"
    assert repr(net.loss_fn) == "Loss('mse')"
    assert repr(net.weights) == "Layers({1: (3, 2), 2: (1, 3)})"
    assert repr(net.gradients(X, Y)) == "Gradients(weights=Layers({1: (3, 2), 2: (1, 3)}))"
    assert repr(mlpcore.History()) == "History(0 epochs, 0 updates)"
    history = net.fit(X, Y, epochs=2, lr=0.1, batch_size=2)
    assert repr(history) == f"History(2 epochs, 4 updates, final loss {history.loss[-1]:.6g})"
    assert np.isfinite(history.loss[-1])
