"""End to end: one `python -m autograder grade` over a Moodle archive of a whole (small) class of Part 1.

Ordinary students (right, wrong, after Colab, damaged notebooks) and hostile ones (infinite loops, os._exit,
reading what is not theirs, printing megabytes); the hostile tricks against the tests themselves are in
test_autograder_hostile.py.
"""

import json
import subprocess
import sys

import pytest

from autograder import cli, sandbox, secret_lines
from autograder.course import released_notebook
from conftest import REPO
from submissions import builders
from submissions.toy_course import (FULL_MARKS, RIGHT_DENSE, WRONG_DENSE_LAYER, WRONG_TOTAL, part1,
                                    part1_dense, read_grades)

ASSIGNMENT = "pt_part1_intro"
DENSE_POINTS = 6


def run_grade(*args):
    return subprocess.run([sys.executable, "-m", "autograder", "grade", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    released, answers = part1()
    forbidden = root / "outside.txt"
    copy_of_course = root / "other-course" / "solutions"  # another copy of the course on the machine
    copy_of_course.mkdir(parents=True)
    (copy_of_course / "answers.txt").write_text("секрет", encoding="utf-8")

    def notebook(dense=RIGHT_DENSE, **changes):
        return builders.filled(released, {**answers, "dense_layer": dense, **changes})

    files = {
        ("Олена Коваль", "1001", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook()),
        ("Петро Іваненко", "1002", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook(WRONG_DENSE_LAYER)),
        ("Марія Шевчук", "1003", "Copy of PT_Part1_Intro.ipynb"):
            builders.to_bytes(builders.colab_roundtrip(notebook(), seed=1)),
        ("Андрій Мельник", "1004", "PT_Part1_Intro (1).ipynb"): builders.to_bytes(builders.edit_test_cells(
            builders.delete_cells(notebook(WRONG_DENSE_LAYER), ["tensors", "test_dense_layer_forward"]))),
        ("Ірина Бойко", "1005", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook(), version=3),
        ("Тарас Ткаченко", "1006", "PT_Part1_Intro.ipynb"): b"\x00\x01 this is not json",
        ("Оксана Кравченко", "1007", "PT_Part2_Music_Generation.ipynb"): (
            released_notebook("pt_part2_music_generation")).read_bytes(),
        ("Богдан Савченко", "1010", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook(
            "while True:\n    pass\n" + RIGHT_DENSE)),
        ("Софія Руденко", "1011", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook(part1_dense(
            "        import os\n        os._exit(1)\n"))),
        ("Віктор Мороз", "1012", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook(
            f"open({str(forbidden)!r}, 'w').write('x')\n" + RIGHT_DENSE)),
        ("Віра Мороз", "1016", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook(
            f"SECRET = open({str(copy_of_course / 'answers.txt')!r}).read()\n" + RIGHT_DENSE)),
        ("Анна Поліщук", "1013", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook(part1_dense(
            "        import warnings\n        warnings.warn('this layer is deprecated', UserWarning)\n"
            "        return torch.sigmoid(x @ self.W + self.bias)\n"))),
        ("Максим Гнатюк", "1014", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook(
            "for _ in range(100000):\n    print('x' * 200)\n" + RIGHT_DENSE)),
        ("Ніна Бондар", "1015", "PT_Part1_Intro.ipynb"): builders.to_bytes(released),
    }
    archive = root / "moodle.zip"
    archive.write_bytes(builders.moodle_zip(files))
    out = root / "out"
    result = run_grade(ASSIGNMENT, archive, "--out", out, "--workers", 2, "--timeout", 10, "--notebook-timeout", 120)
    return {"root": root, "out": out, "result": result, "forbidden": forbidden, "released": released,
            "answers": answers}


EXPECTED = {  # student: (total of 22, status)
    "1001": (FULL_MARKS, "graded"),
    "1002": (WRONG_TOTAL, "graded"),  # wrong values: loses the forward and gradient checks only
    "1003": (FULL_MARKS, "graded"),  # Colab round trip: metadata stripped, shuffled, outputs, widgets, extra cells
    "1004": (WRONG_TOTAL - 2, "graded"),  # answer and test cells deleted, tests edited: no `tensors`, wrong layer
    "1005": (FULL_MARKS, "graded"),  # nbformat v3
    "1006": (0, "error"),  # not JSON
    "1007": (0, "error"),  # the other assignment
    "1010": (FULL_MARKS - DENSE_POINTS, "graded"),  # infinite loop: the cell is stopped, the layer never defined
    "1011": (FULL_MARKS - 4, "graded"),  # os._exit in forward: the probe dies in those checks only
    "1012": (FULL_MARKS - DENSE_POINTS, "graded"),  # writing outside its folder fails: the layer never defined
    "1016": (FULL_MARKS - DENSE_POINTS, "graded"),  # another copy of the course does not exist in the sandbox
    "1013": (FULL_MARKS, "graded"),  # a library-like warning costs nothing
    "1014": (FULL_MARKS, "graded"),  # megabytes of output
    "1015": (0, "graded"),  # the untouched release
}


def test_grade_command_finishes_with_a_summary(graded_class):
    result = graded_class["result"]
    assert result.returncode == 0, result.stderr[-3000:]
    last = result.stdout.strip().splitlines()[-1]
    assert "Оцінено робіт: 12" in last and "на ручну перевірку: 0" in last and "не вдалося оцінити: 2" in last
    assert str(graded_class["out"]) in last
    assert "робіт/хв" in result.stdout and "лишилося" in result.stdout  # progress a person can watch


def test_every_student_gets_the_expected_verdict(graded_class):
    grades = read_grades(graded_class["out"])
    assert sorted(grades) == sorted(EXPECTED)
    got = {sid: (float(row["total"]), row["status"]) for sid, row in grades.items()}
    assert got == {sid: (float(total), status) for sid, (total, status) in EXPECTED.items()}
    assert grades["1001"]["name"] == "Олена Коваль"
    assert grades["1002"]["test_dense_layer_forward"] == "0" and grades["1002"]["test_dense_layer_parameters"] == "2"
    assert "іншого завдання" in grades["1007"]["reasons"]
    assert "JSON" in grades["1006"]["reasons"]
    notes = {sid: " ".join(json.loads((graded_class["out"] / ".course" / "results" / ASSIGNMENT /
                                       f"{sid}.json").read_text(encoding="utf-8"))["notes"]) for sid in grades}
    assert "ліміт часу" in notes["1010"] and "перезапустити" in notes["1011"]
    assert "за вмістом" in notes["1003"] and "ліміт часу" not in notes["1001"]


def test_the_sandbox_kept_student_code_in_its_place(graded_class):
    if not sandbox.bubblewrap_available():
        pytest.skip("bubblewrap недоступний")
    assert not graded_class["forbidden"].exists()
    for student, error in (("1012", "No such file"), ("1016", "No such file")):  # neither place exists inside
        verdict = json.loads((graded_class["out"] / ".course" / "results" / ASSIGNMENT /
                              f"{student}.json").read_text(encoding="utf-8"))
        assert any(error in note for note in verdict["notes"]), verdict["notes"]


def test_gradebook_and_formgrader_copies_hold_the_same_scores(graded_class):
    from nbgrader.api import Gradebook

    grades = read_grades(graded_class["out"])
    with Gradebook(f"sqlite:///{graded_class['out'] / '.course' / 'gradebook.db'}") as gb:
        for sid, row in grades.items():
            submission = gb.find_submission(ASSIGNMENT, sid)
            assert submission.score == pytest.approx(float(row["total"])), sid
    autograded = graded_class["out"] / ".course" / "autograded" / "1002" / ASSIGNMENT / "PT_Part1_Intro.ipynb"
    text = autograded.read_text(encoding="utf-8")
    assert "Після сигмоїди всі значення" in text  # the failed check's message, where formgrader shows the cell


def test_feedback_names_failures_but_never_shows_hidden_tests(graded_class):
    feedback = graded_class["out"] / "feedback"
    assert sorted(p.stem for p in feedback.glob("*.html")) == sorted(EXPECTED)
    wrong = (feedback / "1002.html").read_text(encoding="utf-8")
    assert "test_dense_layer_forward" in wrong and "Після сигмоїди всі значення" in wrong
    assert secret_lines.leaks_in_tree(feedback) == []
    assert "JSON" in (feedback / "1006.html").read_text(encoding="utf-8")


def test_report_has_histogram_pass_rates_and_flags(graded_class):
    out = graded_class["out"]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert (out / "histogram.png").read_bytes()[:4] == b"\x89PNG"
    for grade_id in ("test_tensors_matrix", "test_dense_layer_forward", "test_gradient_descent_trajectory"):
        assert grade_id in report
    for flagged in ("1006", "1007"):
        assert flagged in report
    moodle = (out / "moodle_grades.csv").read_text(encoding="utf-8").splitlines()
    assert moodle[0] == "ID number,Full name,Grade" and f"1001,Олена Коваль,{FULL_MARKS}" in moodle


def test_grading_again_replaces_one_student_resumes_the_rest_and_keeps_the_class(graded_class, tmp_path):
    out, released, answers = graded_class["out"], graded_class["released"], graded_class["answers"]
    before = read_grades(out)
    # 1001 hands in again, now wrong; 1002 again unchanged: not graded again, the same grade.
    again = tmp_path / "again"
    again.mkdir()
    (again / "1001_PT_Part1_Intro.ipynb").write_bytes(
        builders.to_bytes(builders.filled(released, {**answers, "dense_layer": WRONG_DENSE_LAYER})))
    (again / "1002_PT_Part1_Intro.ipynb").write_bytes(
        builders.to_bytes(builders.filled(released, {**answers, "dense_layer": WRONG_DENSE_LAYER})))
    result = run_grade(ASSIGNMENT, again, "--out", out, "--workers", 1, "--timeout", 10, "--notebook-timeout", 120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "не оцінюю вдруге: 1" in result.stdout  # 1002: the same file, the same checks
    after = read_grades(out)
    assert float(after["1001"]["total"]) == WRONG_TOTAL and after["1001"]["test_dense_layer_forward"] == "0"
    assert {k: v for k, v in after.items() if k != "1001"} == {k: v for k, v in before.items() if k != "1001"}
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out / '.course' / 'gradebook.db'}") as gb:
        assert gb.find_submission(ASSIGNMENT, "1001").score == WRONG_TOTAL
        assert len(gb.find_assignment(ASSIGNMENT).submissions) == len(EXPECTED)


def test_bad_command_lines_answer_in_ukrainian(tmp_path, capsys):
    # In this process (the same cli.main that `python -m autograder` calls): a refused command line
    # must answer before any grading machinery starts, so this takes a second.
    def grade(*args):
        code = cli.main(["grade", *map(str, args)])
        return code, capsys.readouterr().err

    code, said = grade("no_such_assignment", tmp_path, "--out", tmp_path / "o")
    assert code == 1 and "Невідоме завдання" in said
    code, said = grade(ASSIGNMENT, tmp_path / "missing.zip", "--out", tmp_path / "o")
    assert code == 1 and "Не знайдено" in said
    code, said = grade(ASSIGNMENT, tmp_path, "--out", REPO / "results-in-git")
    assert code == 1 and "не ігнорується git" in said
    assert not (REPO / "results-in-git").exists()
    with pytest.raises(SystemExit):
        cli.main(["grade", "--help"])
    help_text = capsys.readouterr().out
    assert "використання" in help_text and "--workers" in help_text and "--scheduler" in help_text
