"""From a student's files to the job that grades them, or to a verdict when they cannot be graded.

Nothing here runs student code: the files are read and rebuilt as data (repair.py), the answers scanned as
text (integrity.py). Every student ends with one verdict:
- "graded"  (оцінено): scores from the checks;
- "review"  (на перевірку): graded, but something looks like an attempt to defeat the tests (in the text of
  an answer, or seen while it ran), or the student handed in other files that differ from the graded one or
  cannot be graded (prepare_student);
- "error"   (не оцінено): the file cannot be graded (not a notebook, another assignment, a broken or encrypted
  archive, a name that is not UTF-8...), zero points. One bad file never stops the run (collect.py).
"""

import nbformat

from . import collect, integrity, judge, repair
from .messages import t


def verdict_for(submission, status, reasons=(), notes=()):
    return {
        "student_id": submission.student_id,
        "name": submission.name,
        "origin": submission.origin,
        "status": status,
        "reasons": list(reasons),
        "notes": list(submission.notes) + list(notes),
        "cells": {},
    }


def _prepare(submission, course):
    """(job, verdict), or (None, verdict) when the file cannot be graded."""
    if submission.problem:
        return None, verdict_for(submission, "error", [submission.problem])
    try:
        notebook = repair.read_submission(submission.data)
        other = repair.other_assignment(notebook, course.signatures, course.other_signatures)
        if other:
            raise repair.SubmissionError(t("other_assignment", other=other))
        rebuilt = repair.rebuild(course.released, notebook, course.signatures)
        repair.refuse_unwritable(rebuilt.answers)
    except repair.SubmissionError as error:
        return None, verdict_for(submission, "error", [str(error)])
    if not rebuilt.answers:
        return None, verdict_for(submission, "error", [t("no_answers")])
    reasons = [t("in_cell", cell=grade_id, reason=reason)
               for grade_id, source in rebuilt.answers.items() for reason in integrity.scan_answer(source)]
    notes = []
    if any(how == "content" for how in rebuilt.matched_by.values()):
        notes.append(t("metadata_lost", cells=", ".join(g for g, h in rebuilt.matched_by.items() if h == "content")))
    if rebuilt.missing:
        notes.append(t("answers_missing", cells=", ".join(rebuilt.missing)))
    job = judge.make_job(rebuilt.notebook, student_id=submission.student_id, assignment=course.assignment,
                         points=course.points, reference=course.reference, limits=course.limits,
                         sandboxed=course.sandboxed)
    job["notebook"] = nbformat.writes(rebuilt.notebook)  # stays with the coordinator (formgrader's copy)
    return job, verdict_for(submission, "graded", reasons, notes)


def _prepare_safely(submission, course):
    """_prepare, where a file shaped as nothing there foresaw is its student's error, never the end of the run."""
    try:
        return _prepare(submission, course)
    except Exception as error:
        return None, verdict_for(submission, "error", [t("unforeseen_file", error=collect.printable(repr(error))[:300])])


def prepare_student(submission, course):
    """(job or None, verdict) for a student and all their files (collect.py: `submission.others`).

    The latest file that can be graded is graded. Another file whose answers are the same is noted; one whose
    answers differ, or that cannot be graded, is a reason naming both files, so the student goes to review
    (or stays an error when no file can be graded). Nothing is merged and no file is silently dropped.
    """
    files = [submission, *submission.others]
    tries = [_prepare_safely(file, course) for file in files]
    chosen = next((i for i, (job, _) in enumerate(tries) if job), 0)
    job, verdict = tries[chosen]
    graded = files[chosen].origin
    for file, (other_job, other_verdict) in zip(files, tries):
        if file is files[chosen]:
            continue
        if not other_job:
            verdict["reasons"].append(t("other_file_failed", origin=file.origin,
                                        reason=" ".join(other_verdict["reasons"])))
        elif job and other_job["answers"] == job["answers"]:
            verdict["notes"].append(t("same_answers", origin=file.origin, graded=graded))
        else:
            verdict["reasons"].append(t("different_answers", origin=file.origin, graded=graded))
    if chosen:  # collect's notes about the student's files sit on the first one
        verdict["notes"][:0] = submission.notes
        verdict["name"] = verdict["name"] or submission.name
    if job and verdict["reasons"]:
        verdict["status"] = "review"
    return job, verdict


def apply_result(verdict, result, points):
    """Fold the judge's result (None: the student was not graded) into the student's verdict; the verdict."""
    result = result or {}
    verdict["cells"] = {grade_id: dict(result.get("cells", {}).get(grade_id) or
                                       {"score": 0.0, "max": float(value), "message": ""})
                        for grade_id, value in points.items()}
    if result.get("failed"):
        verdict["status"] = "error"
        verdict["reasons"].append(result["failed"])
        for cell in verdict["cells"].values():
            cell["score"] = 0.0
    if result.get("tampered"):
        verdict["reasons"].append(t("runtime_tamper", names=", ".join(result["tampered"][:20])))
    verdict["notes"] += list(result.get("notes", []))
    if verdict["reasons"] and verdict["status"] == "graded":
        verdict["status"] = "review"
    verdict["seconds"] = result.get("seconds")
    verdict["total"] = round(sum(cell["score"] for cell in verdict["cells"].values()), 4)
    verdict["max_total"] = float(sum(points.values()))
    return verdict
