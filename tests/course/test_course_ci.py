"""The student CI workflow, run step by step in a fresh virtual environment against a
local clone of the course and sample student repositories; and, in that installed
course, a submission that rewrites the installed checks stops the grading run."""

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from mlpcourse import ci
from mlpcourse.__main__ import main
from mlpcourse.samples import submission

ROOT = Path(__file__).resolve().parents[2]
CH = "03_activation_functions"


def test_template_fills_in_the_course_pinned_and_the_chapters(capsys):
    assert main(["ci-template", "--chapters", CH, "07_worked_example_2_2_1"]) == 0
    text = capsys.readouterr().out
    steps, env = ci.run_steps(text)
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert re.fullmatch(rf"git\+{re.escape(url)}@([0-9a-f]{{40}}|v[\d.]+)", env["COURSE"]), env["COURSE"]
    assert env["CHAPTERS"] == f"{CH} 07_worked_example_2_2_1"
    assert "OWNER" not in text and "@main" not in text
    assert any("python\" -I -m mlpcourse check --in \"$GITHUB_WORKSPACE\"" in run for _, run in steps)


def test_template_refuses_what_it_cannot_pin(capsys):
    assert main(["ci-template", "--course", "https://example.org/course@main"]) == 2
    assert "pin the course to a tag or commit" in capsys.readouterr().err
    assert main(["ci-template", "--chapters", "99_nothing"]) == 2


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A local clone of the course as it is now, and the workflow's install step run in a fresh venv."""
    tmp = tmp_path_factory.mktemp("ci")
    clone = tmp / "course"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split("\n")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clone / name)
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@localhost", "-C", str(clone)]
    subprocess.run(git[:5] + ["init", "-q", str(clone)], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "course"], check=True)
    commit = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    workflow = ci.template([CH], url=f"file://localhost{clone}", ref=commit)
    steps, env = ci.run_steps(workflow)
    runner = tmp / "runner"
    runner.mkdir()
    base = {"PATH": os.environ["PATH"], "HOME": str(tmp), "RUNNER_TEMP": str(runner), **env}
    base.pop("PYTHONPATH", None)
    install = steps[0][1]
    subprocess.run(["bash", "-e", "-c", install], env=base, check=True, cwd=tmp, timeout=900)
    return tmp, steps, base, runner / "course-venv" / "bin" / "python"


def _student_repo(path, kind):
    path.mkdir(parents=True)
    (path / "homework").mkdir()
    nbformat.write(submission(CH, kind), path / "homework" / f"{CH}.ipynb")
    (path / "mlpcourse").mkdir()  # a package of the student's that would print a green line
    (path / "mlpcourse" / "__init__.py").write_text("")
    (path / "mlpcourse" / "__main__.py").write_text("print('99 passed, 0 failed')")
    return path


@pytest.mark.parametrize("kind, status, summary", [("solved", 0, "3 passed, 0 failed, 0 not attempted"),
                                                   ("untouched", 1, "0 passed, 0 failed, 3 not attempted")])
def test_the_workflow_checks_a_student_repository(installed, kind, status, summary):
    tmp, steps, env, _ = installed
    repo = _student_repo(tmp / f"student-{kind}", kind)
    workdir, run = steps[1]
    assert workdir == "${{ runner.temp }}"
    result = subprocess.run(["bash", "-e", "-c", run], env={**env, "GITHUB_WORKSPACE": str(repo)},
                            cwd=env["RUNNER_TEMP"], capture_output=True, text=True, timeout=600)
    assert result.returncode == status, result.stdout + result.stderr
    assert summary in result.stdout and "99 passed" not in result.stdout


REWRITE = ("import mlpcourse.checks.ch03_activation_functions as m, pathlib\n"
           "p = pathlib.Path(m.__file__)\n"
           "p.write_text(p.read_text().replace('compare_function(answer', 'pass  # compare_function(answer'))")


def _tamper_class(folder):
    tamper = submission(CH, "untouched")
    tamper.cells.insert(1, nbformat.v4.new_code_cell(REWRITE))
    for student, nb in [("a-tamperer", tamper), ("b-unsolved", submission(CH, "untouched"))]:
        (folder / student).mkdir(parents=True)
        nbformat.write(nb, folder / student / f"{CH}.ipynb")
    return folder


def _installed_checks(python):
    return subprocess.run([str(python), "-I", "-c", "import mlpcourse.checks.ch03_activation_functions as m; "
                           "print(open(m.__file__).read())"], capture_output=True, text=True, check=True).stdout


def test_in_the_sandbox_a_submission_cannot_rewrite_the_installed_checks(installed):
    """The installed course (not a checkout): inside the sandbox its mlpcourse is the stand-in, so the
    checks are not even there to rewrite; the run finishes and nothing passes."""
    tmp, _, env, python = installed
    before = _installed_checks(python)
    result = subprocess.run([str(python), "-I", "-m", "mlpcourse", "grade", str(_tamper_class(tmp / "class")),
                             "--out", str(tmp / "grades"), "--jobs", "1", "--no-progress"], env=env, cwd=tmp,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "isolation: bubblewrap sandbox" in result.stdout
    assert _installed_checks(python) == before
    with open(tmp / "grades" / "grades.csv") as f:
        assert {row[3] for row in list(csv.reader(f))[1:]} == {"not attempted"}


def test_without_the_sandbox_a_submission_that_rewrites_the_installed_checks_stops_the_run(installed):
    tmp, _, env, python = installed
    result = subprocess.run([str(python), "-I", "-m", "mlpcourse", "grade", str(_tamper_class(tmp / "class-ns")),
                             "--out", str(tmp / "grades-ns"), "--jobs", "1", "--no-progress", "--no-sandbox"],
                            env=env, cwd=tmp, capture_output=True, text=True, timeout=600)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "changed on disk while grading" in result.stderr
    assert not (tmp / "grades-ns" / "grades.csv").exists()
    assert sys.executable != str(python)  # the damage stayed in the test's own installation
