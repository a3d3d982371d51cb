"""The gradebook: ``GRADES/gradebook.db``, a SQLite database, and the files exported from it.

The database is the record. ``runs`` holds every grading run (start and end, the
course's commit and fingerprint, seed, limits, isolation, jobs, counts, and how it
ended); ``classes`` the class a run was given (every student folder found, the
chapters) and the shard of it that the run graded (``grade --shard I/N``; 0 of 1 for
the whole class); ``submissions`` a graded notebook (student, chapter, the sha256 of
its bytes, the course version, limits, isolation and seed it was graded with, the
problems found); ``results`` its rows, one per exercise (a written one holds the
student's answer, graded by hand). A notebook's rows are committed the moment it is
graded (WAL mode), and nothing is ever deleted: a regrade adds a submission.
``grades.csv``, ``summary.csv``, ``feedback/`` and ``report.html`` (with
``written.html``, the written answers to grade by hand) are exports
of the latest result per student and chapter.
"""

import base64
import csv
import html
import io
import json
import sqlite3
import time
from collections import Counter
from pathlib import Path

from . import points
from .statuses import FAILING, NOT_ATTEMPTED, STATUSES, WRITTEN, passes, tally
from .submission import Result, Row

__all__ = ["DATABASE", "Gradebook", "write", "feedback", "report", "written_page"]

DATABASE = "gradebook.db"
KILLED = "ended without finishing (killed, or the machine stopped)"
COLUMNS = ["student", "chapter", "exercise", "status", "detail", "seconds"]
SUMMARY = ["student", "chapter", *STATUSES, "total", "points", "possible"]  # every status counted apart
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started TEXT NOT NULL, ended TEXT, outcome TEXT NOT NULL,
    course TEXT NOT NULL, commit_id TEXT NOT NULL, seed INTEGER NOT NULL, limits TEXT NOT NULL,
    isolation TEXT NOT NULL, jobs INTEGER NOT NULL, graded INTEGER, reused INTEGER);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES runs(id), student TEXT NOT NULL,
    chapter TEXT NOT NULL, digest TEXT, course TEXT NOT NULL, limits TEXT NOT NULL, isolation TEXT NOT NULL,
    seed INTEGER NOT NULL, problems TEXT NOT NULL, graded TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    submission INTEGER NOT NULL REFERENCES submissions(id), position INTEGER NOT NULL, exercise TEXT NOT NULL,
    status TEXT NOT NULL, detail TEXT NOT NULL, seconds REAL NOT NULL, PRIMARY KEY (submission, position));
CREATE INDEX IF NOT EXISTS by_student ON submissions (student, chapter);
CREATE TABLE IF NOT EXISTS classes (
    run INTEGER PRIMARY KEY REFERENCES runs(id), shard INTEGER NOT NULL, shards INTEGER NOT NULL,
    students TEXT NOT NULL, chapters TEXT NOT NULL);
"""


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


class Gradebook:
    """The database in folder ``out`` (made if needed), opened for one run in one thread."""

    def __init__(self, out):
        Path(out).mkdir(parents=True, exist_ok=True)
        self.path = Path(out) / DATABASE
        self.db = sqlite3.connect(self.path, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        self.db.commit()

    def start_run(self, course, commit, seed, limits, isolation, jobs):
        """Record the start of a run; return its id. A run still marked running was killed (or its machine
        stopped): it could not say so itself."""
        with self.db:
            self.db.execute("UPDATE runs SET outcome = ? WHERE outcome = 'running'", (KILLED,))
            cur = self.db.execute(
                "INSERT INTO runs (started, outcome, course, commit_id, seed, limits, isolation, jobs) "
                "VALUES (?, 'running', ?, ?, ?, ?, ?, ?)",
                (_now(), course, commit, seed, json.dumps(limits, sort_keys=True), isolation, jobs))
        return cur.lastrowid

    def record_class(self, run, students, chapters, shard=0, shards=1):
        """Record the class run ``run`` was given (every student, the chapters) and its shard of it."""
        with self.db:
            self.db.execute("INSERT INTO classes VALUES (?, ?, ?, ?, ?)",
                            (run, shard, shards, json.dumps(sorted(students)), json.dumps(list(chapters))))

    def finish_run(self, run, outcome, reused):
        """Record how run ``run`` ended and what it did; return how many notebooks it graded (counted in
        the database: an interrupt may come between a commit and any count kept beside it)."""
        with self.db:
            graded = self.db.execute("SELECT count(*) FROM submissions WHERE run = ? AND digest IS NOT NULL",
                                     (run,)).fetchone()[0]
            self.db.execute("UPDATE runs SET ended = ?, outcome = ?, graded = ?, reused = ? WHERE id = ?",
                            (_now(), outcome, graded, reused, run))
        return graded

    def find(self, student, chapter, digest, course, limits, isolation):
        """The latest submission of these very bytes (``digest``; None: no notebook) graded with this course
        version, limits and isolation, or None."""
        row = self.db.execute(
            "SELECT id FROM submissions WHERE student = ? AND chapter = ? AND digest IS ? AND course = ? "
            "AND limits = ? AND isolation = ? ORDER BY id DESC LIMIT 1",
            (student, chapter, digest, course, limits, isolation)).fetchone()
        return row[0] if row else None

    def latest(self, student, chapter):
        """The latest submission of ``student`` for ``chapter``, whatever it was graded with, or None."""
        row = self.db.execute("SELECT id FROM submissions WHERE student = ? AND chapter = ? ORDER BY id DESC LIMIT 1",
                              (student, chapter)).fetchone()
        return row[0] if row else None

    def add(self, run, student, chapter, digest, seed, result, course, limits, isolation):
        """Commit one graded notebook (a :class:`mlpcourse.submission.Result`) now; return its id."""
        with self.db:
            cur = self.db.execute(
                "INSERT INTO submissions (run, student, chapter, digest, course, limits, isolation, seed, problems, "
                "graded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run, student, chapter, digest, course, limits, isolation, seed, json.dumps(result.problems),
                 _now()))
            self.db.executemany(
                "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?)",
                [(cur.lastrowid, i, r.exercise, r.status, r.detail, r.seconds) for i, r in enumerate(result.rows)])
        return cur.lastrowid

    def result(self, submission):
        """The :class:`mlpcourse.submission.Result` of one submission."""
        chapter, problems, seed = self.db.execute("SELECT chapter, problems, seed FROM submissions WHERE id = ?",
                                                  (submission,)).fetchone()
        rows = self.db.execute("SELECT exercise, status, detail, seconds FROM results WHERE submission = ? "
                               "ORDER BY position", (submission,)).fetchall()
        return Result(chapter, [Row(*r) for r in rows], json.loads(problems), seed=seed)

    def runs(self):
        """Every run, oldest first, as dicts."""
        cur = self.db.execute("SELECT * FROM runs ORDER BY id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def close(self):
        """Close the database."""
        self.db.close()


def write(out, graded):
    """Export the gradebook of a :class:`mlpcourse.grade.ClassRun` into ``out``; return the paths written."""
    out = Path(out)
    students, chapters, results = graded.students, graded.chapters, graded.results
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    rows = [(s, c, row) for s in students for c in chapters for row in results[(s, c)].rows]
    with open(out / "grades.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for s, c, row in rows:
            w.writerow([s, c, row.exercise, row.status, row.detail, f"{row.seconds:.2f}"])
    worth = graded.points or points.table(chapters)
    with open(out / "summary.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(SUMMARY)
        for s in students:
            for c in chapters:
                r = results[(s, c)]
                earned, possible = points.score(c, r, worth)
                w.writerow([s, c, *(r.count(status) for status in STATUSES), len(r.rows), f"{earned:g}",
                            f"{possible:g}"])
    for s in students:
        (out / "feedback" / f"{s}.md").write_text(feedback(s, chapters, results))
    (out / "report.html").write_text(report(students, chapters, results, graded.problems, graded.run))
    (out / "written.html").write_text(written_page(students, chapters, results))
    return [out / "grades.csv", out / "summary.csv", out / "feedback", out / "report.html", out / "written.html"]


def feedback(student, chapters, results):
    """What one student is told: every exercise with its message."""
    lines = [f"# Feedback for {student}", ""]
    for c in chapters:
        r = results[(student, c)]
        hand = _written_labels(c)
        checked = [row for row in r.rows if row.exercise not in hand]
        passed = tally(row.status for row in checked)["passed"]
        lines += [f"## {c}: {passed} of {len(checked)} checked exercises passed", ""]
        lines += [f"- Note: {p}" for p in r.problems]
        for row in r.rows:
            name = f"- Exercise {_number(c, row.exercise)}, `{row.exercise}`"
            if row.exercise in hand:
                lines.append(f"{name}: **{row.status}** (graded by hand); your answer:" if row.status == WRITTEN
                             else f"{name}: **{row.status}** (a written exercise, graded by hand)"
                             + (f": {row.detail}" if row.detail else ""))
                if row.status == WRITTEN:
                    lines += ["", *("  > " + line for line in row.detail.splitlines()), ""]
                continue
            detail = row.detail.replace("\n", "\n  ") if row.detail else ""
            lines.append(f"{name}: **{row.status}**" + (f": {detail}" if detail else ""))
        if r.seed is not None and any(row.status in FAILING for row in r.rows):
            lines += ["", f"Graded on the grader's inputs of seed {r.seed}, fixed cases and random ones (your "
                      f"check cell uses seed 0): `python -m mlpcourse check {c}.ipynb --seed {r.seed}` runs your "
                      "notebook on the very same inputs."]
        lines.append("")
    return "\n".join(lines)


def _chart(rates):
    """A horizontal bar chart of pass rates, as an inline SVG image (base64 data URL)."""
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    labels = [label for label, _ in rates]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(labels) + 1))
    ax.barh(range(len(labels)), [100 * r for _, r in rates], color="#2a6f97")
    ax.set_yticks(range(len(labels)), labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("students who passed (%)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


def isolation_text(isolation):
    """How a run's kernels were isolated, in words."""
    return ("each kernel in a bubblewrap sandbox (own user, PID and network namespaces; a read-only view of "
            "what a chapter needs; only its own folder writable)" if isolation == "bubblewrap" else
            "no sandbox (--no-sandbox): each kernel ran as the instructor's user")


def report(students, chapters, results, problems, run=None):
    """report.html: per-exercise counts and pass rates, the most common failure messages."""
    table, rates, failures, missing = [], [], Counter(), {}
    for c in chapters:
        labels = []
        for s in students:
            labels += [row.exercise for row in results[(s, c)].rows if row.exercise not in labels]
        hand = _written_labels(c)
        for label in labels:
            counts = Counter(row.status for s in students for row in results[(s, c)].rows if row.exercise == label)
            if label in hand:  # graded by hand: counted in the table, kept out of the pass rates
                table.append((c, label, counts, sum(counts.values()), None))
                continue
            total = sum(counts.values())
            rate = sum(n for status, n in counts.items() if passes(status)) / total if total else 0.0
            rates.append((f"Exercise {_number(c, label)} {label}", rate))
            table.append((c, label, counts, total, rate))
        for s in students:
            if all(row.status == "missing" for row in results[(s, c)].rows):  # no notebook (or not this chapter's)
                missing.setdefault(c, []).append(s)
                continue
            for row in results[(s, c)].rows:
                if row.status in FAILING and row.detail:
                    failures[(c, row.exercise, row.status, row.detail.splitlines()[0][:200])] += 1
    e = html.escape
    head = list(STATUSES)
    body = [f"<tr><td>{e(c)}</td><td>Exercise {_number(c, label)} <code>{e(label)}</code></td>"
            + "".join(f"<td>{counts[h]}</td>" for h in head)
            + (f"<td>{100 * rate:.0f}%</td></tr>" if rate is not None else '<td><a href="written.html">by hand</a>'
               "</td></tr>")
            for c, label, counts, total, rate in table]
    common = [f"<tr><td>{n}</td><td>{e(c)}</td><td>Exercise {_number(c, label)} <code>{e(label)}</code></td>"
              f"<td>{e(status)}</td><td>{e(msg)}</td></tr>"
              for (c, label, status, msg), n in failures.most_common(15)]
    alt = "; ".join(f"{label}: {100 * r:.0f}% passed" for label, r in rates)
    notes = "".join(f"<li>{e(p)}</li>" for p in problems)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Grading report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}}
table{{border-collapse:collapse;margin:1rem 0;font-size:.9rem}}
th,td{{border:1px solid #bbb;padding:.25rem .5rem;text-align:left}}
th{{background:#eef}}img{{width:100%;height:auto}}code{{font-size:.85rem}}
.scroll{{overflow-x:auto}}</style></head>
<body><h1>Grading report</h1>
<p>{len(students)} students, chapters {e(", ".join(chapters))}.</p>
{_run_text(run)}
{f"<h2>Notes</h2><ul>{notes}</ul>" if notes else ""}
<h2>Pass rate per exercise</h2>
<img src="{_chart(rates) if rates else ''}" alt="{e(alt)}">
<div class="scroll" role="region" aria-label="counts per exercise" tabindex="0">
<table><thead><tr><th scope="col">chapter</th><th scope="col">exercise</th>
{"".join(f'<th scope="col">{h}</th>' for h in head)}<th scope="col">pass rate</th></tr></thead>
<tbody>{"".join(body)}</tbody></table></div>
<p>Written exercises are graded by hand: their answers, student by student, are in
<a href="written.html">written.html</a>.</p>
<h2>Most common failures</h2>
<div class="scroll" role="region" aria-label="most common failures" tabindex="0">
<table><thead><tr><th scope="col">students</th><th scope="col">chapter</th><th scope="col">exercise</th>
<th scope="col">status</th><th scope="col">message (first line)</th></tr></thead>
<tbody>{"".join(common) or '<tr><td colspan="5">none</td></tr>'}</tbody></table></div>
<h2>Notebooks missing</h2>
{"".join(f"<p>{e(c)}: {len(who)} students ({e(', '.join(who))})</p>" for c, who in missing.items()) or "<p>none</p>"}
</body></html>
"""


def _written_labels(chapter):
    from . import course

    try:
        return set(course.chapter(chapter).written)
    except course.UnknownChapter:
        return set()


def written_page(students, chapters, results):
    """written.html: every written exercise, and under it each student's answer as they wrote it
    (shown as text, never as HTML), for the instructor to grade by hand."""
    e = html.escape
    sections = []
    for c in chapters:
        for label in sorted(_written_labels(c), key=lambda lab: _number(c, lab)):
            answers = []
            for s in students:
                row = next((r for r in results[(s, c)].rows if r.exercise == label), None)
                if row is not None and row.status == WRITTEN:
                    answers.append(f'<h4 id="{e(label)}-{e(s)}">{e(s)}</h4><div class="answer">{e(row.detail)}</div>')
                else:
                    status = row.status if row is not None else NOT_ATTEMPTED
                    answers.append(f"<h4>{e(s)}</h4><p><em>{e(status)}</em></p>")
            sections.append(f'<h2 id="{e(label)}">Exercise {_number(c, label)} <code>{e(label)}</code> '
                            f"({e(c)})</h2>" + "".join(answers))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Written answers</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}}
.answer{{white-space:pre-wrap;border-left:4px solid #2a6f97;padding:.25rem .75rem;background:#f6f8fa}}
code{{font-size:.85rem}}</style></head>
<body><h1>Written answers</h1>
<p>{len(students)} students. Each answer is shown as the student wrote it, Markdown and TeX unrendered;
grade it by hand. Back to the <a href="report.html">grading report</a>.</p>
{"".join(sections) or "<p>No written exercises in these chapters.</p>"}
</body></html>
"""


def _run_text(run):
    if not run:
        return ""
    e = html.escape
    which = f"Run {run['id']} of the gradebook" if isinstance(run["id"], int) else f"A gradebook {run['id']}"
    return (f"<p>{which}, seed {run['seed']}, course commit "
            f"<code>{e(run['commit'][:12])}</code>; isolation: {e(isolation_text(run['isolation']))}.</p>")


def _number(chapter, label):
    """Exercise ``label``'s number as the website shows it ("6.2"), or "?" for a label the chapter lacks."""
    from . import course

    try:
        return course.chapter(chapter).number(label)
    except (course.UnknownChapter, ValueError):
        return "?"
