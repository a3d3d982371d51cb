"""``python -m mlpcourse grade-template``: the jobs that grade a class in shards and merge them,
for a GitHub Actions matrix or a Slurm array.

Every shard runs ``grade --shard I/N`` with the same seed (pinned in the file, so that the
merged files are those of one run over the class) into its own gradebook folder, and a last
job runs ``merge`` over them. :func:`commands` reads the grade and merge commands back out of
either file, which is how the tests run them.
"""

__all__ = ["FORMATS", "github", "slurm", "commands"]

import re
import shlex

FORMATS = ("github", "slurm")


def _grade(submissions, out, shard, shards, seed, chapters):
    extra = f" --chapters {' '.join(chapters)}" if chapters else ""
    return (f"python -m mlpcourse grade {shlex.quote(submissions)} --out {out} --shard {shard}/{shards} "
            f"--seed {seed} --no-progress{extra}")


def _merge(shards, out):
    return f"python -m mlpcourse merge {' '.join(f'grades-{i}' for i in range(shards))} --out {out}"


def github(shards, seed, submissions="submissions", out="grades", chapters=None):
    """A workflow: a job per shard (a matrix), each uploading its gradebook, then the merge."""
    grade = _grade(submissions, "grades-${{ matrix.shard }}", "${{ matrix.shard }}", shards, seed, chapters)
    return f"""# Grade the class in {shards} shards, then merge them (mlpcourse grade-template --format github)
name: grade
on: workflow_dispatch
jobs:
  grade:
    strategy:
      matrix:
        shard: [{', '.join(str(i) for i in range(shards))}]
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: sudo apt-get install -y bubblewrap && pip install -r requirements.txt
      - run: {grade}
      - uses: actions/upload-artifact@v4
        with:
          name: grades-${{{{ matrix.shard }}}}
          path: grades-${{{{ matrix.shard }}}}
  merge:
    needs: grade
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt
      - uses: actions/download-artifact@v4
      - run: {_merge(shards, out)}
      - uses: actions/upload-artifact@v4
        with:
          name: {out}
          path: {out}
"""


def slurm(shards, seed, submissions="submissions", out="grades", chapters=None):
    """A shell script: an array job of ``shards`` tasks, and the merge as a job that waits for it."""
    grade = _grade(submissions, "grades-$SLURM_ARRAY_TASK_ID", "$SLURM_ARRAY_TASK_ID", shards, seed, chapters)
    return f"""#!/bin/bash
# Grade the class in {shards} shards on Slurm, then merge them (mlpcourse grade-template --format slurm)
set -euo pipefail
array=$(sbatch --parsable --array=0-{shards - 1} --cpus-per-task=2 --wrap '{grade}')
sbatch --dependency=afterok:$array --wrap '{_merge(shards, out)}'
"""


def commands(text, fmt):
    """(the grade command of shard I, a function of I; the merge command) read back from a template."""
    if fmt == "github":
        runs = re.findall(r"^ +- run: (python -m mlpcourse .*)$", text, re.M)
        grade, merge = runs
        return (lambda i: grade.replace("${{ matrix.shard }}", str(i))), merge
    grade, merge = re.findall(r"--wrap '([^']*)'", text)
    return (lambda i: grade.replace("$SLURM_ARRAY_TASK_ID", str(i))), merge
