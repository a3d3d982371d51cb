"""Seed sweep: the book's reference solutions must pass every check on every seed.

For each chapter, the book's own notebook (every solution in place) runs top to bottom
in one kernel, the grader's way (:func:`mlpcourse.submission.find_answers` says where
each answer is complete); at that point each checked answer is collected on the
inputs of every seed in the sweep (:func:`mlpcourse.submission.collect_answer`) and
judged (:func:`mlpcourse.exercises.judge`), exactly as ``grade`` would on a class
graded with that seed. A correct answer that fails on any seed is a bug in the check.

    python tools/sweep_checks.py --seeds 1000 [--chapters 06_backprop_chain_rule ...] [--jobs 2]

Prints, per exercise, the seeds tried and every failure with its message; writes the
summary as JSON (``--json``); exits 1 if any reference failed.
"""

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from mlpcourse import course, exercises, notebook
from mlpcourse.kernel import Sandbox
from mlpcourse.submission import collect_answer, find_answers

CELL_TIMEOUT = 600.0


def sweep_chapter(stem, seeds, progress=print):
    """{label: {"seeds": n, "failures": [(seed, status, detail)], "seconds": s}} for one chapter."""
    chapter = course.chapter(stem)
    checks = exercises.load_chapter(stem)
    nb = nbformat.read(course.book_dir() / f"{stem}.ipynb", as_version=4)
    code = [notebook.source(c) for c in nb.cells if c.cell_type == "code"]
    where = find_answers(code, chapter)
    report = {}
    with Sandbox(isolation="none", memory_gib=8.0) as sandbox:
        for i, src in enumerate(code):
            out = sandbox.run(src, CELL_TIMEOUT)
            if out.status != "ok":  # as in grade, the notebook goes on (the appendix reads a file of the checkout)
                progress(f"{stem}, code cell {i + 1}: {out.status} {out.ename}: {out.evalue[:200]}")
                if out.stopped:
                    raise RuntimeError(f"{stem}: the kernel stopped at code cell {i + 1}")
            for label in [lab for lab in chapter.checked if where[lab][1] == i]:
                started, failures = time.monotonic(), []
                for seed in seeds:
                    inputs = checks[label].inputs_for(seed)
                    ran, record = collect_answer(sandbox, label, chapter.answers[label], inputs, CELL_TIMEOUT)
                    if ran.status != "ok" or record is None:
                        failures.append((seed, "error", f"collecting: {ran.status} {ran.ename} {ran.evalue}"))
                        continue
                    status, detail = exercises.judge(label, record, inputs)
                    if status != "passed":
                        failures.append((seed, status, detail))
                report[label] = {"seeds": len(seeds), "failures": failures,
                                 "seconds": round(time.monotonic() - started, 1)}
                progress(f"{stem} {label}: {len(failures)} of {len(seeds)} seeds failed "
                         f"({report[label]['seconds']} s)" + (f"; first: seed {failures[0][0]}: "
                                                             f"{failures[0][2][:300]}" if failures else ""))
    return report


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=1000, help="seeds 0 .. N-1 (default 1000)")
    p.add_argument("--first", type=int, default=0, help="the first seed (default 0)")
    p.add_argument("--chapters", nargs="+", default=None)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--json", type=Path, default=None, help="write the summary here")
    a = p.parse_args(argv)
    stems = a.chapters or course.chapters()
    seeds = list(range(a.first, a.first + a.seeds))
    for stem in stems:  # imported here, one at a time: threads importing at once can meet a half-made module
        exercises.load_chapter(stem)
    with ThreadPoolExecutor(a.jobs) as pool:
        reports = dict(zip(stems, pool.map(lambda s: sweep_chapter(s, seeds, lambda m: print(m, flush=True)),
                                           stems)))
    failed = {(stem, label): r["failures"] for stem, rs in reports.items() for label, r in rs.items() if r["failures"]}
    total = sum(len(rs) for rs in reports.values())
    print(f"\n{total} checked exercises, {len(seeds)} seeds each: {total - len(failed)} passed on every seed")
    for (stem, label), failures in failed.items():
        print(f"  {label} ({stem}): {len(failures)} seeds failed, e.g. seed {failures[0][0]}: {failures[0][2][:200]}")
    if a.json:
        a.json.write_text(json.dumps(reports, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
