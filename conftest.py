"""Settings for every test run, the chapters' nbval runs included (this file sits above both
tests/ and book/): the chapters' kernels, which nbval starts after this file is imported, take
the CPU paths that their stored outputs were computed with (PINNED_CPU_PATHS in
tools/execute_chapters.py)."""

import importlib.util
from pathlib import Path

_TOOL = Path(__file__).parent / "tools" / "execute_chapters.py"
_spec = importlib.util.spec_from_file_location("execute_chapters", _TOOL)
_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tool)
_tool.pin_cpu_paths()
