"""The GitHub Actions workflow for a student's repository, written with the course's
address (pinned to a commit or tag) and the assigned chapters filled in; the check that
the course repository has that commit or tag; and the Markdown summary that ``check
--summary`` appends to the workflow run's page.

The student's CI is feedback: a student controls their own repository, workflow
included. The record is the instructor's ``python -m mlpcourse grade`` run.
"""

import os
import re
import shlex
import signal
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from . import course
from .statuses import FAILING, NOT_ATTEMPTED, WRITTEN, shown, tally

RED_ON = ("failed", "not-attempted")

TEMPLATE = """\
# GitHub Actions workflow for a student's repository, written by
#   python -m mlpcourse ci-template{args}
# It checks the assigned chapters on every push and writes a table of the exercises on the run's
# summary page. It turns red {red}.
# It is feedback for the student: the grade is the instructor's own run of
# `python -m mlpcourse grade` on the submitted notebooks.
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
        id: python
        with:
          python-version: "3.11"
      # The course's virtual environment is cached. The key covers the runner's OS and architecture,
      # the exact Python (a venv runs its interpreter by absolute path) and the pinned COURSE: a new pin
      # or a new Python makes a new environment. It does not cover the versions pip chose for the
      # course's dependencies, which stay as first installed until the key changes. The venv's absolute
      # paths hold because runner.temp is the same folder on every run of a GitHub-hosted runner.
      # Restore and save are separate steps: actions/cache saves only when the job succeeds, and this
      # job is red as long as an exercise fails.
      - name: Restore the course's virtual environment
        id: course-venv
        uses: actions/cache/restore@v4
        with:
          path: ${{{{ runner.temp }}}}/course-venv
          key: {key}
      - name: Install the course (pinned) in a virtual environment outside the repository
        if: steps.course-venv.outputs.cache-hit != 'true'
        run: |
          python -m venv "$RUNNER_TEMP/course-venv"
          "$RUNNER_TEMP/course-venv/bin/python" -m pip install --quiet "mlpcore[check] @ $COURSE"
      - name: Save the course's virtual environment
        if: steps.course-venv.outputs.cache-hit != 'true'
        uses: actions/cache/save@v4
        with:
          path: ${{{{ runner.temp }}}}/course-venv
          key: ${{{{ steps.course-venv.outputs.cache-primary-key }}}}
      - name: Check the assigned chapters (found anywhere in the repository)
        # run from outside the repository, in isolated mode (-I): no folder of the repository can
        # stand in for the course's package. The table of exercises goes to the run's summary page.
        working-directory: ${{{{ runner.temp }}}}
        run: |
          "$RUNNER_TEMP/course-venv/bin/python" -I -m mlpcourse check --in "$GITHUB_WORKSPACE" --chapters $CHAPTERS \\
            --fail-on {red_on} --summary "$GITHUB_STEP_SUMMARY"
"""

# the cache's key: what a cached environment depends on (the comment in TEMPLATE says what it leaves out)
CACHE_KEY = ("course-venv-${{ runner.os }}-${{ runner.arch }}-py${{ steps.python.outputs.python-version }}"
             "-${{ env.COURSE }}")
_RED = {"failed": "when an exercise fails, not while one is still to do (--red-on failed)",
        "not-attempted": "until every exercise passes (--red-on not-attempted)"}


def course_address(config=None):
    """The course repository's URL from ``_config.yml`` (``repository.url``), or None."""
    config = Path(config) if config else course.book_dir().parent / "_config.yml"
    if not config.is_file():
        return None
    data = yaml.safe_load(config.read_text()) or {}
    return (data.get("repository") or {}).get("url")


def checkout():
    """The folder of the course checkout (or installation) this package runs from."""
    return course.book_dir().parent


def current_ref():
    """The commit of the course checkout this package runs from, or its version tag."""
    try:
        out = subprocess.run(["git", "-C", str(checkout()), "rev-parse", "HEAD"], capture_output=True, text=True,
                             check=True, timeout=10)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        from mlpcore import __version__

        return f"v{__version__}"


def pin(url=None, ref=None):
    """The course's URL and the tag or commit to pin: ``url`` defaults to ``_config.yml``'s repository (it may
    end in ``@<ref>``), ``ref`` to the current commit. A branch such as main is refused: it moves."""
    url = url or course_address()
    if not url:
        raise ValueError("no course address: give --course URL (or set repository.url in _config.yml)")
    if ref is None and "@" in url.split("//", 1)[-1].split("/", 1)[-1]:
        url, ref = url.rsplit("@", 1)
    ref = ref or current_ref()
    if ref in ("main", "master", "HEAD"):
        raise ValueError(f"pin the course to a tag or commit, not {ref!r}")
    return url, ref


def template(chapters=None, url=None, ref=None, red_on="failed"):
    """The workflow text. ``url`` and ``ref`` as for :func:`pin`; ``red_on`` is what turns the run red,
    "failed" (a failed exercise) or "not-attempted" (also one still to do). It does not ask the course
    repository whether it has ``ref``: :func:`verify_ref` does."""
    chapters = list(chapters or course.chapters())
    for c in chapters:
        course.chapter(c)  # an unknown chapter fails here
    if red_on not in RED_ON:
        raise ValueError(f"red_on must be one of {', '.join(RED_ON)}, got {red_on!r}")
    url, ref = pin(url, ref)
    source = url if url.startswith("git+") else f"git+{url}"
    args = ["--chapters", *chapters] if chapters else []
    if red_on != "failed":
        args += ["--red-on", red_on]
    return TEMPLATE.format(course=f"{source}@{ref}", chapters=" ".join(chapters), args="".join(f" {a}" for a in args),
                           red_on=red_on, red=_RED[red_on], key=CACHE_KEY)


def run_steps(workflow_text):
    """The shell commands of the workflow's ``run`` steps, in order (what the tests execute)."""
    data = yaml.safe_load(workflow_text)
    job = data["jobs"]["check"]
    return [(step.get("working-directory"), step["run"]) for step in job["steps"] if "run" in step], job["env"]


# --- does the course repository have the pinned ref? ---------------------------------------------------------

class RefNotThere(ValueError):
    """The course repository does not have the ref, or it could not be established; the message says what
    was tried and the command that pushes it."""


def normalise_url(url, base=None):
    """A repository address in one form, to compare two spellings of it: ``git+``, a trailing ``.git`` and
    ``/`` dropped; https, ssh and ``git@host:path`` alike as ``host/path``; a local path (plain or file://)
    absolute and resolved (relative to ``base``)."""
    u = url.strip()
    u = u[4:] if u.startswith("git+") else u
    scp = re.fullmatch(r"(?:[^@/:]+@)?([^/:]+):(?!//)(.+)", u)
    if "://" in u:
        parts = urlsplit(u)
        if parts.scheme == "file":
            u = parts.path
        else:
            return _strip(f"{(parts.hostname or '').lower()}/{parts.path.strip('/')}")
    elif scp and not Path(u).exists():
        return _strip(f"{scp.group(1).lower()}/{scp.group(2).strip('/')}")
    path = Path(u).expanduser()
    path = path if path.is_absolute() else Path(base or ".") / path
    return _strip(str(path.resolve()))


def _strip(address):
    address = address.rstrip("/")
    address = address[:-4] if address.endswith(".git") else address
    host = address.split("/", 1)[0]
    return address.lower() if host in ("github.com", "gitlab.com") else address  # their paths ignore case


def _git(root, *args, timeout=10, input=None):
    """``git -C root args``: (return code, stdout, stderr); (None, "", reason) when it did not finish."""
    try:
        proc = subprocess.Popen(["git", "-C", str(root), *args], stdin=subprocess.PIPE if input else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                # no terminal and no password prompt: a remote that wants one fails
                                start_new_session=True, env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    except OSError as exc:
        return None, "", f"cannot run git ({exc})"
    try:
        out, err = proc.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # git and its ssh or https helper
        proc.communicate()
        return None, "", f"no answer within {timeout:g} s"
    return proc.returncode, out, err.strip()


def _remote_for(url, root):
    """The name of the checkout's remote whose (fetch) URL is ``url``, or None."""
    code, out, _ = _git(root, "config", "--get-regexp", r"^remote\..*\.url$")
    if code != 0:
        return None
    wanted = normalise_url(url)
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        if value and normalise_url(value, base=root) == wanted:
            return key[len("remote."):-len(".url")]
    return None


def _ls_remote(target, root, timeout):
    """{refname: sha} of what ``target`` (a remote's name or a URL) has, or the reason it could not be listed."""
    code, out, err = _git(root, "ls-remote", target, timeout=timeout)
    if code != 0:
        return None, (err.splitlines() or ["failed"])[-1] if code is not None else err
    refs = {}
    for line in out.splitlines():
        sha, _, name = line.partition("\t")
        refs[name] = sha
    return refs, ""


def _commit(ref, root):
    """The commit ``ref`` names in the checkout, or None (not a git checkout, or no such commit here)."""
    code, out, _ = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    return out.strip() if code == 0 else None


def _reachable(sha, tips, root):
    """Whether commit ``sha`` is one of ``tips`` or an ancestor of one, as far as this checkout's objects tell."""
    if sha in tips:
        return True
    # rev-list lists what sha reaches and no tip does: nothing when a tip reaches sha
    code, out, _ = _git(root, "rev-list", "--ignore-missing", "--max-count=1", "--stdin", sha,
                        input="".join(f"^{t}\n" for t in tips), timeout=60)
    return code == 0 and not out.strip()


def _missing(shas, root):
    """Those of ``shas`` that are not objects of this checkout."""
    code, out, _ = _git(root, "cat-file", "--batch-check", input="".join(f"{s}\n" for s in shas))
    return [line.split()[0] for line in out.splitlines() if line.endswith(" missing")] if code == 0 else list(shas)


def _push_command(target, ref, sha, root):
    """The command that gives the course repository ``ref``, or None when this checkout does not have it."""
    if _git(root, "show-ref", "--verify", "--quiet", f"refs/tags/{ref}")[0] == 0:
        return f"git push {shlex.quote(target)} {shlex.quote(ref)}"
    if sha is None:
        return None
    if _git(root, "show-ref", "--verify", "--quiet", f"refs/heads/{ref}")[0] == 0:
        return f"git push {shlex.quote(target)} {shlex.quote(ref)}"
    code, out, _ = _git(root, "branch", "--contains", sha, "--format=%(refname:short)")
    branches = out.split() if code == 0 else []
    current = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD")[1].strip()
    if branches:
        branch = current if current in branches else branches[0]
        # to the branch it tracks there, if it tracks one of that remote's
        code, out, _ = _git(root, "for-each-ref", "--format=%(upstream:remotename) %(upstream:remoteref)",
                            f"refs/heads/{branch}")
        there, _, upstream = out.strip().partition(" ")
        if code == 0 and there == target and upstream.startswith("refs/heads/") and upstream[11:] != branch:
            return f"git push {shlex.quote(target)} {shlex.quote(branch)}:{shlex.quote(upstream[11:])}"
        return f"git push {shlex.quote(target)} {shlex.quote(branch)}"
    return f"git push {shlex.quote(target)} {sha}:refs/heads/homework-{sha[:7]}"


def verify_ref(url, ref, root=None, timeout=10.0):
    """Check that the course repository at ``url`` has ``ref`` (a tag, a branch, or a commit on one of them).

    The repository is asked through the checkout's remote with that URL (git+, .git, a trailing / and
    https or git@ spellings compared alike), or through the URL itself when no remote has it:
    ``git ls-remote`` lists its tags and branches, and a commit is there if this checkout can see it in
    the history of one of them. When the repository cannot be reached (no network), the remote's
    remote-tracking branches, as last fetched, stand in for it. Returns a note when they did (or None);
    raises :class:`RefNotThere` with what was tried and the push command otherwise."""
    root = Path(root) if root else checkout()
    plain = url[4:] if url.startswith("git+") else url
    remote = _remote_for(plain, root)
    target = remote or plain
    # pip installs a name (a tag, a branch) by that name, so the repository must have the name; a commit id
    # only has to be in the history of one of its branches or tags
    named = _git(root, "show-ref", "--quiet", "--verify", f"refs/tags/{ref}")[0] == 0 or \
        _git(root, "show-ref", "--quiet", "--verify", f"refs/heads/{ref}")[0] == 0 or \
        not re.fullmatch(r"[0-9a-f]{4,40}", ref)
    sha = None if named else _commit(ref, root)
    what = f"the {'tag or branch' if named else 'commit'} {ref}"
    tried = []
    refs, reason = _ls_remote(target, root, timeout)
    if refs is not None:
        if f"refs/tags/{ref}" in refs or f"refs/heads/{ref}" in refs or ref in refs.values():
            return None
        tips = sorted(set(refs.values()))
        if sha and _reachable(sha, tips, root):
            return None
        listed = f"`git ls-remote {target}` lists {len(refs)} refs (branches and tags)"
        if named or not sha:
            tried.append(f"{listed}, and {ref} is not one of them")
        else:
            unseen = _missing(tips, root)
            tried.append(f"{listed}, and none of them contains the commit {ref}"
                         + (f" as far as this checkout can tell ({len(unseen)} of them are not fetched here: "
                            f"git fetch {target})" if unseen else ""))
    else:
        tried.append(f"`git ls-remote {target}` failed: {reason}")
        if remote and named:
            if _git(root, "show-ref", "--quiet", "--verify", f"refs/remotes/{remote}/{ref}")[0] == 0:
                return f"could not reach {remote} ({reason}); it had the branch {ref} when last fetched"
            tried.append(f"{remote} had no branch {ref} when last fetched (its tags cannot be told offline)")
        elif remote and sha:
            code, out, _ = _git(root, "branch", "-r", "--contains", sha, "--list", f"{remote}/*",
                                "--format=%(refname:short)")
            tracking = out.split() if code == 0 else []
            if tracking:
                return (f"could not reach {remote} ({reason}); its branch {tracking[0]} contained {ref} when "
                        "last fetched")
            tried.append(f"none of the remote-tracking branches of {remote} (as last fetched) contains it")
    if not remote:
        tried.append(f"no remote of the checkout {root} has the URL {plain}")
    fix = _push_command(target, ref, sha, root)
    lines = [f"cannot confirm that the course repository {plain} has {what}:", *(f"  - {t}" for t in tried)]
    if fix:
        lines.append(f"Push it, then run this again:\n  {fix}")
    else:
        lines.append(f"{ref} is not a tag or commit of {root} either: pin one the course repository has (--ref).")
    lines.append("Or write the workflow anyway with --no-verify (a workflow pinned to a ref the repository does "
                 "not have fails at its install step).")
    raise RefNotThere("\n".join(lines))


# --- the run's summary page --------------------------------------------------------------------------------

SYMBOLS = {"passed": "✅", "flagged": "🚩", "failed": "❌", "error": "💥", "timed out": "⌛", "missing": "❔",
           NOT_ATTEMPTED: "⏳", WRITTEN: "📝"}


def cell(text):
    """``text`` as one cell of a Markdown table: its pipes, line breaks and inline markup escaped."""
    text = re.sub(r"([\\`*_\[\]<>|~&])", r"\\\1", str(text))
    return re.sub(r"\r\n|\r|\n", "<br>", text)


def summary(notebooks, seed, rerun, fail_on="not-attempted"):
    """The Markdown that ``check --summary`` appends: per notebook its problems, then a table of its checked
    exercises (number as on the website, label, status, first line of the detail); then the totals, which
    statuses make the check fail, and the command that checks the same inputs again.

    ``notebooks`` is a list of (name, chapter stem, problems, rows) with rows of ``submission.Row``;
    ``rerun`` the notebooks' paths for that command."""
    out = ["## Homework check", ""]
    statuses = []
    for name, stem, problems, rows in notebooks:
        named = Path(str(name)).stem == stem  # the file's name says the chapter
        out += [f"### {_code(name)}" + ("" if named else f" (chapter {cell(stem)})"), ""]
        out += [f"- ⚠️ {cell(p)}" for p in problems]
        if problems:
            out.append("")
        if not rows:
            continue
        try:
            chapter = course.chapter(stem)
        except course.UnknownChapter:
            chapter = None
        out += ["| Exercise | Label | Status | Detail |", "| --- | --- | --- | --- |"]
        for r in rows:
            number = chapter.number(r.exercise) if chapter and r.exercise in chapter.exercises else ""
            lines = shown(r.status, r.detail or "").splitlines() or [""]
            detail = lines[0] + (" …" if len(lines) > 1 else "")
            out.append(f"| {number} | {_code(r.exercise)} | {SYMBOLS.get(r.status, '')} {r.status} | {cell(detail)} |")
            statuses.append(r.status)
        out.append("")
    counts = tally(statuses)
    totals = f"{counts['passed']} passed, {counts['failed']} failed, {counts[NOT_ATTEMPTED]} not attempted"
    if counts[WRITTEN]:
        totals += f", {counts[WRITTEN]} written (graded by hand)"
    if fail_on == "not-attempted":
        red = f"Red until every exercise passes: on {', '.join(FAILING)} and {NOT_ATTEMPTED}"
    else:
        red = f"Red on {', '.join(FAILING)}; an exercise {NOT_ATTEMPTED} yet leaves it green"
    command = " ".join(["python -m mlpcourse check --seed", str(seed), *map(shlex.quote, rerun)])
    out += [f"**{totals}**", "",
            f"{red} (`--fail-on {fail_on}`).", "",
            f"Checked with seed {seed}. To check the same inputs again: {_code(command)}", ""]
    return "\n".join(out)


def _code(text):
    """``text`` (a path, a label, a command: no pipes) as inline code."""
    return "`" + str(text).replace("`", "'") + "`"


def relative(path, folder=None):
    """``path`` relative to ``folder`` when it lies below it, else as given."""
    if folder is not None:
        try:
            return str(Path(path).resolve().relative_to(Path(folder).resolve()))
        except ValueError:
            pass
    return str(path)
