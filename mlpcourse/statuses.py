"""The statuses of a graded exercise and what counts as passing, defined once for
``check``, ``grade``, the gradebook and its report.

- ``passed``: the answer agreed with the reference on every input;
- ``flagged``: passed, with the book's reference solution pasted (the same statements, comments
  and spacing aside);
- ``failed``: the answer disagreed (the detail says where);
- ``not attempted``: the answer is still the released stub;
- ``error``: the answer, or the notebook before it, raised;
- ``timed out``: a cell or the answer ran past its limit;
- ``missing``: no notebook, or no cell that defines the answer;
- ``written``: a written exercise answered in its Markdown cell, graded by hand (an unanswered
  one is ``not attempted``). It neither passes nor fails.
"""

__all__ = ["STATUSES", "PASSING", "FAILING", "NOT_ATTEMPTED", "WRITTEN", "passes", "tally", "shown"]

NOT_ATTEMPTED = "not attempted"
WRITTEN = "written"
PASSING = ("passed", "flagged")
FAILING = ("failed", "error", "timed out", "missing")
STATUSES = PASSING + FAILING + (NOT_ATTEMPTED, WRITTEN)


def passes(status):
    """Whether ``status`` counts as passing (``flagged`` does: it is a note for the instructor)."""
    return status in PASSING


def tally(statuses):
    """{"passed": n, "failed": n, "not attempted": n, "written": n}: the counts a student is shown."""
    statuses = list(statuses)
    return {"passed": sum(passes(s) for s in statuses), "failed": sum(s in FAILING for s in statuses),
            NOT_ATTEMPTED: statuses.count(NOT_ATTEMPTED), WRITTEN: statuses.count(WRITTEN)}


def shown(status, detail):
    """The detail as ``check`` shows it: a written answer is not echoed back, only its length."""
    if status == WRITTEN:
        return f"graded by hand; your answer has {len(detail.split())} words"
    return detail
