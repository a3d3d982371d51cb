"""Checks of chapter 9, Keim's training formulas.

Every reference here is independent of the book's solutions: the error signal
is written through cosh, 1 / (4 cosh^2(s / 2)), where the book's solution uses
exp(-|s|); the input-to-hidden gradient is central differences of Keim's error
E = 1/2 (S_postA,O - T)^2; and the multiplications are the closed forms, where
the book's solution counts them by running both ways on counting numbers.
"""

import numpy as np

from mlpcore.activations import sigmoid

from . import Failure, _fmt, as_count, as_parts, calls, compare_arrays, exercise, gradient, require_function


def _s_error_inputs(rng):
    """(s_preA_O, FE): fixed numbers, among them the flat ends of the logistic, then random arrays."""
    pairs = [(np.float64(0.0), np.float64(0.3)), (np.float64(2.0), np.float64(-0.3)),
             (np.float64(-3.0), np.float64(0.9)), (np.float64(40.0), np.float64(0.5)),
             (np.float64(-700.0), np.float64(0.2)), (np.float64(700.0), np.float64(-1.0)),
             (np.linspace(-700, 700, 15), np.linspace(-1, 1, 15))]
    pairs += [(rng.uniform(-60, 60, size=s), rng.uniform(-1, 1, size=s)) for s in [(5,), (2, 3)]]
    pairs.append((rng.uniform(-700, 700, size=6), rng.uniform(-1, 1, size=6)))
    return pairs


@exercise("ex-keim-s-error", inputs=_s_error_inputs)
def _s_error(answer, inputs):
    # the reference writes the slope through cosh, f_A'(s) = 1 / (4 cosh^2(s / 2)), which keeps every digit
    # from -700 to 700 (cosh(350) ~ 5e151); the text asks for a relative error below 1e-12
    for (s, FE), got, where in calls(answer, inputs, "a function s_error(s_preA_O, FE)",
                                     lambda s, FE: f"for s_preA_O={_fmt(s)}, FE={_fmt(FE)}"):
        expected = FE * 0.25 / np.cosh(s / 2) ** 2

        def hint(got, s=s, expected=expected):
            wrong = ~np.isclose(np.asarray(got, dtype=float), expected, rtol=1e-12, atol=0)
            if np.all(np.asarray(s)[wrong] > 5):
                return (" (wrong only for large positive s_preA_O: f_A(s)(1 - f_A(s)) loses its digits where "
                        "f_A(s) is close to 1, and is 0 once f_A(s) rounds to 1; f_A' is even)")
            return ""

        compare_arrays(got, expected, where.removeprefix("for "), rtol=1e-12, atol=0, hint=hint)


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


def _multiplications_inputs(rng):
    """(n_I, n_H): fixed sizes, then random ones."""
    return [(1, 1), (3, 4), (64, 32), (7, 2)] + [tuple(int(v) for v in rng.integers(1, 20, size=2))
                                                  for _ in range(3)]


@exercise("ex-keim-multiplications", inputs=_multiplications_inputs)
def _multiplications(answer, inputs):
    for (n_I, n_H), got, where in calls(answer, inputs, "a function multiplications(n_I, n_H)",
                                        lambda n_I, n_H: f"for n_I={n_I}, n_H={n_H}"):
        keim, matrix = (as_count(v, where, f"the count {name}")
                        for v, name in zip(as_parts(got, 2, where, ["keim", "matrix"]), ["keim", "matrix"]))
        # counted from the two lists of the exercise: S_ERROR once and n_H products for gradient_HtoO in
        # both; three products per input-to-hidden weight (Keim), or two per hidden node and one per weight
        expected = (1 + n_H + 3 * n_I * n_H, 1 + 3 * n_H + n_I * n_H)
        if (keim, matrix) != expected:
            hint = ""
            if (expected[0] - keim, expected[1] - matrix) == (1 + n_H, 1 + n_H):
                hint = " (both ways also compute S_ERROR and gradient_HtoO: 1 + n_H multiplications)"
            raise Failure(f"{where}: expected (keim, matrix) = {expected}, got {(keim, matrix)}{hint}")
