"""Run by each kernel that nbval starts (``conftest.py`` names this file in ``PYTHONSTARTUP``,
which IPython's kernels execute before the first cell; the grader's kernels get an environment
of their own and never see it).

nbval does not compare a figure's picture (it leaves ``image/png`` out of its comparison), only
the text beside it, ``<Figure size 650x360 with 1 Axes>``. Drawing and encoding the pictures
was a fifth of the chapters' time in the suite, for nothing that the test reads, so here the
inline backend shows each figure as that text alone. The pictures are made, and a figure that
cannot be drawn is caught, where they are kept: by ``tools/execute_chapters.py``, whose stored
outputs ``tests/book/test_book.py`` requires to be free of errors and of anything on stderr, and
by the book's build, which executes every chapter and turns a warning into an error.
"""

from IPython import get_ipython

# read by the inline backend when pyplot is first imported, after this file: no picture formats
get_ipython().config.InlineBackend.figure_formats = set()
