"""What grading leaves in the output folder: grades.csv, moodle_grades.csv, feedback/<student>.html and
report.html with histogram.png. The pages come from Jinja2 templates (autograder/templates/), as nbgrader's own
feedback does.

The feedback shows each test cell's name, points and the check's message (with at most a short, cleaned error
of the student's code), never a traceback or a hidden test's source.
"""

import csv
from pathlib import Path

from .messages import STATUS, t


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


def _render(template, **values):
    """A page from autograder/templates/ (Jinja2, autoescaped), with the Ukrainian messages at hand."""
    import jinja2

    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                                     autoescape=True, trim_blocks=True, lstrip_blocks=True)
    environment.globals.update(t=t, status=STATUS, number=lambda value: f"{float(value):g}")
    return environment.get_template(template).render(**values)


def feedback_html(verdict, assignment):
    return _render("feedback.html.j2", verdict=verdict,
                   title=t("fb_title", assignment=assignment, student=verdict["student_id"]))


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
    pass_rates = []
    for grade_id, points in test_cells.items():
        passed = sum(1 for v in graded if v["cells"].get(grade_id, {}).get("score", 0) >= points > 0)
        pass_rates.append((grade_id, points, passed, f"{100 * passed / len(graded):.0f}%" if graded else "—"))
    return _render("report.html.j2", verdicts=verdicts, graded=graded, pass_rates=pass_rates,
                   count=lambda status: sum(v["status"] == status for v in verdicts),
                   title=t("rep_title", assignment=assignment))


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
