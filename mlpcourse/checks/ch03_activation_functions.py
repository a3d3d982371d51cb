"""Checks of chapter 3, activation functions."""

import numpy as np

from mlpcore import activations

from . import cases, compare_function, compare_value, derivative, exercise, single, slope_by_output


@exercise("ex-softsign-derivative", inputs=lambda rng: single(cases(rng)))
def _softsign_derivative(answer, inputs):
    softsign = lambda z: z / (1 + np.abs(z))  # noqa: E731
    compare_function(answer, derivative(softsign), inputs)


@exercise("ex-phi-tanh", inputs=lambda rng: single(cases(rng, -0.95, 0.95, (0.0, 0.5, -0.9))))
def _phi_tanh(answer, inputs):
    compare_function(answer, slope_by_output(np.tanh, np.arctanh), inputs, arg="y")


@exercise("ex-elu-curvature-jump")
def _elu_curvature_jump(answer):
    # one-sided second differences of mlpcore's ELU (alpha = 1) on each side of 0
    f, h = activations.get("elu").f, 1e-4
    right = (f(2 * h) - 2 * f(h) + f(0.0)) / h**2
    left = (f(0.0) - 2 * f(-h) + f(-2 * h)) / h**2
    compare_value(answer, float(right - left), rtol=1e-3)
