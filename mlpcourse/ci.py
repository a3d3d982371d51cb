"""The GitHub Actions workflow for a student's repository, written with the course's
address (pinned to a commit or tag) and the assigned chapters filled in.

The student's CI is feedback: a student controls their own repository, workflow
included. The record is the instructor's ``python -m mlpcourse grade`` run.
"""

import subprocess
from pathlib import Path

import yaml

from . import course

TEMPLATE = """\
# GitHub Actions workflow for a student's repository, written by
#   python -m mlpcourse ci-template{args}
# It checks the assigned chapters on every push. It is feedback for the student: the grade
# is the instructor's own run of `python -m mlpcourse grade` on the submitted notebooks.
name: check homework

on: [push, pull_request]

jobs:
  check:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    env:
      COURSE: "{course}"
      CHAPTERS: "{chapters}"
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install the course (pinned) in a virtual environment outside the repository
        run: |
          python -m venv "$RUNNER_TEMP/course-venv"
          "$RUNNER_TEMP/course-venv/bin/python" -m pip install --quiet "mlpcore[homework] @ $COURSE"
      - name: Check the assigned chapters (found anywhere in the repository)
        # run from outside the repository, in isolated mode (-I): no folder of the repository can
        # stand in for the course's package
        working-directory: ${{{{ runner.temp }}}}
        run: |
          "$RUNNER_TEMP/course-venv/bin/python" -I -m mlpcourse check --in "$GITHUB_WORKSPACE" --chapters $CHAPTERS
"""


def course_address(config=None):
    """The course repository's URL from ``_config.yml`` (``repository.url``), or None."""
    config = Path(config) if config else course.book_dir().parent / "_config.yml"
    if not config.is_file():
        return None
    data = yaml.safe_load(config.read_text()) or {}
    return (data.get("repository") or {}).get("url")


def current_ref():
    """The commit of the course checkout this package runs from, or its version tag."""
    root = course.book_dir().parent
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                             check=True, timeout=10)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        from mlpcore import __version__

        return f"v{__version__}"


def template(chapters=None, url=None, ref=None):
    """The workflow text. ``url`` defaults to ``_config.yml``'s repository, ``ref`` to the current commit."""
    chapters = list(chapters or course.chapters())
    for c in chapters:
        course.chapter(c)  # an unknown chapter fails here
    url = url or course_address()
    if not url:
        raise ValueError("no course address: give --course URL (or set repository.url in _config.yml)")
    if ref is None and "@" in url.split("//", 1)[-1].split("/", 1)[-1]:
        url, ref = url.rsplit("@", 1)
    ref = ref or current_ref()
    if ref in ("main", "master", "HEAD"):
        raise ValueError(f"pin the course to a tag or commit, not {ref!r}")
    source = url if url.startswith("git+") else f"git+{url}"
    args = "".join(f" {a}" for a in (["--chapters", *chapters] if chapters else []))
    return TEMPLATE.format(course=f"{source}@{ref}", chapters=" ".join(chapters), args=args)


def run_steps(workflow_text):
    """The shell commands of the workflow's ``run`` steps, in order (what the tests execute)."""
    data = yaml.safe_load(workflow_text)
    job = data["jobs"]["check"]
    return [(step.get("working-directory"), step["run"]) for step in job["steps"] if "run" in step], job["env"]

