"""Grading on a Dask distributed cluster: ``grade --scheduler tcp://HOST:8786``.

Each task grades one notebook on a worker, in that worker's sandbox
(:func:`mlpcourse.submission.grade_notebook`): the notebook's bytes go to the worker, and
what comes back is a JSON string of plain rows, read here with ``json.loads`` (Dask's own
messages aside, nothing a worker sends is unpickled). Dask's ``dask-jobqueue`` (Slurm, PBS,
...) and ``dask-kubernetes`` start the same workers on a cluster.

- Every worker must hold the course this grader holds: before any work is sent, each worker
  reports its course's fingerprint, and a worker with another is refused with its address and
  both versions (a worker that joins later checks itself before each notebook).
- A lost worker costs nothing: the scheduler runs its notebooks again on another worker.
  Start the scheduler so that it does so once (Dask's ``allowed-failures`` setting), and a
  notebook that takes down two workers is graded ``error``, saying so (the grader warns when
  the scheduler would retry more often)::

      DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1 dask scheduler
- Without ``--scheduler`` nothing here is imported: grading stays local, with no server.
"""

__all__ = ["ClusterError", "DaskPool", "grade_remote", "local_cluster"]

import contextlib
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict
from pathlib import Path

from .submission import Limits, Result, Row


class ClusterError(RuntimeError):
    """The cluster cannot grade for this course: no scheduler there, or a worker with another course."""


@functools.cache
def _version():
    from .grade import course_version

    return course_version()


@functools.cache
def _fonts():
    from .grade import _fontcache

    return _fontcache()


def worker_version():
    """(fingerprint, commit) of the course installed where this runs: what each worker reports."""
    return _version()


def grade_remote(nb_bytes, chapter, seed, limits, isolation, fingerprint):
    """On a worker: grade one notebook and return its :class:`mlpcourse.submission.Result` as JSON. Refuses
    (raises) when this worker's course is not the grader's."""
    from .submission import grade_notebook

    mine, commit = _version()
    if mine != fingerprint:
        raise ClusterError(f"this worker holds course {mine[:12]} (commit {commit[:12]}), the grader "
                           f"{fingerprint[:12]}: install the grader's course here")
    result = grade_notebook(nb_bytes, chapter, seed, Limits(**limits), _fonts(), isolation)
    return json.dumps(asdict(result))


def _result(text):
    data = json.loads(text)
    data["rows"] = [Row(**row) for row in data["rows"]]
    return Result(**data)


class DaskPool:
    """The cluster behind ``address``, checked to hold this course (:class:`ClusterError` if not)."""

    def __init__(self, address, fingerprint, commit, timeout=30):
        try:
            from distributed import Client
        except ImportError:
            raise ClusterError("grading on a cluster needs Dask's distributed package "
                               "(pip install dask distributed)") from None
        self.fingerprint = fingerprint
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except OSError as exc:
            raise ClusterError(f"no Dask scheduler answers at {address} ({exc})") from None
        try:
            versions = self.client.run(worker_version)
            if not versions:
                raise ClusterError(f"the scheduler at {address} has no worker: start `dask worker {address}`")
            wrong = {addr: v for addr, v in versions.items() if v[0] != fingerprint}
            if wrong:
                raise ClusterError("; ".join(
                    f"worker {addr} holds course {fp[:12]} (commit {c[:12]}), this grader {fingerprint[:12]} "
                    f"(commit {commit[:12]})" for addr, (fp, c) in sorted(wrong.items()))
                    + ": install the same course on every worker")
            self.workers = sorted(versions)
            self.allowed_failures = self.client.run_on_scheduler(_allowed_failures)
        except BaseException:
            self.client.close()
            raise

    def submit(self, key, nb_bytes, seed, limits, isolation):
        """Send one notebook to the cluster; return its future."""
        return self.client.submit(grade_remote, nb_bytes, key[1], seed, asdict(limits), isolation, self.fingerprint,
                                  key=f"grade-{key[0]}-{key[1]}-{uuid.uuid4().hex[:8]}", pure=False, retries=0)

    def as_completed(self, futures):
        """The futures, as their notebooks finish."""
        from distributed import as_completed

        return as_completed(futures, loop=self.client.loop)  # this client's loop: it is not the default one

    def result(self, future, chapter):
        """The notebook's :class:`mlpcourse.submission.Result`; a notebook whose grading took down its workers
        is graded error."""
        from distributed import KilledWorker

        try:
            return _result(future.result())
        except KilledWorker as exc:
            from . import course

            last = getattr(getattr(exc, "last_worker", None), "address", "unknown")
            why = (f"grading it took down {self.allowed_failures + 1} Dask workers (the last: {last}), so it was "
                   "given up")
            return Result(chapter, [Row(label, "error", why) for label in course.chapter(chapter).exercises])

    def cancel(self, futures):
        """Stop grading these notebooks (Ctrl-C): the workers end their kernels."""
        self.client.cancel(futures)

    def close(self):
        """Disconnect from the cluster (the scheduler and workers keep running)."""
        self.client.close()


def _allowed_failures(dask_scheduler):
    return dask_scheduler.allowed_failures


@contextlib.contextmanager
def local_cluster(workers=2, log=None):
    """A Dask scheduler and ``workers`` single-threaded workers (named w1, w2, ...) on 127.0.0.1, as
    processes of their own, for trying ``--scheduler`` on one machine (the tests, the benchmark). The
    scheduler gives up a notebook after it has taken down two workers. Yields (address, {name: process});
    everything is ended on exit."""
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}
    with tempfile.TemporaryDirectory(prefix="mlpcourse-cluster-") as tmp:
        info = Path(tmp) / "scheduler.json"
        out = open(log or os.devnull, "w")

        def start(*args):
            return subprocess.Popen([sys.executable, "-m", *args], stdout=out, stderr=subprocess.STDOUT, env=env)

        procs = {"scheduler": start("distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                                    "--no-dashboard", "--scheduler-file", str(info))}
        try:
            deadline, address = time.monotonic() + 60, None
            while address is None:
                if procs["scheduler"].poll() is not None:
                    raise ClusterError(f"the Dask scheduler stopped at once (its log: {log or 'not kept'})")
                if time.monotonic() > deadline:
                    raise ClusterError(f"the Dask scheduler did not start in 60 s (its log: {log or 'not kept'})")
                try:  # the file appears before the scheduler has finished writing it
                    address = json.loads(info.read_text())["address"]
                except (OSError, ValueError, KeyError):
                    time.sleep(0.1)
            for k in range(1, workers + 1):
                procs[f"w{k}"] = start("distributed.cli.dask_worker", address, "--nthreads", "1", "--no-nanny",
                                       "--no-dashboard", "--name", f"w{k}")
            from distributed import Client

            with Client(address, timeout=30, set_as_default=False) as client:
                client.wait_for_workers(workers, timeout=60)
            yield address, procs
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
            out.close()
