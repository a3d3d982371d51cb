"""Checks of chapter 3, activation functions.

The references are computed independently of the book's solutions: the softsign's
derivative by central differences; Seung's phi by inverting each activation
(``np.arctanh``, ``log(expm1(y))``, ``y / (1 - |y|)``) and taking the slope at the
pre-activation found, from ``mlpcore`` or from the quotient rule, never from a
formula in the output; the one-sided derivatives from the calculus of each
piece, written out here.
"""

import numpy as np

from mlpcore import activations

from . import Failure, _fmt, as_parts, calls, cases, compare_arrays, compare_function, derivative, exercise, single


@exercise("ex-softsign-derivative", inputs=lambda rng: single(cases(rng)))
def _softsign_derivative(answer, inputs):
    softsign = lambda z: z / (1 + np.abs(z))  # noqa: E731
    compare_function(answer, derivative(softsign), inputs)


def _slope_at(name, y):
    """f'(z) at the pre-activation z = f^{-1}(y) that gives the output y."""
    y = np.asarray(y, dtype=float)
    if name == "tanh":
        return activations.get("tanh").df(np.arctanh(y))
    if name == "softplus":
        return activations.get("softplus").df(np.log(np.expm1(y)))
    z = y / (1 - np.abs(y))  # the softsign's inverse; then the quotient rule for z / (1 + |z|)
    return ((1 + np.abs(z)) - z * np.sign(z)) / (1 + np.abs(z)) ** 2


def _phi_inputs(rng):
    """(name, y): for each activation, fixed outputs (a number, a grid), then seeded random arrays."""
    ranges = {"tanh": (-0.99, 0.99, [0.0, 0.5, -0.9]), "softplus": (1e-3, 8.0, [0.01, 1.0, 5.0]),
              "softsign": (-0.99, 0.99, [0.0, -0.5, 0.9])}
    result = []
    for name, (low, high, fixed) in ranges.items():
        values = [np.float64(v) for v in fixed] + [np.linspace(low, high, 9)]
        values += [rng.uniform(low, high, size=s) for s in [(5,), (2, 3)]]
        result += [(name, y) for y in values]
    return result


@exercise("ex-phi-tanh", inputs=_phi_inputs)
def _phi_tanh(answer, inputs):
    for (name, y), got, place in calls(answer, inputs, "a function phi(name, y)",
                                       lambda name, y: f"name={name!r}, y={_fmt(y)}"):
        compare_arrays(got, _slope_at(name, y), place, rtol=1e-6, atol=1e-9)


# the one-sided derivatives (f'(z0-), f'(z0+), f''(z0-), f''(z0+)) of mlpcore's activations, from the
# calculus of each piece (PReLU's alpha is 1/4, ELU's 1)
def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


_SMOOTH = {  # name: (f', f'') of a function with no kink
    "identity": (lambda z: 1.0, lambda z: 0.0),
    "sigmoid": (lambda z: _sig(z) * (1 - _sig(z)), lambda z: _sig(z) * (1 - _sig(z)) * (1 - 2 * _sig(z))),
    "tanh": (lambda z: 1 - np.tanh(z) ** 2, lambda z: -2 * np.tanh(z) * (1 - np.tanh(z) ** 2)),
    "arctan": (lambda z: 1 / (1 + z**2), lambda z: -2 * z / (1 + z**2) ** 2),
    "softplus": (lambda z: _sig(z), lambda z: _sig(z) * (1 - _sig(z))),
}
_PIECES = {  # name: ((f', f'') for z < 0, (f', f'') for z > 0)
    "relu": ((lambda z: 0.0, lambda z: 0.0), (lambda z: 1.0, lambda z: 0.0)),
    "prelu": ((lambda z: 0.25, lambda z: 0.0), (lambda z: 1.0, lambda z: 0.0)),
    "elu": ((lambda z: np.exp(z), lambda z: np.exp(z)), (lambda z: 1.0, lambda z: 0.0)),
}


def _one_sided_reference(name, z0):
    if name in _SMOOTH:
        d1, d2 = _SMOOTH[name]
        return d1(z0), d1(z0), d2(z0), d2(z0)
    below, above = _PIECES[name]
    left = below if z0 <= 0 else above  # approached from the left, z0 = 0 lies on the piece below
    right = above if z0 >= 0 else below
    return left[0](z0), right[0](z0), left[1](z0), right[1](z0)


_ONE_SIDED_NAMES = ["identity", "sigmoid", "tanh", "arctan", "relu", "prelu", "elu", "softplus"]
_PARTS = ["f'(z0-)", "f'(z0+)", "f''(z0-)", "f''(z0+)"]


def _one_sided_inputs(rng):
    """(name, z0, h): every activation at z0 = 0 with h = 1e-3, then at seeded points at least 0.1 away
    from 0 (so that no estimate reaches across a kink), with h = 1e-3 and 5e-4."""
    result = [(name, 0.0, 1e-3) for name in _ONE_SIDED_NAMES]
    for name in _ONE_SIDED_NAMES:
        z0 = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.1, 3.0))
        result.append((name, z0, float(rng.choice([1e-3, 5e-4]))))
    return result


@exercise("ex-elu-curvature-jump", inputs=_one_sided_inputs)
def _elu_curvature_jump(answer, inputs):
    for (name, z0, h), got, place in calls(answer, inputs, "a function one_sided(name, z0, h)",
                                           lambda name, z0, h: f"for name={name!r}, z0={z0:.6g}, h={h:g}"):
        parts = as_parts(got, 4, place, _PARTS)
        expected = _one_sided_reference(name, z0)
        for part, value, right in zip(_PARTS, parts, expected):
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise Failure(f"{place}: {part} should be a number, got {value!r}"[:300]) from None
            error = abs(value - right)
            if not error <= 1e-4:
                hint = ""
                if 1e-4 < error < 20 * h:
                    hint = (" (an error of the order of h: a plain difference quotient; combine the quotients "
                            "at h and 2h so that the error proportional to h cancels)")
                raise Failure(f"{place}: {part} should be {right:.6g} within 1e-4, got {value:.6g}{hint}")
