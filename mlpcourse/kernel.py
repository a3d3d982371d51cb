"""A Jupyter kernel for one submission, in an operating-system sandbox.

A submission is hostile code. Its kernel runs under bubblewrap (``bwrap``) in new
user, PID, network, IPC, UTS and cgroup namespaces: it sees only its own
processes, has no network, and sees a read-only view of what a chapter needs (the
system's libraries, the Python installation and its packages, ``mlpcore``) plus
one writable folder, its own, and a private ``/tmp``. The course's sources are not
there: ``mlpcourse`` inside is a stand-in whose ``check`` does nothing (the
verdict is decided from the collected answers, in the grader's process). Nothing
a kernel starts outlives it: killing the sandbox ends its PID namespace.

bubblewrap makes the sandbox around a placeholder; the kernel itself is forked by the
grader's zygote, which has imported ipykernel, numpy, matplotlib and mlpcore once for
all the kernels, and joins the sandbox's namespaces before it drops every capability
and runs anything of the student's (``ZYGOTE`` says how, and why that is as safe).

Limits: memory (address space), file size, no core dumps, and a number of
processes (``RLIMIT_NPROC`` inside the sandbox, which the kernel enforces for any
user but root; for root, a ``pids`` cgroup per kernel where the machine has one).
For root, where the machine has a ``cpu`` cgroup, a kernel also gets at most one
processor's time: a busy loop or a fork bomb slows only its own notebook.
Code runs one cell at a time under a wall-clock limit; a cell that does not stop
when interrupted is ended by killing the sandbox.

``Sandbox(isolation="none")`` runs the same kernel without bubblewrap (the
grader's ``--no-sandbox``): its own folder and the limits, nothing more.
"""

__all__ = ["GRACE", "ISOLATIONS", "Outcome", "Sandbox", "SandboxUnavailable", "Stopped", "process_limit_problem",
           "sandbox_problem"]

import atexit
import functools
import json
import os
import queue
import secrets
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from jupyter_client import KernelManager
from jupyter_core.utils import ensure_event_loop

GRACE = 3.0  # seconds an interrupted cell has to stop before the kernel is killed
PROCESSES = 256  # tasks (processes and threads) one kernel may have at once
ISOLATIONS = ("bubblewrap", "none")

# the kernel's entry point without the sandbox: limits first, then ipykernel
# (argv: memory bytes, processes, then ipykernel's own)
LAUNCH = """\
import resource, sys
memory, processes = int(sys.argv[1]), int(sys.argv[2])
for limit, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_CORE, 0), (resource.RLIMIT_FSIZE, 1 << 30),
                     (resource.RLIMIT_NPROC, processes)):
    resource.setrlimit(limit, (value, value))
sys.argv = ["ipykernel"] + sys.argv[3:]
sys.modules["debugpy"] = None  # no debugger in a grading kernel: ipykernel then starts without (0.1 s less)
from ipykernel.kernelapp import launch_new_instance
launch_new_instance()
"""

# the kernel's guardian, outside the sandbox (argv: the grader's pid, the cgroup.procs files to join,
# separated by os.pathsep, or "", then the command): it starts the command in its own process group and
# ends that group when the grader ends, however it ends. bubblewrap's own --die-with-parent cannot be
# relied on for this: the kernel clears a parent-death signal when a process changes its credentials,
# as bwrap does when run by root
GUARDIAN = """\
import ctypes, os, signal, subprocess, sys
grader, procs, command = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
def end(*_):
    os.killpg(0, signal.SIGKILL)
signal.signal(signal.SIGTERM, end)
signal.signal(signal.SIGINT, lambda *_: None)  # a kernel without the sandbox interrupts its own process group
ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: SIGTERM here when the grader ends
if os.getppid() != grader:
    end()  # it ended before the line above
for path in filter(None, procs.split(os.pathsep)):
    with open(path, "w") as f:
        f.write(str(os.getpid()))
sys.exit(subprocess.Popen(command).wait())
"""

# In the sandbox, a kernel is not started from nothing: bubblewrap makes the sandbox around a placeholder that
# sleeps (PLACEHOLDER), and the zygote, a process of the grader's that has already imported what every
# chapter's kernel imports, forks a launcher that joins the placeholder's namespaces and forks the kernel
# there. That saves each kernel up to about a second of processor time (Python, ipykernel, numpy, matplotlib
# and mlpcore imported once per grader instead of once per notebook). The zygote imports nothing of the
# course's (neither mlpcourse nor its checks) and runs in the kernels' own environment, so a kernel, which
# holds a copy of its memory, finds nothing there that it could not read anyway.
#
# The zygote reads a request (JSON) a line on stdin and answers with the launcher's pid; stdin's end (the
# grader is gone) ends it. The launcher joins the kernel's cgroups, then the namespaces: the user namespace
# that owns the sandbox's others, the mount, PID, network, IPC, UTS and cgroup namespaces, and last the
# user namespace of the placeholder (bubblewrap nests one to run the command as the student); it forks the
# kernel, which is thereby inside the sandbox's PID namespace, waits for it, and kills the placeholder, which
# ends the sandbox, so that the grader sees the kernel gone. The kernel, before anything else: a session of
# its own, stdin, stdout and stderr on /dev/null and every other descriptor closed, no new privileges,
# every capability dropped (bounding set, effective, permitted, inheritable; checked in /proc/self/status),
# the limits, its folder, its environment; then ipykernel.
PLACEHOLDER = ("sleep", "infinity")
JOIN = r"""
import ctypes, fcntl, os, signal

libc = ctypes.CDLL(None, use_errno=True)
NEWUSER, NS_GET_USERNS = 0x10000000, 0xB701
JOINED = {"mnt": 0x00020000, "pid": 0x20000000, "net": 0x40000000, "ipc": 0x08000000, "uts": 0x04000000,
          "cgroup": 0x02000000}


def call(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def started(pid):  # when the process started (ticks since boot): with its pid, what names it for good
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def join(target, started_at):
    # join the namespaces of the placeholder `target` (its pid and start time); return its pidfd
    placeholder = os.pidfd_open(target)  # it cannot be another process, now or later
    if started(target) != started_at:
        raise RuntimeError("the sandbox's placeholder is gone")
    # every namespace opened before any is joined: joining the mount namespace changes what /proc is
    own = os.stat("/proc/self/ns/user").st_ino
    student = os.open(f"/proc/{target}/ns/user", os.O_RDONLY)
    spaces = [(name, os.open(f"/proc/{target}/ns/{name}", os.O_RDONLY), kind) for name, kind in JOINED.items()]
    signal.pidfd_send_signal(placeholder, 0)  # alive still: the namespaces opened are its
    if any(os.fstat(fd).st_ino == os.stat(f"/proc/self/ns/{name}").st_ino for name, fd, _ in spaces
           if name != "cgroup"):  # bubblewrap makes the cgroup namespace where it can (--unshare-cgroup-try)
        raise RuntimeError("the placeholder is not in a sandbox of its own")
    owner = fcntl.ioctl(spaces[0][1], NS_GET_USERNS)  # the user namespace that owns the mount namespace
    if os.fstat(owner).st_ino != own:  # joined first, for the right to join the others
        call(libc.setns(owner, NEWUSER), "joining the user namespace of the sandbox's mounts")
        own = os.fstat(owner).st_ino
    for name, fd, kind in spaces:
        call(libc.setns(fd, kind), f"joining the sandbox's {name} namespace")
    if os.fstat(student).st_ino != own:  # the student's: bubblewrap nests it to run the command as them
        call(libc.setns(student, NEWUSER), "joining the student's user namespace")
    for fd in (student, owner, *(fd for _, fd, _ in spaces)):
        os.close(fd)
    return placeholder
"""
ZYGOTE = JOIN + r"""
import json, resource, sys
sys.modules["debugpy"] = None  # no debugger in a grading kernel: ipykernel then starts without (0.1 s less)
from ipykernel.kernelapp import launch_new_instance
import numpy, matplotlib.pyplot, mlpcore  # what the chapters import

PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, CAPABILITY_VERSION_3 = 24, 38, 0x20080522


def kernel(request):
    os.setsid()
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    call(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no new privileges")
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    for cap in range(last + 1):
        call(libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), f"dropping capability {cap}")
    call(libc.capset((ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0), (ctypes.c_uint32 * 6)()), "capset")
    with open("/proc/self/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    if any(int(status[k], 16) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")) or \
            int(status["NoNewPrivs"]) != 1:
        raise RuntimeError("the kernel kept a capability, or may gain privileges")
    memory, processes = request["memory"], request["processes"]
    for limit, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_CORE, 0), (resource.RLIMIT_FSIZE, 1 << 30),
                         (resource.RLIMIT_NPROC, processes)):
        resource.setrlimit(limit, (value, value))
    os.chdir(request["folder"])
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as a process of its own would have it
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["ipykernel", *request["argv"]]
    launch_new_instance()


def report(request, error):  # why the kernel did not start, in its folder, for the grader's message
    if not isinstance(error, SystemExit):
        try:
            with open(request["error"], "w") as f:
                f.write(f"{type(error).__name__}: {error}")
        except OSError:
            pass


def launcher(request):
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    placeholder = None
    try:
        for path in request["cgroups"]:
            with open(path, "w") as f:
                f.write(str(os.getpid()))
        placeholder = join(request["target"], request["started"])
        pid = os.fork()
        if pid == 0:
            try:
                kernel(request)
            except BaseException as error:
                report(request, error)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
    except BaseException as error:
        report(request, error)
    finally:
        try:
            if placeholder is not None:  # its end ends the sandbox: the grader sees the kernel gone
                signal.pidfd_send_signal(placeholder, signal.SIGKILL)
        finally:
            os._exit(0)


signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the launchers are reaped as they end
signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the grader's to handle; the end of stdin ends this
if len(os.listdir("/proc/self/task")) != 1:
    raise RuntimeError("the zygote must have one thread to fork")
print("ready", flush=True)
while line := sys.stdin.readline():
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        launcher(request)
    print(pid, flush=True)
"""

# what the stand-in mlpcourse says in a check cell inside the sandbox
STANDIN = '''"""Stand-in for mlpcourse inside the grader's sandbox: the grader judges the answers itself."""


def check(label, answer):
    print(f"{label}: judged by the grader")
'''

SYSTEM = ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin")
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives", "fonts", "mime.types")
INSIDE_UID = 1000


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot make its namespaces on this machine."""


class Stopped(Exception):
    """The grader was asked to stop (Ctrl-C): the kernel was ended mid-notebook."""


@dataclass
class Outcome:
    """How one piece of code ran: ``status`` is ok, error, timed out or died."""

    status: str
    seconds: float
    ename: str = ""
    evalue: str = ""
    stopped: bool = False  # the kernel is gone: nothing more can run in it
    why: str = ""


def _package_dir(name):
    import importlib.util

    return Path(importlib.util.find_spec(name).origin).resolve().parent


def _python_roots():
    """The folders of the Python installation the kernel runs (read-only inside)."""
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), Path(sys.base_exec_prefix)}
    roots |= {Path(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots.add(Path(sys.executable).resolve().parent.parent)
    roots = {r.resolve() for r in roots if r.exists()}
    # a folder inside another is bound with it; /usr is bound anyway
    return sorted(r for r in roots if not any(r != o and o in r.parents for o in roots)
                  and not any(Path(s) == r or Path(s) in r.parents for s in SYSTEM))


def bwrap_args(folder, standin):
    """The command line that runs a kernel in its sandbox, up to the kernel's own command."""
    args = ["bwrap", "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--uid", str(INSIDE_UID), "--gid", str(INSIDE_UID), "--hostname", "sandbox"]
    for path in SYSTEM:
        args += ["--ro-bind-try", path, path]
    args += ["--tmpfs", "/tmp"]  # before the binds: the Python installation or the kernel's folder may be in /tmp
    for name in ETC:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    args += ["--ro-bind", str(folder / ".passwd"), "/etc/passwd", "--ro-bind", str(folder / ".group"), "/etc/group"]
    for root in _python_roots():
        args += ["--ro-bind", str(root), str(root)]
    # mlpcore where Python finds it; the stand-in where Python would find mlpcourse
    mlpcore = _package_dir("mlpcore")
    args += ["--ro-bind", str(mlpcore), str(mlpcore), "--ro-bind", str(standin), str(_package_dir("mlpcourse"))]
    args += ["--proc", "/proc", "--dev", "/dev", "--bind", str(folder), str(folder),
             "--remount-ro", "/", "--chdir", str(folder), "--unsetenv", "JPY_PARENT_PID", "--"]
    # the kernel must not believe its parent is init: ipykernel exits when JPY_PARENT_PID is 1
    return [shutil.which("bwrap"), *args[1:]]


def _standin_package(folder):
    """The stand-in mlpcourse: ``check`` that does nothing, and the chapters' harmless ``prose``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").write_text(STANDIN)
    shutil.copy(Path(__file__).with_name("prose.py"), folder / "prose.py")
    return folder


@functools.lru_cache(maxsize=1)
def sandbox_problem():
    """Why a kernel cannot be sandboxed here ("" when it can): bwrap missing, no user namespaces, or no
    way for the zygote to join a sandbox."""
    if sys.platform != "linux":
        return f"the sandbox needs Linux (bubblewrap); this is {sys.platform}"
    if shutil.which("bwrap") is None:
        return ("bubblewrap is not installed (the Debian/Ubuntu package 'bubblewrap', "
                "Fedora's 'bubblewrap'; it needs no root)")
    folder = Path(tempfile.mkdtemp(prefix="mlpcourse-probe-"))
    try:
        _write_identity(folder)
        standin = _standin_package(folder / "standin")
        code = "import mlpcore, mlpcourse, socket; print(mlpcourse.__doc__.split(':')[0])"
        cmd = bwrap_args(folder, standin) + [sys.executable, "-I", "-c", code]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if run.returncode != 0 or "Stand-in" not in run.stdout:
            why = (run.stderr.strip().splitlines() or ["no message"])[-1]
            return (f"bubblewrap cannot make its sandbox here ({why}); unprivileged user namespaces may be "
                    "switched off (sysctl kernel.unprivileged_userns_clone, or a container's seccomp profile)")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap failed to start ({exc})"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return _join_problem()


def _join_problem():
    """Why the zygote's launcher cannot join a sandbox here ("" when it can): it finds the placeholder
    through /proc/PID/task/TID/children, names it with pidfd_open, and joins with setns, which a security
    module may forbid. Tried on a sandbox made for the purpose."""
    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        return "this Linux kernel does not list a process's children (/proc/PID/task/TID/children)"
    try:
        os.close(os.pidfd_open(os.getpid()))
    except (AttributeError, OSError) as exc:
        return f"this Linux kernel has no pidfd_open (Linux 5.3 and later have it): {exc}"
    folder = Path(tempfile.mkdtemp(prefix="mlpcourse-probe-"))
    _write_identity(folder)
    sandbox = subprocess.Popen(bwrap_args(folder, _standin_package(folder / "standin")) + list(PLACEHOLDER),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        target, started = _find_placeholder(sandbox.pid, 2, lambda: sandbox.poll() is None, 60)
        code = JOIN + "\nimport sys\njoin(int(sys.argv[1]), int(sys.argv[2]))\n"
        run = subprocess.run([sys.executable, "-I", "-c", code, str(target), str(started)], capture_output=True,
                             text=True, timeout=60)
        if run.returncode != 0:
            why = (run.stderr.strip().splitlines() or ["no message"])[-1]
            return f"a process cannot join the sandbox that bubblewrap made here ({why})"
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as exc:
        return f"the sandbox for trying to join one did not start ({exc})"
    finally:
        sandbox.kill()
        sandbox.wait()
        shutil.rmtree(folder, ignore_errors=True)
    return ""


def _write_identity(folder):
    (folder / ".passwd").write_text(f"student:x:{INSIDE_UID}:{INSIDE_UID}:student:{folder}:/bin/sh\n")
    (folder / ".group").write_text(f"student:x:{INSIDE_UID}:\n")


class _KernelCgroup:
    """The cgroups of one kernel, where this process may make them (root): a ``pids`` cgroup that bounds
    its processes, and a ``cpu`` cgroup that gives it at most one processor's time, so that a fork bomb or
    a busy loop costs its own exercises and never its classmates' kernels their processor. cgroup v1 has
    a hierarchy per controller (both are joined); v2 has one, with the controllers its parent enables.
    ``paths`` is empty where the machine offers none; ``pids`` says whether the process limit holds."""

    PERIOD = 100_000  # microseconds: one processor is a quota of one period per period

    def __init__(self, processes):
        self.paths, self.pids = [], False
        name = f"mlpcourse-{os.getpid()}-{secrets.token_hex(4)}"
        settings = {"pids": {"pids.max": str(processes)},
                    "cpu": {"cpu.cfs_period_us": str(self.PERIOD), "cpu.cfs_quota_us": str(self.PERIOD)},
                    "unified": {"pids.max": str(processes), "cpu.max": f"{self.PERIOD} {self.PERIOD}"}}
        for kind, root in self._roots():
            self._sweep(root)
            path = root / name
            try:
                path.mkdir()
                for file, value in settings[kind].items():
                    if (path / file).exists():
                        (path / file).write_text(value)
            except OSError:
                if path.is_dir():
                    path.rmdir()
                continue
            self.paths.append(path)
            self.pids = self.pids or (path / "pids.max").exists()
            if kind == "unified":
                return

    @property
    def procs(self):
        """The ``cgroup.procs`` files the kernel's guardian joins, separated by ``os.pathsep``."""
        return os.pathsep.join(str(path / "cgroup.procs") for path in self.paths)

    @staticmethod
    def _sweep(root):
        """Remove the empty cgroups of graders that are gone (a grader killed with SIGKILL cannot)."""
        for path in root.glob("mlpcourse-*-*"):
            try:
                os.kill(int(path.name.split("-")[1]), 0)
            except ProcessLookupError:
                try:
                    path.rmdir()
                except OSError:  # still holds a process, or another grader took it first
                    pass
            except (ValueError, PermissionError):
                pass

    @staticmethod
    def _roots():
        """(kind, folder) where a kernel's cgroup can be made: v1's pids and cpu hierarchies, else the v2
        cgroup of this process if it delegates pids or cpu to its children."""
        found = False
        for kind in ("pids", "cpu"):
            v1 = Path("/sys/fs/cgroup") / kind
            if (v1 / "cgroup.procs").is_file() and os.access(v1, os.W_OK):
                found = True
                yield kind, v1
        if found:
            return
        for line in Path("/proc/self/cgroup").read_text().splitlines() if Path("/proc/self/cgroup").exists() else ():
            if line.startswith("0::"):
                for mount in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
                    own = mount / line[3:].lstrip("/")
                    control = own / "cgroup.subtree_control"
                    if control.is_file() and {"pids", "cpu"} & set(control.read_text().split()):
                        yield "unified", own

    def close(self):
        for path in self.paths:
            for _ in range(50):  # the kernel's processes may take a moment to be reaped
                try:
                    path.rmdir()
                    break
                except OSError:
                    time.sleep(0.05)


def process_limit_problem():
    """Why the limit on a kernel's processes does not hold here ("" when it does): RLIMIT_NPROC holds
    every user but root, and root needs a pids cgroup it can make."""
    if os.geteuid() != 0:
        return ""
    cgroup = _KernelCgroup(PROCESSES)
    cgroup.close()
    if cgroup.pids:
        return ""
    return ("the grader runs as root and this machine offers no pids cgroup it can make, so the limit of "
            f"{PROCESSES} processes per kernel does not hold (a fork bomb slows the machine until its cell's "
            "time runs out); grade as an ordinary user")


def _environment(folder):
    """The environment of a kernel whose folder is ``folder`` (and of the zygote, in its own)."""
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(folder), "TMPDIR": str(folder),
        "MPLBACKEND": "agg", "MPLCONFIGDIR": str(folder / "mpl"), "IPYTHONDIR": str(folder / "ipython"),
        "JUPYTER_RUNTIME_DIR": str(folder), "JUPYTER_PLATFORM_DIRS": "1", "LANG": "C.UTF-8",
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1", "USER": "student", "LOGNAME": "student",
    }


def _copy_fonts(fontcache, folder):
    (folder / "mpl").mkdir()
    if fontcache:
        for f in Path(fontcache).glob("fontlist-*.json"):
            shutil.copy(f, folder / "mpl" / f.name)


class _Zygote:
    """The grader's zygote (``ZYGOTE``): started with its first sandboxed kernel, it ends with the grader."""

    lock = threading.Lock()
    process = folder = owner = None

    @classmethod
    def launch(cls, request, fontcache):
        """Have the zygote start a kernel in a sandbox (``request``: see ZYGOTE); the launcher's pid."""
        with cls.lock:
            if cls.owner != os.getpid():  # a process forked from the grader starts its own
                cls.process = cls.folder = None
            if cls.process is None or cls.process.poll() is not None:
                cls._start(fontcache)
            try:
                cls.process.stdin.write(json.dumps(request) + "\n")
                cls.process.stdin.flush()
                answer = cls.process.stdout.readline()
            except OSError:
                answer = ""
            if not answer.strip().isdigit():
                raise RuntimeError("the process that starts the kernels (the zygote) ended")
            return int(answer)

    @classmethod
    def _start(cls, fontcache):
        cls.stop()
        cls.owner = os.getpid()
        cls.folder = Path(tempfile.mkdtemp(prefix="mlpcourse-zygote-"))
        _copy_fonts(fontcache, cls.folder)
        cls.process = subprocess.Popen([sys.executable, "-I", "-c", ZYGOTE], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                       env=_environment(cls.folder), cwd=cls.folder)
        if cls.process.stdout.readline() != "ready\n":
            cls.stop()
            raise RuntimeError("the process that starts the kernels (the zygote) did not start")

    @classmethod
    def stop(cls):
        if cls.owner != os.getpid():
            return
        if cls.process is not None:
            try:
                cls.process.stdin.close()  # its end of the requests: it exits
            except OSError:  # it is gone already
                pass
            try:
                cls.process.wait(timeout=GRACE)
            except subprocess.TimeoutExpired:
                cls.process.kill()
                cls.process.wait()
            cls.process.stdout.close()
        if cls.folder is not None:
            shutil.rmtree(cls.folder, ignore_errors=True)
        cls.process = cls.folder = None


atexit.register(_Zygote.stop)


def _children(pid):
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def _started(pid):
    """When process ``pid`` started, in clock ticks since boot (``/proc/PID/stat``'s 22nd field): with the
    pid, what names one process for good."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return -1


def _find_placeholder(root, depth, alive, timeout):
    """The pid of the placeholder ``depth`` generations below process ``root``, and when it started:
    bubblewrap starts the sandbox's first process, which starts the placeholder."""
    deadline = time.monotonic() + timeout
    while True:
        chain = [root]
        while len(chain) <= depth and (children := _children(chain[-1])):
            chain.append(children[0])
        if len(chain) == depth + 1 and _command_name(chain[-1]) == PLACEHOLDER[0]:
            return chain[-1], _started(chain[-1])
        if not alive():
            raise RuntimeError("bubblewrap ended before its sandbox was made")
        if time.monotonic() > deadline:
            raise RuntimeError(f"bubblewrap did not make its sandbox in {timeout:g} seconds")
        time.sleep(0.002)


def _command_name(pid):
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


class _Manager(KernelManager):
    wrapper = ()
    launch_args = ()
    placeholder = False  # in the sandbox: the command is PLACEHOLDER, and the zygote starts the kernel

    def kernel_args(self):
        return ["-f", self.connection_file, "--HistoryManager.enabled=False", "--IPKernelApp.log_level=CRITICAL"]

    def format_kernel_cmd(self, extra_arguments=None):
        if self.placeholder:
            return [*self.wrapper, *PLACEHOLDER]
        return [*self.wrapper, sys.executable, "-I", "-c", LAUNCH, *self.launch_args, *self.kernel_args()]


class Sandbox:
    """A kernel in its own folder (and, with ``isolation="bubblewrap"``, its own sandbox), as a
    context manager; :meth:`run` executes code in it."""

    def __init__(self, memory_gib=4.0, fontcache=None, startup_timeout=60, isolation="bubblewrap",
                 processes=PROCESSES, stop=None):
        if isolation not in ISOLATIONS:
            raise ValueError(f"isolation must be one of {ISOLATIONS}, got {isolation!r}")
        if isolation == "bubblewrap" and sandbox_problem():
            raise SandboxUnavailable(sandbox_problem())
        self.memory = int(memory_gib * 2**30)
        self.fontcache, self.startup_timeout = fontcache, startup_timeout
        self.isolation, self.processes, self.stop = isolation, processes, stop
        self.km = self.kc = self.cgroup = None
        self.dead = False

    def __enter__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="mlpcourse-kernel-"))
        os.chmod(self.dir, 0o700)
        _copy_fonts(self.fontcache, self.dir)
        env = _environment(self.dir)
        km = _Manager(transport="ipc", ip=str(self.dir / "ipc"), connection_file=str(self.dir / "kernel.json"))
        km.launch_args = (str(self.memory), str(self.processes))
        self.km = km
        try:
            procs = ""
            wrapper = []
            if self.isolation == "bubblewrap":
                _write_identity(self.dir)
                wrapper = bwrap_args(self.dir, _standin_package(self.dir / ".mlpcourse"))
                if os.geteuid() == 0:  # RLIMIT_NPROC does not hold root back: a pids cgroup does, where there is one
                    self.cgroup = _KernelCgroup(self.processes)
                    procs = self.cgroup.procs
            km.wrapper = (sys.executable, "-I", "-c", GUARDIAN, str(os.getpid()), procs, *wrapper)
            km.placeholder = self.isolation == "bubblewrap"
            km.start_kernel(env=env, cwd=str(self.dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if km.placeholder:
                target, started = self._placeholder()
                _Zygote.launch({"target": target, "started": started, "folder": str(self.dir), "env": env,
                                "argv": km.kernel_args(), "memory": self.memory, "processes": self.processes,
                                "cgroups": [p for p in procs.split(os.pathsep) if p],
                                "error": str(self.dir / ".launch-error")}, self.fontcache)
            self.kc = km.blocking_client()
            self.kc.start_channels()
            self._wait_for_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _placeholder(self):
        """The placeholder's pid, as this machine numbers it, and when it started (the guardian starts
        bubblewrap)."""
        return _find_placeholder(self.km.provisioner.pid, 3, self.km.is_alive, self.startup_timeout)

    def _wait_for_ready(self):
        """Wait until the kernel answers on its shell channel and its IOPub channel is connected.
        jupyter_client's ``wait_for_ready`` does the same and then waits for IOPub to stay silent for
        0.2 s, a fifth of a second per kernel that a grader running hundreds of kernels does not need:
        ``run`` throws away whatever IOPub still carries."""
        deadline = time.monotonic() + self.startup_timeout
        while True:
            self.kc.kernel_info()
            try:
                reply = self.kc.get_shell_msg(timeout=1)
            except queue.Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:  # the reply's busy/idle status on IOPub: subscribed (else ask again, as jupyter_client does)
                    self.kc.get_iopub_msg(timeout=0.2)
                    return
                except queue.Empty:
                    pass
            error = self.dir / ".launch-error"  # the zygote's launcher, or the kernel before ipykernel, failed
            if error.exists():
                raise RuntimeError(f"the kernel did not start: {error.read_text()}")
            if not self.km.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {self.startup_timeout:g} seconds")

    def interrupt(self):
        """Ask the kernel to interrupt its cell (a message on its control channel: a signal to the sandbox's
        process group would reach bubblewrap, not the kernel)."""
        self.kc.control_channel.send(self.kc.session.msg("interrupt_request", {}))

    def run(self, code, timeout, silent=False):
        """Execute ``code``; wait at most ``timeout`` seconds, then interrupt, then kill."""
        start = time.monotonic()
        if self.dead:
            return Outcome("died", 0.0, stopped=True, why="the kernel had already stopped")
        msg_id = self.kc.execute(code, silent=silent, store_history=not silent, allow_stdin=False,
                                 stop_on_error=False)
        deadline, interrupted_at = start + timeout, None
        while True:
            try:
                reply = self.kc.get_shell_msg(timeout=0.1)
            except queue.Empty:
                self._drain()
                now = time.monotonic()
                if self.stop is not None and self.stop.is_set():
                    self.kill()
                    raise Stopped("the grader was asked to stop") from None
                if not self.km.is_alive():
                    self.dead = True
                    # without the sandbox the process is the kernel; in it, the placeholder, which has no news
                    code_ = self.km.provisioner.process.poll() if self.km.provisioner else None
                    status = f" (exit status {code_})" if self.isolation == "none" else ""
                    return Outcome("died", now - start, stopped=True,
                                   why=f"the kernel died{status}: the code called exit, "
                                       f"or ran out of its {self.memory / 2**30:g} GiB of memory")
                if interrupted_at is None and now > deadline:
                    self.interrupt()
                    interrupted_at = now
                elif interrupted_at is not None and now > interrupted_at + GRACE:
                    self.kill()
                    return Outcome("timed out", now - start, stopped=True,
                                   why=f"it ran past the {timeout:g} s limit and did not stop when interrupted, "
                                   "so the kernel was stopped")
                continue
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            content, seconds = reply["content"], time.monotonic() - start
            if interrupted_at is not None:
                return Outcome("timed out", seconds, why=f"it ran past the {timeout:g} s limit")
            if content.get("status") == "error":
                return Outcome("error", seconds, content.get("ename", "Error"), content.get("evalue", ""))
            return Outcome("ok", seconds)

    def _drain(self):
        """Throw away what the kernel printed: the verdict never depends on it."""
        for _ in range(10_000):
            try:
                self.kc.get_iopub_msg(timeout=0)
            except queue.Empty:
                return

    def kill(self):
        """End the kernel and everything it started, now (in the sandbox: its whole PID namespace)."""
        self.dead = True
        if self.km is not None and self.km.has_kernel:
            try:
                os.killpg(self.km.provisioner.pgid or self.km.provisioner.pid, signal.SIGKILL)
            except (OSError, TypeError, AttributeError):
                pass

    def __exit__(self, *exc):
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None:
            self.kill()
            process = getattr(self.km.provisioner, "process", None)
            if process is not None:  # reaped here, at once: jupyter_client would poll it every 0.1 s
                try:
                    process.wait(timeout=GRACE)
                except subprocess.TimeoutExpired:
                    pass
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:  # already gone
                pass
            self.km.cleanup_resources()
        if self.cgroup is not None:
            self.cgroup.close()
        # jupyter_client ran its calls on this thread's event loop; close it (a new one is made when needed)
        ensure_event_loop().close()
        shutil.rmtree(self.dir, ignore_errors=True)
