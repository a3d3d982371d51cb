"""Grading speed: a generated class graded with --jobs 1 and --jobs 2, in one run.

The class: N students (default 30), each with the released chapters 3 and 7, a
third solved, a third wrong, a third untouched. Prints chapter submissions per
minute for each number of jobs, and checks that both runs gave the same verdicts.

    python benchmarks/bench_grading.py [--students 30] [--jobs 1 2]
"""

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

from mlpcourse.__main__ import main as mlpcourse_main
from mlpcourse.samples import make_class

CHAPTERS = ["03_activation_functions", "07_worked_example_2_2_1"]


def grade(submissions, out, jobs):
    start = time.perf_counter()
    status = mlpcourse_main(["grade", str(submissions), "--out", str(out), "--jobs", str(jobs), "--seed", "1",
                             "--no-progress", "--chapters", *CHAPTERS])
    seconds = time.perf_counter() - start
    if status != 0:
        sys.exit(f"grade --jobs {jobs} exited with {status}")
    with open(out / "grades.csv") as f:
        rows = [(r["student"], r["chapter"], r["exercise"], r["status"]) for r in csv.DictReader(f)]
    return seconds, rows


def run(students=30, jobs=(1, 2)):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        kinds = make_class(tmp / "class", CHAPTERS, students)
        n = students * len(CHAPTERS)
        results = {}
        for j in jobs:
            seconds, rows = grade(tmp / "class", tmp / f"grades-{j}", j)
            results[j] = (seconds, rows)
            print(f"--jobs {j}: {n} chapter submissions in {seconds:.1f} s = {60 * n / seconds:.1f} per minute")
        verdicts = {tuple(rows) for _, rows in results.values()}
        print("same verdicts with every --jobs:", len(verdicts) == 1)
        statuses = {}
        for student, _, _, status in next(iter(results.values()))[1]:
            statuses.setdefault(kinds[student], set()).add(status)
        print("statuses by kind of submission:", {k: sorted(v) for k, v in statuses.items()})
        if len(jobs) > 1:
            print(f"speed-up of --jobs {jobs[-1]} over --jobs {jobs[0]}: {results[jobs[0]][0] / results[jobs[-1]][0]:.2f}")
        return {j: 60 * n / s for j, (s, _) in results.items()}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    a = p.parse_args()
    run(a.students, tuple(a.jobs))
