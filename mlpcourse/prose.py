r"""Computed numbers for the chapters' prose, as LaTeX that MyST-NB's ``glue`` pastes in.

In a chapter::

    from mlpcourse.prose import power_of_ten, sci
    glue("worst_gap", power_of_ten(gap), display=False)   # the text says {glue:md}`worst_gap`
    glue("final_loss", sci(loss), display=False)

``power_of_ten(3.2e-11)`` is :math:`10^{-10}`, the bound that a text about rounding errors
states; ``sci(2.345e-7)`` is :math:`2.3 \times 10^{-7}`.

A released chapter (``python -m mlpcourse release``) has its glued numbers written into its
text already, and imports :func:`glue` from here instead of from myst-nb, so that it runs
where myst-nb is not installed (a student's CI): ``glue(name, value, display=False)`` does
nothing there, and with ``display=True`` shows the value, as the book's own cell does.
"""

import math
import numbers

from IPython.display import Markdown

__all__ = ["glue", "power_of_ten", "sci"]


def glue(name, variable, display=True):
    """MyST-NB's ``glue`` for a released chapter, whose text already holds the glued values: shows
    ``variable`` (IPython's ``display``) when ``display`` is true, and otherwise does nothing."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    if display:
        from IPython.display import display as show

        show(variable)


def power_of_ten(x):
    r"""The smallest power of ten at or above ``x`` > 0, as Markdown LaTeX: ``$10^{-10}$`` for
    3.2e-11. Zero (an exact agreement) gives :math:`10^{-300}`, below any rounding error."""
    x = _real(x, "x")
    if x < 0:
        raise ValueError(f"x must be >= 0 (a size, such as a largest difference), got {x}")
    return Markdown(f"$10^{{{math.ceil(math.log10(max(x, 1e-300)))}}}$")


def sci(x, digits=2):
    r"""``x`` in scientific notation with ``digits`` significant digits, as Markdown LaTeX:
    ``$2.3 \times 10^{-7}$`` for 2.345e-7. ``x`` may be an mpmath number below the float range."""
    if not isinstance(digits, numbers.Integral) or isinstance(digits, bool) or digits < 1:
        raise ValueError(f"digits must be an integer >= 1, got {digits!r}")
    if type(x).__module__.startswith("mpmath"):  # scaled into [1, 10) first: it may be of any size
        import mpmath

        if not mpmath.isfinite(x) or x == 0:
            raise ValueError(f"x must be finite and nonzero, got {x}")
        exponent = int(mpmath.floor(mpmath.log10(abs(x))))
        mantissa, shift = f"{float(x / mpmath.mpf(10) ** exponent):.{digits - 1}e}".split("e")
        exponent += int(shift)
    else:
        x = _real(x, "x")
        if not math.isfinite(x) or x == 0:
            raise ValueError(f"x must be finite and nonzero, got {x}")
        mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
        exponent = int(exponent)
    return Markdown(f"${mantissa} \\times 10^{{{exponent}}}$")


def _real(x, name):
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    return float(x)
