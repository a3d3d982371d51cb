"""Checks of chapter 3, activation functions."""

import numpy as np

from ... import activations
from . import cases, compare_function, compare_value, derivative, exercise, slope_by_output


@exercise("ex-softsign-derivative")
def _softsign_derivative(answer):
    softsign = lambda z: z / (1 + np.abs(z))  # noqa: E731
    compare_function(answer, derivative(softsign), cases(np.random.default_rng(3)))


@exercise("ex-phi-tanh")
def _phi_tanh(answer):
    y = cases(np.random.default_rng(4), -0.95, 0.95, (0.0, 0.5, -0.9))
    compare_function(answer, slope_by_output(np.tanh, np.arctanh), y, arg="y")


@exercise("ex-elu-curvature-jump")
def _elu_curvature_jump(answer):
    # one-sided second differences of mlpcore's ELU (alpha = 1) on each side of 0
    f, h = activations.get("elu").f, 1e-4
    right = (f(2 * h) - 2 * f(h) + f(0.0)) / h**2
    left = (f(0.0) - 2 * f(-h) + f(-2 * h)) / h**2
    compare_value(answer, float(right - left), rtol=1e-3)
