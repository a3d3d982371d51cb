"""The student CI workflow, run step by step in a fresh virtual environment against a
local clone of the course and sample student repositories, with the summary it writes;
``ci-template``'s check that the course repository has the pinned ref (against local bare
repositories); and, in that installed course, a submission that rewrites the installed
checks stops the grading run."""

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

from mlpcourse import ci, course
from mlpcourse.__main__ import main
from mlpcourse.samples import submission
from mlpcourse.submission import Row

ROOT = Path(__file__).resolve().parents[2]
CH = "03_activation_functions"
RUN = "04_forward_pass"  # the chapter the workflow's runs check: it runs in under a second


def test_template_fills_in_the_course_pinned_and_the_chapters(capsys):
    # the course's own address (GitHub) cannot be reached from the test machine: --no-verify
    assert main(["ci-template", "--chapters", CH, "07_worked_example_2_2_1", "--no-verify"]) == 0
    out, err = capsys.readouterr()
    assert "--no-verify" in err and "not checked" in err
    text = out
    steps, env = ci.run_steps(text)
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert re.fullmatch(rf"git\+{re.escape(url)}@([0-9a-f]{{40}}|v[\d.]+)", env["COURSE"]), env["COURSE"]
    assert env["CHAPTERS"] == f"{CH} 07_worked_example_2_2_1"
    assert "OWNER" not in text and "@main" not in text
    assert any("python\" -I -m mlpcourse check --in \"$GITHUB_WORKSPACE\"" in run for _, run in steps)
    assert "--fail-on failed --summary \"$GITHUB_STEP_SUMMARY\"" in steps[-1][1]  # --red-on's default


def test_red_on_not_attempted_is_the_check_steps_fail_on(capsys):
    assert main(["ci-template", "--chapters", CH, "--no-verify", "--red-on", "not-attempted"]) == 0
    steps, _ = ci.run_steps(capsys.readouterr().out)
    assert "--fail-on not-attempted" in steps[-1][1] and "--fail-on failed" not in steps[-1][1]
    with pytest.raises(SystemExit):
        main(["ci-template", "--chapters", CH, "--no-verify", "--red-on", "never"])


def test_the_install_step_runs_only_when_the_cached_environment_is_not_there(capsys):
    assert main(["ci-template", "--chapters", CH, "--no-verify"]) == 0
    workflow = yaml.safe_load(capsys.readouterr().out)
    job = workflow["jobs"]["check"]
    steps = job["steps"]
    restore = next(s for s in steps if str(s.get("uses", "")).startswith("actions/cache/restore@"))
    save = next(s for s in steps if str(s.get("uses", "")).startswith("actions/cache/save@"))
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    check = next(s for s in steps if "mlpcourse check" in s.get("run", ""))
    assert steps.index(restore) < steps.index(install) < steps.index(save) < steps.index(check)
    assert install["if"] == save["if"] == f"steps.{restore['id']}.outputs.cache-hit != 'true'"
    assert "if" not in check  # the check runs whether the environment came from the cache or not
    path = "${{ runner.temp }}/course-venv"
    assert restore["with"]["path"] == save["with"]["path"] == path
    assert '"$RUNNER_TEMP/course-venv/bin/python" -m pip install' in install["run"]
    assert '"mlpcore[check] @ $COURSE"' in install["run"] and "homework" not in install["run"]
    key = restore["with"]["key"]
    # the pin (COURSE), the runner's OS and the exact Python are in the key; save stores under the same key
    assert "${{ env.COURSE }}" in key and job["env"]["COURSE"].startswith("git+")
    assert "${{ runner.os }}" in key and "${{ steps.python.outputs.python-version }}" in key
    python = next(s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python@"))
    assert python["id"] == "python"
    assert save["with"]["key"] == f"${{{{ steps.{restore['id']}.outputs.cache-primary-key }}}}"


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
    url = f"file://localhost{clone}"
    assert ci.verify_ref(url, commit) is None  # the clone has the commit: ls-remote lists it
    workflow = ci.template([RUN], url=url, ref=commit)
    steps, env = ci.run_steps(workflow)
    # the same workflow, red also while an exercise is not attempted: its check step
    strict = ci.run_steps(ci.template([RUN], url=url, ref=commit, red_on="not-attempted"))[0]
    assert strict[0] == steps[0]  # the same install step
    runner = tmp / "runner"
    runner.mkdir()
    # PIP_COMPILE=0 (pip's --no-compile): pip would compile every module it installs, SciPy's, scikit-learn's
    # and SymPy's too (a third of the step's time here); the steps below compile what they import, as they do
    base = {"PATH": os.environ["PATH"], "HOME": str(tmp), "RUNNER_TEMP": str(runner), "PIP_COMPILE": "0", **env}
    base.pop("PYTHONPATH", None)
    install = steps[0][1]
    subprocess.run(["bash", "-e", "-c", install], env=base, check=True, cwd=tmp, timeout=900)
    return tmp, {"failed": steps, "not-attempted": strict}, base, runner / "course-venv" / "bin" / "python"


def _student_repo(path, kind):
    path.mkdir(parents=True)
    (path / "homework").mkdir()
    nbformat.write(submission(RUN, kind), path / "homework" / f"{RUN}.ipynb")
    (path / "mlpcourse").mkdir()  # a package of the student's that would print a green line
    (path / "mlpcourse" / "__init__.py").write_text("")
    (path / "mlpcourse" / "__main__.py").write_text("print('99 passed, 0 failed')")
    return path


EXPECTED = {"solved": "✅ passed", "wrong": "❌ failed", "untouched": "⏳ not attempted"}


@pytest.mark.parametrize("kind, red_on, status", [("solved", "failed", 0), ("wrong", "failed", 1),
                                                  ("untouched", "failed", 0), ("untouched", "not-attempted", 1)])
def test_the_workflow_checks_a_student_repository(installed, kind, red_on, status):
    tmp, workflows, env, _ = installed
    repo = _student_repo(tmp / f"student-{kind}-{red_on}", kind)
    workdir, run = workflows[red_on][1]
    assert workdir == "${{ runner.temp }}"
    page = tmp / f"summary-{kind}-{red_on}.md"
    page.write_text("## an earlier step's summary\n")
    result = subprocess.run(["bash", "-e", "-c", run],
                            env={**env, "GITHUB_WORKSPACE": str(repo), "GITHUB_STEP_SUMMARY": str(page)},
                            cwd=env["RUNNER_TEMP"], capture_output=True, text=True, timeout=600)
    assert result.returncode == status, result.stdout + result.stderr
    checked = course.chapter(RUN).checked
    n = len(checked)
    totals = {"solved": f"{n} passed, 0 failed", "wrong": f"0 passed, {n} failed",
              "untouched": "0 passed, 0 failed"}[kind]
    assert totals in result.stdout and "99 passed" not in result.stdout

    # the summary page: appended to, a table of the notebook's exercises as the website numbers them
    text = page.read_text()
    assert text.startswith("## an earlier step's summary\n## Homework check")
    assert f"### `homework/{RUN}.ipynb`" in text
    assert "| Exercise | Label | Status | Detail |" in text
    rows = {line.split("|")[2].strip(" `"): line for line in text.splitlines() if line.startswith("| 4.")}
    for i, label in enumerate(course.chapter(RUN).exercises, 1):
        if label in checked:
            assert rows[label].startswith(f"| 4.{i} | `{label}` | {EXPECTED[kind]} |"), rows[label]
    assert f"**{totals}" in text
    seed = re.search(r"checked with seed (\d+)", text, re.I).group(1)
    assert f"`python -m mlpcourse check --seed {seed} homework/{RUN}.ipynb`" in text
    assert f"--fail-on {red_on}" in text


REWRITE = (f"import mlpcourse.checks.ch{RUN} as m, pathlib\n"  # every failure of the checks turned into a print
           "p = pathlib.Path(m.__file__)\n"
           "p.write_text(p.read_text().replace('raise Failure(', 'print('))")


def _tamper_class(folder):
    tamper = submission(RUN, "untouched")
    tamper.cells.insert(1, nbformat.v4.new_code_cell(REWRITE))
    for student, nb in [("a-tamperer", tamper), ("b-unsolved", submission(RUN, "untouched"))]:
        (folder / student).mkdir(parents=True)
        nbformat.write(nb, folder / student / f"{RUN}.ipynb")
    return folder


def _installed_checks(python):
    return subprocess.run([str(python), "-I", "-c", f"import mlpcourse.checks.ch{RUN} as m; "
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


# --- ci-template asks the course repository whether it has the ref ---------------------------------------

def _git(cwd, *args):
    return subprocess.run(["git", "-c", "user.name=ci", "-c", "user.email=ci@localhost", "-c", "init.defaultBranch=main",
                           *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def _commit(work, message):
    _git(work, "commit", "-q", "--allow-empty", "-m", message)
    return _git(work, "rev-parse", "HEAD")


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A course checkout whose remote `course` is a local bare repository holding two of its commits; the
    checkout's HEAD is the second."""
    bare, work = tmp_path / "course.git", tmp_path / "work"
    _git(tmp_path, "init", "-q", "--bare", str(bare))
    _git(tmp_path, "init", "-q", str(work))
    old = _commit(work, "one")
    pushed = _commit(work, "two")
    _git(work, "remote", "add", "course", str(bare))
    _git(work, "push", "-q", "-u", "course", "main")
    monkeypatch.setattr(ci, "checkout", lambda: work)
    return bare, work, old, pushed


def _pinned(text):
    return ci.run_steps(text)[1]["COURSE"]


def test_ci_template_pins_a_commit_the_course_repository_has(checkout, capsys):
    bare, work, old, pushed = checkout
    # the remote's URL spelled otherwise: file://, no .git, a trailing /, git+
    for url in (f"file://{bare}", f"git+file://localhost{str(bare)[:-4]}/", str(bare)):
        assert main(["ci-template", "--chapters", CH, "--course", url]) == 0
        out, err = capsys.readouterr()
        assert _pinned(out) == f"{url if url.startswith('git+') else 'git+' + url}@{pushed}" and err == ""
    # a commit in the history of a branch the repository has
    assert main(["ci-template", "--chapters", CH, "--course", str(bare), "--ref", old[:12]]) == 0
    assert _pinned(capsys.readouterr().out).endswith(f"@{old[:12]}")


def test_ci_template_refuses_a_commit_not_pushed_and_says_how_to_push_it(checkout, capsys):
    bare, work, _, pushed = checkout
    new = _commit(work, "three")
    assert main(["ci-template", "--chapters", CH, "--course", f"file://{bare}"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"has the commit {new}" in err and "`git ls-remote course`" in err
    assert "git push course main\n" in err and "--no-verify" in err
    # --no-verify writes it, with a warning
    assert main(["ci-template", "--chapters", CH, "--course", f"file://{bare}", "--no-verify"]) == 0
    out, err = capsys.readouterr()
    assert _pinned(out).endswith(f"@{new}") and "warning" in err and "--no-verify" in err
    # pushed, it is accepted
    _git(work, "push", "-q", "course", "main")
    assert main(["ci-template", "--chapters", CH, "--course", f"file://{bare}"]) == 0
    assert _pinned(capsys.readouterr().out).endswith(f"@{new}")


def test_ci_template_wants_the_tag_itself_there(checkout, capsys):
    """pip installs `@v1` by name: the tag's commit being there is not enough."""
    bare, work, _, pushed = checkout
    _git(work, "tag", "v1")
    assert main(["ci-template", "--chapters", CH, "--course", str(bare), "--ref", "v1"]) == 2
    err = capsys.readouterr().err
    assert "the tag or branch v1" in err and "git push course v1\n" in err
    _git(work, "push", "-q", "course", "v1")
    assert main(["ci-template", "--chapters", CH, "--course", str(bare), "--ref", "v1"]) == 0
    assert _pinned(capsys.readouterr().out).endswith("@v1")


def test_offline_the_remote_tracking_branches_stand_in_for_the_repository(checkout, capsys):
    bare, work, _, pushed = checkout
    bare.rename(bare.with_name("away.git"))  # the remote cannot be reached; its URL is still the course's
    assert main(["ci-template", "--chapters", CH, "--course", str(bare)]) == 0
    out, err = capsys.readouterr()
    assert _pinned(out).endswith(f"@{pushed}")
    assert "could not reach course" in err and "course/main" in err
    new = _commit(work, "three")
    assert main(["ci-template", "--chapters", CH, "--course", str(bare)]) == 2
    err = capsys.readouterr().err
    assert f"has the commit {new}" in err
    assert "`git ls-remote course` failed" in err and "remote-tracking branches of course" in err
    assert "git push course main\n" in err


def test_without_a_remote_of_that_url_the_url_itself_is_asked(checkout, tmp_path, capsys):
    _, work, _, pushed = checkout
    other = tmp_path / "other.git"
    _git(tmp_path, "init", "-q", "--bare", str(other))
    assert main(["ci-template", "--chapters", CH, "--course", f"file://{other}"]) == 2
    err = capsys.readouterr().err
    assert f"`git ls-remote file://{other}`" in err and "no remote of the checkout" in err
    assert f"git push file://{other} main\n" in err
    _git(work, "push", "-q", f"file://{other}", "main")
    assert main(["ci-template", "--chapters", CH, "--course", f"file://{other}"]) == 0
    assert _pinned(capsys.readouterr().out).endswith(f"@{pushed}")


def test_one_repository_spelled_several_ways_is_one_address(tmp_path):
    same = ["https://github.com/Course/Book", "https://github.com/course/book.git/", "git+https://github.com/course/book",
            "git@github.com:course/book.git", "ssh://git@github.com/course/book", "http://user@github.com/course/book"]
    assert {ci.normalise_url(u) for u in same} == {"github.com/course/book"}
    assert ci.normalise_url("https://gitlab.example.org/a/b.git") != ci.normalise_url("https://github.com/a/b")
    bare = tmp_path / "course.git"
    bare.mkdir()
    local = [str(bare), f"{bare}/", f"file://{bare}", f"file://localhost{bare}", f"git+file://{bare}"]
    assert len({ci.normalise_url(u) for u in local}) == 1
    assert ci.normalise_url("course.git", base=tmp_path) == ci.normalise_url(str(bare))
    assert ci.normalise_url(str(tmp_path / "elsewhere.git")) != ci.normalise_url(str(bare))


# --- the summary page -------------------------------------------------------------------------------------

def test_the_summary_is_a_table_whose_cells_hold_pipes_and_line_breaks():
    from markdown_it import MarkdownIt

    rows = [Row("ex-softsign-derivative", "failed", "for z=0.5: expected |z| < 1, got a|b\nsecond line"),
            Row("ex-phi-tanh", "passed"), Row("ex-elu-curvature-jump", "not attempted"),
            Row("ex-relu-zero", "written", "my *answer*")]
    text = ci.summary([(f"homework/{CH}.ipynb", CH, ["its metadata differs | edited?"], rows)], 1234,
                      [f"homework/{CH}.ipynb"], "failed")
    lines = text.splitlines()
    row = next(line for line in lines if "ex-softsign-derivative" in line)
    assert row == r"| 3.1 | `ex-softsign-derivative` | ❌ failed | for z=0.5: expected \|z\| \< 1, got a\|b … |"
    assert "second line" not in text
    # the notebook's problem comes before its table
    assert lines.index("- ⚠️ its metadata differs \\| edited?") < lines.index("| Exercise | Label | Status | Detail |")
    assert "**1 passed, 1 failed, 1 not attempted, 1 written (graded by hand)**" in lines
    assert f"Checked with seed 1234. To check the same inputs again: `python -m mlpcourse check --seed 1234 homework/{CH}.ipynb`" in lines
    assert "Red on failed, error, timed out, missing; an exercise not attempted yet leaves it green (`--fail-on failed`)." in lines
    assert f"### `homework/{CH}.ipynb`" in lines  # the file's name says the chapter
    other = ci.summary([("hw/mine.ipynb", CH, [], rows[:1])], 1, ["hw/mine.ipynb"], "not-attempted").splitlines()
    assert "### `hw/mine.ipynb` (chapter 03\\_activation\\_functions)" in other
    assert "Red until every exercise passes: on failed, error, timed out, missing and not attempted (`--fail-on not-attempted`)." in other
    # as GitHub renders it: four cells in every row, the pipes and the < inside the detail
    html = MarkdownIt("commonmark").enable("table").render(text)
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    cells = [r.count("<td>") for r in body.split("<tr>")[1:]]
    assert cells == [4, 4, 4, 4], html
    assert "<td>for z=0.5: expected |z| &lt; 1, got a|b …</td>" in body
    assert "<td>3.4</td>" in body and "<td>graded by hand; your answer has 2 words</td>" in body
    assert "my *answer*" not in text  # a written answer is not echoed back


def test_a_table_cell_escapes_pipes_and_line_breaks():
    assert ci.cell("a|b\nc\r\nd") == r"a\|b<br>c<br>d"
    assert ci.cell("x_1 * y_2 `z` [l](u) <b>") == r"x\_1 \* y\_2 \`z\` \[l\](u) \<b\>"
