"""Grading speed: a generated class graded with the sandbox and without it (--no-sandbox),
and with each number of jobs, in one run, taking turns round after round so that all see
the same noise.

The class: N students (default 30), each with the released chapters 3 and 7, a third
solved, a third wrong, a third untouched. Prints chapter submissions per minute for each
setting, the sandbox's cost against no sandbox, and checks that every setting gave the
same verdicts. The target: with --jobs 2, at least 30 a minute in the sandbox, and
within 10% of the same run without it.

With --scheduler, a Dask scheduler and as many single-threaded workers as the largest
--jobs start on this machine (mlpcourse.cluster.local_cluster), and the same class is
graded through them too, in the same rounds: the rate through the cluster against the
local pool's shows what the scheduler costs; the seconds per notebook give the workers
a class needs (book/teaching.md).

    python benchmarks/bench_grading.py [--students 30] [--jobs 2] [--rounds 1] [--scheduler]
"""

import argparse
import contextlib
import csv
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mlpcourse.__main__ import main as mlpcourse_main
from mlpcourse.samples import make_class

CHAPTERS = ["03_activation_functions", "07_worked_example_2_2_1"]
ISOLATIONS = {"sandbox": [], "no sandbox": ["--no-sandbox"]}


def grade(submissions, out, jobs, flags):  # flags: --no-sandbox, or --scheduler ADDRESS
    start = time.perf_counter()
    status = mlpcourse_main(["grade", str(submissions), "--out", str(out), "--jobs", str(jobs), "--seed", "1",
                             "--no-progress", "--chapters", *CHAPTERS, *flags])
    seconds = time.perf_counter() - start
    if status != 0:
        sys.exit(f"grade --jobs {jobs} {' '.join(flags)} exited with {status}")
    with open(out / "grades.csv") as f:
        rows = [(r["student"], r["chapter"], r["exercise"], r["status"]) for r in csv.DictReader(f)]
    return seconds, rows


def run(students=30, jobs=(2,), rounds=1, scheduler=False):
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        settings = dict(ISOLATIONS)
        if scheduler:
            from mlpcourse.cluster import local_cluster

            address, _ = stack.enter_context(local_cluster(max(jobs)))
            settings[f"dask, {max(jobs)} workers"] = ["--scheduler", address]
        tmp = Path(tmp)
        kinds = make_class(tmp / "class", CHAPTERS, students)
        n = students * len(CHAPTERS)
        seconds, verdicts = {}, set()
        for r in range(rounds):
            for j in jobs:
                for name, flags in settings.items():
                    s, rows = grade(tmp / "class", tmp / f"grades-{r}-{j}-{len(flags)}", j, flags)
                    seconds.setdefault((name, j), []).append(s)
                    verdicts.add(tuple(rows))
                    print(f"round {r + 1}, --jobs {j}, {name}: {n} chapter submissions in {s:.1f} s "
                          f"= {60 * n / s:.1f} per minute", flush=True)
        rates = {key: 60 * n / statistics.median(s) for key, s in seconds.items()}
        print()
        for (name, j), rate in rates.items():
            print(f"--jobs {j}, {name}: {rate:.1f} chapter submissions per minute (median of {rounds})")
        for name, j in [key for key in rates if key[0].startswith("dask")]:
            print(f"{name}: {rates[(name, j)]:.1f} per minute against {rates[('sandbox', j)]:.1f} with the local "
                  f"pool of --jobs {j} ({rates[(name, j)] / rates[('sandbox', j)]:.2f} times); "
                  f"{60 / rates[('sandbox', j)] * j:.2f} worker-seconds per notebook")
        for j in jobs:
            cost = rates[("no sandbox", j)] / rates[("sandbox", j)] - 1
            print(f"--jobs {j}: the sandbox costs {100 * cost:+.1f}% of the time without it "
                  f"(target: at most +10%; sandboxed rate {rates[('sandbox', j)]:.1f}, target: at least 30)")
        print("same verdicts in every setting:", len(verdicts) == 1)
        statuses = {}
        for student, _, _, status in next(iter(verdicts)):
            statuses.setdefault(kinds[student], set()).add(status)
        print("statuses by kind of submission:", {k: sorted(v) for k, v in statuses.items()})
        return rates


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--jobs", type=int, nargs="+", default=[2])
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--scheduler", action="store_true", help="also grade through a local Dask cluster")
    a = p.parse_args()
    run(a.students, tuple(a.jobs), a.rounds, a.scheduler)
