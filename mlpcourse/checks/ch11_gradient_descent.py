"""Checks of chapter 11, gradient descent: batches and learning rates."""

import numpy as np

from mlpcore.network import MLP

from . import Failure, compare_value, exercise, require_function

# the calls that test the order of the samples: seeds 0 to 4 of N=50, B=10
_ORDERS = [(50, 10, s) for s in range(5)]


def _minibatches_inputs(rng):
    """(N, B, seed): fixed cases, random ones, each twice (the same seed must give the same
    batches), then the calls of the test of the order."""
    cases = [(10, 3, 0), (200, 32, 1), (7, 7, 2), (5, 1, 3), (1, 1, 4), (64, 32, 5), (100, 99, 6)]
    for N in rng.integers(2, 300, size=5):
        cases.append((int(N), int(rng.integers(1, N + 1)), int(rng.integers(0, 1000))))
    return [case for case in cases for _ in range(2)] + _ORDERS


@exercise("ex-gd-minibatches", inputs=_minibatches_inputs)
def _minibatches(answer, inputs):
    require_function(answer, "a function minibatches(N, B, seed)")
    for N, B, seed in inputs[: len(inputs) - len(_ORDERS) : 2]:  # each case is listed twice
        call = f"minibatches({N}, {B}, {seed})"
        batches = _as_batches(answer(N, B, seed), call)
        k = -(-N // B)  # ceil(N / B), in integers
        if len(batches) != k:
            raise Failure(f"{call}: expected {k} batches, got {len(batches)}")
        sizes = [b.size for b in batches]
        expected = [B] * (k - 1) + [N - (k - 1) * B]
        if sizes != expected:
            raise Failure(f"{call}: expected batch sizes {expected}, got {sizes}")
        every = np.sort(np.concatenate(batches))
        if not np.array_equal(every, np.arange(N)):
            missing = sorted(set(range(N)) - set(every.tolist()))[:5]
            raise Failure(f"{call}: every index 0..{N - 1} must appear exactly once; "
                          f"missing {missing}, {N - len(set(every.tolist()))} missing in all")
        again = _as_batches(answer(N, B, seed), call)
        if any(not np.array_equal(a, b) for a, b in zip(batches, again)):
            raise Failure(f"{call}: the same seed must give the same batches, got different ones")
    orders = [np.concatenate(_as_batches(answer(N, B, s), f"minibatches({N}, {B}, {s})")) for N, B, s in _ORDERS]
    if any(np.array_equal(o, np.arange(50)) for o in orders):
        raise Failure("the samples must be visited in a random order, got 0, 1, 2, ... in order")
    if all(np.array_equal(o, orders[0]) for o in orders):
        raise Failure("different seeds must give different orders; seeds 0 to 4 all gave the same")


def _as_batches(result, call):
    if result is None:
        raise Failure(f"{call} returned None (missing return?)")
    try:
        batches = [np.asarray(b) for b in result]
    except TypeError:
        raise Failure(f"{call} must return a list of index arrays, got {type(result).__name__}") from None
    for i, b in enumerate(batches):
        if b.ndim != 1 or b.dtype.kind not in "iu":
            raise Failure(f"{call}: batch {i} must be a 1-D array of integer indices, "
                          f"got dtype {b.dtype} of shape {b.shape}")
    return batches


def _n_updates_inputs(rng):
    """(N, B, E): fixed cases (B=None is one batch of all N), then random ones."""
    cases = [(12, None, 3), (12, 12, 2), (12, 5, 3), (12, 1, 2), (7, 3, 4), (10, 9, 1), (1, 1, 5)]
    for _ in range(4):
        N = int(rng.integers(2, 40))
        cases.append((N, int(rng.integers(1, N + 1)), int(rng.integers(1, 4))))
    return cases


@exercise("ex-gd-updates", inputs=_n_updates_inputs)
def _n_updates(answer, inputs):
    require_function(answer, "a function n_updates(N, B, E)")
    X = np.random.default_rng(12).normal(size=(40, 1))  # the samples fit trains on (their values do not matter)
    for N, B, E in inputs:
        # count the steps that mlpcore's fit actually takes
        net = MLP([1, 1], activation="identity", loss="mse", seed=0)
        expected = len(net.fit(X[:N], X[:N], epochs=E, lr=0.01, batch_size=B).batch_loss)
        got = answer(N, B, E)
        if got is None or not np.isscalar(got) or got != expected:
            raise Failure(f"n_updates({N}, {B}, {E}): expected {expected}, got {got!r}")


@exercise("ex-gd-max-lr")
def _max_lr(answer):
    # gradient descent on the mse of the linear neuron on XOR, at many rates at once; a rate is
    # stable if the error does not grow from step T to step 2T. Three rounds of zooming in.
    X1 = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
    y = np.array([0.0, 1.0, 1.0, 0.0])
    theta_star = np.linalg.lstsq(X1, y, rcond=None)[0]
    low, high, T = 0.01, 3.0, 2000
    for _ in range(3):
        etas = np.linspace(low, high, 201)
        theta = np.tile([1.0, -2.0, 0.5], (etas.size, 1))
        with np.errstate(over="ignore", invalid="ignore"):
            for t in range(2 * T):
                theta = theta - etas[:, None] * (2 / 4) * ((theta @ X1.T - y) @ X1)
                if t == T - 1:
                    at_T = np.linalg.norm(theta - theta_star, axis=1)
            at_2T = np.linalg.norm(theta - theta_star, axis=1)
            stable = np.isfinite(at_2T) & (at_2T <= at_T)
        last = int(np.flatnonzero(stable).max())
        if last == etas.size - 1:  # pragma: no cover - the grid starts wide enough
            raise RuntimeError("the search grid does not reach the limit")
        low, high = etas[last], etas[last + 1]
    compare_value(answer, (low + high) / 2, rtol=1e-3)
