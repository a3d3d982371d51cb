"""Checks of chapter 7, the course notes' worked example (a 2-2-1 sigmoid network).

Every reference here is computed without backpropagation: the loss is written
out neuron by neuron with ``math.exp``, and every gradient is a central
difference of that loss, one parameter at a time.
"""

import math

import numpy as np

from . import Failure, _fmt, as_parts, compare_value, exercise, require_function

# the notes' example: W (one row per hidden neuron), b^h, V, b^y, x, y, eta
NOTES = (np.array([[0.2, 0.4], [0.6, 0.8]]), np.array([0.1, 0.2]), np.array([[0.3, 0.5]]),
         np.array([0.4]), np.array([0.5, 0.8]), 0.0)
NOTES_ETA = 0.7


def _loss(W, bh, V, by, x, y):
    """(y - y_hat)^2 of the network z = W x + b^h, h = sigma(z), y_hat = sigma(V h + b^y)."""
    s = lambda t: 1.0 / (1.0 + math.exp(-t))  # noqa: E731
    m, n = np.shape(W)
    h = [s(sum(W[j][i] * x[i] for i in range(n)) + bh[j]) for j in range(m)]
    y_hat = s(sum(V[0][j] * h[j] for j in range(m)) + by[0])
    return (y - y_hat) ** 2


def _central_gradients(params, x, y, eps=1e-6):
    """dL/dp for each array p in params = (W, bh, V, by), by central differences."""
    grads = []
    for k, P in enumerate(params):
        G = np.zeros_like(P)
        for i in np.ndindex(P.shape):
            up = [Q.copy() for Q in params]
            down = [Q.copy() for Q in params]
            up[k][i] += eps
            down[k][i] -= eps
            G[i] = (_loss(*up, x, y) - _loss(*down, x, y)) / (2 * eps)
        grads.append(G)
    return grads


def _networks(rng):
    """The notes' network, then random ones with n inputs and m hidden neurons: (W, bh, V, by, x, y)."""
    yield NOTES
    for n, m in [(2, 2), (2, 2), (3, 2), (2, 4), (1, 3)]:
        yield (rng.normal(size=(m, n)), rng.normal(size=m), rng.normal(size=(1, m)),
               rng.normal(size=1), rng.uniform(-1, 1, size=n), float(rng.choice([0.0, 1.0])))


def _where(k, W):
    if k == 0:
        return "the notes' network"
    return f"a random network with n={W.shape[1]} inputs and m={W.shape[0]} hidden neurons"


def _update_inputs(rng):
    """Each network with a learning rate: the notes' 0.7, then random ones."""
    return [(*params, NOTES_ETA if k == 0 else float(rng.uniform(0.1, 2.0)))
            for k, params in enumerate(_networks(rng))]


def _call(answer, args, where):
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    try:
        result = answer(*copies)
    except NotImplementedError:
        raise
    except Exception as exc:
        raise Failure(f"for {where}, the function raised {type(exc).__name__}: {exc}") from None
    for before, after in zip(args, copies):
        if isinstance(before, np.ndarray) and not np.array_equal(before, after):
            raise Failure(f"for {where}, the function changed its arguments in place; "
                          "return new arrays instead")
    return result


@exercise("ex-worked-correct-update", inputs=_update_inputs)
def _correct_update(answer, inputs):
    require_function(answer, "a function correct_update(W, bh, V, by, x, y, eta)")
    for k, (W, bh, V, by, x, y, eta) in enumerate(inputs):
        where = _where(k, W)
        grads = _central_gradients((W, bh, V, by), x, y)
        expected = [P - eta * G for P, G in zip((W, bh, V, by), grads)]
        got = _call(answer, (W, bh, V, by, x, y, eta), f"{where} (eta={eta:.3g})")
        got = as_parts(got, 4, f"for {where}", ["W", "bh", "V", "by"])
        for name, g, e in zip(["W", "bh", "V", "by"], got, expected):
            g = np.asarray(g, dtype=float)
            if name == "W" and g.shape != e.shape:
                raise Failure(f"for {where}: the new W must have the shape of W, {e.shape}, got {g.shape}")
            if g.size != e.size:
                raise Failure(f"for {where}: the new {name} must have {e.size} entries, got shape {g.shape}")
            if not np.allclose(g.reshape(e.shape), e, rtol=1e-6, atol=1e-8):
                raise Failure(f"for {where} (eta={eta:.3g}): new {name} expected {_fmt(e)}, got {_fmt(g)}")


@exercise("ex-worked-notes-gradient-table", inputs=lambda rng: list(_networks(rng)))
def _notes_gradient_table(answer, inputs):
    require_function(answer, "a function notes_gradient_table(W, bh, V, by, x, y)")
    for k, (W, bh, V, by, x, y) in enumerate(inputs):
        where = _where(k, W)
        dW = _central_gradients((W, bh, V, by), x, y)[0]  # layout of W: (m, n)
        expected = dW.T  # G[i, j] = dL/dw_ij = dL/dW[j, i]
        got = _call(answer, (W, bh, V, by, x, y), where)
        if got is None:
            raise Failure(f"for {where} the function returned None (missing return?)")
        got = np.asarray(got, dtype=float)
        if got.shape != expected.shape:
            hint = " (that is the layout of W; the notes index w_ij input first)" if got.shape == dW.shape else ""
            raise Failure(f"for {where}: expected shape {expected.shape}, got {got.shape}{hint}")
        if not np.allclose(got, expected, rtol=1e-6, atol=1e-9):
            hint = ""
            if np.allclose(got, dW, rtol=1e-6, atol=1e-9):
                hint = " (you returned dL/dW in the layout of W: transpose it)"
            elif np.allclose(got, -expected, rtol=1e-6, atol=1e-9):
                hint = " (the sign is wrong: dL/dy_hat = -2 (y - y_hat))"
            raise Failure(f"for {where}: expected {_fmt(expected)}, got {_fmt(got)}{hint}")


@exercise("ex-worked-ten-steps")
def _ten_steps(answer):
    W, bh, V, by, x, y = NOTES
    params = [W.copy(), bh.copy(), V.copy(), by.copy()]
    for _ in range(10):  # gradient descent along central differences
        grads = _central_gradients(params, x, y)
        params = [P - NOTES_ETA * G for P, G in zip(params, grads)]
    if np.ndim(answer) == 1 and np.size(answer) == 1:
        answer = float(np.asarray(answer)[0])
    compare_value(answer, _loss(*params, x, y), rtol=1e-6)
