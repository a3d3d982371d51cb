"""mlpcourse: the course's tooling around mlpcore: exercise checks, the student
version of the chapters, and the grader.

In a chapter, right after an exercise's solution cell::

    from mlpcourse import check
    check("ex-softsign-derivative", softsign_derivative)

prints one line of feedback: ``ex-softsign-derivative: passed``, or ``...: failed: <why>``,
or ``...: not attempted`` while the answer is still the stub that raises
``NotImplementedError``. Grades come from ``python -m mlpcourse grade``, which
runs the notebook itself and judges every answer in its own process.
"""

from .exercises import CHECKS, check, run_check

__all__ = ["check", "run_check", "CHECKS"]
