"""Checks of chapter 13, decision boundaries and what hidden units learn.

The references are computed independently of the book's solutions: accuracy by
a loop over the samples, one forward pass and one comparison at a time; the XOR
network by evaluating the given weights with ``math.exp``, corner by corner; the
bound for merged corners by minimising over a fine grid of outputs.
"""

import math

import numpy as np

from mlpcore import network

from . import Failure, as_number, calls, compare_value, exercise, require_network


def _accuracy_reference(net, X, Y):
    """Count the right answers one sample at a time."""
    right = 0
    for x, y in zip(X, Y):
        out = net.forward(x)  # one sample: shape (n_L,)
        if len(y) == 1:
            right += int((out[0] > 0.5) == (y[0] > 0.5))
        else:
            predicted = max(range(len(out)), key=lambda k: out[k])
            target = max(range(len(y)), key=lambda k: y[k])
            right += int(predicted == target)
    return right / len(X)


def _accuracy_cases(rng):
    """(net, X, Y): a hand-set XOR network, then random networks and data, one output and several."""
    cases = []
    # fixed: a hand-set XOR network (sigmoid, weights x 10): all right, then all wrong
    xor = network.MLP([2, 2, 1], activation="sigmoid")
    xor.weights[1], xor.biases[1] = [[10.0, 10.0], [10.0, 10.0]], [-5.0, -15.0]
    xor.weights[2], xor.biases[2] = [[10.0, -10.0]], [-5.0]
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    cases.append((xor, X, np.array([[0.0], [1.0], [1.0], [0.0]])))
    cases.append((xor, X, np.array([[1.0], [0.0], [0.0], [1.0]])))
    cases.append((xor, X, np.array([[0.0], [1.0], [1.0], [1.0]])))  # three of four
    # random networks and data, one output and several
    for sizes, out in [([2, 5, 1], "sigmoid"), ([3, 4, 3], "softmax"), ([2, 3, 2], "softmax"),
                       ([4, 6, 1], "sigmoid"), ([2, 8, 5], "softmax")]:
        net = network.MLP(sizes, activation="tanh", output_activation=out,
                          loss="cross_entropy" if out == "softmax" else "mse",
                          seed=int(rng.integers(1000)))
        N = int(rng.integers(5, 40))
        X = rng.normal(scale=2.0, size=(N, sizes[0]))
        if sizes[-1] == 1:
            Y = rng.integers(0, 2, size=(N, 1)).astype(float)
        else:
            Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=N)]
        cases.append((net, X, Y))
    return cases


@exercise("ex-boundary-accuracy", inputs=_accuracy_cases)
def _boundary_accuracy(answer, inputs):
    def describe(net, X, Y):
        return f"for a network of sizes {list(net.sizes)}, X of shape {X.shape}, Y of shape {Y.shape}"

    for (net, X, Y), got, where in calls(answer, inputs, "a function accuracy(net, X, Y)", describe):
        expected = _accuracy_reference(net, X, Y)
        got = as_number(got, where, "one number")
        if not math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-12):
            raise Failure(f"{where}: expected {expected:.6g}, got {got:.6g}"
                          + (" (a fraction between 0 and 1, not a percentage?)" if got > 1 else ""))


def _sigma(z):
    return 1.0 / (1.0 + math.exp(-z))


@exercise("ex-boundary-xor-margin")
def _boundary_xor_margin(answer):
    require_network(answer, (2, 2, 1))
    for where, act in [("activation", answer.activation), ("output_activation", answer.output_activation)]:
        if act.name != "sigmoid":
            raise Failure(f"expected {where}='sigmoid', got {act.name!r}")
    W1, b1 = np.asarray(answer.weights[1], float), np.asarray(answer.biases[1], float)
    W2, b2 = np.asarray(answer.weights[2], float), np.asarray(answer.biases[2], float)
    for x1, x2 in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        # the forward pass by hand, one neuron at a time
        h = [_sigma(W1[j, 0] * x1 + W1[j, 1] * x2 + b1[j]) for j in range(2)]
        out = _sigma(W2[0, 0] * h[0] + W2[0, 1] * h[1] + b2[0])
        target = int(x1 != x2)
        if target == 1 and not out > 0.9:
            raise Failure(f"for x=({x1}, {x2}): XOR is 1, the output must be above 0.9, got {out:.4f}")
        if target == 0 and not out < 0.1:
            raise Failure(f"for x=({x1}, {x2}): XOR is 0, the output must be below 0.1, got {out:.4f}")


@exercise("ex-boundary-three-merged")
def _boundary_three_merged(answer):
    # one common output p for targets 0, 1, 0; the fourth corner fitted exactly
    p = np.linspace(0.0, 1.0, 1_000_001)
    best = float(np.min((p**2 + (1 - p) ** 2 + p**2) / 4))
    compare_value(answer, best, rtol=1e-6)
