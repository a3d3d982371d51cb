"""The parameter vector: flatten(net) is theta, flatten(net.gradients(X, Y)) is the gradient in
the same order, and assign_flat writes a theta back."""

import numpy as np
import pytest

import mlpcore
from mlpcore import assign_flat, flatten


@pytest.fixture
def setup():
    rng = np.random.default_rng(3)
    net = mlpcore.MLP([3, 4, 2], activation="tanh", loss="mse", seed=1)
    return net, rng.normal(size=(5, 3)), rng.normal(size=(5, 2))


def test_the_order_is_every_weight_then_every_bias(setup):
    net, _, _ = setup
    W1, W2, b1, b2 = net.weights[1], net.weights[2], net.biases[1], net.biases[2]
    expected = np.array([*W1.ravel(), *W2.ravel(), *b1, *b2])
    np.testing.assert_array_equal(flatten(net), expected)
    assert flatten(net)[W1.shape[1]] == W1[1, 0]  # row by row: the second row starts after n_0 entries


def test_the_gradient_vector_is_the_derivative_by_theta(setup):
    # central differences along each entry of theta, through assign_flat, against backpropagation
    net, X, Y = setup
    theta, h = flatten(net), 1e-6
    numeric = np.empty_like(theta)
    for k in range(theta.size):
        e = np.zeros_like(theta)
        e[k] = h
        up = assign_flat(net, theta + e).loss(X, Y)
        numeric[k] = (up - assign_flat(net, theta - e).loss(X, Y)) / (2 * h)
    assign_flat(net, theta)
    np.testing.assert_allclose(flatten(net.gradients(X, Y)), numeric, rtol=1e-7, atol=1e-10)


def test_assign_flat_writes_into_the_same_arrays_and_flatten_copies(setup):
    net, X, _ = setup
    W1 = net.weights[1]
    theta = flatten(net)
    theta[:] = 0.0  # a copy: the network is unchanged
    assert np.any(W1 != 0)
    assert assign_flat(net, theta) is net
    assert net.weights[1] is W1 and not np.any(W1)  # in place
    np.testing.assert_array_equal(net.forward(X), 0.0)


def test_bad_arguments_are_named(setup):
    net, _, _ = setup
    with pytest.raises(ValueError, match=r"theta must have shape \(26,\).*got \(25,\)"):
        assign_flat(net, np.zeros(25))
    with pytest.raises(TypeError, match="net must be an MLP, got dict"):
        assign_flat({}, np.zeros(26))
    with pytest.raises(TypeError, match="p must be an MLP or its Gradients.*got ndarray"):
        flatten(np.zeros(3))
