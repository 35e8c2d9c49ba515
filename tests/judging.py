"""Grade a notebook with the real judge (autograder/judge.py) without a whole class run: for the tests of the
hidden checks, which try many wrong and alternative answers."""

import functools
import nbformat

from autograder import judge, repair, sandbox
from autograder.course import source_notebook


def source(assignment):
    return nbformat.read(str(source_notebook(assignment)), as_version=4)


def points(assignment):
    return {repair.nbgrader_meta(c)["grade_id"]: float(repair.nbgrader_meta(c)["points"])
            for c in source(assignment).cells if repair.is_test_cell(c)}


@functools.cache
def sandboxed():
    return sandbox.bubblewrap_available()


@functools.cache
def reference(assignment):
    return judge.reference_values(source(assignment), assignment, sandbox.Limits(), sandboxed())


def with_answers(notebook, replacements):
    for cell in notebook.cells:
        grade_id = repair.nbgrader_meta(cell).get("grade_id")
        if grade_id in replacements:
            cell.source = replacements[grade_id]
    return notebook


def grade(assignment, replacements=None, notebook=None, limits=None):
    """The judge's result for the source notebook with `replacements` ({answer grade_id: source})."""
    notebook = with_answers(notebook or source(assignment), replacements or {})
    job = judge.make_job(notebook, student_id="test", assignment=assignment, points=points(assignment),
                         reference=reference(assignment), limits=limits or sandbox.Limits(), sandboxed=sandboxed())
    return judge.grade_job(job)


def failed(result):
    return {grade_id for grade_id, cell in result["cells"].items() if cell["score"] < cell["max"]}
