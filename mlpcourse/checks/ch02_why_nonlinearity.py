"""Checks of chapter 2, why nonlinearity.

Every reference is computed by applying the maps to inputs, one layer after the
other (or by building the network and running it), never from the composed
formula of the book's solution.
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


def _collapse_inputs(rng):
    """(W_list, b_list): Kekulawala's f(g(x)) as a network of two 1-1 layers and the same maps in the
    other order, a square stack 3 -> 3 -> 3 -> 3, a narrow one 3 -> 1 -> 3, then random networks of
    depth 1 to 5."""
    one = lambda v: np.array([[float(v)]])  # noqa: E731
    cases = [
        ([one(5), one(2)], [np.array([-1.0]), np.array([3.0])]),  # g first, then f: 10x + 1
        ([one(2), one(5)], [np.array([3.0]), np.array([-1.0])]),  # f first, then g: 10x + 14
    ]
    cases.append(([rng.normal(size=(3, 3)) for _ in range(3)], [rng.normal(size=3) for _ in range(3)]))  # square
    narrow = [rng.normal(size=(1, 3)), rng.normal(size=(3, 1))]
    cases.append((narrow, [rng.normal(size=1), rng.normal(size=3)]))
    for depth in [1, 2, 3, 4, 5]:
        sizes = [int(n) for n in rng.integers(1, 6, size=depth + 1)]
        cases.append(([rng.normal(size=(n, m)) for m, n in zip(sizes[:-1], sizes[1:])],
                      [rng.normal(size=n) for n in sizes[1:]]))
    return cases


def _run_layers(W_list, b_list, X):
    """The network with identity activations, applied to the rows of X one layer at a time."""
    A = X
    for W, b in zip(W_list, b_list):
        A = A @ W.T + b
    return A


def _collapse_hint(W, b, W_list, b_list):
    """Names for the usual slips, from the answer itself: the matrices multiplied in the wrong order,
    or the biases added up without passing through the layers above them."""
    n0 = W_list[0].shape[1]
    right_W = _run_layers(W_list, [0 * c for c in b_list], np.eye(n0)).T  # W^L ... W^1
    right_b = _run_layers(W_list, b_list, np.zeros((1, n0)))[0]
    if len(W_list) > 1 and all(M.shape == (n0, n0) for M in W_list):
        reverse = np.linalg.multi_dot([np.eye(n0), *W_list])  # W^1 W^2 ... W^L
        if np.allclose(W, reverse) and not np.allclose(W, right_W):
            return " (W is W^1 W^2 ... W^L: the matrices are multiplied in the wrong order; W^1 acts first)"
    if len(W_list) > 1 and all(c.shape == b.shape for c in b_list):
        summed = np.sum(b_list, axis=0)
        if np.allclose(b, summed) and not np.allclose(b, right_b):
            return (" (b is the sum of the biases: a bias b^l reaches the output through every layer above it, "
                    "as W^L ... W^(l+1) b^l)")
    return ""


@exercise("ex-affine-compose", inputs=_collapse_inputs)
def _compose_affine(answer, inputs):
    require_function(answer, "a function collapse(W_list, b_list)")
    rng = np.random.default_rng(22)  # the points the two maps are compared at (not inputs of the answer)
    for W_list, b_list in inputs:
        n0, nL = W_list[0].shape[1], W_list[-1].shape[0]
        sizes = " -> ".join(str(n) for n in [n0] + [W.shape[0] for W in W_list])
        W, b = _pair(answer([W.copy() for W in W_list], [c.copy() for c in b_list]), "(W, b)")
        try:
            W, b = np.asarray(W, dtype=float), np.asarray(b, dtype=float)
        except (TypeError, ValueError):
            raise Failure(f"for the network {sizes}: expected two arrays (W, b), got {W!r}, {b!r}"[:400]) from None
        if W.shape != (nL, n0) or b.shape != (nL,):
            raise Failure(f"for the network {sizes}: expected W of shape {(nL, n0)} and b of shape {(nL,)}, "
                          f"got {W.shape} and {b.shape}")
        X = rng.normal(size=(7, n0))
        expected, got = _run_layers(W_list, b_list, X), X @ W.T + b
        if not np.allclose(got, expected, rtol=1e-9, atol=1e-12):
            row = int(np.argmax(np.max(np.abs(got - expected), axis=1)))
            raise Failure(f"for the network {sizes} and the input x = {_fmt(X[row])}: the layers give "
                          f"{_fmt(expected[row])}, but W x + b = {_fmt(got[row])}"
                          f"{_collapse_hint(W, b, W_list, b_list)}")


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
