"""The one writer: each verdict, as it arrives, into the class's results, nbgrader's gradebook and the notebooks
nbgrader's formgrader shows. Only the coordinator calls this; grading jobs never touch the gradebook.

The gradebook is nbgrader's (`Gradebook(db_url)`): SQLite in the class folder by default, or any SQLAlchemy URL
nbgrader accepts (a shared PostgreSQL, for example). A student's earlier submission is replaced whole, so no
stale score survives a re-grade.
"""

import json
import warnings
from pathlib import Path

import nbformat
from nbformat.v4 import new_output

from .messages import t
from .repair import nbgrader_meta


def results_folder(class_dir, assignment):
    folder = Path(class_dir) / "results" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def previous(class_dir, assignment, student_id):
    """The verdict recorded for this student by an earlier run, or None."""
    path = results_folder(class_dir, assignment) / f"{student_id}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def all_verdicts(class_dir, assignment):
    return [json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(results_folder(class_dir, assignment).glob("*.json"))]


def write_verdict(class_dir, assignment, verdict):
    path = results_folder(class_dir, assignment) / f"{verdict['student_id']}.json"
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(verdict, ensure_ascii=False, indent=1), encoding="utf-8")
    partial.replace(path)  # an interrupted run never leaves half a verdict


def write_notebooks(class_dir, assignment, notebook_name, student_id, notebook_json, verdict):
    """The submission and its autograded copy (each test cell showing its verdict) where formgrader looks."""
    notebook = nbformat.reads(notebook_json, as_version=4)
    folder = Path(class_dir) / "submitted" / student_id / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(folder / f"{notebook_name}.ipynb"))
    for cell in notebook.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        result = verdict["cells"].get(grade_id) if cell.cell_type == "code" else None
        if result is None:
            continue
        if result["score"] >= result["max"]:
            cell.outputs = [new_output("stream", name="stdout", text=t("fb_passed") + "\n")]
        else:
            message = result.get("message") or t("fb_no_message")
            cell.outputs = [new_output("error", ename=t("fb_failed"), evalue=message, traceback=[message])]
    folder = Path(class_dir) / "autograded" / student_id / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(folder / f"{notebook_name}.ipynb"))


def write_gradebook(db_url, assignment, notebook_name, verdict):
    """Replace the student's submission in the gradebook with this verdict's scores."""
    from nbgrader.api import Gradebook, MissingEntry

    warnings.filterwarnings("ignore", message=".*not in session.*")  # SQLAlchemy noise after remove_submission
    student_id = verdict["student_id"]
    with Gradebook(db_url) as gb:
        try:
            gb.remove_submission(assignment, student_id)
        except MissingEntry:
            pass
    with Gradebook(db_url) as gb:
        gb.update_or_create_student(student_id, last_name=verdict.get("name") or None)
        gb.add_submission(assignment, student_id)
        submission = gb.find_submission_notebook(notebook_name, assignment, student_id)
        for grade in submission.grades:
            cell = verdict["cells"].get(grade.name)
            grade.auto_score = cell["score"] if cell else 0.0
            grade.needs_manual_grade = verdict["status"] == "review"
        gb.db.commit()
