"""The registry of exercise checks, keyed by exercise label.

A check receives the student's answer (a function or a value) and raises
:class:`Failure` with a message naming the first failing input, the expected
value and the value given. Every reference here is computed independently of the
reference solution in the book (central differences, a fine grid), so a check
never compares an answer with itself.
"""

import numpy as np

from .. import activations

CHECKS = {}
STATUS = ("passed", "failed", "not attempted", "error")


class Failure(Exception):
    """The answer is wrong; the message says where."""


def exercise(label):
    """Register the decorated function as the check of exercise ``label``."""

    def register(fn):
        if label in CHECKS:
            raise ValueError(f"exercise label {label!r} is registered twice")
        CHECKS[label] = fn
        return fn

    return register


def check(label, answer):
    """Run the check of exercise ``label`` on ``answer`` and print one line:
    ``<label>: passed``, ``failed: <why>``, ``not attempted`` or ``error: <exception>``."""
    status, detail = run_check(label, answer)
    print(f"{label}: {status}{': ' + detail if detail else ''}")


def run_check(label, answer):
    """The status ("passed", "failed", "not attempted" or "error") and its detail."""
    if label not in CHECKS:
        raise KeyError(f"no check for exercise {label!r}; known exercises: {sorted(CHECKS)}")
    try:
        CHECKS[label](answer)
        status, detail = "passed", ""
    except NotImplementedError:
        status, detail = "not attempted", ""
    except Failure as exc:
        status, detail = "failed", str(exc)
    except Exception as exc:  # the student's code raised: say what
        status, detail = "error", f"{type(exc).__name__}: {exc}"
    return status, detail


# helpers ----------------------------------------------------------------------------


def _fmt(x):
    return np.array2string(np.asarray(x), precision=6, separator=", ", threshold=20)


def compare_function(answer, reference, cases, rtol=1e-6, atol=1e-9, arg="z"):
    """``answer(x)`` against ``reference(x)`` for each input x in ``cases``."""
    if not callable(answer):
        raise Failure(f"expected a function, got {type(answer).__name__}")
    for x in cases:
        expected = np.asarray(reference(x))
        got = answer(x.copy() if isinstance(x, np.ndarray) else x)
        got = np.asarray(got, dtype=float) if got is not None else None
        if got is None:
            raise Failure(f"for {arg}={_fmt(x)} the function returned None (missing return?)")
        if got.shape != expected.shape:
            raise Failure(f"for {arg}={_fmt(x)}: expected shape {expected.shape}, got shape {got.shape}")
        if not np.allclose(got, expected, rtol=rtol, atol=atol):
            raise Failure(f"for {arg}={_fmt(x)}: expected {_fmt(expected)}, got {_fmt(got)}")


def compare_value(answer, expected, rtol=1e-6, atol=1e-12):
    if answer is None or not np.isscalar(answer) and np.ndim(answer) != np.ndim(expected):
        raise Failure(f"expected a number like {expected!r}, got {answer!r}")
    if not np.allclose(answer, expected, rtol=rtol, atol=atol):
        raise Failure(f"expected {_fmt(expected)}, got {_fmt(answer)}")


def derivative(f, h=1e-6):
    """Central difference of f, elementwise: an independent reference for f'."""
    return lambda z: (f(np.asarray(z, dtype=float) + h) - f(np.asarray(z, dtype=float) - h)) / (2 * h)


def _cases(rng, low=-4.0, high=4.0, fixed=(0.5, -2.0, 3.0)):
    """Fixed scalars and arrays, then seeded random arrays of several shapes."""
    cases = [np.float64(v) for v in fixed] + [np.linspace(low, high, 9)]
    cases += [rng.uniform(low, high, size=s) for s in [(5,), (2, 3)]]
    return cases


# chapter 3: activation functions --------------------------------------------------------


@exercise("ex-softsign-derivative")
def _softsign_derivative(answer):
    softsign = lambda z: z / (1 + np.abs(z))  # noqa: E731
    compare_function(answer, derivative(softsign), _cases(np.random.default_rng(3)))


@exercise("ex-phi-tanh")
def _phi_tanh(answer):
    # phi(y) = f'(f^{-1}(y)), with f' from central differences at arctanh(y)
    reference = lambda y: derivative(np.tanh)(np.arctanh(y))  # noqa: E731
    compare_function(answer, reference, _cases(np.random.default_rng(4), -0.95, 0.95, (0.0, 0.5, -0.9)), arg="y")


@exercise("ex-elu-curvature-jump")
def _elu_curvature_jump(answer):
    # one-sided second differences of mlpcore's ELU (alpha = 1) on each side of 0
    f, h = activations.get("elu").f, 1e-4
    right = (f(2 * h) - 2 * f(h) + f(0.0)) / h**2
    left = (f(0.0) - 2 * f(-h) + f(-2 * h)) / h**2
    compare_value(answer, float(right - left), rtol=1e-3)
