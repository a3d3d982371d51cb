"""The similarity report: a classmate's solution copied with its names changed and its statements
reordered is listed, two honest independent solutions are not, a stub is never compared, and the
page shows the code as text, never as HTML. (That `grade` writes the report, and lists two
students who pasted the book's solution, is in test_course_shards.py, on its graded class.)"""

import nbformat

from mlpcourse import similarity
from mlpcourse.samples import submission

CH = "04_forward_pass"
ANY_DEPTH = "ex-forward-any-depth"
CONVENTION = "ex-forward-notes-convention"

ALICE = """def forward(W_list, b_list, x):
    # layer by layer
    act = np.array(x, dtype=float)
    for weights, bias in zip(W_list, b_list):
        z = act @ np.array(weights).T + bias
        act = 1.0 / (1.0 + np.exp(-z))
    return act"""
BOB = """def forward(W_list, b_list, x):
    # my own work
    out = np.array(x, dtype=float)
    for mat, vec in zip(W_list, b_list):
        pre = out @ np.array(mat).T + vec
        out = 1.0 / (1.0 + np.exp(-pre))
    return out"""  # Alice's, every name changed
CAROL = """def forward(W_list, b_list, x):
    from functools import reduce
    sigmoid = lambda t: 0.5 * (1 + np.tanh(t / 2))
    return reduce(lambda h, Wb: sigmoid(h @ Wb[0].T + Wb[1]), zip(W_list, b_list), np.asarray(x, float))"""
DAVE = """def forward(W_list, b_list, x):
    h = np.atleast_1d(np.asarray(x, dtype=np.float64))
    k = 0
    while k < len(W_list):
        h = np.reciprocal(1 + np.exp(-(np.dot(h, W_list[k].T) + b_list[k])))
        k += 1
    return h"""
# a longer answer, copied with its statements in another order and its names changed
ERIN = """w = np.array([[0.5, -1.0], [0.25, 0.75], [-0.5, 0.2]])
W1 = w.T
W2 = np.array([[1.5, -2.0]])
b1, b2 = np.array([0.1, -0.3]), np.array([0.25])
x_new = np.array([1.0, 2.0, -1.0])
y_hat_notes = float(forward([W1, W2], [b1, b2], x_new)[0])
print(f"y_hat = {y_hat_notes:.6f}")"""
FRANK = """x_new = np.array([1.0, 2.0, -1.0])
bias1, bias2 = np.array([0.1, -0.3]), np.array([0.25])
second = np.array([[1.5, -2.0]])
notes = np.array([[0.5, -1.0], [0.25, 0.75], [-0.5, 0.2]])
first = notes.T
y_hat_notes = float(forward([first, second], [bias1, bias2], x_new)[0])
print(f"y_hat = {y_hat_notes:.6f}")"""


def _pairs(label, codes):
    return {(p.first, p.second) for p in similarity.compare(CH, label, codes)}


def test_a_renamed_copy_is_listed_and_honest_independent_solutions_are_not():
    pairs = _pairs(ANY_DEPTH, {"alice": ALICE, "bob": BOB, "carol": CAROL, "dave": DAVE})
    assert ("alice", "bob") in pairs
    assert not {p for p in pairs if {"carol", "dave"} & set(p)}  # neither with each other nor with anyone
    assert ("alice", similarity.REFERENCE) not in pairs  # the same loop as the book, written her own way


def test_reordered_statements_do_not_hide_a_copy():
    assert ("erin", "frank") in _pairs(CONVENTION, {"erin": ERIN, "frank": FRANK})


def test_stubs_are_not_solutions_and_the_page_shows_code_as_text(tmp_path):
    untouched = nbformat.writes(submission(CH, "untouched")).encode()
    assert similarity.solutions(untouched, CH) == {}
    nb = submission(CH, "untouched")
    attack = ALICE.replace("# layer by layer", "# </code></pre><script>alert('x')</script>")
    cell = next(c for c in nb.cells if c.cell_type == "code" and "def forward(W_list" in c.source)
    cell.source = attack
    copied = nb.cells.index(cell)
    data = {("mallory", CH): nbformat.writes(nb).encode()}
    nb.cells[copied].source = attack.replace("act", "output")
    data[("trent", CH)] = nbformat.writes(nb).encode()
    data[("uma", CH)] = untouched
    pairs = similarity.write(tmp_path, data, [CH])
    assert [(p.exercise, p.first, p.second) for p in pairs] == [(ANY_DEPTH, "mallory", "trent")]
    page = (tmp_path / "similarity.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;alert(" in page
    assert "<mark>" in page and "no grade changed" in page and "uma" not in page


def test_without_copydetect_grading_goes_on_and_says_why_there_is_no_report(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "copydetect", None)  # as in a course installed for checking only
    data = {("ann", CH): nbformat.writes(submission(CH, "solved")).encode()}
    assert similarity.write(tmp_path, data, [CH]) is None
    assert not (tmp_path / "similarity.html").exists()
    assert "pip install copydetect" in similarity.MISSING


def test_the_report_is_the_same_in_every_process():
    """copydetect hashes k-grams with Python's salted ``hash``: two runs on the same class listed other
    pairs near the threshold. The shares must not depend on the process's hash seed."""
    import json
    import os
    import subprocess
    import sys

    code = ("import json, sys\nfrom mlpcourse import similarity\n"
            "codes = json.loads(sys.stdin.read())\n"
            f"pairs = similarity.compare({CH!r}, {ANY_DEPTH!r}, codes, threshold=0.0)\n"
            "print(json.dumps(sorted([p.first, p.second, p.shares] for p in pairs)))")
    codes = json.dumps({"alice": ALICE, "bob": BOB, "carol": CAROL, "dave": DAVE})
    shares = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", code], input=codes, env=env, capture_output=True, text=True,
                             check=True)
        shares.append(json.loads(run.stdout))
    assert shares[0] == shares[1] and len(shares[0]) >= 3  # the pairs that share any k-gram, both sides
