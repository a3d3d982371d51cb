"""Checks of chapter 10, backpropagation as gradient descent.

Every reference is computed without the formulas the chapter derives: slopes of
functions by central differences, least-squares slopes by scipy's linregress and
on exact power laws, and the number of forward passes by counting the calls that
``mlpcore.gradcheck.numerical_gradients`` makes.
"""

import numpy as np

from mlpcore import MLP, gradcheck

from . import (
    Failure,
    _fmt,
    cases,
    compare_arrays,
    compare_function,
    compare_value,
    derivative,
    exercise,
    require_function,
    single,
    slope_by_output,
)


@exercise("ex-bpgd-phi-arctan", inputs=lambda rng: single(cases(rng, -1.4, 1.4, (0.0, 0.5, -1.2))))
def _phi_arctan(answer, inputs):
    compare_function(answer, slope_by_output(np.arctan, np.tan), inputs, arg="y")


def _dh_dal_inputs(rng):
    """(aL, y, lamL): two fixed cases, then random ones with 1, 2 and 5 outputs."""
    inputs = [(np.array([0.5]), np.array([1.0]), np.array([0.0]))]
    inputs += [(np.array([0.7, 0.2]), np.array([0.0, 1.0]), np.array([-0.1, 0.05]))]
    for n in (1, 2, 5):
        inputs.append((rng.uniform(0.05, 0.95, n), rng.uniform(0, 1, n), rng.normal(0, 0.3, n)))
    return inputs


@exercise("ex-bpgd-dh-dal", inputs=_dh_dal_inputs)
def _dh_dal(answer, inputs):
    require_function(answer, "a function dH_daL(aL, y, lamL)")
    for aL, y, lam in inputs:
        # the part of H that depends on a^L, with f^{-1}(a) = log a - log(1 - a); H separates
        # into one term per output, so an elementwise central difference is its gradient
        part = lambda a, y=y, lam=lam: 0.5 * (y - a) ** 2 + lam * (np.log(a) - np.log(1 - a))  # noqa: E731
        expected = derivative(part, h=1e-7)(aL)
        got = answer(aL.copy(), y.copy(), lam.copy())
        compare_arrays(got, expected, f"aL={_fmt(aL)}, y={_fmt(y)}, lamL={_fmt(lam)}", rtol=1e-5, atol=1e-7)


# exact power laws t = c P^p: the slope is p by construction
_EXACT_POWER_LAWS = [([10, 100, 1000], [2e-6 * P for P in (10, 100, 1000)], 1.0),
                     ([10, 100, 1000], [3e-9 * P**2 for P in (10, 100, 1000)], 2.0),
                     ([3, 7, 50, 400], [5 * P**1.37 for P in (3, 7, 50, 400)], 1.37)]


def _loglog_inputs(rng):
    """(P, t) as arrays: the exact power laws, then noisy ones."""
    data = [(P, t) for P, t, _ in _EXACT_POWER_LAWS]
    for p in (0.3, 1.1, 1.8):
        P = np.geomspace(40, 2e5, 9).round()
        data.append((list(P), list(1e-5 * P**p * np.exp(rng.normal(0, 0.2, P.size)))))
    return [(np.array(P), np.array(t)) for P, t in data]


@exercise("ex-bpgd-loglog-slope", inputs=_loglog_inputs)
def _loglog_slope(answer, inputs):
    from scipy.stats import linregress

    require_function(answer, "a function loglog_slope(P, t)")
    for k, (P, t) in enumerate(inputs):
        if k < len(_EXACT_POWER_LAWS):
            expected = _EXACT_POWER_LAWS[k][2]
        else:  # noisy power laws: the least-squares slope by scipy
            expected = linregress(np.log(P), np.log(t)).slope
        try:
            compare_value(answer(np.array(P), np.array(t)), float(expected), rtol=1e-6, reveal=True)
        except Failure as exc:
            raise Failure(f"for P={_fmt(P)}, t={_fmt(t)}: {exc}") from None


def _fd_passes_inputs(rng):
    """(sizes,): fixed architectures, then random ones of 2 to 4 layers."""
    fixed = [[2, 3, 2], [1, 1], [4, 5, 3], [3, 6, 6, 2], [5, 1, 5]]
    drawn = [[int(n) for n in rng.integers(1, 7, size=int(rng.integers(2, 5)))] for _ in range(3)]
    return [(sizes,) for sizes in fixed + drawn]


@exercise("ex-bpgd-fd-passes", inputs=_fd_passes_inputs)
def _fd_passes(answer, inputs):
    require_function(answer, "a function central_difference_passes(sizes)")
    for (sizes,) in inputs:
        # count the forward passes (calls of net.loss) that mlpcore's central differences make
        net = MLP(sizes, seed=0)
        X, Y = np.zeros((1, sizes[0])), np.zeros((1, sizes[-1]))
        calls, loss = [0], net.loss

        def counting_loss(X, Y, calls=calls, loss=loss):
            calls[0] += 1
            return loss(X, Y)

        net.loss = counting_loss
        gradcheck.numerical_gradients(net, X, Y)
        try:
            compare_value(answer(list(sizes)), calls[0], rtol=0, atol=0, reveal=True)
        except Failure as exc:
            raise Failure(f"for sizes={sizes}: {exc}") from None
