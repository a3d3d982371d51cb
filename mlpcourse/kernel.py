"""A sandboxed Jupyter kernel for one submission.

Each kernel gets its own temporary folder (its working directory and home), a
clean environment (no PYTHONPATH, Python's isolated mode, so no folder of the
student's can shadow a package), one BLAS thread, matplotlib without a display,
and limits on memory (address space), file size and core dumps. Code
runs one cell at a time under a wall-clock limit; a cell that does not stop
when interrupted is ended by killing the kernel and every process it started.
"""

__all__ = ["GRACE", "Outcome", "Sandbox"]

import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from jupyter_client import KernelManager
from jupyter_core.utils import ensure_event_loop

GRACE = 3.0  # seconds an interrupted cell has to stop before the kernel is killed

# the kernel's entry point: limits first, then ipykernel (argv: memory bytes, then ipykernel's own)
LAUNCH = """\
import resource, sys
memory = int(sys.argv[1])
for limit, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_CORE, 0), (resource.RLIMIT_FSIZE, 1 << 30)):
    resource.setrlimit(limit, (value, value))
sys.argv = ["ipykernel"] + sys.argv[2:]
from ipykernel.kernelapp import launch_new_instance
launch_new_instance()
"""


@dataclass
class Outcome:
    """How one piece of code ran: ``status`` is ok, error, timed out or died."""

    status: str
    seconds: float
    ename: str = ""
    evalue: str = ""
    stopped: bool = False  # the kernel is gone: nothing more can run in it
    why: str = ""


class _Manager(KernelManager):
    launch_args = ()

    def format_kernel_cmd(self, extra_arguments=None):
        return [sys.executable, "-I", "-c", LAUNCH, *self.launch_args, "-f", self.connection_file,
                "--HistoryManager.enabled=False", "--IPKernelApp.log_level=CRITICAL"]


class Sandbox:
    """A kernel in its own folder, as a context manager; :meth:`run` executes code in it."""

    def __init__(self, memory_gib=4.0, fontcache=None, startup_timeout=60):
        self.memory = int(memory_gib * 2**30)
        self.fontcache, self.startup_timeout = fontcache, startup_timeout
        self.km = self.kc = None
        self.dead = False

    def __enter__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="mlpcourse-kernel-"))
        os.chmod(self.dir, 0o700)
        (self.dir / "mpl").mkdir()
        if self.fontcache:
            for f in Path(self.fontcache).glob("fontlist-*.json"):
                shutil.copy(f, self.dir / "mpl" / f.name)
        env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(self.dir), "TMPDIR": str(self.dir),
            "MPLBACKEND": "agg", "MPLCONFIGDIR": str(self.dir / "mpl"), "IPYTHONDIR": str(self.dir / "ipython"),
            "JUPYTER_RUNTIME_DIR": str(self.dir), "JUPYTER_PLATFORM_DIRS": "1", "LANG": "C.UTF-8",
            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
        km = _Manager(transport="ipc", ip=str(self.dir / "ipc"), connection_file=str(self.dir / "kernel.json"))
        km.launch_args = (str(self.memory),)
        self.km = km
        try:
            km.start_kernel(env=env, cwd=str(self.dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.kc = km.blocking_client()
            self.kc.start_channels()
            self.kc.wait_for_ready(timeout=self.startup_timeout)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

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
                if not self.km.is_alive():
                    self.dead = True
                    code_ = self.km.provisioner.process.poll() if self.km.provisioner else None
                    return Outcome("died", now - start, stopped=True,
                                   why=f"the kernel died (exit status {code_}): the code called exit, "
                                       f"or ran out of its {self.memory / 2**30:g} GiB of memory")
                if interrupted_at is None and now > deadline:
                    self.km.interrupt_kernel()
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
        """End the kernel and everything it started, now."""
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
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:  # already gone
                pass
            self.km.cleanup_resources()
        # jupyter_client ran its calls on this thread's event loop; close it (a new one is made when needed)
        ensure_event_loop().close()
        shutil.rmtree(self.dir, ignore_errors=True)
