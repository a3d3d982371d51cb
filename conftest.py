"""Settings for every test run, the chapters' nbval runs included (this file sits above both
tests/ and book/): the chapters' kernels, which nbval starts after this file is imported, take
the CPU paths that their stored outputs were computed with (tools/cpu_paths.py, standard library
only, so that ``python -m pytest tests/library`` needs nothing beyond mlpcore's own dependencies)."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("cpu_paths", Path(__file__).parent / "tools" / "cpu_paths.py")
_cpu_paths = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cpu_paths)
_cpu_paths.pin_cpu_paths()
