"""Checks of chapter 6, backpropagation by the chain rule.

Every reference is a central difference of a loss written out here, with its
own sigmoid and forward pass; none uses the backpropagation formulas (B1)-(B4)
the chapter derives, nor mlpcore's backward pass.
"""

import numpy as np

from . import Failure, _fmt, compare_arrays, compare_value, exercise, gradient, require_function

H = 1e-6


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _compare(got, expected, what, rtol=1e-6, atol=1e-9):
    """compare_arrays, with a hint when the answer is the expected value with the sign flipped."""

    def sign_hint(g):
        if np.allclose(g, -expected, rtol=rtol, atol=atol):
            return (" (the sign is flipped: the book's delta is +dl/dz, so the output delta "
                    "has y_hat - y; Seung's and Vishwajith's have y - y_hat)")
        return ""

    return compare_arrays(got, expected, what, rtol=rtol, atol=atol, hint=sign_hint)


def _output_delta_inputs(rng):
    """(y_hat, y): fixed pairs (the notes' among them), then random ones of 1, 4 and 7 outputs."""
    pairs = [
        (np.array([0.725]), np.array([0.0])),
        (np.array([0.5, 0.5]), np.array([1.0, 0.0])),
        (np.array([0.75136507, 0.77292847]), np.array([0.01, 0.99])),
        (np.array([0.2, 0.9, 0.4]), np.array([0.2, 0.1, 1.0])),
    ]
    pairs += [(rng.uniform(0.02, 0.98, size=n), rng.uniform(0, 1, size=n)) for n in (1, 4, 7)]
    return pairs


@exercise("ex-backprop-output-delta", inputs=_output_delta_inputs)
def _output_delta(answer, inputs):
    require_function(answer, "a function output_delta(y_hat, y)")
    for y_hat, y in inputs:
        z = np.log(y_hat) - np.log(1 - y_hat)  # the pre-activation that gives y_hat

        def loss(zz, y=y):
            return 0.5 * np.sum((y - _sigmoid(zz)) ** 2)

        expected = gradient(loss, z, H)
        what = f"y_hat={_fmt(y_hat)}, y={_fmt(y)}"
        _compare(answer(y_hat.copy(), y.copy()), expected, what)


def _hidden_delta_inputs(rng):
    """(delta_next, W_next, a): the notes' hidden layer, then random layers of several sizes."""
    cases = [(np.array([0.1]), np.array([[0.3, 0.5]]), np.array([0.627, 0.758]))]
    for n_next, n in [(2, 2), (3, 2), (1, 4), (4, 3), (5, 6)]:
        cases.append((rng.normal(size=n_next), rng.normal(size=(n_next, n)), rng.uniform(0.05, 0.95, size=n)))
    return cases


@exercise("ex-backprop-hidden-delta", inputs=_hidden_delta_inputs)
def _hidden_delta(answer, inputs):
    require_function(answer, "a function hidden_delta(delta_next, W_next, a)")
    for delta_next, W_next, a in inputs:
        z = np.log(a) - np.log(1 - a)

        # a loss whose gradient with respect to z^{l+1} is delta_next: delta_next . z^{l+1}
        def loss(zz, d=delta_next, W=W_next):
            return float(d @ (W @ _sigmoid(zz)))

        expected = gradient(loss, z, H)
        what = f"delta_next={_fmt(delta_next)}, W_next of shape {W_next.shape}, a={_fmt(a)}"
        _compare(answer(delta_next.copy(), W_next.copy(), a.copy()), expected, what)


def _squared_error(weights, biases, x, y):
    a = x
    for W, b in zip(weights, biases):
        a = _sigmoid(W @ a + b)
    return 0.5 * np.sum((y - a) ** 2)


def _network_gradients(weights, biases, x, y):
    """dl/dW^l and dl/db^l by central differences of the squared error, one parameter at a time."""
    gW, gb = [], []
    for l in range(len(weights)):
        def in_W(P, l=l):
            return _squared_error(weights[:l] + [P] + weights[l + 1:], biases, x, y)

        def in_b(P, l=l):
            return _squared_error(weights, biases[:l] + [P] + biases[l + 1:], x, y)

        gW.append(gradient(in_W, weights[l], H))
        gb.append(gradient(in_b, biases[l], H))
    return gW, gb


def _any_depth_inputs(rng):
    """(weights, biases, x, y), weights and biases lists of arrays: the notes' network, then random ones."""
    networks = [  # the course notes' 2-2-1 network, then random ones of depth 1 to 4
        ([np.array([[0.2, 0.4], [0.6, 0.8]]), np.array([[0.3, 0.5]])],
         [np.array([0.1, 0.2]), np.array([0.4])], np.array([0.5, 0.8]), np.array([0.0])),
    ]
    for depth in [1, 2, 3, 4]:
        sizes = rng.integers(1, 5, size=depth + 1)
        networks.append(([rng.normal(size=(n, m)) for m, n in zip(sizes[:-1], sizes[1:])],
                         [rng.normal(size=n) for n in sizes[1:]],
                         rng.normal(size=sizes[0]), rng.uniform(size=sizes[-1])))
    return networks


@exercise("ex-backprop-any-depth", inputs=_any_depth_inputs)
def _any_depth(answer, inputs):
    require_function(answer, "a function backprop(weights, biases, x, y)")
    for weights, biases, x, y in inputs:
        shapes = " -> ".join(str(n) for n in [weights[0].shape[1]] + [W.shape[0] for W in weights])
        eW, eb = _network_gradients(weights, biases, x, y)
        got = answer([W.copy() for W in weights], [b.copy() for b in biases], x.copy(), y.copy())
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise Failure(f"network {shapes}: expected two lists (weight gradients, bias gradients), got {got!r}")
        gW, gb = got
        for kind, g, e in [("weight", gW, eW), ("bias", gb, eb)]:
            if g is None or len(g) != len(e):
                raise Failure(f"network {shapes}: expected a list of {len(e)} {kind} gradients, got {g!r}")
            for l, (gl, el) in enumerate(zip(g, e), start=1):
                what = f"network {shapes}, the {kind} gradient of layer {l}"
                _compare(gl, el, what, rtol=1e-5, atol=1e-8)


@exercise("ex-backprop-seung-update")
def _seung_update(answer):
    weights = [np.array([[0.1, -0.4], [0.3, 0.2]]), np.array([[0.5, -0.6]])]
    biases = [np.array([0.0, 0.1]), np.array([0.2])]
    x, d, eta = np.array([1.0, 0.5]), np.array([1.0]), 0.5
    # eq. 7: Delta W = -eta dE/dW, dE/dW by central differences of E = 1/2 (d - x^2)^2
    expected = -eta * gradient(lambda P: _squared_error([P, weights[1]], biases, x, d), weights[0], H)
    if np.shape(answer) != expected.shape:
        raise Failure(f"expected a 2 x 2 array, got {answer!r}")
    got = np.asarray(answer, dtype=float)
    # four significant digits suffice: an answer typed from a rounded printout passes
    if np.allclose(got, -expected, rtol=1e-3, atol=1e-7):
        raise Failure(f"expected {_fmt(expected)}, got {_fmt(got)}: the sign is flipped "
                      "(Seung's update adds eta * delta * x with delta = f'(u)(d - x))")
    compare_value(got, expected, rtol=1e-3, atol=1e-7)
