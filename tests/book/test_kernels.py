"""The kernels that execute the chapters (the book's build, tools/execute_chapters.py) run with
CurveZMQ keys, so that ipykernel does not warn that it runs over TCP without encryption; nbval's
kernels show a figure as the text that nbval compares, without the picture that it does not, while
tools/execute_chapters.py stores the pictures even when it runs in that environment."""

import importlib.util
import os
import sys
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]

# printed by the kernel, from its own process: whether it holds a CurveZMQ secret key
PROBE = (
    "from ipykernel.kernelapp import IPKernelApp\n"
    "print('encrypted' if IPKernelApp.instance().curve_secretkey else 'plain')"
)
WARNING = "without encryption"


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def probe_notebook():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def printed(nb):
    return "".join(out.get("text", "") for out in nb.cells[0].outputs).strip()


def test_the_build_starts_encrypted_kernels(tmp_path, monkeypatch, capfd):
    # MyST-NB creates its kernel managers with no configuration; the extension changes their default
    monkeypatch.setattr(
        KernelManager.transport_encryption, "default_value", KernelManager.transport_encryption.default_value
    )
    site_fixes = load("book/_ext/site_fixes.py", "site_fixes_under_test")
    site_fixes._encrypt_kernels()
    # as in the build: the kernel starts in the notebook's folder, not in the client's
    nb = probe_notebook()
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert printed(nb) == "encrypted"
    assert WARNING not in capfd.readouterr().err  # the kernel writes to this process's stderr


def test_a_kernel_without_the_fix_is_plain(tmp_path, capfd):
    """The control: the probe can tell a kernel on plain TCP, and the warning of such a kernel reaches capfd.

    If a later ipykernel stops warning, this fails: the fix in site_fixes.py may then go."""
    nb = probe_notebook()
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert printed(nb) == "plain"
    assert WARNING in capfd.readouterr().err


def test_execute_chapters_starts_encrypted_kernels(tmp_path, capfd):
    execute_chapters = load("tools/execute_chapters.py", "execute_chapters_under_test")
    path = tmp_path / "probe.ipynb"
    nbformat.write(probe_notebook(), path)
    execute_chapters.execute(path, timeout=60)
    assert printed(nbformat.read(path, as_version=4)) == "encrypted"
    assert WARNING not in capfd.readouterr().err


FIGURE = "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([0, 1])\nplt.show()"


def figure_outputs(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FIGURE)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb.cells[0].outputs


def test_nbvals_kernels_show_a_figure_as_its_text_alone(tmp_path):
    """conftest.py hands nbval's kernels tests/nbval_startup.py: the text that nbval compares, no picture."""
    assert os.environ["PYTHONSTARTUP"] == str(ROOT / "tests" / "nbval_startup.py")
    (out,) = figure_outputs(tmp_path)
    assert out.output_type == "display_data" and list(out.data) == ["text/plain"]
    assert out.data["text/plain"] == "<Figure size 640x480 with 1 Axes>"


def test_without_the_startup_file_the_figure_is_a_png_beside_the_same_text(tmp_path, monkeypatch):
    """The control, as tools/execute_chapters.py and the build run a chapter."""
    monkeypatch.delenv("PYTHONSTARTUP")
    (out,) = figure_outputs(tmp_path)
    assert sorted(out.data) == ["image/png", "text/plain"]
    assert out.data["text/plain"] == "<Figure size 640x480 with 1 Axes>"


def test_execute_chapters_stores_the_pictures_whatever_the_startup_file(tmp_path):
    """Run here, in the suite's environment, where PYTHONSTARTUP leaves nbval's pictures out."""
    assert os.environ["PYTHONSTARTUP"] == str(ROOT / "tests" / "nbval_startup.py")
    execute_chapters = load("tools/execute_chapters.py", "execute_chapters_under_test")
    path = tmp_path / "figure.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FIGURE)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    execute_chapters.execute(path, timeout=60)
    (out,) = nbformat.read(path, as_version=4).cells[0].outputs
    assert sorted(out.data) == ["image/png", "text/plain"]
