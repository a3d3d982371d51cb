"""Checks of chapter 2, why nonlinearity.

Every reference is computed by applying the maps to inputs (or by building the
network and running it), never from the composed formula of the book's solution.
"""

import numpy as np

from mlpcore.network import MLP

from . import Failure, _fmt, exercise, require_function


def _pair(result, what):
    try:
        first, second = result
    except (TypeError, ValueError):
        raise Failure(f"expected a pair {what}, got {result!r}") from None
    return first, second


def _compose_1d_inputs(rng):
    """(alpha_f, gamma_f, alpha_g, gamma_g): fixed maps, then random ones."""
    cases = [(2.0, 3.0, 5.0, -1.0), (-3.0, 4.0, 0.5, 2.0), (1.0, 0.0, 1.0, 0.0), (0.0, 7.0, 2.0, -5.0)]
    cases += [tuple(rng.uniform(-5, 5, 4)) for _ in range(5)]
    return cases


@exercise("ex-affine-compose-1d", inputs=_compose_1d_inputs)
def _compose_1d(answer, inputs):
    require_function(answer, "a function")
    for a_f, c_f, a_g, c_g in inputs:
        # evaluate x -> f(g(x)) at x = 0 and x = 1: the intercept and intercept + slope
        at_0, at_1 = (a_f * (a_g * x + c_g) + c_f for x in (0.0, 1.0))
        expected = np.array([at_1 - at_0, at_0])
        args = f"compose_1d({a_f:.6g}, {c_f:.6g}, {a_g:.6g}, {c_g:.6g})"
        got = _pair(answer(a_f, c_f, a_g, c_g), "(slope, intercept)")
        try:
            got = np.array(got, dtype=float)
        except (TypeError, ValueError):
            raise Failure(f"{args} must return two numbers, got {got!r}") from None
        if got.shape != (2,):
            raise Failure(f"{args} must return two numbers (slope, intercept), got {_fmt(got)}")
        if not np.allclose(got, expected, rtol=1e-9, atol=1e-12):
            raise Failure(f"{args}: expected (slope, intercept) = {_fmt(expected)}, got {_fmt(got)}")


def _compose_affine_inputs(rng):
    """(W2, b2, W1, b1): random maps R^n0 -> R^n1 -> R^n2 of fixed sizes."""
    cases = []
    for n0, n1, n2 in [(1, 1, 1), (2, 2, 2), (3, 4, 2), (5, 2, 3), (1, 3, 4)]:
        W1, b1 = rng.normal(size=(n1, n0)), rng.normal(size=n1)
        W2, b2 = rng.normal(size=(n2, n1)), rng.normal(size=n2)
        cases.append((W2, b2, W1, b1))
    return cases


@exercise("ex-affine-compose", inputs=_compose_affine_inputs)
def _compose_affine(answer, inputs):
    require_function(answer, "a function")
    rng = np.random.default_rng(22)  # the points the two maps are compared at (not inputs of the answer)
    for W2, b2, W1, b1 in inputs:
        n0, n2 = W1.shape[1], W2.shape[0]
        X = rng.normal(size=(7, n0))
        expected = (X @ W1.T + b1) @ W2.T + b2  # apply the first map, then the second
        shapes = f"W2 {W2.shape}, b2 {b2.shape}, W1 {W1.shape}, b1 {b1.shape}"
        W, b = _pair(answer(W2.copy(), b2.copy(), W1.copy(), b1.copy()), "(W, b)")
        W, b = np.asarray(W, dtype=float), np.asarray(b, dtype=float)
        if W.shape != (n2, n0) or b.shape != (n2,):
            raise Failure(f"for {shapes}: expected W of shape {(n2, n0)} and b of shape {(n2,)}, "
                          f"got {W.shape} and {b.shape}")
        got = X @ W.T + b
        if not np.allclose(got, expected, rtol=1e-9, atol=1e-12):
            row = int(np.argmax(np.max(np.abs(got - expected), axis=1)))
            raise Failure(f"for {shapes} and input x = {_fmt(X[row])}: W2 (W1 x + b1) + b2 = "
                          f"{_fmt(expected[row])}, but W x + b = {_fmt(got[row])}")


@exercise("ex-relu-abs")
def _relu_abs(answer):
    try:
        W1, b1, W2, b2 = (np.asarray(a, dtype=float) for a in answer)
    except (TypeError, ValueError):
        raise Failure(f"expected four arrays (W1, b1, W2, b2), got {answer!r}") from None
    if W1.ndim != 2 or W1.shape[1] != 1:
        raise Failure(f"W1 must have shape (n, 1) (here n = 2), got {W1.shape}")
    n = W1.shape[0]
    net = MLP([1, n, 1], activation="relu", output_activation="identity")
    for name, layers, l, value in [("W1", net.weights, 1, W1), ("b1", net.biases, 1, b1),
                                   ("W2", net.weights, 2, W2), ("b2", net.biases, 2, b2)]:
        if value.shape != layers[l].shape:
            raise Failure(f"{name} must have shape {layers[l].shape}, got {value.shape}")
        layers[l] = value
    rng = np.random.default_rng(23)
    x = np.concatenate([np.linspace(-5, 5, 1001), [0.0, 1e-9, -1e-9, 100.0, -100.0], rng.normal(0, 10, 50)])
    got = net.forward(x[:, None])[:, 0]
    expected = np.abs(x)
    bad = ~np.isclose(got, expected, rtol=1e-9, atol=1e-12)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise Failure(f"at x = {x[i]:.6g} the network gives {got[i]:.6g}, but |x| = {expected[i]:.6g}")
