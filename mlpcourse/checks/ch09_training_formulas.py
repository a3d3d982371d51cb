"""Checks of chapter 9, Keim's training formulas.

Every reference here is independent of the book's solutions: the error signal
and the input-to-hidden gradient are central differences of Keim's error
E = 1/2 (S_postA,O - T)^2, and the multiplications are counted by running both
algorithms on numbers that count their own multiplications.
"""

import numpy as np

from mlpcore.activations import sigmoid

from . import Failure, _fmt, compare_arrays, exercise, gradient, require_function


def _s_error_inputs(rng):
    """(s_preA_O, FE) pairs: fixed scalars and arrays, then random arrays."""
    pairs = [(np.float64(0.0), np.float64(0.5)), (np.float64(2.0), np.float64(-0.3)),
             (np.float64(-3.0), np.float64(0.9)), (np.linspace(-5, 5, 11), np.linspace(-1, 1, 11))]
    pairs += [(rng.uniform(-6, 6, size=s), rng.uniform(-1, 1, size=s)) for s in [(5,), (2, 3)]]
    return pairs


@exercise("ex-keim-s-error", inputs=_s_error_inputs)
def _s_error(answer, inputs):
    # S_ERROR = dE/dS_preA,O with E(s) = 1/2 (f_A(s) - T)^2 and T chosen so that f_A(s) - T = FE
    require_function(answer, "a function")
    for s, FE in inputs:
        s_arr, FE_arr = np.atleast_1d(s), np.atleast_1d(FE)
        expected = np.zeros_like(s_arr)
        for i in np.ndindex(s_arr.shape):
            T = sigmoid(s_arr[i]) - FE_arr[i]
            expected[i] = gradient(lambda u, T=T: 0.5 * (sigmoid(u[0]) - T) ** 2, [s_arr[i]])[0]
        expected = expected.reshape(np.shape(s))
        got = answer(s.copy(), FE.copy())
        compare_arrays(got, expected, f"s_preA_O={_fmt(s)}, FE={_fmt(FE)}")


def _error(weights_ItoH, weights_HtoO, x, T):
    S_postA_O = sigmoid(sigmoid(x @ weights_ItoH) @ weights_HtoO)
    return 0.5 * (S_postA_O - T) ** 2


def _gradient_itoh_inputs(rng):
    """(weights_ItoH, weights_HtoO, input, T): a fixed network, then random ones of several sizes."""
    cases = [(np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]]), np.array([0.7, -0.8]),
              np.array([1.0, 0.5, -1.0]), 1.0)]
    for n_I, n_H in [(4, 3), (2, 5), (1, 1), (6, 4)]:
        cases.append((rng.uniform(-1, 1, size=(n_I, n_H)), rng.uniform(-1, 1, size=n_H),
                      rng.uniform(-1, 1, size=n_I), float(rng.integers(0, 2))))
    return cases


@exercise("ex-keim-gradient-itoh", inputs=_gradient_itoh_inputs)
def _gradient_itoh(answer, inputs):
    require_function(answer, "a function")
    for W, w, x, T in inputs:
        expected = gradient(lambda V, w=w, x=x, T=T: _error(V, w, x, T), W)
        got = answer(W.copy(), w.copy(), x.copy(), T)
        where = f"weights_ItoH of shape {W.shape}, input={_fmt(x)}, T={T}"
        compare_arrays(got, expected, where, rtol=1e-6, atol=1e-10)


class _Counted:
    """A number that counts the multiplications it takes part in."""

    def __init__(self, value, counter):
        self.value, self.counter = value, counter

    def __mul__(self, other):
        self.counter[0] += 1
        return _Counted(self.value * getattr(other, "value", other), self.counter)

    __rmul__ = __mul__


def _count(n_I, n_H):
    """Run both ways of the exercise on counting numbers; return (keim, matrix)."""
    result = []
    for way in ("keim", "matrix"):
        counter = [0]
        c = lambda counter=counter: _Counted(1.0, counter)  # noqa: E731
        FE, fprime_O = c(), c()
        S_postA_H, fprime_H, w = [c() for _ in range(n_H)], [c() for _ in range(n_H)], [c() for _ in range(n_H)]
        x = [c() for _ in range(n_I)]
        S_ERROR = FE * fprime_O
        _ = [S_ERROR * S_postA_H[h] for h in range(n_H)]  # gradient_HtoO
        if way == "keim":
            _ = [[S_ERROR * w[h] * fprime_H[h] * x[i] for h in range(n_H)] for i in range(n_I)]
        else:
            delta = [S_ERROR * w[h] * fprime_H[h] for h in range(n_H)]
            _ = [[x[i] * delta[h] for h in range(n_H)] for i in range(n_I)]
        result.append(counter[0])
    return tuple(result)


def _multiplications_inputs(rng):
    """(n_I, n_H): fixed sizes, then random ones."""
    return [(1, 1), (3, 4), (64, 32), (7, 2)] + [tuple(int(v) for v in rng.integers(1, 40, size=2))
                                                  for _ in range(3)]


@exercise("ex-keim-multiplications", inputs=_multiplications_inputs)
def _multiplications(answer, inputs):
    require_function(answer, "a function")
    for n_I, n_H in inputs:
        expected = _count(n_I, n_H)
        got = answer(n_I, n_H)
        try:
            got_pair = tuple(int(round(float(v))) for v in got)
        except TypeError:
            raise Failure(f"for n_I={n_I}, n_H={n_H}: expected a pair (keim, matrix), got {got!r}") from None
        if len(got_pair) != 2:
            raise Failure(f"for n_I={n_I}, n_H={n_H}: expected a pair (keim, matrix), got {got!r}")
        if got_pair != expected:
            raise Failure(f"for n_I={n_I}, n_H={n_H}: expected {expected}, got {got_pair}")
