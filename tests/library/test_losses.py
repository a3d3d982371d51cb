"""Each loss against its formula, its gradient against central differences, and the
cross-entropies computed from logits against the plain formula; cross-entropy with smoothed
labels (probability-vector targets) against loops and central differences."""

import math

import numpy as np
import pytest

import mlpcore
from mlpcore import activations, losses


def smoothed_labels(labels, K, smoothing=0.1):
    """Label smoothing: (1 - smoothing) on the one-hot row plus smoothing / K on every class."""
    return (1 - smoothing) * np.eye(K)[labels] + smoothing / K


def targets_and_outputs(name, rng, N=5, K=3):
    Z = rng.normal(size=(N, K))
    if name == "cross_entropy":
        return np.eye(K)[rng.integers(0, K, N)], activations.softmax(Z)
    if name == "cross_entropy (smoothed)":
        return smoothed_labels(rng.integers(0, K, N), K), activations.softmax(Z)
    if name == "binary_cross_entropy":
        return rng.integers(0, 2, (N, K)).astype(float), activations.sigmoid(Z)
    return rng.normal(size=(N, K)), Z


def test_values_follow_the_stated_conventions():
    Y = np.array([[0.0, 1.0], [1.0, 0.0]])
    Yh = np.array([[0.2, 0.6], [0.5, 0.5]])
    sq = (0.2**2 + 0.4**2) + (0.5**2 + 0.5**2)  # sum of all squared errors = 0.7
    assert losses.get("mse").f(Y, Yh) == pytest.approx(sq / 4)  # mean over N*K entries
    assert losses.get("squared_error").f(Y, Yh) == pytest.approx(0.5 * sq / 2)  # 1/2 sum_k, mean over N
    P = np.array([[0.3, 0.7], [0.9, 0.1]])
    assert losses.get("cross_entropy").f(Y, P) == pytest.approx(-(np.log(0.7) + np.log(0.9)) / 2)
    bce = -(np.log(0.7) + np.log(0.7) + np.log(0.9) + np.log(0.9)) / 2
    assert losses.get("binary_cross_entropy").f(Y, P) == pytest.approx(bce)


@pytest.mark.parametrize("name", [*losses.names(), "cross_entropy (smoothed)"])
def test_gradient_matches_central_differences(name, rng):
    loss = losses.get(name.split()[0])
    Y, Yh = targets_and_outputs(name, rng)
    numeric, h = np.zeros_like(Yh), 1e-6
    for i in np.ndindex(Yh.shape):
        e = np.zeros_like(Yh)
        e[i] = h
        numeric[i] = (loss.f(Y, Yh + e) - loss.f(Y, Yh - e)) / (2 * h)
    np.testing.assert_allclose(loss.df(Y, Yh), numeric, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("name, f", [("cross_entropy", activations.softmax), ("cross_entropy (smoothed)", activations.softmax),
                                     ("binary_cross_entropy", activations.sigmoid)])
def test_logit_forms_equal_the_plain_forms(name, f, rng):
    loss = losses.get(name.split()[0])
    Y, _ = targets_and_outputs(name, rng)
    Z = rng.normal(size=Y.shape)
    assert loss.f_logits(Y, Z) == pytest.approx(loss.f(Y, f(Z)), rel=1e-12)
    # the output delta is (Y_hat - Y) / N, the chain rule through f of dL/dY_hat
    chained = activations.get(loss.output_activation).backward(Z, f(Z), loss.df(Y, f(Z)))
    np.testing.assert_allclose(loss.delta_logits(Y, Z), chained, atol=1e-12)
    np.testing.assert_allclose(loss.delta_logits(Y, Z), (f(Z) - Y) / len(Y), atol=1e-15)


@pytest.mark.parametrize("name", ["cross_entropy", "binary_cross_entropy"])
def test_cross_entropies_are_finite_for_huge_logits(name):
    loss = losses.get(name)
    Z = np.array([[-1000.0, 1000.0], [1000.0, -1000.0]])
    Y = np.array([[1.0, 0.0], [1.0, 0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, delta = loss.f_logits(Y, Z), loss.delta_logits(Y, Z)
        plain = loss.f(Y, activations.get(loss.output_activation).f(Z))
    assert np.isfinite(value) and np.all(np.isfinite(delta)) and np.isfinite(plain)
    assert value == pytest.approx(1000.0)  # the first sample is 1000 (or 2 x 1000) nats wrong, over N = 2


# cross-entropy with probability-vector targets (label smoothing) --------------------------------------------


def cross_entropy_by_loops(Y, Z):
    """-1/N sum_n sum_k y_nk log softmax(z_n)_k, one row and one class at a time, in plain Python."""
    total = 0.0
    for y, z in zip(Y.tolist(), Z.tolist()):
        top = max(z)
        log_norm = top + math.log(sum(math.exp(v - top) for v in z))
        total -= sum(yk * (zk - log_norm) for yk, zk in zip(y, z))
    return total / len(Y)


def test_smoothed_labels_give_the_loss_and_the_delta_of_their_definition(rng):
    N, K = 6, 4
    Y, Z = smoothed_labels(rng.integers(0, K, N), K, 0.2), rng.normal(scale=2.0, size=(N, K))
    ce = losses.get("cross_entropy")
    ce.check_targets(Y)  # accepted
    assert ce.f_logits(Y, Z) == pytest.approx(cross_entropy_by_loops(Y, Z), rel=1e-13)
    # dL/dZ by central differences of the loops' loss, against (Y_hat - Y) / N
    h, central = 1e-6, np.zeros_like(Z)
    for i in np.ndindex(Z.shape):
        e = np.zeros_like(Z)
        e[i] = h
        central[i] = (cross_entropy_by_loops(Y, Z + e) - cross_entropy_by_loops(Y, Z - e)) / (2 * h)
    np.testing.assert_allclose(ce.delta_logits(Y, Z), central, atol=1e-9)
    value, delta = ce.value_and_delta_logits(Y, Z)
    assert value == ce.f_logits(Y, Z)
    np.testing.assert_array_equal(delta, ce.delta_logits(Y, Z))


@pytest.mark.parametrize("hidden", ["tanh", "relu", "sigmoid"])
def test_a_network_with_smoothed_labels_has_the_gradient_of_central_differences(hidden, rng):
    N, K = 7, 3
    X, Y = rng.normal(size=(N, 4)), smoothed_labels(rng.integers(0, K, N), K)
    net = mlpcore.MLP([4, 5, K], activation=hidden, output_activation="softmax", loss="cross_entropy", seed=3)
    assert mlpcore.gradcheck.max_relative_error(net, X, Y) < 1e-6
    # the output delta by central differences of the loops' loss in Z^L = A^1 (W^2)^T + b^2
    fp = net.forward_pass(X)
    h, central = 1e-6, np.zeros((N, K))
    for i in np.ndindex(central.shape):
        e = np.zeros((N, K))
        e[i] = h
        central[i] = (cross_entropy_by_loops(Y, fp.z[2] + e) - cross_entropy_by_loops(Y, fp.z[2] - e)) / (2 * h)
    np.testing.assert_allclose(net.gradients(X, Y).deltas[2], central, atol=1e-9)
    history = net.fit(X, Y, epochs=50, lr=0.5)
    assert history.loss[-1] < history.loss[0]


def test_unknown_loss_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"loss must be one of \['binary_cross_entropy', 'cross_entropy', 'mse', 'squared_error'\], got 'l2'"):
        losses.get("l2")


def test_shape_mismatch_is_reported():
    with pytest.raises(ValueError, match=r"same shape, got \(2, 2\) and \(2, 3\)"):
        losses.get("mse").f(np.zeros((2, 2)), np.zeros((2, 3)))
