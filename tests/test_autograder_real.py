"""The grade command on the course's real notebooks (the nbgrader sources in solutions/): the reference
solution gets full marks also after a Colab round trip, the untouched student copy gets zero, one wrong
answer loses its own tests while the earlier answers keep theirs, and the feedback shows no hidden test or
solution line."""

import csv
import os
import subprocess
import sys

import nbformat
import pytest

from submissions import builders
from autograder import secret_lines
from autograder.repair import is_test_cell
from autograder.course import ASSIGNMENTS, source_notebook
from conftest import REPO

# One wrong answer per assignment, and the test cells it must fail (by prefix of their grade_id).
WRONG = {
    "pt_part1_intro": ("dense_layer", "test_dense_layer"),
    "pt_part2_music_generation": ("compute_loss", "test_compute_loss"),
}


def _released(assignment, tmp_path):
    from autograder import course

    source = source_notebook(assignment)
    course_dir = tmp_path / "course"
    (course_dir / "source").mkdir(parents=True)
    import shutil

    shutil.copytree(source.parent, course_dir / "source" / assignment)
    ok, log = course.generate(course_dir, assignment)
    assert ok, log
    return (nbformat.read(str(source), as_version=4),
            nbformat.read(str(course_dir / "release" / assignment / source.name), as_version=4))


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_real_notebook_grades_reference_colab_wrong_and_untouched(assignment, tmp_path):
    source_path = source_notebook(assignment)
    source, released = _released(assignment, tmp_path)
    answers = builders.reference_answers(source)
    wrong_id, wrong_tests = WRONG[assignment]
    assert wrong_id in answers, f"у {source_path.name} немає відповіді {wrong_id}"
    wrong_answer = "\n".join(answers[wrong_id].splitlines()[:1] + ["    raise ValueError('неправильна відповідь')"])
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / f"good_{ASSIGNMENTS[assignment]}").write_bytes(
        builders.to_bytes(builders.filled(released, answers)))
    (inputs / f"colab_Copy of {ASSIGNMENTS[assignment]}").write_bytes(
        builders.to_bytes(builders.colab_roundtrip(builders.filled(released, answers), seed=5)))
    (inputs / f"wrong_{ASSIGNMENTS[assignment]}").write_bytes(
        builders.to_bytes(builders.filled(released, {**answers, wrong_id: wrong_answer})))
    (inputs / f"blank_{ASSIGNMENTS[assignment]}").write_bytes(builders.to_bytes(released))
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", assignment, str(inputs), "--out", str(out),
                             "--workers", "2"], cwd=REPO, capture_output=True, text=True, timeout=900,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert result.returncode == 0, result.stderr[-3000:]
    with open(out / "grades.csv", encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    maximum = float(rows["good"]["max_total"])
    assert maximum > 0
    for student in ("good", "colab"):
        assert (float(rows[student]["total"]), rows[student]["status"]) == (maximum, "graded"), rows[student]
    assert float(rows["blank"]["total"]) == 0
    # The wrong answer loses all of its own tests; every test before it (other answers) keeps its points.
    order = [c.metadata["nbgrader"]["grade_id"] for c in source.cells if is_test_cell(c)]
    own = [cell for cell in order if cell.startswith(wrong_tests)]
    assert own and all(float(rows["wrong"][cell]) == 0 for cell in own), rows["wrong"]
    earlier = order[:order.index(own[0])]
    assert earlier and all(float(rows["wrong"][cell]) == float(rows["good"][cell]) > 0 for cell in earlier), rows["wrong"]
    assert secret_lines.leaks_in_tree(out / "feedback", secret_lines.secret_lines([source_path])) == []
