"""Command line: ``python -m mlpcore.homework release|check ...`` (``--help`` for each)."""

import argparse
import sys
from pathlib import Path

from .grade import check_notebook
from .notebook import NotACourseNotebook
from .release import release, toc_chapters


def _book_root(start):
    for folder in [start, *start.parents]:
        if (folder / "_toc.yml").is_file():
            return folder
    return Path(__file__).resolve().parents[2]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mlpcore.homework", description="Homework for the course: "
                                     "write student versions of the chapters, and check submitted notebooks.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{release,check}")

    rel = commands.add_parser("release", help="write the student version of chapters",
                              description="Write the student version of chapters: every solution replaced by a "
                              "stub that raises NotImplementedError, outputs of solution and check cells cleared.")
    rel.add_argument("notebooks", nargs="*", type=Path,
                     help="chapters to release (default: every chapter in the book's _toc.yml)")
    rel.add_argument("--out", required=True, type=Path, help="folder for the student notebooks")
    rel.add_argument("--book", type=Path, default=None,
                     help="the book's top folder, holding _toc.yml (default: found from the current folder)")

    chk = commands.add_parser("check", help="run notebooks and report every exercise",
                              description="Run each notebook top to bottom in a fresh kernel and report each "
                              "exercise: passed, failed, not attempted, error or timed out. Exit status 0 only "
                              "when every checked exercise passes.")
    chk.add_argument("notebooks", nargs="+", type=Path, help="the notebooks to check")
    chk.add_argument("--timeout", type=float, default=60.0, help="time limit per cell, in seconds (default 60)")
    chk.add_argument("--kernel", default="python3", help="Jupyter kernel to run the notebooks in (default python3)")

    args = parser.parse_args(argv)
    if args.command == "release":
        return _release(args)
    return _check(args)


def _release(args):
    notebooks = args.notebooks or toc_chapters(args.book or _book_root(Path.cwd()))
    if not notebooks:
        print("no chapters to release (no notebook named, none found in _toc.yml)", file=sys.stderr)
        return 2
    try:
        written = release(notebooks, args.out)
    except (NotACourseNotebook, ValueError) as exc:
        print(f"release failed: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


def _check(args):
    if args.timeout <= 0:
        print(f"--timeout must be > 0, got {args.timeout}", file=sys.stderr)
        return 2
    passed = failed = 0
    unusable = False
    for path in args.notebooks:
        try:
            report = check_notebook(path, timeout=args.timeout, kernel_name=args.kernel)
        except NotACourseNotebook as exc:
            print(f"{path}: cannot check: {exc}")
            unusable = True
            continue
        except Exception as exc:  # the kernel would not start, and the like
            print(f"{path}: cannot check: {type(exc).__name__}: {exc}")
            unusable = True
            continue
        for line in report.lines():
            print(line)
        passed, failed = passed + report.passed, failed + report.failed
        unusable = unusable or bool(report.problems)
    print(f"{passed} passed, {failed} failed")
    if unusable:
        return 2
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
