"""Every check passes the book's own reference solution on every seed: the seed sweep of
``tools/sweep_checks.py`` on a few dozen seeds (the script's default of 1,000 is run by hand
and reported when a check changes). Seeds from 1000 on, so that CI adds to what the script
covered (0 to 999)."""

import importlib.util
from pathlib import Path

import pytest

from mlpcourse import course, exercises

SEEDS = list(range(1000, 1024))
_TOOL = Path(__file__).resolve().parents[2] / "tools" / "sweep_checks.py"
_spec = importlib.util.spec_from_file_location("sweep_checks", _TOOL)
sweep = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sweep)


@pytest.mark.parametrize("stem", course.chapters())
def test_the_reference_solutions_pass_on_every_seed(stem):
    exercises.load_chapter(stem)
    report = sweep.sweep_chapter(stem, SEEDS, progress=lambda message: None)
    assert set(report) == set(course.chapter(stem).checked)
    failed = {label: r["failures"][:2] for label, r in report.items() if r["failures"]}
    assert not failed, failed
