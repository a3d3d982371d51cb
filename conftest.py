"""Settings for every test run, the chapters' nbval runs included (this file sits above both
tests/ and book/, and pytest reads it before it parses the run's options).

- The chapters' kernels, which nbval starts after this file is imported, take one BLAS thread
  each (below), the CPU paths that their stored outputs were computed with
  (tools/cpu_paths.py), and the seeds of the checks' sweep: in them every check cell judges
  the book's reference solution on the inputs of seeds 1000 to 1023 as well as on its own
  (``mlpcourse.exercises.check``), so that the one execution of each chapter also sweeps its
  checks (tools/sweep_checks.py sweeps 0 to 999). They run ``tests/nbval_startup.py`` first,
  which leaves out the pictures of the figures, which nbval does not compare.
- The optional test plugins are switched on here, only when they are installed, so that
  ``python -m pytest tests/library`` needs nothing beyond mlpcore's own dependencies, pytest
  and hypothesis (an option in pyproject's ``addopts`` would fail without its plugin):
  nbval re-runs the chapters in book/ against their stored outputs, and pytest-xdist runs the
  suite on every core (``--dist loadscope``: a module's tests, a notebook's cells, share one
  worker and its module fixtures). ``-n 0`` runs it in one process; ``-p no:nbval`` leaves
  the chapters out.
- The longest modules go first (``FIRST``, slowest first) and xdist keeps that order
  (``--no-loadscope-reorder``; by default it would start with the modules of most tests): a
  worker that finishes early then takes the short ones, and the two end together instead of
  one waiting out the last long module alone.
"""

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent

_spec = importlib.util.spec_from_file_location("cpu_paths", ROOT / "tools" / "cpu_paths.py")
_cpu_paths = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cpu_paths)
_cpu_paths.pin_cpu_paths()
os.environ["MLPCOURSE_SWEEP_SEEDS"] = SWEEP_SEEDS = "1000-1023"
# nbval's kernels show a figure as its text, without the picture that nbval does not compare (the file says why)
os.environ["PYTHONSTARTUP"] = str(ROOT / "tests" / "nbval_startup.py")
# one BLAS thread per process: the suite runs a worker per core, and a kernel's idle BLAS threads spin on the
# cores the other workers use (the grader's own kernels are single-threaded likewise, mlpcourse.kernel);
# the chapters' products split rows among threads, not sums, so their stored outputs hold (nbval checks it)
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    plugins = config.pluginmanager
    if plugins.hasplugin("nbval") and not (config.option.nbval or config.option.nbval_lax):
        config.option.nbval = True
        config.option.nbval_current_env = True
        config.option.nbval_sanitize_with = str(ROOT / "tests" / "sanitize.cfg")
    worker = hasattr(config, "workerinput")
    if plugins.hasplugin("xdist") and not worker and config.option.numprocesses is None:
        config.option.numprocesses = "auto"
        if config.option.dist == "no":
            config.option.dist = "loadscope"
            config.option.loadscopereorder = False


# the modules that take longest (seconds on two cores, the class grading them in each), slowest first
FIRST = ["tests/course/test_course_grading.py", "tests/course/test_course_cheats.py", "tests/course/test_course_ci.py",
         "tests/course/test_course_isolation.py", "tests/course/test_course_cluster.py",
         "tests/course/test_course_shards.py", "tests/course/test_course_install.py",
         "tests/course/test_course_release.py", "book/17_optimizers.ipynb",
         "book/10_backprop_as_gradient_descent.ipynb", "book/11_gradient_descent.ipynb"]


def pytest_collection_modifyitems(items):
    rank = {path: k for k, path in enumerate(FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(FIRST)))  # stable: the rest keep their order
