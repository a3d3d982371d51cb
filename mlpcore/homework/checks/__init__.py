"""The registry of exercise checks, keyed by exercise label, and the helpers they share.

The checks of each chapter live in a module of this package named after the
chapter (``ch03_activation_functions.py``); every module here is imported at the
end of this file, so a new chapter's checks register themselves.

A check receives the student's answer (a function or a value) and raises
:class:`Failure` with a message naming the first failing input, the expected
value and the value given. Every reference here is computed independently of the
reference solution in the book (central differences, a fine grid), so a check
never compares an answer with itself.
"""

import importlib
import pkgutil

import numpy as np

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


def require_function(answer, what="a function"):
    """Fail unless the answer can be called: ``what`` names the function asked for."""
    if not callable(answer):
        raise Failure(f"expected {what}, got {type(answer).__name__}")


def require_network(answer, sizes):
    """Fail unless the answer is an ``mlpcore.MLP`` with layer sizes ``sizes``."""
    from ...network import MLP

    if not isinstance(answer, MLP):
        raise Failure(f"expected an mlpcore.MLP, got {type(answer).__name__}")
    if tuple(answer.sizes) != tuple(sizes):
        raise Failure(f"expected a network of sizes {list(sizes)}, got {list(answer.sizes)}")


def compare_arrays(got, expected, where, rtol=1e-6, atol=1e-9, hint=None):
    """The answer ``got`` against ``expected``: shape first, then values within ``rtol``
    and ``atol``; the message names the input (``where``) and ``hint(got)`` may add to it."""
    expected = np.asarray(expected)
    if got is None:
        raise Failure(f"for {where} the answer is None (missing return?)")
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise Failure(f"for {where}: expected an array of shape {expected.shape}, got {got!r}") from None
    if got.shape != expected.shape:
        raise Failure(f"for {where}: expected shape {expected.shape}, got shape {got.shape}")
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        extra = hint(got) if hint is not None else ""
        raise Failure(f"for {where}: expected {_fmt(expected)}, got {_fmt(got)}{extra}")
    return got


def compare_function(answer, reference, cases, rtol=1e-6, atol=1e-9, arg="z"):
    """``answer(x)`` against ``reference(x)`` for each input x in ``cases``."""
    require_function(answer)
    for x in cases:
        got = answer(x.copy() if isinstance(x, np.ndarray) else x)
        compare_arrays(got, reference(x), f"{arg}={_fmt(x)}", rtol=rtol, atol=atol)


def compare_value(answer, expected, rtol=1e-6, atol=1e-12):
    """A number (or array) ``answer`` against ``expected``, within ``rtol`` and ``atol``."""
    if answer is None or not np.isscalar(answer) and np.ndim(answer) != np.ndim(expected):
        raise Failure(f"expected a number like {expected!r}, got {answer!r}")
    if not np.allclose(answer, expected, rtol=rtol, atol=atol):
        raise Failure(f"expected {_fmt(expected)}, got {_fmt(answer)}")


def derivative(f, h=1e-6):
    """Central difference of f, elementwise: an independent reference for f'."""
    return lambda z: (f(np.asarray(z, dtype=float) + h) - f(np.asarray(z, dtype=float) - h)) / (2 * h)


def slope_by_output(f, f_inverse):
    """Seung's phi, f' written as a function of the output y = f(z): phi(y) = f'(f^{-1}(y)),
    with f' from central differences (an independent reference)."""
    return lambda y: derivative(f)(f_inverse(y))


def gradient(fn, P, h=1e-6):
    """Central differences of the scalar function ``fn`` in every entry of the array ``P``:
    an independent reference for a gradient."""
    P = np.asarray(P, dtype=float)
    G = np.zeros_like(P)
    for i in np.ndindex(P.shape):
        E = np.zeros_like(P)
        E[i] = h
        G[i] = (fn(P + E) - fn(P - E)) / (2 * h)
    return G


def cases(rng, low=-4.0, high=4.0, fixed=(0.5, -2.0, 3.0)):
    """Fixed scalars and arrays, then seeded random arrays of several shapes."""
    result = [np.float64(v) for v in fixed] + [np.linspace(low, high, 9)]
    result += [rng.uniform(low, high, size=s) for s in [(5,), (2, 3)]]
    return result


for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
