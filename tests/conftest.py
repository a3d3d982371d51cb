"""Shared test settings: a non-interactive matplotlib and derandomised hypothesis, so that every
run of the suite draws the same examples (the CPU paths are pinned by ../conftest.py)."""

import matplotlib
import numpy as np
import pytest
from hypothesis import settings

matplotlib.use("Agg")

settings.register_profile("course", derandomize=True, deadline=None, max_examples=40, print_blob=True)
settings.load_profile("course")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
