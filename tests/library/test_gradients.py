"""Backpropagation against central differences, for every activation, every
compatible loss and depths 1 to 3; and one step worked out by hand."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mlpcore
from mlpcore import activations, gradcheck

HIDDEN = [n for n in activations.names() if n not in ("softmax", "logistic")]
KINKED = {"step", "relu", "prelu"}
# (output activation, loss): mse and squared_error accept any output; the cross-entropies their own
PAIRS = [(None, "mse"), (None, "squared_error"), ("softmax", "mse"), ("softmax", "cross_entropy"),
         ("sigmoid", "binary_cross_entropy")]
DEPTH_SIZES = {1: [3, 2], 2: [3, 4, 2], 3: [3, 4, 3, 2]}


def problem(activation, output, loss, depth, seed=0, N=6):
    """A seeded network and batch whose pre-activations all stay away from the kinks
    (|z| > 1e-2), so that the stencil (steps up to 2h = 6e-4 in a parameter) never straddles one."""
    for attempt in range(100):
        rng = np.random.default_rng([seed, attempt])
        net = mlpcore.MLP(DEPTH_SIZES[depth], activation=activation, output_activation=output, loss=loss,
                          seed=int(rng.integers(1 << 30)))
        for l in range(1, net.L + 1):
            net.biases[l] = rng.normal(scale=0.5, size=net.biases[l].shape)  # nonzero biases test the bias gradient
        X = rng.normal(size=(N, 3))
        if loss == "cross_entropy":
            Y = np.eye(2)[rng.integers(0, 2, N)]
        elif loss == "binary_cross_entropy":
            Y = rng.integers(0, 2, (N, 2)).astype(float)
        else:
            Y = rng.normal(size=(N, 2))
        fp = net.forward_pass(X)
        if activation not in KINKED or min(np.abs(z).min() for z in fp.z) > 1e-2:
            return net, X, Y
    raise AssertionError("no seed kept the pre-activations away from the kinks")


CASES = [(a, o if o else a, loss, d) for a in HIDDEN for o, loss in PAIRS for d in (1, 2, 3)]


@pytest.mark.parametrize("activation, output, loss, depth", CASES)
def test_backprop_matches_central_differences(activation, output, loss, depth):
    net, X, Y = problem(activation, output, loss, depth)
    # fourth-order central differences: their O(h^4) error leaves room for a 1e-7 bound
    assert gradcheck.max_relative_error(net, X, Y, h=3e-4, order=4) < 1e-7


def test_gradcheck_catches_a_wrong_gradient():
    net, X, Y = problem("tanh", "tanh", "mse", 2)
    original = net.backward

    def off_by_a_sign(fp, Y):
        g = original(fp, Y)
        g.weights[1][0, 0] *= -1
        return g

    net.backward = off_by_a_sign
    assert gradcheck.max_relative_error(net, X, Y) > 1.0


def test_numerical_gradients_leave_the_network_unchanged():
    net, X, Y = problem("sigmoid", "sigmoid", "mse", 2)
    before = [W.copy() for W in net.weights] + [b.copy() for b in net.biases]
    gradcheck.numerical_gradients(net, X, Y, order=4)
    for p, q in zip(before, list(net.weights) + list(net.biases)):
        np.testing.assert_array_equal(p, q)


def test_numerical_gradient_of_any_scalar_function():
    """d/dP of sum(P^3) is 3 P^2: the two-point rule has error O(h^2), the five-point O(h^4);
    P is left as it was, and a copy that fn never sees would not be nudged at all."""
    P = np.random.default_rng(3).normal(size=(3, 4))
    before = P.copy()
    exact = 3 * P**2
    G2 = gradcheck.numerical_gradient(lambda A: float(np.sum(A**3)), P, h=1e-3)
    G4 = gradcheck.numerical_gradient(lambda A: float(np.sum(A**3)), P, h=1e-3, order=4)
    np.testing.assert_array_equal(P, before)
    np.testing.assert_allclose(G2 - exact, 1e-6 * np.ones_like(P), rtol=1e-4)  # the O(h^2) term is exactly h^2
    assert np.abs(G4 - exact).max() < 1e-9 < np.abs(G2 - exact).max()
    with pytest.raises(TypeError, match="numpy array of floats"):
        gradcheck.numerical_gradient(np.sum, [1.0, 2.0])
    with pytest.raises(ValueError, match="order must be 2 or 4"):
        gradcheck.numerical_gradient(np.sum, P, order=3)


@given(
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=5),
    N=st.integers(1, 7),
    activation=st.sampled_from(["sigmoid", "tanh", "arctan", "softplus", "elu", "identity"]),
    seed=st.integers(0, 2**16),
)
def test_property_gradients_match_differences(sizes, N, activation, seed):
    rng = np.random.default_rng(seed)
    net = mlpcore.MLP(sizes, activation=activation, loss="squared_error", seed=seed)
    X, Y = rng.normal(size=(N, sizes[0])), rng.normal(size=(N, sizes[-1]))
    analytic, numeric = net.gradients(X, Y), gradcheck.numerical_gradients(net, X, Y, h=1e-4, order=4)
    for a, n in zip(list(analytic.weights) + list(analytic.biases), list(numeric.weights) + list(numeric.biases)):
        np.testing.assert_allclose(a, n, rtol=1e-6, atol=1e-9)


@given(sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4), seed=st.integers(0, 2**16))
def test_property_single_sample_equals_batch_of_one(sizes, seed):
    rng = np.random.default_rng(seed)
    net = mlpcore.MLP(sizes, activation="tanh", seed=seed)
    x, y = rng.normal(size=sizes[0]), rng.normal(size=sizes[-1])
    np.testing.assert_array_equal(net.forward(x), net.forward(x[None, :])[0])
    assert net.forward(x).shape == (sizes[-1],)
    assert net.loss(x, y) == net.loss(x[None, :], y[None, :])
    g1, gN = net.gradients(x, y), net.gradients(x[None, :], y[None, :])
    for a, b in zip(list(g1.weights) + list(g1.biases), list(gN.weights) + list(gN.biases)):
        np.testing.assert_array_equal(a, b)


@given(N=st.integers(2, 8), seed=st.integers(0, 2**16))
def test_property_batch_gradient_is_the_mean_of_sample_gradients(N, seed):
    rng = np.random.default_rng(seed)
    net = mlpcore.MLP([3, 4, 2], activation="sigmoid", loss="squared_error", seed=seed)
    X, Y = rng.normal(size=(N, 3)), rng.normal(size=(N, 2))
    batch = net.gradients(X, Y)
    per_sample = [net.gradients(X[n], Y[n]) for n in range(N)]
    for l in (1, 2):
        np.testing.assert_allclose(batch.weights[l], np.mean([g.weights[l] for g in per_sample], axis=0), atol=1e-14)
        np.testing.assert_allclose(batch.biases[l], np.mean([g.biases[l] for g in per_sample], axis=0), atol=1e-14)


def test_one_gradient_descent_step_by_hand():
    """The 2-2-1 sigmoid network of the course notes "6. Multi-Layer Perceptron",
    L = (y - y_hat)^2, one sample, eta = 0.7, every step written out.

    forward:  z1 = 0.2*0.5 + 0.4*0.8 + 0.1 = 0.52        h1 = s(0.52) = 0.627148
              z2 = 0.6*0.5 + 0.8*0.8 + 0.2 = 1.14        h2 = s(1.14) = 0.757680
              u  = 0.3*h1 + 0.5*h2 + 0.4   = 0.966984    y_hat = s(u) = 0.724518
    output:   delta_out = dL/du = -2(y - y_hat) * y_hat(1 - y_hat) = +0.289216   (the notes print -0.289)
    layer 2:  dL/dV = delta_out * [h1, h2] = [0.181381, 0.219133];  dL/db_y = 0.289216
    hidden:   delta_1 = delta_out * 0.3 * h1(1 - h1) = 0.020288
              delta_2 = delta_out * 0.5 * h2(1 - h2) = 0.026550
    layer 1:  dL/dW = [[delta_1 x1, delta_1 x2], [delta_2 x1, delta_2 x2]]
                    = [[0.010144, 0.016231], [0.013275, 0.021240]]
    update:   V <- V - 0.7 dL/dV = [0.173033, 0.346607];  b_y <- 0.4 - 0.7*0.289216 = 0.197549
              W[0, 0] <- 0.2 - 0.7*0.010144 = 0.192899
    """
    net = mlpcore.MLP([2, 2, 1], activation="sigmoid", loss="mse")
    net.weights[1] = [[0.2, 0.4], [0.6, 0.8]]
    net.biases[1] = [0.1, 0.2]
    net.weights[2] = [[0.3, 0.5]]
    net.biases[2] = [0.4]
    x, y = np.array([0.5, 0.8]), np.array([0.0])

    s = lambda t: 1 / (1 + math.exp(-t))  # noqa: E731
    h1, h2 = s(0.52), s(1.14)
    y_hat = s(0.3 * h1 + 0.5 * h2 + 0.4)
    assert (h1, h2, y_hat) == pytest.approx((0.627148, 0.757680, 0.724518), abs=1e-6)
    assert net.forward(x)[0] == pytest.approx(y_hat, rel=1e-12)
    assert net.loss(x, y) == pytest.approx(y_hat**2, rel=1e-12)

    d_out = -2 * (0.0 - y_hat) * y_hat * (1 - y_hat)
    d1, d2 = d_out * 0.3 * h1 * (1 - h1), d_out * 0.5 * h2 * (1 - h2)
    assert (d_out, d1, d2) == pytest.approx((0.289216, 0.020288, 0.026550), abs=1e-6)
    g = net.gradients(x, y)
    np.testing.assert_allclose(g.deltas[2], [[d_out]], rtol=1e-12)
    np.testing.assert_allclose(g.weights[2], [[d_out * h1, d_out * h2]], rtol=1e-12)
    np.testing.assert_allclose(g.biases[2], [d_out], rtol=1e-12)
    np.testing.assert_allclose(g.weights[1], [[d1 * 0.5, d1 * 0.8], [d2 * 0.5, d2 * 0.8]], rtol=1e-12)
    np.testing.assert_allclose(g.biases[1], [d1, d2], rtol=1e-12)

    net.step(g, lr=0.7)
    np.testing.assert_allclose(net.weights[2], [[0.173033, 0.346607]], atol=1e-6)
    np.testing.assert_allclose(net.biases[2], [0.197549], atol=1e-6)
    np.testing.assert_allclose(net.weights[1][0, 0], 0.192899, atol=1e-6)
    assert net.loss(x, y) < y_hat**2  # the step lowered the loss


def test_float32_network_computes_in_float32_and_agrees_with_float64(rng):
    X, Y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    n64 = mlpcore.MLP([3, 5, 2], activation="tanh", seed=3)
    n32 = mlpcore.MLP([3, 5, 2], activation="tanh", seed=3, dtype=np.float32)
    assert n32.weights[1].dtype == np.float32 and n32.forward(X).dtype == np.float32
    g32, g64 = n32.gradients(X, Y), n64.gradients(X, Y)
    assert g32.weights[1].dtype == np.float32
    np.testing.assert_allclose(g32.weights[1], g64.weights[1], rtol=1e-4, atol=1e-6)
