"""Checks of chapter 13, decision boundaries and what hidden units learn.

The references are computed independently of the book's solutions: accuracy by
a loop over the samples, one forward pass and one comparison at a time; the XOR
network by evaluating the given weights with ``math.exp``, corner by corner; the
floor of merged points by least squares with one free output per point, the
points read off the grid the inputs are built on.
"""

import math

import numpy as np

from mlpcore import network

from . import Failure, as_number, calls, exercise, require_network


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


# merged points ------------------------------------------------------------------------------------

_XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])  # the targets of (0,0), (0,1), (1,0), (1,1)
_GRID = 0.1  # every point of an input sits on this grid, within atol / 2: rounding recovers the points


def _merged_inputs(rng):
    """(A, Y, atol): XOR's corners with three, two (one of each class), four and no corners merged, then
    random samples at points of the grid of step 0.1, jittered within atol / 2."""
    atol = 1e-3
    cases = [(np.array([[0.2, 0.7], [0.2, 0.7], [0.9, 0.1], [0.2, 0.7]]), _XOR_Y, atol),
             (np.array([[0.1, 0.9], [0.5, 0.5], [0.8, 0.2], [0.5, 0.5]]), _XOR_Y, atol),
             (np.full((4, 2), 0.5), _XOR_Y, atol),
             (np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), _XOR_Y, atol)]
    for _ in range(4):
        n_1, n_L = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        N = int(rng.integers(5, 16))
        grid = np.array(np.meshgrid(*[np.arange(11)] * n_1, indexing="ij")).reshape(n_1, -1).T
        centres = grid[rng.choice(len(grid), size=int(rng.integers(1, min(N, len(grid)) + 1)), replace=False)]
        point = np.concatenate([np.arange(len(centres)), rng.integers(0, len(centres), size=N - len(centres))])
        A = _GRID * centres[rng.permutation(point)] + rng.uniform(-atol / 2, atol / 2, size=(N, n_1))
        Y = np.eye(n_L + 1)[rng.integers(0, n_L + 1, size=N), :n_L] if n_L > 1 else rng.uniform(size=(N, 1))
        cases.append((A, Y, atol))
    return cases


def _merged_reference(A, Y):
    """The floor by least squares: one free output per point (the points read off the grid), fitted to
    the targets; its residual over all the entries."""
    _, point = np.unique(np.round(A / _GRID).astype(int), axis=0, return_inverse=True)
    G = np.eye(point.max() + 1)[point.ravel()]  # sample -> its point, one-hot
    outputs = np.linalg.lstsq(G, Y, rcond=None)[0]
    return float(np.sum((Y - G @ outputs) ** 2) / Y.size), G.shape[1]


@exercise("ex-boundary-three-merged", inputs=_merged_inputs)
def _merged_floor(answer, inputs):
    def where(A, Y, atol):
        return f"for A of shape {A.shape}, Y of shape {Y.shape}, atol={atol:g}"

    for (A, Y, _), got, place in calls(answer, inputs, "a function merged_floor(A, Y, atol)", where):
        expected, points = _merged_reference(A, Y)
        got = as_number(got, place, "one number")
        if math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12):
            continue
        hint = ""
        if expected > 0 and math.isclose(got, expected * Y.size, rel_tol=1e-9):
            hint = " (a sum: the floor is a mean over the N n_L entries, like mse)"
        elif expected > 0 and math.isclose(got, expected * Y.shape[1], rel_tol=1e-9) and Y.shape[1] > 1:
            hint = " (divided by N: the mean runs over all N n_L entries)"
        elif got < expected:
            hint = (f" (below the floor: these {len(A)} rows sit at {points} points; rows within atol of each "
                    "other are one point and get one output)")
        raise Failure(f"{place}: expected {expected:.6g}, got {got:.6g}{hint}")
