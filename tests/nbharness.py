"""Run an nbgrader source notebook with some answer cells swapped, and report which graded test cells pass.

This mirrors nbgrader's own verdict (`nbgrader.utils.determine_grade`): a test cell fails when it has an
error output or writes anything to stderr. It is much faster than a full `nbgrader autograde`, so the
project's tests can try many wrong and alternative implementations.
"""

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass

import nbformat
from nbclient import NotebookClient

from autograder.repair import is_test_cell, nbgrader_meta  # the notebook tests import nbgrader_meta from here


@dataclass
class CellOutcome:
    passed: bool
    message: str  # the error or stderr text, empty when the cell passed


def graded_test_cells(nb):
    """The notebook's graded test cells (nbgrader grade cells that are not answers), in order."""
    return [cell for cell in nb.cells if is_test_cell(cell)]


def points_by_answer(nb, answer_ids):
    """{answer id: points of its test cells `test_<answer>_...`} and the total of all graded test cells."""
    cells = graded_test_cells(nb)
    points = {answer: sum(nbgrader_meta(c)["points"] for c in cells if nbgrader_meta(c)["grade_id"].startswith(f"test_{answer}_"))
              for answer in answer_ids}
    return points, sum(nbgrader_meta(c)["points"] for c in cells)


def cell_by_grade_id(nb, grade_id):
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade_id") == grade_id:
            return cell
    raise KeyError(f"немає клітинки з grade_id={grade_id!r}")


@contextmanager
def environment(**variables):
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def cell_outcome(cell):
    problems = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "error":
            problems.append(f"{output['ename']}: {output['evalue']}")
        elif output["output_type"] == "stream" and output["name"] == "stderr":
            problems.append("stderr: " + output["text"])
    return CellOutcome(passed=not problems, message="\n".join(problems))


def run_notebook(path, replacements=None, timeout=600, env=None):
    """Execute the notebook at `path` with answer cells replaced; return ({grade_id: CellOutcome}, executed nb).

    `replacements` maps an answer cell's grade_id to the source that replaces it (a student's answer).
    The kernel runs in a temporary folder, with NBGRADER_EXECUTION=autograde as under real grading.
    """
    nb = nbformat.read(str(path), as_version=4)
    for grade_id, source in (replacements or {}).items():
        cell_by_grade_id(nb, grade_id).source = source
    variables = {"NBGRADER_EXECUTION": "autograde", **(env or {})}
    with tempfile.TemporaryDirectory() as workdir, environment(**variables):
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": workdir}},
        )
        client.execute()
    outcomes = {nbgrader_meta(cell)["grade_id"]: cell_outcome(cell) for cell in nb.cells if is_test_cell(cell)}
    return outcomes, nb


@dataclass(frozen=True)
class Mistake:
    """A mistake students commonly make, and the visible test that should catch it and name its cause."""

    what: str  # the mistake, in Ukrainian, as the benchmark's table shows it
    answer: str  # the answer cell it is written in
    code: str  # that cell's source, with the mistake
    test: str  # the visible test cell that should fail
    hint: str  # a word that the test's message must contain: the likely cause, named


def visible_catches(path, mistakes, env=None, timeout=600):
    """[(mistake, CellOutcome of its visible test)]: one run of the notebook, at most one mistake per answer."""
    replacements = {mistake.answer: mistake.code for mistake in mistakes}
    assert len(replacements) == len(mistakes), "one mistake per answer cell in a run"
    outcomes, _ = run_notebook(path, replacements=replacements, env=env, timeout=timeout)
    return [(mistake, outcomes[mistake.test]) for mistake in mistakes]


def failed_cells(outcomes):
    return sorted(grade_id for grade_id, outcome in outcomes.items() if not outcome.passed)


