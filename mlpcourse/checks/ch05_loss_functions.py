"""Checks of chapter 5, loss functions.

Every reference is computed without the formulas the chapter derives: Huber's
loss from the clipped residual and its gradient and the deltas by central
differences of losses written out here, and log-sum-exp with mpmath at 60
significant digits.
"""

import mpmath
import numpy as np

from ..exercises import describe
from . import (
    Failure,
    _fmt,
    as_number,
    as_parts,
    compare_arrays,
    compare_function,
    exercise,
    gradient,
    require_function,
    single,
)


def _huber_entry(r, tau):
    """Huber's loss of one residual, written as the square of the clipped residual plus a linear tail."""
    inside = np.minimum(np.abs(r), tau)
    return 0.5 * inside**2 + tau * (np.abs(r) - inside)


def _huber_mean(Y, P, tau):
    return float(np.sum(_huber_entry(P - Y, tau))) / len(Y)  # summed over K, averaged over N


def _huber_inputs(rng):
    """(Y, Y_hat, tau): residuals all inside tau, all outside, both; one sample and batches; residuals
    kept at least 1e-3 from +-tau, where the second derivative jumps."""
    def batch(N, K, tau, low, high):
        Y = rng.normal(size=(N, K))
        r = rng.choice([-1.0, 1.0], size=(N, K)) * rng.uniform(low, high, size=(N, K))
        r = np.where(np.abs(np.abs(r) - tau) < 1e-3, r + 2e-3, r)
        return Y, Y + r, tau

    fixed = [
        (np.array([[0.0]]), np.array([[0.5]]), 1.0),
        (np.array([[0.0]]), np.array([[-3.0]]), 1.0),
        (np.array([[1.0, 2.0]]), np.array([[1.2, 5.0]]), 0.5),
    ]
    return fixed + [batch(4, 3, 1.0, 0.0, 0.9), batch(5, 2, 0.5, 0.6, 4.0), batch(8, 4, 1.5, 0.0, 4.0),
                    batch(1, 6, float(rng.uniform(0.2, 2.0)), 0.0, 5.0)]


@exercise("ex-loss-huber", inputs=_huber_inputs)
def _huber(answer, inputs):
    require_function(answer, "a function huber(Y, Y_hat, tau)")
    for Y, P, tau in inputs:
        N, K = Y.shape
        where = f"Y, Y_hat, tau = {describe((Y, P, tau))}"
        got = answer(Y.copy(), P.copy(), tau)
        loss, grad = as_parts(got, 2, f"for {where}", ["the loss", "its gradient"])
        loss = as_number(loss, f"for {where}", "the loss, a number")
        expected = _huber_mean(Y, P, tau)
        if not np.isclose(loss, expected, rtol=1e-9, atol=1e-12):
            hint = ""
            if N * K > 1 and np.isclose(loss, expected / K, rtol=1e-9):
                hint = " (that is the mean over all N K entries; sum over the K outputs, average over the N rows)"
            elif np.isclose(loss, expected * N, rtol=1e-9) and N > 1:
                hint = " (that is the sum over the rows; the loss is averaged over the N rows)"
            elif np.any(np.abs(P - Y) > tau):
                hint = " (for |r| > tau the linear piece must meet the quadratic one at |r| = tau)"
            raise Failure(f"for {where}: the loss should be {expected:.6g}, got {loss:.6g}{hint}")
        expected_grad = gradient(lambda Q, Y=Y, tau=tau: _huber_mean(Y, Q, tau), P)

        def grad_hint(g, e=expected_grad, N=N):
            if np.allclose(g, -e, rtol=1e-6, atol=1e-9):
                return " (the sign is flipped: the derivative is by y_hat, and the residual is y_hat - y)"
            if N > 1 and np.allclose(g, N * e, rtol=1e-6, atol=1e-9):
                return " (N times the expected value: the loss is averaged over the N rows)"
            return ""

        compare_arrays(grad, expected_grad, f"{where}, the gradient", rtol=1e-6, atol=1e-9, hint=grad_hint)


def _log_sum_exp_reference(z):
    """log sum_j exp(z_j) along the last axis, with 60 significant digits."""
    with mpmath.workdps(60):
        rows = np.atleast_2d(z)
        out = np.array([float(mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in row)))
                        for row in rows])
    return out[0] if np.ndim(z) == 1 else out


def _log_sum_exp_inputs(rng):
    """(z,): fixed vectors and a batch (large entries among them), then random ones."""
    fixed = [
        np.array([0.0]),
        np.array([0.0, 0.0]),
        np.array([1.0, 2.0, 3.0]),
        np.array([1000.0, 0.0, -1000.0]),
        np.array([-1000.0, -1000.0]),
        np.array([710.0, 710.0, 709.0]),
        np.array([[1000.0, 1000.0], [-1000.0, 0.0], [0.5, -0.5]]),
    ]
    random = [rng.normal(scale=5.0, size=6), rng.uniform(-1000, 1000, size=(4, 5)),
              rng.normal(scale=300.0, size=(3, 8))]
    return single(fixed + random)


@exercise("ex-loss-log-sum-exp", inputs=_log_sum_exp_inputs)
def _log_sum_exp(answer, inputs):
    compare_function(answer, _log_sum_exp_reference, inputs, rtol=1e-12, atol=1e-12)


def _softmax_ce_reference(z, y, h=1e-5):
    """dL/dz by central differences of L = -sum y log softmax(z), averaged over rows."""
    Z, Y = np.atleast_2d(z), np.atleast_2d(y)
    n = len(Z)

    def loss(Q):
        m = np.max(Q, axis=1, keepdims=True)
        log_p = Q - (m + np.log(np.sum(np.exp(Q - m), axis=1, keepdims=True)))
        return -np.sum(Y * log_p) / n

    G = gradient(loss, Z, h)
    return G[0] if np.ndim(z) == 1 else G


def _softmax_delta_inputs(rng):
    """(z, y): fixed vectors (one confident and wrong), then random one-hot batches."""
    pairs = [
        (np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0, 1.0])),
        (np.array([0.0, 0.0]), np.array([1.0, 0.0])),
        (np.array([1000.0, -1000.0, 0.0]), np.array([0.0, 1.0, 0.0])),  # confident and wrong
        (np.array([0.3, -1.2, 2.0, 0.1]), np.array([0.1, 0.2, 0.3, 0.4])),  # a probability vector
    ]
    for n, k in [(1, 3), (5, 4), (3, 2)]:
        pairs.append((rng.normal(scale=3.0, size=(n, k)), np.eye(k)[rng.integers(0, k, size=n)]))
    pairs.append((rng.uniform(-1000, 1000, size=(4, 3)), np.eye(3)[[0, 1, 2, 0]]))
    return pairs


def _not_finite(got):
    """True when ``got`` reads as an array of numbers some of which are inf or nan."""
    try:
        return not np.all(np.isfinite(np.asarray(got, dtype=float)))
    except (TypeError, ValueError):
        return False


@exercise("ex-loss-softmax-delta", inputs=_softmax_delta_inputs)
def _softmax_delta(answer, inputs):
    require_function(answer, "a function softmax_cross_entropy_delta(z, y)")
    for z, y in inputs:
        expected = _softmax_ce_reference(z, y)
        # the answer runs in the student's kernel, under its numpy error settings: an overflow
        # shows as a FloatingPointError only if the kernel raises on it, and as inf or nan otherwise
        try:
            got = answer(z.copy(), y.copy())
        except Exception as exc:
            if type(exc).__name__ != "FloatingPointError":
                raise
            raise Failure(f"for z={_fmt(z)}: numpy reported {exc}; subtract the maximum first") from None
        if got is None:
            raise Failure(f"for z={_fmt(z)}, y={_fmt(y)} the function returned None (missing return?)")
        if _not_finite(got):
            raise Failure(f"for z={_fmt(z)}: the answer holds inf or nan, {_fmt(got)}; subtract the maximum first")
        got = np.asarray(got, dtype=float)
        if got.shape != expected.shape:
            raise Failure(f"for z={_fmt(z)}: expected shape {expected.shape}, got shape {got.shape}")
        if not np.allclose(got, expected, rtol=1e-5, atol=1e-7):
            hint = ""
            if z.ndim == 2 and np.allclose(got, len(z) * expected, rtol=1e-5, atol=1e-7):
                hint = " (the loss of a batch is averaged over its rows: divide by N)"
            raise Failure(f"for z={_fmt(z)}, y={_fmt(y)}: expected {_fmt(expected)}, got {_fmt(got)}{hint}")
