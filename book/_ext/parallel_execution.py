"""The book's notebooks executed a few at a time, before Sphinx reads them one by one.

MyST-NB 1.x (``execute_notebooks: cache``) executes a notebook that is not in the execution cache
when Sphinx reads it, so a build executes the chapters one after another on one processor. Just
before Sphinx reads (``env-before-read-docs``), this extension executes the notebooks to be read
whose code is not in the cache, as many at once as the machine has processors, into that cache,
the way MyST-NB would (jupyter-cache's ``single_nb_execution`` with the configured timeout and
``allow_errors``, in the notebook's folder or a temporary one, the run time stored with it); MyST-NB
then finds each one cached and executes nothing. Two kinds are left to MyST-NB, which executes them
itself, alone, as before:

- a notebook that measures time (its code calls ``perf_counter``, ``process_time``, ``time.time``
  or ``timeit``): the timings a chapter prints, and glues into its prose, are taken with nothing
  else running beside them;
- a notebook that fails here: MyST-NB runs it again and reports the error as it always does.

The cached rebuild of ``.ci/run`` checks that a second build executes nothing.
"""

import os
import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from fnmatch import fnmatch
from pathlib import Path
from tempfile import TemporaryDirectory

import nbformat
from sphinx.util import logging

logger = logging.getLogger(__name__)

CLOCKS = re.compile(r"\bperf_counter\b|\bprocess_time\b|\btimeit\b|\btime\.time\(")


def measures_time(nb):
    """Whether a code cell of the notebook reads a clock (left to MyST-NB, to run alone)."""
    return any(cell.cell_type == "code" and CLOCKS.search(cell.source) for cell in nb.cells)


def _execute(path, timeout, allow_errors, in_temp):
    from jupyter_cache.executors.utils import single_nb_execution
    from jupyter_core.utils import ensure_event_loop

    nb = nbformat.read(path, as_version=4)
    try:
        with TemporaryDirectory() if in_temp else nullcontext(str(path.parent)) as cwd:
            result = single_nb_execution(nb, cwd=os.path.abspath(cwd), timeout=timeout, allow_errors=allow_errors,
                                         meta_override=True)
    finally:
        ensure_event_loop().close()  # nbclient ran on this thread's loop; the next notebook gets a new one
    return nb, result


def execute_into_cache(paths, cache_path, timeout, allow_errors=False, in_temp=False, jobs=None):
    """Execute the notebooks ``paths`` that are neither cached nor measure time, ``jobs`` at once
    (default: the number of processors), into the jupyter-cache at ``cache_path``, as MyST-NB's cache
    mode stores them. Returns (executed, failed): the paths cached, and those that raised."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(cache_path)
    todo = []
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        try:
            cache.match_cache_notebook(nb)
        except KeyError:
            if not measures_time(nb):
                todo.append(path)
    executed, failed = [], []
    if not todo:
        return executed, failed
    jobs = jobs or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=min(jobs, len(todo))) as pool:
        runs = [(path, pool.submit(_execute, path, timeout, allow_errors, in_temp)) for path in todo]
        for path, run in runs:  # the cache's database is written from this thread only
            nb, result = run.result()
            if result.err is not None:
                failed.append(path)
                continue
            record = cache.add_nb_to_project(str(path))
            cache.cache_notebook_bundle(CacheBundleIn(nb, record.uri, data={"execution_seconds": result.time}),
                                        check_validity=False, overwrite=True)
            executed.append(path)
    return executed, failed


def _before_read(app, env, docnames):
    config = env.mystnb_config  # MyST-NB's own, with the cache's path resolved (in the build folder)
    if config.execution_mode != "cache":
        return
    paths = [Path(env.doc2path(name)) for name in docnames]
    paths = [p for p in paths if p.suffix == ".ipynb"
             and not any(fnmatch(str(p), pattern) for pattern in config.execution_excludepatterns)]
    jobs = os.cpu_count() or 1
    executed, failed = execute_into_cache(paths, config.execution_cache_path, config.execution_timeout,
                                          config.execution_allow_errors, config.execution_in_temp, jobs)
    if executed or failed:
        logger.info(f"parallel_execution: {len(executed)} notebooks executed into the cache, {jobs} at a time; "
                    f"left to MyST-NB: {len(failed)} that failed here, and those that measure time")


def setup(app):
    app.connect("env-before-read-docs", _before_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
