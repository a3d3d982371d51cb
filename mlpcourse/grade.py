"""``python -m mlpcourse grade``: every student's notebooks, several at once, into a gradebook.

``SUBMISSIONS/<student>/.../<chapter>.ipynb`` (any depth; the rule of
:func:`mlpcourse.notebook.chapter_notebooks`). Every notebook is read into memory,
read-only, before the first kernel starts, and each is graded by
:func:`mlpcourse.submission.grade_notebook` in its own sandbox. Each notebook's
rows are committed to ``GRADES/gradebook.db`` the moment it is graded
(:mod:`mlpcourse.gradebook`), so a run that is killed loses only the notebooks in
flight, and the next run of the same command takes what is already there (same
notebook, course version, limits and isolation) and grades the rest. A submission
whose kernel died or was stopped while others ran beside it is graded once more
at the end, alone, so that a neighbour cannot cost it its grade; only that second
grade is recorded.

With ``isolation="none"`` (``--no-sandbox``) a kernel could change the course's
files, and with them later verdicts: the course's files are then hashed after
every submission, and the run stops if they changed (:class:`Guard`).
"""

__all__ = ["ClassRun", "CourseChanged", "Guard", "Interrupted", "UnknownStudent", "chapters_present", "course_version",
           "find_submissions", "grade_class", "shard_of"]

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from . import course, exercises, gradebook, lms, notebook, points, similarity
from .kernel import Stopped
from .submission import Limits, Result, Row, grade_notebook, new_seed


class CourseChanged(RuntimeError):
    """The course's files changed during a run without the sandbox."""


class UnknownStudent(ValueError):
    """``--student`` named no student folder of the class."""


class Interrupted(Exception):
    """The run was stopped (Ctrl-C); what was graded is kept in the gradebook."""


@dataclass
class ClassRun:
    """What one ``grade`` run did: its students and chapters, the result of each (student, chapter),
    how many notebooks it graded and how many it took from the gradebook, and the run's record."""

    students: list
    chapters: list
    results: dict
    problems: list
    graded: int = 0
    reused: int = 0
    run: dict = field(default_factory=dict)
    points: dict = field(default_factory=dict)  # (chapter, label) -> what the exercise is worth


def find_submissions(root, chapters):
    """(students, {(student, chapter): path or None}, problems) for every student folder under ``root``, or
    every student of a Canvas or Moodle download (:mod:`mlpcourse.lms`).
    macOS's ``__MACOSX`` folder is no student and its ``._*`` files are no notebooks (a note says they were
    skipped); a chapter found only as a browser's copy ``<chapter> (1).ipynb`` is graded, with a note."""
    root = Path(root)
    found, problems = {}, []
    kind = lms.layout(root)
    if kind == "canvas":
        uploads, problems = lms.canvas_submissions(root, chapters)
        for user, mine in uploads.items():
            for chapter in chapters:
                found[(user, chapter)] = mine.get(chapter)
        return sorted(uploads), found, problems
    students = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
                      and p.name != notebook.MACOS_FOLDER)
    names = {p: lms.moodle_student(p.name) if kind == "moodle" else p.name for p in students}
    if kind == "moodle" and len(set(names.values())) < len(names):
        raise UnknownStudent("the Moodle download holds two folders of one participant: unzip it into an empty "
                             "folder")
    if (root / notebook.MACOS_FOLDER).is_dir():
        problems.append(f"skipped {notebook.MACOS_FOLDER}/: macOS's zip metadata, not a student")
    for student in students:
        apple = [p for p in student.rglob("*.ipynb") if p.name.startswith("._")]
        if apple:
            problems.append(f"{names[student]}: skipped {len(apple)} macOS metadata file{'s' * (len(apple) > 1)} "
                            f"({', '.join(sorted(str(p.relative_to(root)) for p in apple)[:3])}), not notebooks")
        for chapter in chapters:
            paths = notebook.chapter_notebooks(student, chapter)
            if paths and paths[0].name != f"{chapter}.ipynb":
                others = f" ({len(paths)} such copies; graded the latest)" if len(paths) > 1 else ""
                problems.append(f"{names[student]}: no {chapter}.ipynb; graded {paths[0].relative_to(root)}, a "
                                f"browser's copy of it{others}: rename it to {chapter}.ipynb")
            elif len(paths) > 1:
                problems.append(f"{names[student]}: {len(paths)} copies of {chapter}.ipynb; graded "
                                f"{paths[0].relative_to(root)}")
            found[(names[student], chapter)] = paths[0] if paths else None
    return [names[s] for s in students], found, problems


def shard_of(student, shards):
    """The shard, 0 to ``shards`` - 1, that student id ``student`` belongs to: from a hash of the id alone,
    so that a student stays in the same shard when classmates join or leave, on every machine."""
    return int(hashlib.sha256(student.encode("utf-8")).hexdigest(), 16) % shards


def chapters_present(root):
    """The course's chapters that occur in at least one submission, as ``<chapter>.ipynb`` or as a
    browser's copy ``<chapter> (N).ipynb`` (macOS's metadata and hidden folders skipped)."""
    root = Path(root)
    names = set()
    for p in root.rglob("*.ipynb"):
        if not notebook.is_skipped(p, root):
            name = lms.stem(p.name)  # Canvas's "<name>_<id>_<submission>_<chapter>-1.ipynb" too
            copy = notebook.BROWSER_COPY.match(name)
            names.add(copy["stem"] if copy else name)
    return [c for c in course.chapters() if c in names]


def _course_roots():
    import mlpcore
    import mlpcourse

    return [Path(mlpcore.__file__).parent, Path(mlpcourse.__file__).parent, course.book_dir()]


def _fingerprint():
    h = hashlib.sha256()
    for root in _course_roots():
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".ipynb", ".json", ".yml") and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(root.parent)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def course_version():
    """(fingerprint of the course's files, the course's git commit or "unknown")."""
    top = Path(course.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "-C", str(top), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10).stdout.strip() if (top / ".git").exists() else ""
    except (OSError, subprocess.TimeoutExpired):
        commit = ""
    return _fingerprint(), commit or "unknown"


class Guard:
    """The course's files (mlpcore, mlpcourse, the book) as they were at the start of a run without the
    sandbox; :meth:`verify` raises :class:`CourseChanged` when they differ. The sandbox makes this
    unnecessary: there, no kernel can write outside its own folder."""

    def __init__(self):
        self.before = _fingerprint()

    def verify(self):
        """Raise :class:`CourseChanged` if a course file changed since the start."""
        if _fingerprint() != self.before:
            raise CourseChanged(
                "the course's files changed on disk while grading without the sandbox: a submission may have "
                "tampered with them. What was graded before is in the gradebook; reinstall the course "
                "(pip install -r requirements.txt) and grade again with the sandbox.")


def _fontcache():
    """A folder with matplotlib's font list, copied into each kernel so none rebuilds it."""
    folder = Path(tempfile.mkdtemp(prefix="mlpcourse-fonts-"))
    import matplotlib
    from matplotlib import font_manager  # noqa: F401  (builds the list in the grader's own cache)

    for f in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
        shutil.copy(f, folder / f.name)
    return folder


class _LocalPool:
    """``jobs`` threads on this machine, each grading one notebook at a time in its own sandbox; the
    interface of :class:`mlpcourse.cluster.DaskPool`."""

    def __init__(self, jobs, fonts, guard):
        self.executor = ThreadPoolExecutor(max_workers=jobs)
        self.fonts, self.guard, self.stop, self.lock = fonts, guard, threading.Event(), threading.Lock()

    def submit(self, key, nb_bytes, seed, limits, isolation):
        return self.executor.submit(self._work, nb_bytes, key[1], seed, limits, isolation)

    def _work(self, nb_bytes, chapter, seed, limits, isolation):
        result = grade_notebook(nb_bytes, chapter, seed, limits, self.fonts, isolation, self.stop)
        if self.guard is not None:
            with self.lock:
                self.guard.verify()
        return result

    @staticmethod
    def as_completed(futures):
        return as_completed(futures)

    @staticmethod
    def result(future, chapter):
        return future.result()

    def cancel(self, futures):
        self.stop.set()
        for f in futures:
            f.cancel()

    def close(self):
        self.executor.shutdown(wait=True)


def grade_class(submissions, out, chapters=None, jobs=None, limits=None, seed=None, progress=True,
                isolation="bubblewrap", only=None, shard=(0, 1), points_file=None, scheduler=None):
    """Grade every student's chapters into the gradebook in ``out``; return a :class:`ClassRun`.
    ``only``, a list of student ids: grade those students' notebooks again, and take every other
    student's latest grades from the gradebook. ``shard=(i, n)``: grade only the students of shard
    ``i`` of ``n`` (:func:`shard_of`); the gradebook records the whole class, for ``merge``.
    ``points_file``: what each exercise is worth, if not its stars (:func:`mlpcourse.points.table`).
    ``scheduler``: the address of a Dask scheduler to grade on (:mod:`mlpcourse.cluster`; raises
    :class:`mlpcourse.cluster.ClusterError` before any work if a worker holds another course).
    Raises :class:`Interrupted` on Ctrl-C (kernels ended, what was graded kept) and
    :class:`CourseChanged` (without the sandbox) if the course's files changed."""
    limits = limits or Limits()
    chapters = chapters or chapters_present(submissions)
    for chapter in chapters:
        course.chapter(chapter)  # unknown names fail here, before any work
        exercises.load_chapter(chapter)  # and the checks are imported before the threads start
    worth = points.table(chapters, points_file)  # a bad points file fails here, before any work
    jobs = jobs or os.cpu_count() or 1
    seed = new_seed() if seed is None else seed
    students, found, problems = find_submissions(submissions, chapters)
    everyone = students
    if shard != (0, 1):
        students = [s for s in students if shard_of(s, shard[1]) == shard[0]]
        found = {key: path for key, path in found.items() if key[0] in students}
    if only:
        elsewhere = sorted(set(only) & set(everyone) - set(students))
        if elsewhere:
            raise UnknownStudent(", ".join(f"student {s} is in shard {shard_of(s, shard[1])} of {shard[1]}, not "
                                           f"{shard[0]}" for s in elsewhere))
        unknown = sorted(set(only) - set(everyone))
        if unknown:
            raise UnknownStudent(f"no submission folder for student {', '.join(unknown)} in {submissions}")
    data = {key: path.read_bytes() for key, path in found.items() if path is not None}
    guard = Guard() if isolation == "none" else None
    fingerprint, commit = course_version()
    cluster = None
    if scheduler is not None:
        from .cluster import DaskPool

        cluster = DaskPool(scheduler, fingerprint, commit)
        if cluster.allowed_failures != 1:
            problems.append(f"the scheduler runs a notebook again on up to {cluster.allowed_failures} workers "
                            "after one is lost; start it with DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1 to "
                            "give up after two")
        jobs = len(cluster.workers)
    book = gradebook.Gradebook(out)
    run = book.start_run(fingerprint, commit, seed, asdict(limits), isolation, jobs)
    book.record_class(run, everyone, chapters, *shard)
    version = {"course": fingerprint, "limits": json.dumps(asdict(limits), sort_keys=True), "isolation": isolation}
    done, todo = {}, []  # (student, chapter) -> submission id in the gradebook
    reused = 0
    for key in found:
        digest = hashlib.sha256(data[key]).hexdigest() if key in data else None
        if only and key[0] not in only:
            latest = book.latest(*key)
            if latest is not None:
                done[key] = latest
                continue
        before = None if only and key[0] in only else book.find(key[0], key[1], digest, **version)
        if only and key[0] not in only and before is None:
            problems.append(f"{key[0]}: not in the gradebook yet for {key[1]}, graded now")
        if before is not None:
            done[key] = before
            reused += digest is not None
        elif digest is None:
            chapter = course.chapter(key[1])
            missing = Result(key[1], [Row(label, "missing", f"no {key[1]}.ipynb in the submission")
                                      for label in chapter.exercises])
            done[key] = book.add(run, key[0], key[1], None, seed, missing, **version)
        else:
            todo.append(key)
    fonts = None if cluster is not None else _fontcache()
    pool = cluster or _LocalPool(jobs, fonts, guard)

    def record(key, result):
        done[key] = book.add(run, key[0], key[1], hashlib.sha256(data[key]).hexdigest(), seed, result, **version)

    bar = tqdm(total=len(todo), desc="grading", unit="notebook", disable=not progress, file=sys.stderr)
    try:
        retry = []
        futures = {pool.submit(key, data[key], seed, limits, isolation): key for key in todo}
        try:
            for future in pool.as_completed(list(futures)):
                key = futures[future]
                result = pool.result(future, key[1])
                if result.kernel_trouble and jobs > 1:
                    retry.append(key)  # recorded after its second grade, alone
                else:
                    record(key, result)
                bar.update()
        except BaseException:
            pool.cancel(list(futures))
            raise
        for key in retry:  # alone this time: nothing else runs beside it
            bar.set_description(f"again, alone: {key[0]}")
            record(key, pool.result(pool.submit(key, data[key], seed, limits, isolation), key[1]))
    except (KeyboardInterrupt, Stopped) as exc:
        graded = book.finish_run(run, "interrupted", reused)
        raise Interrupted(f"{graded} notebooks graded in this run are kept in {book.path}") from exc
    except CourseChanged:
        book.finish_run(run, "stopped: the course changed", reused)
        raise
    finally:
        bar.close()
        pool.close()
        if fonts is not None:
            shutil.rmtree(fonts, ignore_errors=True)
    graded = book.finish_run(run, "finished", reused)
    if similarity.write(Path(out), data, chapters) is None:  # advice for the instructor; no status changes
        problems.append(similarity.MISSING)
    results = {key: book.result(sid) for key, sid in done.items()}
    book.close()
    return ClassRun(students, chapters, results, problems, graded, reused,
                    {"id": run, "seed": seed, "isolation": isolation, "commit": commit, "course": fingerprint}, worth)
