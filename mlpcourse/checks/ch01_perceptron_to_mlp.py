"""Checks of chapter 1, from the perceptron to the multilayer perceptron.

Every reference here is computed by brute force, independently of the book's
solutions: the perceptron rule by its case analysis (leave the weights alone when
the prediction is right, add or subtract the input when it is wrong), the gates
from Python's Boolean operators on the truth table, the parameter count by
counting connections and biases one by one.
"""

import numpy as np

from . import Failure, _fmt, as_count, calls, exercise, require_function, require_network

TRUTH_TABLE = [(0, 0), (0, 1), (1, 0), (1, 1)]


def _step(z):
    return 1 if z >= 0 else 0  # step(0) = 1, as in the book


def _perceptron_reference(w, b, x, y, lr):
    """The perceptron rule as a case analysis, in plain Python."""
    z = sum(wi * xi for wi, xi in zip(w, x)) + b
    predicted = _step(z)
    if predicted == y:
        return [float(wi) for wi in w], float(b)
    sign = 1.0 if y == 1 else -1.0  # said 0 for a 1: add the input; said 1 for a 0: subtract it
    return [wi + sign * lr * xi for wi, xi in zip(w, x)], b + sign * lr


def _perceptron_cases(rng):
    """(w, b, x, y, lr): fixed cases (z = 0 exactly among them), then random ones of 1 to 5 inputs."""
    fixed = [
        (np.zeros(2), 0.0, np.array([1.0, 1.0]), 0, 1.0),  # z = 0 exactly: predicts 1, wrong
        (np.zeros(2), 0.0, np.array([1.0, 1.0]), 1, 1.0),  # z = 0 exactly: predicts 1, right
        (np.array([1.0, 1.0]), -2.0, np.array([1.0, 0.0]), 0, 0.5),  # right: no change
        (np.array([1.0, 1.0]), -2.0, np.array([0.0, 1.0]), 1, 0.5),  # wrong: add the input
        (np.array([0.5, -1.0, 2.0]), 0.3, np.array([-1.0, 2.0, 0.5]), 1, 0.1),
    ]
    random = []
    for _ in range(30):
        n = int(rng.integers(1, 6))
        random.append((rng.normal(size=n), float(rng.normal()), rng.normal(size=n),
                       int(rng.integers(0, 2)), float(rng.uniform(0.05, 2.0))))
    return fixed + random


@exercise("ex-perceptron-update", inputs=_perceptron_cases)
def _perceptron_update(answer, inputs):
    require_function(answer, "a function perceptron_update(w, b, x, y, lr)")
    for w, b, x, y, lr in inputs:
        where = f"w={_fmt(w)}, b={b:.6g}, x={_fmt(x)}, y={y}, lr={lr:.6g}"
        w_given = w.copy()
        result = answer(w_given, b, x.copy(), y, lr)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise Failure(f"for {where}: expected a pair (w_new, b_new), got {result!r}")
        w_new, b_new = np.asarray(result[0], dtype=float), result[1]
        if not np.array_equal(w_given, w):
            raise Failure(f"for {where}: the function changed w in place (to {_fmt(w_given)}); "
                          "return a new array instead")
        expected_w, expected_b = _perceptron_reference(w, b, x, y, lr)
        if w_new.shape != w.shape:
            raise Failure(f"for {where}: expected w_new of shape {w.shape}, got shape {w_new.shape}")
        if np.ndim(b_new) != 0:
            raise Failure(f"for {where}: expected b_new to be a number, got {_fmt(b_new)}")
        if not (np.allclose(w_new, expected_w, rtol=1e-9, atol=1e-12)
                and np.isclose(float(b_new), expected_b, rtol=1e-9, atol=1e-12)):
            hint = " (here z = w.x + b = 0, and step(0) = 1)" if w @ x + b == 0 else ""
            raise Failure(f"for {where}: expected w_new={_fmt(expected_w)}, b_new={expected_b:.6g}; "
                          f"got w_new={_fmt(w_new)}, b_new={float(b_new):.6g}{hint}")


@exercise("ex-perceptron-nand")
def _perceptron_nand(answer):
    try:
        w, b = answer
        w1, w2 = (float(v) for v in w)
        b = float(b)
    except (TypeError, ValueError):
        raise Failure(f"expected ((w1, w2), b), two weights and a bias, got {answer!r}") from None
    for x1, x2 in TRUTH_TABLE:
        z = w1 * x1 + w2 * x2 + b
        expected = int(not (x1 and x2))
        if _step(z) != expected:
            raise Failure(f"for x=({x1}, {x2}): z = {z:.6g}, so step(z) = {_step(z)}; NAND is {expected}")


@exercise("ex-perceptron-xnor-net")
def _perceptron_xnor_net(answer):
    require_network(answer, (2, 2, 1))
    for x1, x2 in TRUTH_TABLE:
        expected = float(x1 == x2)
        got = answer.forward(np.array([x1, x2], dtype=float))[0]
        if not np.isclose(got, expected, rtol=0, atol=1e-9):
            raise Failure(f"for x=({x1}, {x2}): XNOR is {expected:g}, the network outputs {got:.6g}"
                          " (use activation='step' for outputs exactly 0 or 1)")


def _count_parameters(sizes):
    """List every connection (l, i, j) and every bias (l, i), one at a time, and count them."""
    connections = {(l, i, j) for l in range(1, len(sizes)) for i in range(sizes[l]) for j in range(sizes[l - 1])}
    biases = {(l, i) for l in range(1, len(sizes)) for i in range(sizes[l])}
    return len(connections) + len(biases)


def _mlp_parameters_inputs(rng):
    """(sizes,) with sizes a list: fixed architectures, then random ones of 2 to 6 layers."""
    cases = [[2, 1], [2, 2, 1], [784, 30, 10], [784, 100, 100, 10], [1, 1], [3, 1, 4, 1, 5]]
    cases += [[int(n) for n in rng.integers(1, 60, size=rng.integers(2, 7))] for _ in range(20)]
    return [(sizes,) for sizes in cases]


@exercise("ex-perceptron-mlp-parameters", inputs=_mlp_parameters_inputs)
def _perceptron_mlp_parameters(answer, inputs):
    for (sizes,), got, _ in calls(answer, inputs, "a function n_parameters(sizes)", lambda s: f"for sizes={s}"):
        expected = _count_parameters(sizes)
        if as_count(got, f"for sizes={sizes}") != expected:
            raise Failure(f"for sizes={sizes}: expected {expected}, got {got!r}")
