"""Exercises numbered per chapter: Exercise 3.1, 3.2, ... in chapter 3, A.1, ... in the appendix.

sphinx-exercise 1.2.1 numbers its exercises with Sphinx's (7.4.7) figure numbers,
which count across the whole book when the table of contents is not numbered (and
this book's is not: its pages carry their numbers in their titles): chapter 3's
first exercise would carry the count of all the exercises before it, plus one. After Sphinx has
assigned the figure numbers, each chapter's exercises are renumbered in the
order they appear, with the chapter's number in front, taken from the file name
(``book/03_activation_functions`` is chapter 3; ``book/appendix_*`` is A).
Titles, solutions ("Solution to Exercise 3.1") and references read the same
table, so they all agree. Delete when sphinx-exercise can number per page with
the page's own number in front. tests/book/test_book.py
(test_exercises_are_numbered_per_chapter) tests the renumbering;
mlpcourse.release.exercise_number numbers the released chapters' headings by the
same rule.
"""

import re

_CHAPTER = re.compile(r"(?:^|/)(\d+)_[^/]*$")


def chapter_number(docname):
    """The chapter's number as it appears in front of its exercises, or None for a page that is no chapter."""
    match = _CHAPTER.search(docname)
    if match:
        return int(match.group(1))
    if docname.rsplit("/", 1)[-1].startswith("appendix"):
        return "A"
    return None


def _renumber(app, env):
    for docname, numbers in env.toc_fignumbers.items():
        exercises = numbers.get("exercise")
        chapter = chapter_number(docname)
        if not exercises or chapter is None:
            continue
        # the table lists a page's exercises in the order of the page (Sphinx walks the doctree)
        for k, node_id in enumerate(exercises, start=1):
            exercises[node_id] = (chapter, k)
    return []


def setup(app):
    # Sphinx assigns figure numbers in its own env-get-updated handler (priority 500); renumber after it
    app.connect("env-get-updated", _renumber, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
