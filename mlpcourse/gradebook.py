"""The gradebook a class run writes: grades.csv, summary.csv, one feedback file per
student, and report.html (pass rate per exercise, the most common failures)."""

import base64
import csv
import html
import io
from collections import Counter
from pathlib import Path

COLUMNS = ["student", "chapter", "exercise", "status", "detail", "seconds"]
SUMMARY = ["student", "chapter", "passed", "failed", "not attempted", "total"]
FAILED = ("failed", "error", "timed out", "missing")


def write(out, students, chapters, results, problems):
    """Write the gradebook into ``out``; return the paths written."""
    out = Path(out)
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    rows = [(s, c, row) for s in students for c in chapters for row in results[(s, c)].rows]
    with open(out / "grades.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for s, c, row in rows:
            w.writerow([s, c, row.exercise, row.status, row.detail, f"{row.seconds:.2f}"])
    with open(out / "summary.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(SUMMARY)
        for s in students:
            for c in chapters:
                r = results[(s, c)]
                passed = r.count("passed") + r.count("flagged")
                failed = sum(r.count(x) for x in FAILED)
                w.writerow([s, c, passed, failed, r.count("not attempted"), len(r.rows)])
    for s in students:
        (out / "feedback" / f"{s}.md").write_text(feedback(s, chapters, results))
    (out / "report.html").write_text(report(students, chapters, results, problems))
    return [out / "grades.csv", out / "summary.csv", out / "feedback", out / "report.html"]


def feedback(student, chapters, results):
    """What one student is told: every exercise with its message."""
    lines = [f"# Feedback for {student}", ""]
    for c in chapters:
        r = results[(student, c)]
        passed = r.count("passed") + r.count("flagged")
        lines += [f"## {c}: {passed} of {len(r.rows)} passed", ""]
        lines += [f"- Note: {p}" for p in r.problems]
        for row in r.rows:
            detail = row.detail.replace("\n", "\n  ") if row.detail else ""
            lines.append(f"- `{row.exercise}`: **{row.status}**" + (f": {detail}" if detail else ""))
        lines.append("")
    return "\n".join(lines)


def _chart(rates):
    """A horizontal bar chart of pass rates, as an inline SVG image (base64 data URL)."""
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    labels = [label for label, _ in rates]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(labels) + 1))
    ax.barh(range(len(labels)), [100 * r for _, r in rates], color="#2a6f97")
    ax.set_yticks(range(len(labels)), labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("students who passed (%)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


def report(students, chapters, results, problems):
    """report.html: per-exercise counts and pass rates, the most common failure messages."""
    table, rates, failures = [], [], Counter()
    for c in chapters:
        labels = []
        for s in students:
            labels += [row.exercise for row in results[(s, c)].rows if row.exercise not in labels]
        for label in labels:
            counts = Counter(row.status for s in students for row in results[(s, c)].rows if row.exercise == label)
            total = sum(counts.values())
            rate = (counts["passed"] + counts["flagged"]) / total if total else 0.0
            rates.append((f"{c} / {label}" if len(chapters) > 1 else label, rate))
            table.append((c, label, counts, total, rate))
        for s in students:
            for row in results[(s, c)].rows:
                if row.status in FAILED and row.detail:
                    failures[(c, row.exercise, row.status, row.detail.splitlines()[0][:200])] += 1
    e = html.escape
    head = ["passed", "flagged", "failed", "not attempted", "error", "timed out", "missing"]
    body = [f"<tr><td>{e(c)}</td><td><code>{e(label)}</code></td>"
            + "".join(f"<td>{counts[h]}</td>" for h in head) + f"<td>{100 * rate:.0f}%</td></tr>"
            for c, label, counts, total, rate in table]
    common = [f"<tr><td>{n}</td><td>{e(c)}</td><td><code>{e(label)}</code></td>"
              f"<td>{e(status)}</td><td>{e(msg)}</td></tr>"
              for (c, label, status, msg), n in failures.most_common(15)]
    alt = "; ".join(f"{label}: {100 * r:.0f}% passed" for label, r in rates)
    notes = "".join(f"<li>{e(p)}</li>" for p in problems)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Grading report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}}
table{{border-collapse:collapse;margin:1rem 0;font-size:.9rem}}
th,td{{border:1px solid #bbb;padding:.25rem .5rem;text-align:left}}
th{{background:#eef}}img{{width:100%;height:auto}}code{{font-size:.85rem}}
.scroll{{overflow-x:auto}}</style></head>
<body><h1>Grading report</h1>
<p>{len(students)} students, chapters {e(", ".join(chapters))}.</p>
{f"<h2>Notes</h2><ul>{notes}</ul>" if notes else ""}
<h2>Pass rate per exercise</h2>
<img src="{_chart(rates) if rates else ''}" alt="{e(alt)}">
<div class="scroll" role="region" aria-label="counts per exercise" tabindex="0">
<table><thead><tr><th scope="col">chapter</th><th scope="col">exercise</th>
{"".join(f'<th scope="col">{h}</th>' for h in head)}<th scope="col">pass rate</th></tr></thead>
<tbody>{"".join(body)}</tbody></table></div>
<h2>Most common failures</h2>
<div class="scroll" role="region" aria-label="most common failures" tabindex="0">
<table><thead><tr><th scope="col">students</th><th scope="col">chapter</th><th scope="col">exercise</th>
<th scope="col">status</th><th scope="col">message (first line)</th></tr></thead>
<tbody>{"".join(common) or '<tr><td colspan="5">none</td></tr>'}</tbody></table></div>
</body></html>
"""
