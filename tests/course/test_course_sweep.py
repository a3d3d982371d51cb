"""Every check passes the book's own reference solution on every seed. The test suite sweeps
seeds 1000 to 1023 on the one execution of each chapter it makes anyway: conftest.py names them
to nbval's kernels, where every check cell judges the reference solution on each seed's inputs
as well as on its own, and nbval compares what it prints with the stored ``<label>: passed``.
``tools/sweep_checks.py`` sweeps seeds 0 to 999 through the grader's kernel (run by hand and
reported when a check changes). Here: that the mechanism is on, and that it catches an answer
that is right on the check cell's inputs only."""

import os

import numpy as np

from mlpcourse import exercises

ROOT_SEEDS = "1000-1023"


def test_the_suite_names_the_sweep_seeds_to_the_chapters_kernels():
    assert os.environ.get(exercises.SWEEP_SEEDS) == ROOT_SEEDS  # inherited by the kernels nbval starts
    assert exercises.sweep_seeds() == list(range(1000, 1024))
    assert exercises.sweep_seeds({}) == [] and exercises.sweep_seeds({exercises.SWEEP_SEEDS: "7"}) == [7]


def _right_on_the_check_cells_inputs_only():
    """softsign' that is right for as many calls as the check cell makes, and wrong after them."""
    n = len(exercises.find("ex-softsign-derivative").inputs_for(exercises.FEEDBACK_SEED))
    calls = []

    def answer(z):
        calls.append(1)
        right = 1 / (1 + np.abs(z)) ** 2
        return right if len(calls) <= n else right * 1.01

    return answer


def test_a_check_cell_in_the_sweep_fails_an_answer_right_on_its_own_inputs_only(capsys, monkeypatch):
    monkeypatch.delenv(exercises.SWEEP_SEEDS)
    exercises.check("ex-softsign-derivative", _right_on_the_check_cells_inputs_only())
    assert capsys.readouterr().out == "ex-softsign-derivative: passed\n"  # what the student's check cell says
    monkeypatch.setenv(exercises.SWEEP_SEEDS, ROOT_SEEDS)
    exercises.check("ex-softsign-derivative", _right_on_the_check_cells_inputs_only())
    out = capsys.readouterr().out
    assert out.startswith("ex-softsign-derivative: failed: on the inputs of seed 1000: "), out


def test_a_correct_answer_passes_the_sweep(capsys):
    exercises.check("ex-softsign-derivative", lambda z: 1 / (1 + np.abs(z)) ** 2)
    assert capsys.readouterr().out == "ex-softsign-derivative: passed\n"
