"""Command line: ``python -m mlpcourse release|check|grade|ci-template`` (``--help`` for each)."""

import argparse
import sys
from pathlib import Path

from . import course

PROG = "python -m mlpcourse"


def _limits(parser):
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="time limit per cell and per answer, in seconds (default 60)")
    parser.add_argument("--total-timeout", type=float, default=900.0,
                        help="time limit per notebook, in seconds (default 900)")
    parser.add_argument("--memory", type=float, default=4.0, metavar="GIB",
                        help="memory limit per kernel, in GiB (default 4)")


def _chapters(parser, what):
    parser.add_argument("--chapters", nargs="+", metavar="CHAPTER",
                        help=f"chapters by their notebook's stem, such as 03_activation_functions ({what})")


def parser():
    p = argparse.ArgumentParser(prog=PROG, description="The course's tools: write the student version of the "
                                "chapters, check a student's notebooks, grade a class, write the student CI.")
    commands = p.add_subparsers(dest="command", required=True,
                                metavar="{release,check,grade,merge,export,ci-template,grade-template}")

    rel = commands.add_parser("release", help="write the student version of chapters",
                              description="Write the student version of chapters, readable in JupyterLab or VS "
                              "Code as on the website: every solution replaced by a stub that raises "
                              "NotImplementedError (a written exercise gets a Markdown cell for its answer), outputs "
                              "of solution and check cells cleared, the book's MyST turned into plain Markdown with "
                              "the glued numbers filled in. Nothing is written unless every chapter can be released.")
    rel.add_argument("notebooks", nargs="*", metavar="CHAPTER",
                     help="a chapter's stem, such as 06_backprop_chain_rule, or a notebook's path (relative to the "
                     "current folder); default: every chapter of the course")
    rel.add_argument("--out", required=True, type=Path, help="folder for the student notebooks (other files in it "
                     "are left alone)")
    rel.add_argument("--book", type=Path, default=None,
                     help="a book folder holding _toc.yml, to release its chapters instead of the course's")

    chk = commands.add_parser("check", help="run a student's notebooks and report every exercise",
                              description="Run each notebook in a fresh sandboxed kernel, call every checked "
                              "answer on the grader's own inputs and judge it here: passed, failed, not attempted, "
                              "error, timed out, missing, written (graded by hand). Exit status 1 when an exercise "
                              "failed, or (by default) is not attempted yet: see --fail-on.")
    chk.add_argument("notebooks", nargs="*", type=Path, help="the notebooks to check (named <chapter>.ipynb)")
    chk.add_argument("--in", dest="folder", type=Path, help="check the chapters' notebooks found anywhere below "
                     "this folder (with --chapters: only those, and a missing one fails)")
    _chapters(chk, "with --in")
    chk.add_argument("--no-sandbox", action="store_true", help="run the kernel without the bubblewrap sandbox")
    chk.add_argument("--seed", type=int, default=None,
                     help="seed of the random cases: the one a grade was decided with reruns the grader's inputs "
                     "(default: a fresh one)")
    chk.add_argument("--fail-on", choices=("failed", "not-attempted"), default="not-attempted",
                     help="what makes the exit status 1: a failed exercise (failed, error, timed out, missing), "
                     "or those and one not attempted yet (not-attempted, the default). Written exercises never do")
    chk.add_argument("--summary", metavar="FILE", default=None,
                     help="append a Markdown table of the exercises to FILE (a GitHub Actions job's "
                     "$GITHUB_STEP_SUMMARY); an empty FILE writes nothing")
    _limits(chk)

    grd = commands.add_parser("grade", help="grade a class into a gradebook",
                              description="Grade SUBMISSIONS (one folder per student, named by the student's id, "
                              "with the notebooks anywhere below it) into GRADES: grades.csv, summary.csv, "
                              "feedback/<student>.md and report.html, exported from GRADES/gradebook.db. Each "
                              "notebook runs in a bubblewrap sandbox. A second run (or one after a crash or Ctrl-C) "
                              "grades only what is not in the gradebook yet. Exit status 0 when every submission "
                              "could be graded, whatever the grades.")
    grd.add_argument("submissions", type=Path, help="the folder of student folders")
    grd.add_argument("--out", required=True, type=Path, help="the gradebook folder")
    grd.add_argument("--jobs", type=int, default=None, help="notebooks graded at once (default: number of cores)")
    _chapters(grd, "default: every chapter found in a submission")
    grd.add_argument("--seed", type=int, default=None, help="seed of the random cases (default: a fresh one)")
    grd.add_argument("--student", action="append", default=None, metavar="ID",
                     help="grade only this student (again, even if the gradebook has the notebook); the exports "
                     "keep the other students' latest grades. Repeat for several")
    grd.add_argument("--shard", default=None, metavar="I/N",
                     help="grade only the I-th of N slices of the class (0 <= I < N, by a hash of the student id, "
                     "so the same on every machine) into this gradebook; `merge` joins the N gradebooks")
    grd.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="grade on a Dask cluster (tcp://HOST:8786): each notebook in a sandbox on a worker; every "
                     "worker must hold this course (default: grade here, with no server)")
    grd.add_argument("--points", default=None, metavar="FILE",
                     help="what each exercise is worth, for summary.csv and `export`: a CSV with the columns "
                     "exercise,points (default: its stars, ★ = 1, ★★ = 2, ★★★ = 3)")
    grd.add_argument("--no-progress", action="store_true", help="no progress bar")
    grd.add_argument("--no-sandbox", action="store_true",
                     help="run the kernels without the bubblewrap sandbox (only where it cannot be had: a "
                     "submission can then reach your files, the grader and other students' work)")
    _limits(grd)

    mrg = commands.add_parser("merge", help="join the gradebooks of a class graded in shards",
                              description="Copy the gradebooks of `grade --shard I/N` runs into one gradebook in "
                              "GRADES and export it as `grade` does. Refuses gradebooks graded with another version "
                              "of the course, other limits, sandbox or chapters, or given another class; lists any "
                              "student graded twice (the latest grade is exported) or never (exported as missing).")
    mrg.add_argument("gradebooks", nargs="+", type=Path, metavar="GRADES_I", help="the --out folders of the shards")
    mrg.add_argument("--out", required=True, type=Path, help="a new folder for the merged gradebook")
    mrg.add_argument("--points", default=None, metavar="FILE", help="as for grade")

    exp = commands.add_parser("export", help="write a gradebook's points for Canvas, Moodle or a spreadsheet",
                              description="Write GRADES's points per student and chapter (summary.csv) as Canvas's "
                              "or Moodle's grade import, or a plain CSV, one row per student of the roster exported "
                              "from the LMS, matched by the roster column --match. Students of the gradebook missing "
                              "from the roster, and of the roster missing from the gradebook, are listed.")
    exp.add_argument("gradebook", type=Path, metavar="GRADES", help="the --out folder of `grade` or `merge`")
    exp.add_argument("--format", required=True, choices=("canvas", "moodle", "csv"), help="the file to write")
    exp.add_argument("--roster", type=Path, default=None,
                     help="the class list exported from the LMS (required for canvas and moodle)")
    exp.add_argument("--match", default=None, metavar="COLUMN",
                     help="the roster column that holds the gradebook's student ids (the student folders' names); "
                     "default: 'SIS Login ID' for canvas, 'ID number' for moodle")
    exp.add_argument("--out", type=Path, default=None, help="the file to write (default GRADES/export-FORMAT.csv)")

    gt = commands.add_parser("grade-template", help="write the jobs that grade a class in shards and merge them",
                             description="Print a GitHub Actions workflow (a matrix of `grade --shard I/N` jobs, "
                             "then `merge`) or a Slurm script (an array job, then `merge` once it has finished) that "
                             "grades the class in SUBMISSIONS on many machines with one seed.")
    gt.add_argument("--shards", type=int, required=True, help="how many slices of the class, graded at once")
    gt.add_argument("--format", required=True, choices=("github", "slurm"), help="the file to write")
    gt.add_argument("--submissions", default="submissions", help="the class's folder, as the jobs see it")
    gt.add_argument("--out", default="grades", help="the merged gradebook's folder")
    gt.add_argument("--seed", type=int, default=None, help="the seed every shard grades with (default: a fresh one)")
    _chapters(gt, "default: every chapter found in a submission")

    ci = commands.add_parser("ci-template", help="write the GitHub Actions workflow for a student repository",
                             description="Print the workflow for .github/workflows/check-homework.yml of a student "
                             "repository, with the course's address pinned to a commit or tag and the assigned "
                             "chapters filled in. It is feedback; the instructor's grade run is the record.")
    _chapters(ci, "default: every chapter")
    ci.add_argument("--course", default=None, metavar="URL",
                    help="the course repository (default: repository.url of _config.yml); may end in @<tag or commit>")
    ci.add_argument("--ref", default=None, help="tag or commit to pin (default: the current commit)")
    ci.add_argument("--red-on", choices=("failed", "not-attempted"), default="failed",
                    help="what turns the student's run red: a failed exercise (failed, the default: exercises "
                    "still to do show in the run's summary), or also one not attempted yet (not-attempted)")
    ci.add_argument("--no-verify", action="store_true",
                    help="write the workflow without asking the course repository whether it has the ref")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return {"release": _release, "check": _check, "grade": _grade, "merge": _merge, "export": _export,
                "ci-template": _ci, "grade-template": _grade_template}[args.command](args)
    except course.UnknownChapter as exc:
        print(f"{PROG} {args.command}: {exc.args[0]}", file=sys.stderr)
        return 2


def _limits_of(args):
    from .submission import Limits

    for name in ("timeout", "total_timeout", "memory"):
        if getattr(args, name) <= 0:
            flag = "--" + name.replace("_", "-")
            raise SystemExit(f"{PROG} {args.command}: {flag} must be > 0, got {getattr(args, name)}")
    return Limits(cell=args.timeout, total=args.total_timeout, memory=args.memory)


def _release(args):
    from .notebook import NotACourseNotebook
    from .release import release, toc_chapters

    if args.book:
        chapters = {p.stem: p for p in toc_chapters(args.book)}
    else:
        chapters = {c: course.book_dir() / f"{c}.ipynb" for c in course.chapters()}
    notebooks = []
    for name in args.notebooks:
        path = Path(name)
        if path.is_file():  # a path, relative to the current folder
            notebooks.append(path)
        elif name in chapters:  # a stem, resolved against the book
            notebooks.append(chapters[name])
        else:
            what = "no such notebook" if path.suffix == ".ipynb" or len(path.parts) > 1 else \
                "neither a notebook nor a chapter"
            print(f"{PROG} release: {name!r}: {what}; name a notebook's path or a chapter, one of: "
                  f"{', '.join(chapters) or '(none found)'}", file=sys.stderr)
            return 2
    notebooks = notebooks or list(chapters.values())
    if not notebooks:
        print(f"{PROG} release: no chapters to release (no notebook named, none found)", file=sys.stderr)
        return 2
    if args.out.exists() and not args.out.is_dir():
        print(f"{PROG} release: --out {args.out} is a file, not a folder", file=sys.stderr)
        return 2
    try:
        written = release(notebooks, args.out)
    except (NotACourseNotebook, ValueError, OSError) as exc:
        print(f"{PROG} release failed: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


def _indent(detail):
    return detail.replace("\n", "\n      ")


def _isolation(args):
    """The isolation to run kernels with, and a note when it is not the sandbox (None: refuse to run)."""
    from .kernel import process_limit_problem, sandbox_problem

    if args.no_sandbox:
        return "none", "kernels run without the sandbox (--no-sandbox)"
    problem = sandbox_problem()
    if not problem:
        return "bubblewrap", process_limit_problem()
    if args.command == "check":
        return "none", f"kernels run without the sandbox: {problem}"
    print(f"{PROG} grade: cannot sandbox the students' kernels: {problem}.\n"
          "Install bubblewrap (apt-get install bubblewrap), or, knowing that a submission can then reach your "
          "files, the grader and other students' work, add --no-sandbox.", file=sys.stderr)
    return None, ""


def _check(args):
    from .grade import chapters_present
    from .notebook import chapter_notebooks
    from .statuses import NOT_ATTEMPTED, shown, tally
    from .submission import grade_notebook, new_seed

    limits = _limits_of(args)
    targets = [(p, p.stem) for p in args.notebooks]
    if args.folder:
        chapters = args.chapters or chapters_present(args.folder)
        for c in chapters:
            paths = chapter_notebooks(args.folder, c)
            targets.append((paths[0] if paths else args.folder / f"{c}.ipynb", c))
            if paths and paths[0].name != f"{c}.ipynb":
                print(f"note: no {c}.ipynb; checking {paths[0]}, a browser's copy: rename it to {c}.ipynb")
    if not targets:
        print(f"{PROG} check: name notebooks, or a folder with --in", file=sys.stderr)
        return 2
    isolation, note = _isolation(args)
    if note:
        print(f"note: {note}")
    seed = new_seed() if args.seed is None else args.seed
    statuses = []
    unusable = False
    checked = []  # (path, chapter, problems, rows) for --summary
    for path, chapter in targets:
        try:
            course.chapter(chapter)
        except course.UnknownChapter as exc:
            print(f"{path}: cannot check: {exc.args[0]}")
            unusable = True
            checked.append((path, chapter, [f"cannot check: {exc.args[0]}"], []))
            continue
        if not path.is_file():
            print(f"{path}: cannot check: no such file")
            unusable = True
            checked.append((path, chapter, ["cannot check: no such file"], []))
            continue
        result = grade_notebook(path.read_bytes(), chapter, seed, limits, isolation=isolation)
        print(f"{path} ({chapter})")
        for problem in result.problems:
            print(f"  ! {problem}")
        width = max([len(r.exercise) for r in result.rows] + [10])
        for r in result.rows:
            detail = shown(r.status, r.detail)
            print(f"  {r.exercise:{width}s}  {r.status}{': ' + _indent(detail) if detail else ''}")
            statuses.append(r.status)
        checked.append((path, chapter, result.problems, result.rows))
    counts = tally(statuses)
    if counts["failed"]:
        print(f"checked with seed {seed}: add --seed {seed} to check the same inputs again")
    print(f"{counts['passed']} passed, {counts['failed']} failed, {counts[NOT_ATTEMPTED]} not attempted")
    if args.summary:
        _write_summary(args, checked, seed)
    if unusable:
        return 2
    red = counts["failed"] + (counts[NOT_ATTEMPTED] if args.fail_on == "not-attempted" else 0)
    return 1 if red else 0


def _write_summary(args, checked, seed):
    from .ci import relative, summary

    # paths as a student types them from the top of their repository (the --in folder)
    notebooks = [(relative(p, args.folder), chapter, problems, rows) for p, chapter, problems, rows in checked]
    rerun = [name for (name, *_), (p, *_) in zip(notebooks, checked) if p.is_file()]
    with open(args.summary, "a", encoding="utf-8") as f:
        f.write(summary(notebooks, seed, rerun, args.fail_on) + "\n")


def _grade(args):
    from . import gradebook
    from .cluster import ClusterError
    from .grade import CourseChanged, Interrupted, UnknownStudent, grade_class
    from .points import PointsFileError

    limits = _limits_of(args)
    if not args.submissions.is_dir():
        print(f"{PROG} grade: {args.submissions} is not a folder of student folders", file=sys.stderr)
        return 2
    if args.jobs is not None and args.jobs < 1:
        print(f"{PROG} grade: --jobs must be >= 1, got {args.jobs}", file=sys.stderr)
        return 2
    shard = _shard(args.shard)
    if shard is None:
        return 2
    isolation, note = _isolation(args)
    if isolation is None:
        return 2
    if note:
        print(f"note: {note}", file=sys.stderr)
    try:
        graded = grade_class(args.submissions, args.out, args.chapters, args.jobs, limits, args.seed,
                             progress=not args.no_progress, isolation=isolation, only=args.student, shard=shard,
                             points_file=args.points, scheduler=args.scheduler)
    except CourseChanged as exc:
        print(f"{PROG} grade: stopped: {exc}", file=sys.stderr)
        return 3
    except Interrupted as exc:
        print(f"{PROG} grade: interrupted: {exc}; run the same command again to resume", file=sys.stderr)
        return 130
    except (UnknownStudent, PointsFileError, ClusterError) as exc:
        print(f"{PROG} grade: {exc}", file=sys.stderr)
        return 2
    if not graded.students or not graded.chapters:
        print(f"{PROG} grade: no student folders with chapter notebooks in {args.submissions}", file=sys.stderr)
        return 2
    gradebook.write(args.out, graded)
    for p in graded.problems:
        print(f"note: {p}")
    total = len(graded.students) * len(graded.chapters)
    print(f"graded {graded.graded} notebooks, took {graded.reused} from the gradebook "
          f"({total - graded.graded - graded.reused} missing) of {len(graded.students)} students; run "
          f"{graded.run['id']}, seed {graded.run['seed']}; isolation: "
          f"{'bubblewrap sandbox' if isolation == 'bubblewrap' else 'none (--no-sandbox)'}; gradebook in {args.out}")
    return 0


def _shard(text):
    """``"I/N"`` as (I, N), (0, 1) for None; None (after saying why) when it is not a shard."""
    if text is None:
        return 0, 1
    parts = text.split("/")
    if len(parts) == 2 and all(p.strip().isdigit() for p in parts):
        i, n = int(parts[0]), int(parts[1])
        if 0 <= i < n:
            return i, n
    print(f"{PROG} grade: --shard must be I/N with 0 <= I < N (the I-th of N slices, counted from 0), "
          f"got {text!r}", file=sys.stderr)
    return None


def _merge(args):
    from . import gradebook
    from .merge import MergeRefused, merge
    from .points import PointsFileError

    try:
        merged = merge(args.gradebooks, args.out, args.points)
    except (MergeRefused, PointsFileError) as exc:
        print(f"{PROG} merge: {exc}", file=sys.stderr)
        return 2
    gradebook.write(args.out, merged)
    for p in merged.problems:
        print(f"note: {p}")
    print(f"merged {len(args.gradebooks)} gradebooks: {len(merged.students)} students, "
          f"{len(merged.chapters)} chapters; gradebook in {args.out}")
    return 0


def _export(args):
    from .export import ExportError, export

    try:
        path, not_in_roster, not_graded = export(args.gradebook, args.format, args.roster, args.match, args.out)
    except ExportError as exc:
        print(f"{PROG} export: {exc}", file=sys.stderr)
        return 2
    if not_in_roster:
        print(f"note: {len(not_in_roster)} student{'s' * (len(not_in_roster) > 1)} of the gradebook not in the "
              f"roster, left out of the file: {', '.join(not_in_roster)}")
    if not_graded:
        print(f"note: {len(not_graded)} student{'s' * (len(not_graded) > 1)} of the roster not in the gradebook, "
              f"exported with empty grades: {', '.join(not_graded)}")
    print(f"wrote {path}")
    return 0


def _grade_template(args):
    from . import sharding
    from .submission import new_seed

    if args.shards < 2:
        print(f"{PROG} grade-template: --shards must be 2 or more, got {args.shards}", file=sys.stderr)
        return 2
    for chapter in args.chapters or []:
        course.chapter(chapter)  # an unknown one is named before anything is written
    seed = new_seed() if args.seed is None else args.seed
    make = sharding.github if args.format == "github" else sharding.slurm
    print(make(args.shards, seed, args.submissions, args.out, args.chapters), end="")
    return 0


def _ci(args):
    from .ci import pin, template, verify_ref

    try:
        url, ref = pin(args.course, args.ref)
        text = template(args.chapters, url, ref, red_on=args.red_on)
        if args.no_verify:
            print(f"{PROG} ci-template: warning: not checked that {url} has {ref} (--no-verify); the workflow's "
                  "install step fails if it does not", file=sys.stderr)
        else:
            note = verify_ref(url, ref)
            if note:
                print(f"{PROG} ci-template: note: {note}", file=sys.stderr)
    except ValueError as exc:
        print(f"{PROG} ci-template: {exc}", file=sys.stderr)
        return 2
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
