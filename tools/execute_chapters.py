"""Execute chapters in place, top to bottom, in one fresh kernel each, and save
their outputs: the stored outputs are what nbval compares against.

    python tools/execute_chapters.py                       # every notebook in book/
    python tools/execute_chapters.py book/03_activation_functions.ipynb
"""

import argparse
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from traitlets.config import Config

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from cpu_paths import PINNED_CPU_PATHS, pin_cpu_paths  # noqa: E402  (the stored outputs' CPU paths)

__all__ = ["PINNED_CPU_PATHS", "pin_cpu_paths", "execute", "main"]

# The kernels' messages are encrypted (CurveZMQ keys provisioned by jupyter_client, which the
# kernelspec of ipykernel accepts), as in the book's build (book/_ext/site_fixes.py); a kernel on
# plain TCP makes ipykernel warn.
ENCRYPTED_KERNELS = Config({"KernelManager": {"transport_encryption": "auto"}})


def execute(path, timeout=600):
    nb = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(path.parent)}}  # run in the chapter's folder, as nbval does
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources=resources, config=ENCRYPTED_KERNELS)
    # the stored figures are pictures whatever startup file the caller's environment names (the test suite
    # names one for nbval's kernels, which leaves the pictures out: tests/nbval_startup.py)
    client.execute(env={k: v for k, v in os.environ.items() if k != "PYTHONSTARTUP"})
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    pin_cpu_paths()
    paths = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))
    for path in paths:
        print(f"executing {path} ...", flush=True)
        execute(path.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
