"""``python -m mlpcourse merge``: the gradebooks of a class graded in shards, made one.

``grade --shard I/N`` grades the I-th of N slices of a class (by a hash of the student
id, :func:`mlpcourse.grade.shard_of`) into a gradebook of its own, on as many machines
(a CI matrix, a batch array) as there are shards. :func:`merge` copies every run,
submission and row of those gradebooks into one database, unchanged, and exports it
as ``grade`` does. It refuses gradebooks that cannot belong together: graded by
another version of the course, with other limits, sandbox or chapters, or given
another class. It never drops a student silently: one graded in two gradebooks is
listed (the latest grade is the one exported), and so is one of the class graded in
none (exported as missing).
"""

__all__ = ["MergeRefused", "merge"]

import json
from pathlib import Path

from . import course, gradebook, points
from .grade import ClassRun, shard_of
from .submission import Result, Row


class MergeRefused(ValueError):
    """The gradebooks cannot be merged: the message says which differ, and how."""


def _latest_run(db, folder):
    """The last run of a gradebook with its class: (run row as a dict, class row as a dict)."""
    cur = db.execute("SELECT runs.*, classes.shard, classes.shards, classes.students, classes.chapters "
                     "FROM runs JOIN classes ON classes.run = runs.id ORDER BY runs.id DESC LIMIT 1")
    row = cur.fetchone()
    if row is None:
        raise MergeRefused(f"{folder} holds no run of `grade` (no {gradebook.DATABASE}, or an empty one)")
    return dict(zip([d[0] for d in cur.description], row))


def _same(runs, key, what):
    """Refuse unless every gradebook's last run agrees on ``key``; name them and the values."""
    values = {}
    for folder, run in runs.items():
        values.setdefault(run[key], []).append(str(folder))
    if len(values) > 1:
        listed = "; ".join(f"{', '.join(folders)}: {value}" for value, folders in values.items())
        raise MergeRefused(f"the gradebooks were graded with different {what}, so their grades are not "
                           f"comparable: {listed}. Grade every shard with the same course and options")


def _copy(source, target):
    """Copy every run, class, submission and row of the database ``source`` into ``target``, unchanged
    but for their ids; return {submission id in source: its id in target}."""
    runs, submissions = {}, {}
    cur = source.execute("SELECT * FROM runs ORDER BY id")
    names = [d[0] for d in cur.description][1:]
    for old, *values in cur.fetchall():
        runs[old] = target.execute(f"INSERT INTO runs ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                                   values).lastrowid
    for run, *values in source.execute("SELECT * FROM classes"):
        target.execute("INSERT INTO classes VALUES (?, ?, ?, ?, ?)", (runs[run], *values))
    for old, run, *values in source.execute("SELECT * FROM submissions ORDER BY id").fetchall():
        submissions[old] = target.execute(
            "INSERT INTO submissions (run, student, chapter, digest, course, limits, isolation, seed, problems, "
            "graded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (runs[run], *values)).lastrowid
    target.executemany("INSERT INTO results VALUES (?, ?, ?, ?, ?, ?)",
                       [(submissions[sid], *rest) for sid, *rest in source.execute("SELECT * FROM results")])
    return submissions


def merge(folders, out, points_file=None):
    """Merge the gradebooks in ``folders`` into a new one in ``out``; return a
    :class:`mlpcourse.grade.ClassRun` of it
    (its ``problems`` list every student graded twice or never, and shards missing or repeated).
    ``points_file`` as for ``grade``. Raises :class:`MergeRefused`."""
    import sqlite3

    named = [Path(f) for f in folders]
    if not named:
        raise MergeRefused("name the gradebook folders to merge")
    folders = list(dict.fromkeys(named))  # in order, each once
    twice = [str(f) for f in folders if named.count(f) > 1]
    if (Path(out) / gradebook.DATABASE).exists():
        raise MergeRefused(f"{out} already holds a gradebook: merge into a new folder")
    dbs, runs = {}, {}
    for folder in folders:
        if not (folder / gradebook.DATABASE).is_file():
            raise MergeRefused(f"{folder} holds no {gradebook.DATABASE}: is it the --out folder of a `grade` run?")
        dbs[folder] = sqlite3.connect(f"file:{folder / gradebook.DATABASE}?mode=ro", uri=True)
        runs[folder] = _latest_run(dbs[folder], folder)
    _same(runs, "course", "versions of the course (fingerprints)")
    _same(runs, "limits", "limits")
    _same(runs, "isolation", "isolation")
    _same(runs, "chapters", "chapters")
    _same(runs, "shards", "numbers of shards")
    _same(runs, "students", "classes (the student folders each run was given)")
    first = next(iter(runs.values()))
    shards, everyone, chapters = first["shards"], json.loads(first["students"]), json.loads(first["chapters"])
    worth = points.table(chapters, points_file)
    problems = [f"{f} was named more than once; merged once" for f in twice]
    seen = {}
    for folder, run in runs.items():
        seen.setdefault(run["shard"], []).append(str(folder))
    for shard, where in sorted(seen.items()):
        if len(where) > 1:
            problems.append(f"shard {shard} of {shards} is in {len(where)} gradebooks: {', '.join(where)}")
    missing = sorted(set(range(shards)) - set(seen))
    if missing:
        problems.append(f"no gradebook of shard{'s' * (len(missing) > 1)} {', '.join(map(str, missing))} "
                        f"of {shards}: its students are missing below")

    book = gradebook.Gradebook(out)
    latest = {}  # (student, chapter) -> (time graded, id in the merged book)
    graded_in = {}  # student -> the gradebooks that graded them
    try:
        with book.db:
            for folder, db in dbs.items():
                new_id = _copy(db, book.db)
                shard = runs[folder]["shard"]
                for student in (s for s in everyone if shard_of(s, shards) == shard):
                    for chapter in chapters:
                        row = db.execute("SELECT id, graded FROM submissions WHERE student = ? AND chapter = ? "
                                         "ORDER BY id DESC LIMIT 1", (student, chapter)).fetchone()
                        if row is None:
                            continue
                        graded_in.setdefault(student, set()).add(str(folder))
                        if (student, chapter) not in latest or row[1] >= latest[(student, chapter)][0]:
                            latest[(student, chapter)] = (row[1], new_id[row[0]])
    finally:
        for db in dbs.values():
            db.close()
    for student, where in sorted(graded_in.items()):
        if len(where) > 1:
            problems.append(f"{student} was graded in {len(where)} gradebooks ({', '.join(sorted(where))}); "
                            "the latest grade of each chapter is exported")
    never = sorted(set(everyone) - set(graded_in))
    if never:
        problems.append(f"{len(never)} student{'s' * (len(never) > 1)} of the class graded in no gradebook, "
                        f"exported as missing: {', '.join(never)}")
    results = {}
    for student in everyone:
        for chapter in chapters:
            if (student, chapter) in latest:
                results[(student, chapter)] = book.result(latest[(student, chapter)][1])
            else:
                results[(student, chapter)] = Result(chapter, [Row(label, "missing", "in no shard's gradebook")
                                                               for label in course.chapter(chapter).exercises])
    seeds = sorted({run["seed"] for run in runs.values()})
    merged = ClassRun(everyone, chapters, results, problems,
                      run={"id": f"merged from {len(runs)} gradebooks", "seed": ", ".join(map(str, seeds)),
                           "isolation": first["isolation"], "commit": first["commit_id"], "course": first["course"]},
                      points=worth)
    book.close()
    return merged
