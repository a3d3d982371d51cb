"""Shared test settings: a non-interactive matplotlib, derandomised hypothesis and pinned CPU paths,
so that every run of the suite draws the same examples."""

import importlib.util
import os
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from hypothesis import settings

matplotlib.use("Agg")

# the chapters' kernels (nbval starts them after this file is imported) take the CPU paths
# that their stored outputs were computed with: see PINNED_CPU_PATHS in tools/execute_chapters.py
_spec = importlib.util.spec_from_file_location("execute_chapters", Path(__file__).parent.parent / "tools" / "execute_chapters.py")
_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tool)
os.environ.update(_tool.PINNED_CPU_PATHS)

settings.register_profile("course", derandomize=True, deadline=None, max_examples=40, print_blob=True)
settings.load_profile("course")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
