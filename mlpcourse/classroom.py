"""Grade a class: every student's notebooks, several at once, into a gradebook.

``SUBMISSIONS/<student>/.../<chapter>.ipynb`` (any depth, hidden folders and
checkpoints skipped). Every notebook is read into memory before the first
kernel starts, so no submission can change another's file; the course's own
files are fingerprinted at the start and checked after every submission, and the
run stops if they changed. A submission whose kernel died or was stopped while
others ran beside it is graded once more at the end, alone, so that a neighbour
cannot cost it its grade. Results are cached by the notebook's bytes, the
course's fingerprint and the limits: a second run regrades only what changed.
"""

__all__ = ["CACHE", "CourseChanged", "Guard", "chapters_present", "find_submissions", "grade_class"]

import hashlib
import json
import os
import shutil
import sys
import sysconfig
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from . import course
from .grade import Limits, Result, Row, grade_notebook, new_seed

CACHE = ".cache.json"


class CourseChanged(RuntimeError):
    """The course's installed files changed during a run."""


def find_submissions(root, chapters):
    """{(student, chapter): path} for every student folder under ``root``, and the problems found."""
    root = Path(root)
    found, problems = {}, []
    students = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    for student in students:
        for chapter in chapters:
            paths = sorted(p for p in student.rglob(f"{chapter}.ipynb")
                           if not any(part.startswith(".") for part in p.relative_to(student).parts))
            if len(paths) > 1:
                paths.sort(key=lambda p: (len(p.parts), str(p)))
                problems.append(f"{student.name}: {len(paths)} copies of {chapter}.ipynb; graded "
                                f"{paths[0].relative_to(root)}")
            found[(student.name, chapter)] = paths[0] if paths else None
    return [s.name for s in students], found, problems


def chapters_present(root):
    """The course's chapters that occur in at least one submission."""
    names = {p.stem for p in Path(root).rglob("*.ipynb")}
    return [c for c in course.chapters() if c in names]


class Guard:
    """Fingerprints of the files the grader and the kernels run: the course, mlpcore and
    the Python installation. :meth:`verify` raises :class:`CourseChanged` when one differs."""

    SWEEP = 30.0  # seconds between two looks at the whole Python installation (the course: every time)

    def __init__(self):
        import mlpcore
        import mlpcourse

        self.hashed = [Path(mlpcore.__file__).parent, Path(mlpcourse.__file__).parent, course.book_dir()]
        self.stat_roots = sorted({Path(sysconfig.get_paths()[k]) for k in ("purelib", "platlib", "stdlib")})
        self.before = self._snapshot()
        self.swept = time.monotonic()

    def _files(self, root, suffixes=None):
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d != "__pycache__" and not d.startswith(".")]
            for name in filenames:
                if suffixes is None or name.endswith(suffixes):
                    yield Path(dirpath) / name

    def _snapshot(self, everything=True):
        snap = {}
        for root in self.hashed:
            for path in self._files(root, (".py", ".ipynb", ".json", ".yml")):
                snap[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        for root in self.stat_roots if everything else ():
            for path in self._files(root, (".py", ".pth", ".so")):
                try:
                    st = path.stat()
                except OSError:
                    continue
                snap.setdefault(str(path), (st.st_size, st.st_mtime_ns))
        return snap

    def fingerprint(self):
        """One digest of every course file as it was when the guard started."""
        return hashlib.sha256(json.dumps(sorted(self.before.items())).encode()).hexdigest()

    def verify(self, everything=None):
        """After a submission: the course's files every time, the rest every SWEEP seconds and at the end."""
        if everything is None:
            everything = time.monotonic() - self.swept > self.SWEEP
        now = self._snapshot(everything)
        before = self.before if everything else {k: v for k, v in self.before.items() if type(v) is str}
        if everything:
            self.swept = time.monotonic()
        if now != before:
            changed = sorted(k for k in set(now) | set(before) if now.get(k) != before.get(k))
            raise CourseChanged(
                f"the course's files changed on disk while grading ({len(changed)} files, e.g. {changed[0]}): "
                "a submission may have tampered with them. Nothing was written; reinstall the course "
                "(pip install -r requirements.txt) and grade again.")


def _fontcache():
    """A folder with matplotlib's font list, copied into each kernel so none rebuilds it."""
    folder = Path(tempfile.mkdtemp(prefix="mlpcourse-fonts-"))
    import matplotlib
    from matplotlib import font_manager  # noqa: F401  (builds the list in the grader's own cache)

    for f in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
        shutil.copy(f, folder / f.name)
    return folder


def _cache_key(student, chapter, data, fingerprint, limits):
    h = hashlib.sha256()
    for part in (student, chapter, fingerprint, json.dumps(asdict(limits))):
        h.update(part.encode() + b"\0")
    h.update(data)
    return h.hexdigest()


def _from_cache(entry):
    result = Result(entry["chapter"], [Row(**r) for r in entry["rows"]], entry["problems"])
    return result


def grade_class(submissions, out, chapters=None, jobs=None, limits=None, seed=None, progress=True):
    """Grade every student's chapters; return (students, {(student, chapter): Result}, problems)."""
    limits = limits or Limits()
    chapters = chapters or chapters_present(submissions)
    for chapter in chapters:
        course.chapter(chapter)  # unknown names fail here, before any work
    jobs = jobs or os.cpu_count() or 1
    seed = new_seed() if seed is None else seed
    students, found, problems = find_submissions(submissions, chapters)
    data = {key: path.read_bytes() for key, path in found.items() if path is not None}
    guard = Guard()
    fingerprint = guard.fingerprint()
    out = Path(out)
    cache_file = out / CACHE
    try:
        cache = json.loads(cache_file.read_text()) if cache_file.is_file() else {}
    except ValueError:
        cache = {}
    results, todo = {}, []
    keys = {key: _cache_key(*key, blob, fingerprint, limits) for key, blob in data.items()}
    for key in found:
        if key not in data:
            chapter = course.chapter(key[1])
            results[key] = Result(key[1], [Row(label, "missing", f"no {key[1]}.ipynb in the submission")
                                           for label in chapter.checked])
        elif keys[key] in cache:
            results[key] = _from_cache(cache[keys[key]])
        else:
            todo.append(key)
    fonts = _fontcache()
    lock = threading.Lock()

    def work(key):
        result = grade_notebook(data[key], key[1], seed, limits, fonts)
        with lock:
            guard.verify()
        return key, result

    try:
        bar = tqdm(total=len(todo), desc="grading", unit="notebook", disable=not progress, file=sys.stderr)
        retry = []
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(work, key) for key in todo]
            try:
                for future in as_completed(futures):
                    key, result = future.result()
                    results[key] = result
                    if result.kernel_trouble and jobs > 1:
                        retry.append(key)
                    bar.update()
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
        for key in retry:  # alone this time: nothing else runs beside it
            bar.set_description(f"again, alone: {key[0]}")
            results[key] = work(key)[1]
        bar.close()
        guard.verify(everything=True)
    finally:
        shutil.rmtree(fonts, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    new_cache = {keys[key]: {"chapter": r.chapter, "rows": [asdict(row) for row in r.rows], "problems": r.problems}
                 for key, r in results.items() if key in keys}
    cache_file.write_text(json.dumps(new_cache))
    return students, chapters, results, problems, len(todo)
