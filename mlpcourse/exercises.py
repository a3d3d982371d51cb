"""Exercise checks: the registry, and the one comparison that the check cell in a
notebook and the grader both go through.

A chapter's checks live in ``mlpcourse/checks/<module>.py`` (``ch03_activation_functions``
for the chapter ``03_activation_functions``), each registered with
:func:`exercise`. They are imported when their chapter (or one of its labels) is
first asked for, not all at once.

An exercise whose answer is a function declares its ``inputs``: a function of a
random generator that returns the argument tuples the answer will be called with
(fixed cases first, then random ones). The answer is called on them *where it
lives* (the student's kernel), and what came out crosses as plain data
(:mod:`mlpcourse.harness`); the check then runs on a :class:`Replay` of those
calls, in whichever process judges. An exercise without ``inputs`` receives the
answer's value, as data. Either way the verdict comes from this module's
:func:`judge`, never from text a notebook prints.
"""

import importlib
import json
import os
import re
import zlib
from pathlib import Path

import numpy as np

from . import harness

CHECKS = {}
STATUSES = ("passed", "failed", "not attempted", "error")
FEEDBACK_SEED = 0  # the check cell's random cases; the grader draws a fresh seed for every run
CHECKS_DIR = Path(__file__).resolve().parent / "checks"
_REGISTERED = re.compile(r"""@exercise\(\s*["']([\w.-]+)["']""")


class Failure(Exception):
    """The answer is wrong; the message says where."""


class ReplayMiss(Exception):
    """A check asked for a call that its ``inputs`` did not list (a bug in the check)."""


class Exercise:
    """One registered check: its label, the function that judges an answer, and the
    function ``inputs(rng)`` that draws the argument tuples (None for a value answer)."""

    def __init__(self, label, fn, inputs, module):
        self.label, self.fn, self.inputs, self.module = label, fn, inputs, module

    def inputs_for(self, seed):
        """The argument tuples for a run with ``seed`` (None for a value answer)."""
        if self.inputs is None:
            return None
        rng = np.random.default_rng([int(seed), zlib.crc32(self.label.encode())])
        return [tuple(args) for args in self.inputs(rng)]


def exercise(label, inputs=None):
    """Register the decorated check of exercise ``label``: ``check(answer)`` for a value,
    ``check(answer, inputs)`` for a function called on ``inputs(rng)``."""

    def register(fn):
        if label in CHECKS:
            raise ValueError(f"exercise label {label!r} is registered twice")
        CHECKS[label] = Exercise(label, fn, inputs, fn.__module__)
        return fn

    return register


def module_name(chapter):
    """The checks module of a chapter stem: ``03_activation_functions`` -> ``ch03_activation_functions``."""
    return f"ch{chapter}" if chapter[:1].isdigit() else chapter


def has_checks(chapter):
    """Whether ``chapter`` (a notebook stem) has a module of checks in ``mlpcourse/checks``."""
    return (CHECKS_DIR / f"{module_name(chapter)}.py").is_file()


def load_chapter(chapter):
    """Import the checks of ``chapter`` and return them by label."""
    module = importlib.import_module(f"mlpcourse.checks.{module_name(chapter)}")
    return {label: ex for label, ex in CHECKS.items() if ex.module == module.__name__}


def find(label):
    """The registered check of ``label``, importing only the module that defines it."""
    if label not in CHECKS:
        for path in sorted(CHECKS_DIR.glob("*.py")):
            if label in _REGISTERED.findall(path.read_text()):
                importlib.import_module(f"mlpcourse.checks.{path.stem}")
                break
    if label not in CHECKS:
        raise KeyError(f"no check for exercise {label!r}")
    return CHECKS[label]


# the answer on the judging side ------------------------------------------------------------


def _key(args):
    return json.dumps(harness.encode(tuple(args)), sort_keys=True)


class Raised(Exception):
    """The student's function raised, in the kernel, when called on ``called`` (argument tuple)."""

    name, message, called = "Exception", "", ()


def _student_exception(name, message, called=()):
    """The student's exception, as an exception of this process with the same name and message,
    which remembers the arguments of the call that raised it."""
    if name == "NotImplementedError":
        return NotImplementedError(message)
    exc = type(name, (Raised,), {"__module__": "builtins"})(message)
    exc.name, exc.message, exc.called = name, message, called
    return exc


def describe(args, limit=300):
    """The arguments of a call in a few words: numbers and small arrays by value, larger arrays by
    shape, networks by their sizes; what a message says an answer raised on."""

    def one(x):
        if isinstance(x, np.ndarray):
            return (" ".join(np.array2string(x, precision=4, separator=", ").split()) if x.size <= 6
                    else f"an array of shape {x.shape}")
        if isinstance(x, (list, tuple)):
            inner = ", ".join(one(v) for v in x[:4]) + (", ..." if len(x) > 4 else "")
            return f"[{inner}]" if isinstance(x, list) else f"({inner})"
        if type(x).__name__ == "MLP" and hasattr(x, "sizes"):
            return f"an MLP of sizes {list(x.sizes)}"
        if isinstance(x, (float, np.floating)):
            return f"{float(x):.6g}"
        return repr(x)[:80]

    text = ", ".join(one(a) for a in args)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _apply_after(arg, after):
    """Make ``arg`` look as the student's function left it (a change in place)."""
    try:
        if isinstance(arg, np.ndarray) and isinstance(after, np.ndarray) and after.shape == arg.shape:
            arg[...] = after
        elif isinstance(arg, list) and isinstance(after, list):
            arg[:] = after
        elif type(arg).__name__ == "MLP" and type(after).__name__ == "MLP" and arg.sizes == after.sizes:
            for l in range(1, arg.L + 1):
                arg.weights[l], arg.biases[l] = after.weights[l], after.biases[l]
    except (TypeError, ValueError):
        pass


class Replay:
    """Stands for the student's function: each call returns (or raises) what the real
    call returned (or raised) on the same arguments, and changes the arguments as the
    real call did."""

    def __init__(self, record, inputs):
        source = record.get("source")
        self.source = source if isinstance(source, str) else None  # the function's text, as data
        self._calls = {}
        for args, entry in zip(inputs, record.get("calls", [])):
            self._calls.setdefault(_key(args), []).append(entry)
        self._used = {}

    def __call__(self, *args):
        key = _key(args)
        entries = self._calls.get(key)
        if not entries:
            raise ReplayMiss(f"the check called the answer on inputs its exercise does not list: {key[:200]}")
        n = self._used.get(key, 0)
        self._used[key] = n + 1
        entry = entries[min(n, len(entries) - 1)]
        if entry.get("after") is not None:
            for arg, after in zip(args, harness.decode(entry["after"])):
                _apply_after(arg, after)
        if "raised" in entry:
            raise _student_exception(*entry["raised"], called=args)
        return harness.decode(entry["result"])


def judge(label, record, inputs):
    """(status, detail) of exercise ``label`` from what was collected of the answer."""
    ex = find(label)
    kind = record.get("kind")
    if kind == "unavailable":
        name, message = record["raised"]
        return ("not attempted", "") if name == "NotImplementedError" else ("error", f"{name}: {message}")
    try:
        if kind == "value" and record.get("value") == {"__object__": "NotImplementedType", "callable": False}:
            return "not attempted", ""  # the released stub's placeholder: notebook.stub(value_name=...)
        if kind == "value":
            answer = harness.decode(record["value"])
        elif kind == "calls" and record.get("callable"):
            answer = Replay(record, inputs)
        elif kind == "calls":
            answer = type(record.get("type", "object"), (harness.Opaque,), {})()
        else:
            return "error", f"the grader received no answer (record of kind {kind!r})"
        if ex.inputs is None:
            ex.fn(answer)
        else:
            ex.fn(answer, inputs)
    except NotImplementedError:
        return "not attempted", ""
    except Failure as exc:
        return "failed", str(exc)
    except ReplayMiss as exc:
        return "error", f"internal error in the check of {label}: {exc}"
    except Raised as exc:  # the student's function raised on one of the grader's inputs: say which
        return "error", f"{exc.name}: {exc.message}\n(your answer raised this when called with {describe(exc.called)})"
    except Exception as exc:  # the student's code raised (replayed), or returned what the check cannot read
        return "error", f"{type(exc).__name__}: {exc}"
    return "passed", ""


def collected(answer, inputs):
    """What the kernel side collects of ``answer``, after the JSON round trip the grader's data makes."""
    encoded = None if inputs is None else [harness.encode(args) for args in inputs]
    try:
        record = harness.collect(answer, encoded)
    except harness.TooLarge as exc:
        record = {"kind": "unavailable", "raised": ["TooLarge", str(exc)]}
    return json.loads(json.dumps(record))


def run_check(label, answer, seed=FEEDBACK_SEED):
    """The status ("passed", "failed", "not attempted" or "error") and its detail."""
    inputs = find(label).inputs_for(seed)
    return judge(label, collected(answer, inputs), inputs)


SWEEP_SEEDS = "MLPCOURSE_SWEEP_SEEDS"


def sweep_seeds(environ=os.environ):
    """The seeds named by the environment variable MLPCOURSE_SWEEP_SEEDS ("1000-1023"), or []."""
    text = environ.get(SWEEP_SEEDS, "").strip()
    if not text:
        return []
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def check(label, answer):
    """Check the answer of exercise ``label`` here and print ``<label>: passed``, or
    ``failed: <why>``, ``not attempted``, ``error: <exception>``: feedback while you work.
    The grade is decided by the grader, which calls your answer on its own inputs.

    Where MLPCOURSE_SWEEP_SEEDS is set (the test suite sets it for the chapters that nbval runs,
    the book's reference solutions in place), an answer that passes is also judged on the
    inputs of every seed it names, as a grading run with that seed would; the first seed it
    fails on is printed instead of ``passed``. This is the seed sweep of the checks, run on
    the one execution of each chapter that the suite makes anyway."""
    status, detail = run_check(label, answer)
    if status == "passed" and find(label).inputs is not None:
        for seed in sweep_seeds():
            status, detail = run_check(label, answer, seed=seed)
            if status != "passed":
                detail = f"on the inputs of seed {seed}: {detail}"
                break
    print(f"{label}: {status}{': ' + detail if detail else ''}")
