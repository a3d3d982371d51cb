"""``grade --scheduler``: a real Dask scheduler and workers on 127.0.0.1 grade a class of 12; the
gradebook is the local run's, and stays so when a worker is killed in the middle of the run. A
worker holding another course is refused before any work, with both versions named, and a
notebook whose grading takes down two workers is graded error, saying so."""

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from mlpcourse.__main__ import main
from mlpcourse.kernel import sandbox_problem
from mlpcourse.samples import make_class

distributed = pytest.importorskip("distributed")  # grading on a cluster is optional: dask and distributed

CH = "04_forward_pass"  # the cluster is about the grader, not the chapter; chapter 4 runs in under a second
SEED = 9
STUDENTS = 12
ISOLATION = ["--no-sandbox"] if sandbox_problem() else []


def _rows(folder):
    with open(folder / "grades.csv", newline="") as f:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler (retrying a lost worker's notebook once) and three single-threaded workers (one is killed
    mid-run, two are taken down by a task), and the class graded locally for comparison."""
    from mlpcourse.cluster import local_cluster

    root = tmp_path_factory.mktemp("cluster")
    with local_cluster(3, log=root / "cluster.log") as (address, procs):
        client = distributed.Client(address, timeout=30, set_as_default=False)
        make_class(root / "class", [CH], STUDENTS)
        assert main(["grade", str(root / "class"), "--out", str(root / "local"), "--seed", str(SEED), "--jobs", "2",
                     "--no-progress", *ISOLATION]) == 0
        yield root, address, client, procs
        client.close()


def _submissions(db_path):
    try:
        db = sqlite3.connect(db_path)
        try:
            return db.execute("SELECT count(*) FROM submissions").fetchone()[0]
        finally:
            db.close()
    except sqlite3.OperationalError:  # the grader is still making its tables
        return 0


def test_a_worker_killed_mid_run_costs_nothing_and_the_gradebook_is_the_local_runs(cluster):
    root, address, client, procs = cluster
    out = root / "dask"
    run = subprocess.Popen([sys.executable, "-m", "mlpcourse", "grade", str(root / "class"), "--out", str(out),
                            "--seed", str(SEED), "--no-progress", "--scheduler", address, *ISOLATION],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = None
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and run.poll() is None and killed is None:
            busy = {w["name"]: w for w in client.scheduler_info()["workers"].values()}
            processing = client.processing()
            w1 = next((addr for addr, w in client.scheduler_info()["workers"].items() if w["name"] == "w1"), None)
            if _submissions(out / "gradebook.db") >= 1 and w1 and processing.get(w1):
                killed = list(processing[w1])  # the notebook w1 is grading right now
                procs["w1"].send_signal(signal.SIGKILL)
                procs["w1"].wait()
            time.sleep(0.05)
        assert killed, f"w1 was never caught grading ({busy})"
        stdout, stderr = run.communicate(timeout=300)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, stderr
    assert f"graded {STUDENTS} notebooks" in stdout and "note:" not in stdout
    assert _rows(out) == _rows(root / "local")  # every notebook graded, the killed one on w2, the same verdicts
    assert _submissions(out / "gradebook.db") == STUDENTS
    assert "w1" not in {w["name"] for w in client.scheduler_info()["workers"].values()}  # w1 is really gone


def test_a_worker_with_another_course_is_refused_before_any_work(cluster, tmp_path):
    from mlpcourse.cluster import ClusterError, DaskPool

    root, address, _, _ = cluster
    with pytest.raises(ClusterError) as refused:
        DaskPool(address, "0" * 64, "f" * 40)
    message = str(refused.value)
    assert "holds course" in message and "this grader 000000000000 (commit ffffffffffff)" in message
    assert "install the same course on every worker" in message
    with pytest.raises(ClusterError, match="no Dask scheduler answers at tcp://127.0.0.1:9"):
        DaskPool("tcp://127.0.0.1:9", "0" * 64, "f" * 40, timeout=2)


def test_a_notebook_that_takes_down_two_workers_is_graded_error(cluster):
    from mlpcourse import course
    from mlpcourse.cluster import DaskPool
    from mlpcourse.grade import course_version

    _, address, client, _ = cluster
    pool = DaskPool(address, *course_version())
    try:
        assert pool.allowed_failures == 1 and len(pool.workers) == 2  # w2 and w3
        # the task ends its worker's process: what a grading that crashes its machine looks like from the scheduler
        result = pool.result(pool.client.submit(os._exit, 1, pure=False), CH)
    finally:
        pool.close()
    assert [row.exercise for row in result.rows] == course.chapter(CH).exercises
    assert {row.status for row in result.rows} == {"error"}
    assert "took down 2 Dask workers" in result.rows[0].detail and "given up" in result.rows[0].detail
    assert client.scheduler_info()["workers"] == {}  # both went down with it, once each
