"""Checks of chapter 14, the digits case study.

Every reference is computed by brute force with Python loops over the samples,
independently of the numpy one-liners of the book's solutions: counts pair by
pair for the confusion matrix, ranks by counting larger outputs for the top-k
accuracy, and a running maximum over the wrong rows for the most confident
mistake. Inputs are fixed cases plus random labels and outputs.
"""

import numpy as np

from . import Failure, _fmt, as_count, as_number, calls, exercise


def _softmax_rows(rng, n, k, scale=2.0):
    Z = rng.normal(scale=scale, size=(n, k))
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def _one_hot(labels, k):
    Y = np.zeros((len(labels), k))
    for n, t in enumerate(labels):
        Y[n, t] = 1.0
    return Y


# confusion matrix ----------------------------------------------------------------------


def _confusion_reference(y_true, y_pred, k):
    """C[i, j] = number of samples with true label i and predicted label j, pair by pair."""
    C = [[0] * k for _ in range(k)]
    for i in range(k):
        for j in range(k):
            C[i][j] = sum(1 for t, p in zip(y_true.tolist(), y_pred.tolist()) if t == i and p == j)
    return np.array(C)


def _confusion_inputs(rng):
    """(y_true, y_pred, k): fixed cases, then random labels, mostly predicted right."""
    cases = [
        (np.array([0, 1, 1, 2]), np.array([0, 2, 1, 2]), 3),
        (np.array([1, 1, 1]), np.array([1, 1, 1]), 2),  # class 0 never occurs
        (np.array([0, 0, 3]), np.array([3, 0, 0]), 5),  # k larger than any label
        (np.array([2]), np.array([0]), 3),  # one sample
    ]
    for n, k in [(50, 3), (200, 10), (1000, 7)]:
        y_true = rng.integers(0, k, size=n)
        y_pred = np.where(rng.random(n) < 0.8, y_true, rng.integers(0, k, size=n))  # mostly right
        cases.append((y_true, y_pred, k))
    return cases


@exercise("ex-digits-confusion-matrix", inputs=_confusion_inputs)
def _confusion_matrix(answer, inputs):
    what = "a function confusion_matrix_k(y_true, y_pred, k)"
    for (y_true, y_pred, k), got, where in calls(answer, inputs, what,
                                                 lambda t, p, k: f"for y_true={_fmt(t)}, y_pred={_fmt(p)}, k={k}"):
        expected = _confusion_reference(y_true, y_pred, k)
        got = np.asarray(got)
        if got.shape != (k, k):
            raise Failure(f"{where}: expected shape {(k, k)}, got shape {got.shape}")
        if not np.array_equal(got, expected):
            hint = ""
            if np.array_equal(got, expected.T):
                hint = " (transposed: rows are the true labels, columns the predictions)"
            raise Failure(f"{where}: expected\n{expected}\ngot\n{got}{hint}")


# top-k accuracy ------------------------------------------------------------------------


def _top_k_reference(Y, Y_hat, k):
    """The true class counts when fewer than k outputs of its row are larger than its own."""
    right = 0
    for y, p in zip(Y.tolist(), Y_hat.tolist()):
        t = y.index(1.0)
        larger = sum(1 for q in p if q > p[t])
        right += larger < k
    return right / len(Y)


def _top_k_inputs(rng):
    """(Y, Y_hat, k): fixed cases, then random one-hot targets and softmax outputs, with several k."""
    cases = [
        (np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 1]]),
         np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.1, 0.3, 0.6]]), 1),  # 2 of 3 right
        (np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 1]]),
         np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.1, 0.3, 0.6]]), 2),  # all 3 in the top 2
        (np.array([[0.0, 0, 1]]), np.array([[0.5, 0.3, 0.2]]), 2),  # the true class is last
        (np.array([[0.0, 0, 1]]), np.array([[0.5, 0.3, 0.2]]), 3),  # k = K: always right
    ]
    for n, K in [(20, 4), (100, 10), (37, 3)]:
        Y = _one_hot(rng.integers(0, K, size=n), K)
        P = _softmax_rows(rng, n, K)
        for k in sorted({1, 2, K // 2, K}):
            cases.append((Y, P, k))
    return cases


@exercise("ex-digits-top-k-accuracy", inputs=_top_k_inputs)
def _top_k_accuracy(answer, inputs):
    def describe(Y, P, k):
        return f"for Y of shape {Y.shape}, k={k}" if len(Y) > 3 else f"for Y={_fmt(Y)}, Y_hat={_fmt(P)}, k={k}"

    for (Y, P, k), got, where in calls(answer, inputs, "a function top_k_accuracy(Y, Y_hat, k)", describe):
        expected = _top_k_reference(Y, P, k)
        got = as_number(got, where, "one number (a fraction)")
        if np.isclose(got, 100 * expected) and expected not in (0.0, 0.01):
            raise Failure(f"{where}: expected the fraction {expected:.6g}, got {got:.6g} (a percentage?)")
        if not np.isclose(got, expected, rtol=1e-12, atol=1e-12):
            raise Failure(f"{where}: expected {expected:.6g}, got {got:.6g}")


# most confident mistake ----------------------------------------------------------------


def _most_confident_wrong_reference(Y, Y_hat):
    best, best_confidence = None, -1.0
    for n, (y, p) in enumerate(zip(Y.tolist(), Y_hat.tolist())):
        predicted = max(range(len(p)), key=lambda j: p[j])
        if y[predicted] != 1.0 and p[predicted] > best_confidence:
            best, best_confidence = n, p[predicted]
    return best


def _most_confident_wrong_inputs(rng):
    """(Y, Y_hat): fixed cases, then random ones in which most rows, but not all, are right."""
    cases = [
        # the most confident row overall (row 0) is right; the answer is row 2
        (np.array([[1.0, 0], [1, 0], [0, 1], [0, 1]]),
         np.array([[0.99, 0.01], [0.4, 0.6], [0.8, 0.2], [0.3, 0.7]])),
        (np.array([[0.0, 1, 0]]), np.array([[0.2, 0.3, 0.5]])),  # one row, wrong
    ]
    for n, K in [(30, 3), (200, 10), (60, 5)]:
        while True:  # until the case has a mistake (all rows right happens by chance, rarely)
            labels = rng.integers(0, K, size=n)
            P = _softmax_rows(rng, n, K, scale=3.0)
            # make most rows right by giving the true class a boost, as a trained network would
            P[np.arange(n), labels] += np.where(rng.random(n) < 0.85, 2.0, 0.0)
            P /= P.sum(axis=1, keepdims=True)
            if not np.all(P.argmax(axis=1) == labels):
                break
        cases.append((_one_hot(labels, K), P))
    return cases


@exercise("ex-digits-most-confident-wrong", inputs=_most_confident_wrong_inputs)
def _most_confident_wrong(answer, inputs):
    def describe(Y, P):
        return f"for Y of shape {Y.shape}" if len(Y) > 4 else f"for Y={_fmt(Y)}, Y_hat={_fmt(P)}"

    for (Y, P), got, where in calls(answer, inputs, "a function most_confident_wrong(Y, Y_hat)", describe):
        expected = _most_confident_wrong_reference(Y, P)
        n = as_count(got, where, "one row index (an integer)")
        if n != expected:
            detail = ""
            if 0 <= n < len(Y):
                right = P[n].argmax() == Y[n].argmax()
                detail = (f" (row {n} is {'right' if right else 'wrong'}, confidence {P[n].max():.4f}; "
                          f"row {expected} is wrong with confidence {P[expected].max():.4f})")
            raise Failure(f"{where}: expected row {expected}, got {n}{detail}")
