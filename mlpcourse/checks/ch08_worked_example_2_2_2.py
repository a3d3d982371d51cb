"""Checks of chapter 8, Mazur's worked example (a 2-2-2 logistic network, one sample).

The references never use the book's solutions: outputs come from an
``mlpcore.MLP`` built from the weights, gradients from central differences of
the error.
"""

import numpy as np

from mlpcore.gradcheck import numerical_gradients
from mlpcore.network import MLP

from . import _fmt, compare_arrays, compare_value, exercise, require_function

# Mazur's starting values: w1..w8, (b1, b2), inputs, targets, learning rate
W_START = np.array([0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55])
B_START = np.array([0.35, 0.60])
X, Y, ETA = np.array([0.05, 0.10]), np.array([0.01, 0.99]), 0.5


def _net(w, b):
    """The post's network as an mlpcore MLP: W^1 = [[w1, w2], [w3, w4]], b^1 = (b1, b1), ..."""
    net = MLP([2, 2, 2], activation="sigmoid", loss="squared_error")
    net.weights[1] = np.reshape(w[:4], (2, 2))
    net.weights[2] = np.reshape(w[4:], (2, 2))
    net.biases[1] = [b[0], b[0]]
    net.biases[2] = [b[1], b[1]]
    return net


def _error(theta):
    """E_total as a function of the ten parameters (w1..w8, b1, b2), biases shared."""
    return _net(theta[:8], theta[8:]).loss(X, Y)


def _forward_inputs(rng):
    """Mazur's values, then random ones: (w as a list, b as a tuple, i)."""
    cases = [(W_START, B_START, X)]
    cases += [(rng.uniform(-2, 2, 8), rng.uniform(-1, 1, 2), rng.uniform(0, 1, 2)) for _ in range(6)]
    return [(list(w), tuple(b), i) for w, b, i in cases]


@exercise("ex-mazur-forward", inputs=_forward_inputs)
def _mazur_forward(answer, inputs):
    require_function(answer, "a function mazur_forward(w, b, i)")
    for w, b, i in inputs:
        expected = _net(w, b).forward(i)
        got = answer(list(w), tuple(b), i.copy())
        compare_arrays(got, expected, f"w={_fmt(w)}, b={_fmt(b)}, i={_fmt(i)}", rtol=1e-9, atol=1e-12)


@exercise("ex-mazur-grad-w2")
def _mazur_grad_w2(answer):
    # central differences (five-point stencil) of E_total in w2 = W^1[0, 1]
    net = _net(W_START, B_START)
    reference = numerical_gradients(net, X, Y, h=1e-5, order=4).weights[1][0, 1]
    compare_value(answer, float(reference), rtol=1e-7)


@exercise("ex-mazur-shared-bias")
def _mazur_shared_bias(answer):
    # gradient of E_total in the ten parameters (shared biases) by central differences,
    # one step of gradient descent, then the error
    theta, h = np.concatenate([W_START, B_START]), 1e-6
    grad = np.array([(_error(theta + h * e) - _error(theta - h * e)) / (2 * h) for e in np.eye(10)])
    compare_value(answer, _error(theta - ETA * grad), rtol=1e-7)
