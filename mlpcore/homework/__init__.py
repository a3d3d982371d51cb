"""Homework: exercise checks that a notebook calls, and (from the command line)
a student version of the chapters and a checker for submitted notebooks.

In a chapter, right after an exercise's solution cell::

    from mlpcore.homework import check
    check("ex-softsign-derivative", softsign_derivative)

prints one line: ``ex-softsign-derivative: passed``, or ``...: failed: <why>``,
or ``...: not attempted`` while the answer is still the stub that raises
``NotImplementedError``.
"""

from .checks import CHECKS, check, run_check

__all__ = ["check", "run_check", "CHECKS"]
