"""Checks that never fail a correct answer: any real number type, any reasonable container,
the precision the exercise text states, and inputs on which the reference itself is well
defined. Each answer goes through the kernel boundary's JSON (``exercises.run_check``)."""

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import mlpcore
from mlpcourse import exercises
from mlpcourse.checks import Failure, as_count, as_number, as_parts

ETA_MAX_XOR = (7 - np.sqrt(33)) / 2  # 0.62772...


@pytest.mark.parametrize("x", [3, 3.0, np.int64(3), np.float32(3), np.array(3), np.array(3.0), Fraction(3),
                               sp.Integer(3)])
def test_a_count_may_come_as_any_real_type(x):
    assert as_count(x, "here") == 3 and as_number(x, "here") == 3.0


@pytest.mark.parametrize("x, why", [(None, "None"), (True, "True"), ("3", "'3'"), (np.array([3, 4]), "array"),
                                    (3.5, "3.5")])
def test_what_is_not_a_count_is_named(x, why):
    with pytest.raises(Failure, match=why):
        as_count(x, "for N=3")


@pytest.mark.parametrize("pair", [(1.0, 2.0), [1.0, 2.0], np.array([1.0, 2.0])])
def test_a_pair_may_be_a_tuple_a_list_or_an_array(pair):
    assert [float(v) for v in as_parts(pair, 2, "here", ["a", "b"])] == [1.0, 2.0]


def test_a_wrong_number_of_parts_is_named():
    with pytest.raises(Failure, match=r"expected 2 parts \(a, b\)"):
        as_parts((1.0, 2.0, 3.0), 2, "here", ["a", "b"])


@pytest.mark.parametrize("answer", [(7 - sp.sqrt(33)) / 2, sp.Float(ETA_MAX_XOR), ETA_MAX_XOR, 0.6277,
                                    np.float64(0.62772), np.array(0.6277), Fraction(6277, 10000)])
def test_the_largest_stable_rate_for_xor_to_four_digits_passes_in_any_form(answer):
    assert exercises.run_check("ex-gd-max-lr", answer) == ("passed", "")


@pytest.mark.parametrize("answer, side", [(0.627, "still converges"), (0.628, "diverges"), (0.6, "converges")])
def test_a_rate_short_of_four_digits_fails_and_says_on_which_side_without_the_answer(answer, side):
    status, detail = exercises.run_check("ex-gd-max-lr", answer)
    assert status == "failed" and side in detail and "0.6277" not in detail


def test_a_count_of_updates_as_a_zero_d_array_passes():
    def n_updates(N, B, E):
        return np.array(E * (1 if B is None else -(-N // B)))

    assert exercises.run_check("ex-gd-updates", n_updates) == ("passed", "")


def test_the_training_loop_check_draws_only_data_that_fit_trains_on():
    """Seeds 128 and 904 once gave data on which the check's own reference (fit at lr=0.3) diverged."""
    ex = exercises.find("ex-gd-training-loop")
    for seed in (128, 904):
        for net, X, Y, epochs, lr, B, s in ex.inputs_for(seed):
            net.copy().fit(X, Y, epochs=epochs, lr=lr, batch_size=B, seed=s)  # raises DivergenceError if not


def _gradient_check(net, X, Y, grads_W, grads_b, h=1e-5):
    """A correct checker of a student's own kind, written out on purpose rather than by mlpcore.gradcheck or
    the checks' helpers: the check's reference uses those, and an answer built from them would only test the
    reference against itself."""
    worst = 0.0
    for params, grads in ((net.weights, grads_W), (net.biases, grads_b)):
        for l, g in enumerate(grads, start=1):
            P = params[l]
            for i in np.ndindex(P.shape):
                keep = P[i]
                P[i] = keep + h
                up = net.loss(X, Y)
                P[i] = keep - h
                down = net.loss(X, Y)
                P[i] = keep
                n, a = (up - down) / (2 * h), g[i]
                if a != 0 or n != 0:
                    worst = max(worst, abs(a - n) / max(abs(a), abs(n)))
    return worst


@pytest.mark.parametrize("seed", [99, 0, 1])
def test_a_correct_gradient_checker_passes_where_the_reference_error_exceeds_1e_6(seed):
    """Seed 99 gives a network whose true gradients' central differences err by 1.2e-6: the check
    once demanded less than 1e-6 of every answer, its own reference included."""
    assert exercises.run_check("ex-backprop-gradient-checker", _gradient_check, seed=seed) == ("passed", "")


def test_an_exact_sympy_answer_is_not_a_type_error():
    status, detail = exercises.run_check("ex-gd-max-lr", sp.Rational(1, 2))
    assert status == "failed" and "TypeError" not in detail


def test_a_network_answer_still_crosses_as_a_network():
    net = mlpcore.MLP([2, 1], activation="identity", loss="mse", seed=0)
    record = exercises.collected(net, None)
    assert "__mlp__" in record["value"]


def _stable_learning_rates(experiment):
    """A stable_learning_rates whose eta_derived is right and whose eta_experiment is experiment(derived)."""

    def stable_learning_rates(X, Y):
        X1 = np.column_stack([X, np.ones(len(X))])
        derived = 2 / np.linalg.eigvalsh(2 / len(X) * X1.T @ X1)[-1]
        return experiment(derived), derived

    return stable_learning_rates


@pytest.mark.parametrize("experiment, passes", [(lambda d: d * 1.005, True), (lambda d: d * 0.995, True),
                                                (lambda d: d * 1.02, False), (lambda d: d, False)])
def test_stable_lr_holds_the_experiment_to_the_1_percent_the_text_states(experiment, passes):
    status, detail = exercises.run_check("ex-gd-stable-lr", _stable_learning_rates(experiment))
    assert (status == "passed") == passes, detail
    if not passes:
        assert "experiment" in detail


# messages that teach without giving the answer ------------------------------------------------

SEUNG = np.array([[0.007536, 0.003768], [-0.008522, -0.004261]])  # the exercise's answer, to 4 digits


@pytest.mark.parametrize("answer, how", [(-SEUNG, "the sign is flipped"), (2 * SEUNG, "twice the right value"),
                                         (SEUNG * [[1, 0], [1, 1]], "1 of its 4 entries are off: (0, 1)"),
                                         (SEUNG + 1, "4 of its 4 entries are off")])
def test_a_wrong_value_is_told_how_it_is_wrong_not_what_is_right(answer, how):
    status, detail = exercises.run_check("ex-backprop-seung-update", answer)
    assert status == "failed" and how in detail
    right = np.array2string(SEUNG, precision=6, separator=", ")
    assert "expected" not in detail and right not in detail  # pasting it back would pass


def test_a_wrong_derived_rate_does_not_print_the_answer_to_another_exercise():
    status, detail = exercises.run_check("ex-gd-stable-lr", _stable_learning_rates(lambda d: d))
    assert status == "failed"

    def half_rate(X, Y):
        X1 = np.column_stack([X, np.ones(len(X))])
        derived = 1 / np.linalg.eigvalsh(2 / len(X) * X1.T @ X1)[-1]
        return derived * 1.001, derived

    status, detail = exercises.run_check("ex-gd-stable-lr", half_rate)
    assert status == "failed" and "too small" in detail and "1/c_max" in detail
    assert f"{ETA_MAX_XOR:.4g}" not in detail and f"{ETA_MAX_XOR:.6g}" not in detail


def test_the_hidden_deltas_sign_hint_speaks_of_the_hidden_delta():
    status, detail = exercises.run_check(
        "ex-backprop-hidden-delta", lambda delta_next, W_next, a: -((W_next.T @ delta_next) * a * (1 - a)))
    assert status == "failed" and "hidden delta" in detail and "output delta" not in detail


def test_the_same_order_slip_is_named_without_saying_how_fit_draws_its_orders():
    def train(net, X, Y, epochs, lr, batch_size, seed):
        N = len(X)
        B = N if batch_size is None else batch_size
        order = np.random.default_rng(seed).permutation(N)
        for _ in range(epochs):
            for start in range(0, N, B):
                rows = order[start : start + B]
                net.step(net.gradients(X[rows], Y[rows]), lr)
        return net

    status, detail = exercises.run_check("ex-gd-training-loop", train)
    assert status == "failed" and "same order" in detail
    assert "default_rng" not in detail and "generator" not in detail


# messages that say where: the input an answer raised on, a list in reverse order, a loop ----------


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def book_backprop(weights, biases, x, y):
    """Backpropagation of the squared error through sigmoid layers, written here for the tests."""
    activations = [x]
    for W, b in zip(weights, biases):
        activations.append(_sigmoid(W @ activations[-1] + b))
    delta = (activations[-1] - y) * activations[-1] * (1 - activations[-1])
    gW, gb = [], []
    for l in range(len(weights) - 1, -1, -1):
        gW.append(np.outer(delta, activations[l]))
        gb.append(delta)
        if l:
            delta = (weights[l].T @ delta) * activations[l] * (1 - activations[l])
    return gW[::-1], gb[::-1]


def batch_backprop_by_matrices(weights, biases, X, Y):
    N = X.shape[0]
    activations = [X]
    for W, b in zip(weights, biases):
        activations.append(_sigmoid(activations[-1] @ W.T + b))
    delta = (activations[-1] - Y) * activations[-1] * (1 - activations[-1])
    gW, gb = [None] * len(weights), [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        gW[l], gb[l] = delta.T @ activations[l] / N, delta.mean(axis=0)
        if l:
            delta = (delta @ weights[l]) * activations[l] * (1 - activations[l])
    for k in range(Y.shape[1]):  # a loop over output units is not a loop over samples
        gW[-1][k] = gW[-1][k] + 0.0
    return gW, gb


def batch_backprop_by_samples(weights, biases, X, Y):
    parts = [book_backprop(weights, biases, x, y) for x, y in zip(X, Y)]
    return ([np.mean([p[0][l] for p in parts], axis=0) for l in range(len(weights))],
            [np.mean([p[1][l] for p in parts], axis=0) for l in range(len(weights))])


def test_an_answer_that_raises_is_told_on_which_input():
    def deep_fails(weights, biases, x, y):
        if len(weights) > 2:
            raise ValueError("shapes do not align")
        return book_backprop(weights, biases, x, y)

    status, detail = exercises.run_check("ex-backprop-any-depth", deep_fails)
    assert status == "error" and "ValueError: shapes do not align" in detail
    assert "called with [" in detail and detail.count("],") >= 3  # the lists of weights, biases, then x and y


def test_gradients_in_reverse_order_get_a_hint_not_a_shape_error():
    assert exercises.run_check("ex-backprop-any-depth", book_backprop) == ("passed", "")

    def reversed_lists(weights, biases, x, y):
        gW, gb = book_backprop(weights, biases, x, y)
        return gW[::-1], gb[::-1]

    status, detail = exercises.run_check("ex-backprop-any-depth", reversed_lists)
    assert status == "failed" and "reverse order" in detail and "shape" not in detail


def test_a_batch_gradient_with_a_loop_over_samples_fails_though_its_values_are_right():
    assert exercises.run_check("ex-backprop-batch-gradient", batch_backprop_by_matrices) == ("passed", "")
    status, detail = exercises.run_check("ex-backprop-batch-gradient", batch_backprop_by_samples)
    assert status == "failed" and "loops over the samples" in detail and "line 2" in detail


def test_an_unattempted_value_exercise_says_not_attempted_in_its_check_cell():
    from mlpcourse.notebook import stub

    released = stub("### BEGIN SOLUTION\neta_max_xor = 0.6277\n### END SOLUTION", "ex-gd-max-lr",
                    value_name="eta_max_xor")
    namespace = {}
    with pytest.raises(NotImplementedError):
        exec(released, namespace)
    assert exercises.run_check("ex-gd-max-lr", namespace["eta_max_xor"]) == ("not attempted", "")


def test_every_check_cell_of_the_book_imports_check_itself():
    """After a kernel restart a student runs one check cell: it must not need an earlier one."""
    from mlpcourse.course import book_dir
    from mlpcourse.notebook import check_calls, read, source

    for path in sorted(book_dir().glob("*.ipynb")):
        for cell in read(path).cells:
            if cell.cell_type == "code" and check_calls(source(cell)):
                assert "from mlpcourse import check" in source(cell), (path.name, source(cell))


def test_a_pasted_reference_solution_is_flagged_through_added_comments_and_spacing():
    """One added comment used to turn a pasted solution from flagged into passed."""
    import inspect

    from mlpcourse import course, notebook

    chapter = course.chapter("06_backprop_chain_rule")
    nb = notebook.read(chapter.path)
    entry = next(e for e in notebook.structure(nb) if e["label"] == "ex-backprop-any-depth")
    cell = notebook.source(nb.cells[entry["solution"]])
    body = [line for line in cell.splitlines() if notebook.BEGIN not in line and notebook.END not in line]
    disguised = "# my own work, honestly\n\n" + "\n\n".join(
        line + "  # see notes" if line.strip() and not line.rstrip().endswith(("(", ",", "\\")) else line
        for line in body)
    assert disguised != cell and chapter.is_reference_solution("ex-backprop-any-depth", [disguised])
    assert not chapter.is_reference_solution("ex-backprop-any-depth", [inspect.getsource(book_backprop)])
