"""Each loss against its formula, its gradient against central differences, and the
cross-entropies computed from logits against the plain formula."""

import numpy as np
import pytest

from mlpcore import activations, losses


def targets_and_outputs(name, rng, N=5, K=3):
    Z = rng.normal(size=(N, K))
    if name == "cross_entropy":
        return np.eye(K)[rng.integers(0, K, N)], activations.softmax(Z)
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


@pytest.mark.parametrize("name", losses.names())
def test_gradient_matches_central_differences(name, rng):
    loss = losses.get(name)
    Y, Yh = targets_and_outputs(name, rng)
    numeric, h = np.zeros_like(Yh), 1e-6
    for i in np.ndindex(Yh.shape):
        e = np.zeros_like(Yh)
        e[i] = h
        numeric[i] = (loss.f(Y, Yh + e) - loss.f(Y, Yh - e)) / (2 * h)
    np.testing.assert_allclose(loss.df(Y, Yh), numeric, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("name, f", [("cross_entropy", activations.softmax), ("binary_cross_entropy", activations.sigmoid)])
def test_logit_forms_equal_the_plain_forms(name, f, rng):
    loss = losses.get(name)
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


def test_unknown_loss_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"loss must be one of \['binary_cross_entropy', 'cross_entropy', 'mse', 'squared_error'\], got 'l2'"):
        losses.get("l2")


def test_shape_mismatch_is_reported():
    with pytest.raises(ValueError, match=r"same shape, got \(2, 2\) and \(2, 3\)"):
        losses.get("mse").f(np.zeros((2, 2)), np.zeros((2, 3)))
