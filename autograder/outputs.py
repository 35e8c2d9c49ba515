"""What grading leaves in the output folder: grades.csv, moodle_grades.csv, feedback/<student>.html and
report.html with histogram.png.

The feedback shows each test cell's name, points and failure message (the error's type and text), never a
traceback or a cell's source: those would show hidden tests (nbgrader#917).
"""

import csv
import html
from pathlib import Path

from .messages import STATUS, t


def _escape(text):
    return html.escape(str(text or ""))


def write_grades_csv(path, verdicts, test_cells):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "name", "total", "max_total", "status", "reasons", *test_cells])
        for v in verdicts:
            writer.writerow([v["student_id"], v.get("name", ""), f"{v['total']:g}", f"{v['max_total']:g}",
                             v["status"], " | ".join(v["reasons"]),
                             *[f"{v['cells'].get(g, {}).get('score', 0):g}" for g in test_cells]])


def write_moodle_csv(path, verdicts, roster):
    """A grade import file for Moodle (Grades > Import > CSV): match on "ID number", grade column."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ID number", "Full name", "Grade"])
        for v in verdicts:
            name = v.get("name") or (roster or {}).get(v["student_id"], "")
            writer.writerow([v["student_id"], name, f"{v['total']:g}"])


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
.pass{color:#1a7f37}.fail{color:#b42318}pre{white-space:pre-wrap;margin:0;font-size:.9em}
"""


def _page(title, body):
    return (f"<!DOCTYPE html>\n<html lang=\"uk\"><head><meta charset=\"utf-8\"><title>{_escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>\n<h1>{_escape(title)}</h1>\n{body}\n</body></html>\n")


def feedback_html(verdict, assignment):
    rows = []
    for grade_id, cell in verdict["cells"].items():
        passed = cell["score"] >= cell["max"] and cell["max"] > 0
        mark = t("fb_passed") if passed else t("fb_failed")
        message = cell.get("message") or ("" if passed else t("fb_no_message"))
        rows.append(f"<tr><td><code>{_escape(grade_id)}</code></td><td class=\"{'pass' if passed else 'fail'}\">"
                    f"{_escape(mark)}</td><td>{cell['score']:g} / {cell['max']:g}</td>"
                    f"<td><pre>{_escape(message)}</pre></td></tr>")
    total_line = t("fb_total", total=f"{verdict['total']:g}", max=f"{verdict['max_total']:g}")
    parts = [f"<p>{_escape(total_line)}</p>"]
    if verdict["status"] == "error":
        parts.append(f"<p class=\"fail\">{_escape(t('fb_error'))}</p><ul>"
                     + "".join(f"<li>{_escape(r)}</li>" for r in verdict["reasons"]) + "</ul>")
    elif verdict["status"] == "review":
        parts.append(f"<p class=\"fail\">{_escape(t('fb_review'))}</p>")
    notes = [n for n in verdict.get("notes", [])]
    if notes:
        parts.append("<ul>" + "".join(f"<li>{_escape(n)}</li>" for n in notes) + "</ul>")
    parts.append(f"<table><tr><th>{_escape(t('fb_cell'))}</th><th>{_escape(t('fb_result'))}</th>"
                 f"<th>{_escape(t('fb_points'))}</th><th>{_escape(t('fb_message'))}</th></tr>" + "".join(rows) + "</table>")
    title = t("fb_title", assignment=assignment, student=verdict["student_id"])
    return _page(title, "\n".join(parts))


def histogram(path, totals, max_total):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 3.2))
    bins = max(5, min(20, int(max_total) + 1)) if max_total else 10
    axes.hist(totals, bins=bins, range=(0, max_total or 1), color="#4063d8", edgecolor="white")
    axes.set_xlabel(t("hist_x"))
    axes.set_ylabel(t("hist_y"))
    axes.set_title(t("hist_title"))
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def report_html(verdicts, test_cells, assignment):
    graded = [v for v in verdicts if v["status"] != "error"]
    parts = [f"<p>{_escape(t('rep_counts', total=len(verdicts), graded=sum(v['status'] == 'graded' for v in verdicts), review=sum(v['status'] == 'review' for v in verdicts), error=sum(v['status'] == 'error' for v in verdicts)))}</p>",
             '<img src="histogram.png" alt="histogram">']
    rows = []
    for grade_id, points in test_cells.items():
        passed = sum(1 for v in graded if v["cells"].get(grade_id, {}).get("score", 0) >= points > 0)
        share = f"{100 * passed / len(graded):.0f}%" if graded else "—"
        rows.append(f"<tr><td><code>{_escape(grade_id)}</code></td><td>{points:g}</td><td>{passed} / {len(graded)}</td><td>{share}</td></tr>")
    parts.append(f"<h2>{_escape(t('rep_cells'))}</h2><table><tr><th>{_escape(t('fb_cell'))}</th><th>{_escape(t('fb_points'))}</th>"
                 f"<th>{_escape(t('rep_passed'))}</th><th>%</th></tr>" + "".join(rows) + "</table>")
    flagged = [v for v in verdicts if v["status"] != "graded"]
    parts.append(f"<h2>{_escape(t('rep_flagged'))}</h2>")
    if flagged:
        parts.append("<table><tr><th>" + "</th><th>".join(_escape(t(k)) for k in ("rep_student", "rep_status", "rep_reasons", "rep_origin")) + "</th></tr>")
        for v in flagged:
            parts.append(f"<tr><td>{_escape(v['student_id'])} {_escape(v.get('name', ''))}</td><td>{_escape(STATUS[v['status']])}</td>"
                         f"<td><ul>{''.join(f'<li>{_escape(r)}</li>' for r in v['reasons'])}</ul></td><td><code>{_escape(v['origin'])}</code></td></tr>")
        parts.append("</table>")
    else:
        parts.append(f"<p>{_escape(t('rep_none_flagged'))}</p>")
    parts.append(f"<h2>{_escape(t('rep_students'))}</h2><table><tr><th>{_escape(t('rep_student'))}</th><th>{_escape(t('rep_total'))}</th>"
                 f"<th>{_escape(t('rep_status'))}</th><th>{_escape(t('rep_notes'))}</th></tr>")
    for v in verdicts:
        parts.append(f"<tr><td>{_escape(v['student_id'])} {_escape(v.get('name', ''))}</td><td>{v['total']:g} / {v['max_total']:g}</td>"
                     f"<td>{_escape(STATUS[v['status']])}</td><td>{_escape('; '.join(v.get('notes', [])))}</td></tr>")
    parts.append("</table>")
    return _page(t("rep_title", assignment=assignment), "\n".join(parts))


def write_all(out, assignment, verdicts, test_cells, roster=None):
    out = Path(out)
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    write_grades_csv(out / "grades.csv", verdicts, test_cells)
    write_moodle_csv(out / "moodle_grades.csv", verdicts, roster)
    for verdict in verdicts:
        (out / "feedback" / f"{verdict['student_id']}.html").write_text(feedback_html(verdict, assignment), encoding="utf-8")
    max_total = sum(test_cells.values())
    histogram(out / "histogram.png", [v["total"] for v in verdicts], max_total)
    (out / "report.html").write_text(report_html(verdicts, test_cells, assignment), encoding="utf-8")
