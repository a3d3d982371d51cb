"""Checks of chapter 5, loss functions.

Every reference is computed without the formulas the chapter derives: gradient
factors and deltas by central differences of losses written out here, and
log-sum-exp with mpmath at 60 significant digits.
"""

from functools import partial

import mpmath
import numpy as np

from . import Failure, _fmt, compare_function, compare_value, exercise, gradient, require_function, single


def _mse(Y, P):  # mean over all N K entries
    return np.sum((Y - P) ** 2) / Y.size


def _se(Y, P):  # 1/2 sum over the K outputs, mean over the N samples
    return np.sum(0.5 * np.sum((Y - P) ** 2, axis=1)) / len(Y)


def _mse_factor_inputs(rng):
    """(N, K): fixed sizes, then random ones."""
    fixed = [(1, 1), (1, 3), (8, 3), (32, 10), (5, 2), (4, 7)]
    return fixed + [(int(rng.integers(1, 40)), int(rng.integers(1, 12))) for _ in range(3)]


@exercise("ex-loss-mse-factor", inputs=_mse_factor_inputs)
def _mse_factor(answer, inputs):
    require_function(answer, "a function mse_gradient_factor(N, K)")
    rng = np.random.default_rng(51)  # the targets and outputs of the reference (not inputs of the answer)
    for N, K in inputs:
        Y = rng.normal(size=(N, K))
        P = Y + rng.uniform(0.5, 1.5, size=(N, K))  # outputs away from the targets
        # dL/dtheta = sum of dL/dy_hat * dy_hat/dtheta: the ratio of the dL/dy_hat is the factor
        ratio = gradient(partial(_mse, Y), P, 1e-6) / gradient(partial(_se, Y), P, 1e-6)
        expected = float(np.median(ratio))
        try:
            compare_value(answer(N, K), expected, rtol=1e-5, reveal=True)
        except Failure as exc:
            raise Failure(f"for N={N}, K={K}: {exc}") from None


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
