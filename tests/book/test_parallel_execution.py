"""book/_ext/parallel_execution.py: the notebooks executed a few at a time into MyST-NB's execution cache,
where the build finds them (its log then says "Using cached notebook" for each); a notebook that reads a
clock, or fails, is left to MyST-NB."""

import importlib.util
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

pytest.importorskip("jupyter_cache")

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("parallel_execution", ROOT / "book" / "_ext" / "parallel_execution.py")
parallel_execution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(parallel_execution)

KERNELSPEC = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def _write(folder, name, *sources):
    path = folder / f"{name}.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(s) for s in sources], metadata=KERNELSPEC), path)
    return path


def test_notebooks_are_cached_as_myst_nb_finds_them_and_the_timed_and_failing_are_left(tmp_path):
    from jupyter_cache import get_cache

    plain = _write(tmp_path, "plain", "x = 6 * 7", "print(x)")
    other = _write(tmp_path, "other", "import pathlib\nprint(pathlib.Path.cwd().name)")  # run in its folder
    timed = _write(tmp_path, "timed", "import time\nstart = time.perf_counter()")
    broken = _write(tmp_path, "broken", "1 / 0")
    cache_path = tmp_path / "cache"
    executed, failed = parallel_execution.execute_into_cache([plain, other, timed, broken], cache_path, 60, jobs=2)
    assert executed == [plain, other] and failed == [broken]

    cache = get_cache(cache_path)
    for path, printed in [(plain, "42\n"), (other, f"{tmp_path.name}\n")]:
        unexecuted = nbformat.read(path, as_version=4)
        assert not unexecuted.cells[-1].outputs
        cache.match_cache_notebook(unexecuted)  # MyST-NB's lookup: found
        _, merged = cache.merge_match_into_notebook(unexecuted)
        assert merged.cells[-1].outputs[0]["text"] == printed
    for path in (timed, broken):
        with pytest.raises(KeyError):
            cache.match_cache_notebook(nbformat.read(path, as_version=4))

    # a second build executes again only what is still not cached (the failing notebook)
    assert parallel_execution.execute_into_cache([plain, other, timed, broken], cache_path, 60, jobs=2) == ([], [broken])


def test_a_chapter_that_reads_a_clock_is_recognised():
    nb = new_notebook(cells=[new_code_cell("import timeit\nseconds = min(timeit.repeat(f, number=10))")])
    assert parallel_execution.measures_time(nb)
    nb = new_notebook(cells=[new_code_cell("lifetime = 3  # a variable named like a clock is not one")])
    assert not parallel_execution.measures_time(nb)
    timed = [p.stem for p in sorted((ROOT / "book").glob("*.ipynb"))
             if parallel_execution.measures_time(nbformat.read(p, as_version=4))]
    assert "10_backprop_as_gradient_descent" in timed and "01_perceptron_to_mlp" not in timed
