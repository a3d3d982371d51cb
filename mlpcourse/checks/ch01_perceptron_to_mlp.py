"""Checks of chapter 1, from the perceptron to the multilayer perceptron.

Every reference here is computed independently of the book's solutions: the
perceptron rule by its case analysis in plain Python (leave the weights alone when
the prediction is right, add or subtract the input when it is wrong), the gates
from Python's Boolean operators on the truth table, the parameter count by
counting connections and biases one by one, and the layout of the parameter
vector by ``mlpcore.assign_flat``.
"""

import numpy as np

from . import Failure, _fmt, as_count, as_parts, compare_arrays, exercise, require_function, require_network

TRUTH_TABLE = [(0, 0), (0, 1), (1, 0), (1, 1)]


def _step(z):
    return 1 if z >= 0 else 0  # step(0) = 1, as in the book


def _epoch_reference(w, b, X, y, lr):
    """One pass of the perceptron rule, sample by sample in plain Python, as a case analysis:
    a right answer leaves the weights alone; a 0 said for a 1 adds the input, a 1 said for a 0
    subtracts it. Returns (w, b, mistakes) and whether some z was exactly 0 on the way."""
    w, b, mistakes, on_zero = [float(v) for v in w], float(b), 0, False
    for x, target in zip(X, y):
        z = sum(wi * float(xi) for wi, xi in zip(w, x)) + b
        on_zero = on_zero or z == 0
        if _step(z) == target:
            continue
        sign = 1.0 if target == 1 else -1.0
        w = [wi + sign * lr * float(xi) for wi, xi in zip(w, x)]
        b += sign * lr
        mistakes += 1
    return w, b, mistakes, on_zero


def _batch_rule(w, b, X, y, lr):
    """The slip of predicting every sample with the weights the pass started from."""
    w, b = [float(v) for v in w], float(b)
    errors = [target - _step(sum(wi * float(xi) for wi, xi in zip(w, x)) + b) for x, target in zip(X, y)]
    for x, e in zip(X, errors):
        w = [wi + lr * e * float(xi) for wi, xi in zip(w, x)]
        b += lr * e
    return w, b


GATES = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def _epoch_cases(rng):
    """(w, b, X, y, lr): the epochs from zero weights on NAND and on XOR (lr = 1, the truth table in
    its order), fixed passes (z = 0 exactly among them), then random ones of 1 to 5 inputs."""
    cases = []
    for targets in ([1, 1, 1, 0], [0, 1, 1, 0]):  # NAND, then XOR: each epoch of the run from zero
        y = np.array(targets)
        w, b = np.zeros(2), 0.0
        for _ in range(6):
            cases.append((w.copy(), b, GATES.copy(), y, 1.0))
            w_list, b, mistakes, _ = _epoch_reference(w, b, GATES, y, 1.0)
            w = np.array(w_list)
            if mistakes == 0:
                break
    cases += [
        (np.zeros(2), 0.0, np.array([[1.0, 1.0]]), np.array([0]), 1.0),  # z = 0 exactly: predicts 1, wrong
        (np.zeros(2), 0.0, np.array([[1.0, 1.0]]), np.array([1]), 1.0),  # z = 0 exactly: predicts 1, right
        (np.array([1.0, 1.0]), -2.0, np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0, 1]), 0.5),
        (np.array([0.5, -1.0, 2.0]), 0.3, np.array([[-1.0, 2.0, 0.5], [1.0, 1.0, 1.0]]), np.array([1, 0]), 0.1),
    ]
    for _ in range(20):
        n, N = int(rng.integers(1, 6)), int(rng.integers(1, 9))
        cases.append((rng.normal(size=n), float(rng.normal()), rng.normal(size=(N, n)),
                      rng.integers(0, 2, size=N), float(rng.uniform(0.05, 2.0))))
    return cases


@exercise("ex-perceptron-update", inputs=_epoch_cases)
def _perceptron_update(answer, inputs):
    require_function(answer, "a function perceptron_epoch(w, b, X, y, lr)")
    for w, b, X, y, lr in inputs:
        where = f"w={_fmt(w)}, b={b:.6g}, X={' '.join(_fmt(X).split())}, y={_fmt(y)}, lr={lr:.6g}"
        w_given = w.copy()
        result = answer(w_given, b, X.copy(), y.copy(), lr)
        if not isinstance(result, (tuple, list)) or len(result) != 3:
            raise Failure(f"for {where}: expected a triple (w_new, b_new, mistakes), got {result!r}"[:600])
        if not np.array_equal(w_given, w):
            raise Failure(f"for {where}: the function changed the caller's w in place (to {_fmt(w_given)}); "
                          "work on a copy")
        try:
            w_new, b_new = np.asarray(result[0], dtype=float), float(np.asarray(result[1], dtype=float))
        except (TypeError, ValueError):
            got = f"{result[0]!r}, {result[1]!r}"
            raise Failure(f"for {where}: expected w_new an array and b_new a number, got {got}"[:600]) from None
        if w_new.shape != w.shape:
            raise Failure(f"for {where}: expected w_new of shape {w.shape}, got shape {w_new.shape}")
        expected_w, expected_b, expected_mistakes, on_zero = _epoch_reference(w, b, X, y, lr)
        if not (np.allclose(w_new, expected_w, rtol=1e-9, atol=1e-12)
                and np.isclose(b_new, expected_b, rtol=1e-9, atol=1e-12)):
            batch_w, batch_b = _batch_rule(w, b, X, y, lr)
            if len(X) > 1 and np.allclose(w_new, batch_w, rtol=1e-9, atol=1e-12) and np.isclose(
                    b_new, batch_b, rtol=1e-9, atol=1e-12):
                hint = (" (every sample was predicted with the weights the pass started from; the rule updates "
                        "after each sample, and the next one is predicted with the updated weights)")
            elif on_zero:
                hint = " (on this pass some z = w.x + b is exactly 0, and step(0) = 1)"
            else:
                hint = ""
            raise Failure(f"for {where}: expected w_new={_fmt(expected_w)}, b_new={expected_b:.6g}; "
                          f"got w_new={_fmt(w_new)}, b_new={b_new:.6g}{hint}")
        mistakes = as_count(result[2], f"for {where}", "a whole number of mistakes")
        if mistakes != expected_mistakes:
            raise Failure(f"for {where}: the weights are right, but the pass made {expected_mistakes} "
                          f"mistake{'s' if expected_mistakes != 1 else ''}, not {mistakes} (a mistake is a sample "
                          "whose prediction was wrong when it was visited)")


@exercise("ex-perceptron-xnor-net")
def _perceptron_xnor_net(answer):
    require_network(answer, (2, 2, 1))
    for x1, x2 in TRUTH_TABLE:
        expected = float(x1 == x2)
        got = answer.forward(np.array([x1, x2], dtype=float))[0]
        if not np.isclose(got, expected, rtol=0, atol=1e-9):
            raise Failure(f"for x=({x1}, {x2}): XNOR is {expected:g}, the network outputs {got:.6g}"
                          " (use activation='step' for outputs exactly 0 or 1)")


def _unflatten_reference(theta, sizes):
    """mlpcore's own layout, written into a network of these sizes by mlpcore.assign_flat."""
    from mlpcore.network import MLP, assign_flat

    net = assign_flat(MLP(list(sizes)), np.asarray(theta, dtype=float))
    return list(net.weights), list(net.biases)


def _count_parameters(sizes):
    """List every connection (l, i, j) and every bias (l, i), one at a time, and count them."""
    connections = {(l, i, j) for l in range(1, len(sizes)) for i in range(sizes[l]) for j in range(sizes[l - 1])}
    biases = {(l, i) for l in range(1, len(sizes)) for i in range(sizes[l])}
    return len(connections) + len(biases)


def _unflatten_inputs(rng):
    """(theta, sizes) with sizes a list: fixed architectures, then random ones of 2 to 5 layers; each
    with a random theta of the right length; then two of the wrong length (one short, one long)."""
    architectures = [[2, 1], [2, 2, 1], [3, 4, 2], [1, 1], [3, 1, 4, 1, 5], [64, 16, 10]]
    architectures += [[int(n) for n in rng.integers(1, 9, size=rng.integers(2, 6))] for _ in range(8)]
    cases = [(rng.normal(size=_count_parameters(s)), s) for s in architectures]
    cases.append((rng.normal(size=_count_parameters([2, 2, 1]) - 1), [2, 2, 1]))
    cases.append((rng.normal(size=_count_parameters([3, 4, 2]) + 2), [3, 4, 2]))
    return cases


def _layout_hint(got_W, theta, sizes):
    """A name for the usual slips of layout, from the student's own weights: each W^l followed by its
    b^l (layer by layer), or each W^l read column by column."""
    def layer_by_layer():
        k, out = 0, []
        for m, n in zip(sizes[:-1], sizes[1:]):
            out.append(np.reshape(theta[k:k + n * m], (n, m)))
            k += n * (m + 1)
        return out

    def column_major():
        k, out = 0, []
        for m, n in zip(sizes[:-1], sizes[1:]):
            out.append(np.reshape(theta[k:k + n * m], (n, m), order="F"))
            k += n * m
        return out

    for layout, words in [(layer_by_layer, "layer by layer, each W^l followed by its b^l"),
                          (column_major, "each W^l column by column")]:
        try:
            if all(np.array_equal(np.asarray(g, dtype=float), e) for g, e in zip(got_W, layout())):
                return (f" (this reads theta {words}; theta holds W^1, ..., W^L, each row by row, "
                        "and then b^1, ..., b^L)")
        except (TypeError, ValueError):
            return ""
    return ""


@exercise("ex-perceptron-mlp-parameters", inputs=_unflatten_inputs)
def _perceptron_mlp_parameters(answer, inputs):
    require_function(answer, "a function unflatten(theta, sizes)")
    for theta, sizes in inputs:
        P = _count_parameters(sizes)
        where = f"sizes={sizes} and theta of length {len(theta)}"
        if len(theta) != P:
            try:
                got = answer(theta.copy(), list(sizes))
            except NotImplementedError:
                raise
            except Exception as exc:
                name = getattr(exc, "name", type(exc).__name__)
                message = getattr(exc, "message", str(exc))
                if name != "ValueError":
                    raise Failure(f"for {where}: expected a ValueError, got {name}: {message}"[:400]) from None
                if str(P) not in message:
                    raise Failure(f"for {where}: the ValueError should say how many entries theta must have "
                                  f"({P}), but says {message!r}"[:400]) from None
                continue
            raise Failure(f"for {where}: theta has the wrong length for this network, and the function returned "
                          f"{type(got).__name__} instead of raising a ValueError")
        got = answer(theta.copy(), list(sizes))
        gW, gb = as_parts(got, 2, f"for {where}", ["the list of weights", "the list of biases"])
        eW, eb = _unflatten_reference(theta, sizes)
        for kind, g, e in [("weight", gW, eW), ("bias", gb, eb)]:
            if g is None or isinstance(g, (str, bytes)) or not hasattr(g, "__len__") or len(g) != len(e):
                raise Failure(f"for {where}: expected a list of {len(e)} {kind} arrays, one per layer, got {g!r}"[:400])
            for l, (gl, el) in enumerate(zip(g, e), start=1):
                hint = _layout_hint(gW, theta, sizes) if kind == "weight" else ""
                name = f"W^{l}" if kind == "weight" else f"b^{l}"
                compare_arrays(gl, el, f"{where}, {name}", rtol=0, atol=0,
                               hint=lambda _, hint=hint: hint)
