"""The CPU code paths that the chapters' stored outputs are computed with, pinned where a chapter is
executed to be compared with them: ``tools/execute_chapters.py``, which stores the outputs, and
nbval's kernels (``conftest.py``). Standard library only, so that any test run can import it.

OpenBLAS and numpy pick their kernels by CPU (AVX-512 on some machines, AVX2 on others), and the
last bits of a dot product or of ``exp`` differ between them; a chaotic training run then drifts in
the third digit. Both are pinned to the AVX2 paths, which every x86-64 machine CI may land on has.
On other architectures the names mean nothing (and OpenBLAS would warn about them): nothing is pinned.
"""

import os
import platform

PINNED_CPU_PATHS = {"OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}


def pin_cpu_paths(environ=os.environ):
    """Put PINNED_CPU_PATHS into ``environ`` (this process's environment) on x86-64, for the kernels it starts."""
    if platform.machine().lower() in ("x86_64", "amd64"):
        environ.update(PINNED_CPU_PATHS)
