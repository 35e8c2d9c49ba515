"""End to end: one `python -m autograder grade` over a Moodle archive of a whole (small) class.

Uses the toy assignment from tests/submissions (fast, and independent of the real notebooks' content);
test_autograder_real.py does the same with the course's real notebooks.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import sandbox
from submissions import builders
from submissions.toy_course import CORRECT_DENSE, WRONG_DENSE, read_grades, released_toy

REPO = Path(__file__).resolve().parent.parent


def run_grade(*args):
    return subprocess.run([sys.executable, "-m", "autograder", "grade", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    solutions, released, source = released_toy(root / "toy")
    answers = builders.reference_answers(source)
    forbidden = root / "outside.txt"

    def notebook(dense=CORRECT_DENSE, **changes):
        return builders.filled(released, {**answers, "dense_layer": dense, **changes})

    files = {
        ("Олена Коваль", "1001", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook()),
        ("Петро Іваненко", "1002", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook(WRONG_DENSE)),
        ("Марія Шевчук", "1003", "Copy of PT_Part1_Intro.ipynb"):
            builders.to_bytes(builders.colab_roundtrip(notebook(), seed=1)),
        ("Андрій Мельник", "1004", "PT_Part1_Intro (1).ipynb"): builders.to_bytes(builders.edit_test_cells(
            builders.delete_cells(notebook(WRONG_DENSE), ["tensors", "test_dense_layer_values"]))),
        ("Ірина Бойко", "1005", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook(), version=3),
        ("Тарас Ткаченко", "1006", "PT_Part1_Intro.ipynb"): b"\x00\x01 this is not json",
        ("Оксана Кравченко", "1007", "PT_Part2_Music_Generation.ipynb"):
            builders.to_bytes(builders.toy_part2_source()),
        ("Дмитро Олійник", "1008", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook(
            "import torch\ntorch.testing.assert_close = lambda *a, **k: None\n" + WRONG_DENSE)),
        ("Юлія Лисенко", "1009", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook(
            "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)\n" + WRONG_DENSE)),
        ("Богдан Савченко", "1010", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook(
            "while True:\n    pass\n" + CORRECT_DENSE)),
        ("Софія Руденко", "1011", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook(
            "import os\ndef dense(x, w, b):\n    os._exit(1)\n")),
        ("Віктор Мороз", "1012", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook(
            f"SECRET = open({str(solutions / 'pt_part1_intro' / 'PT_Part1_Intro.ipynb')!r}).read()\n"
            f"open({str(forbidden)!r}, 'w').write('x')\n" + CORRECT_DENSE)),
        ("Анна Поліщук", "1013", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook(
            "import warnings\ndef dense(x, w, b):\n"
            "    warnings.warn('Using a non-full backward hook is deprecated', UserWarning)\n    return x @ w + b\n")),
        ("Максим Гнатюк", "1014", "PT_Part1_Intro.ipynb"): builders.to_bytes(notebook(
            "for _ in range(100000):\n    print('x' * 200)\n" + CORRECT_DENSE)),
        ("Ніна Бондар", "1015", "PT_Part1_Intro.ipynb"): builders.to_bytes(released),
    }
    archive = root / "moodle.zip"
    archive.write_bytes(builders.moodle_zip(files))
    out = root / "out"
    result = run_grade("pt_part1_intro", archive, "--out", out, "--workers", 2, "--timeout", 10,
                       "--notebook-timeout", 60, "--solutions", solutions)
    return {"root": root, "out": out, "result": result, "solutions": solutions, "forbidden": forbidden,
            "released": released, "answers": answers, "source": source}


EXPECTED = {  # student: (total of 5, status)
    "1001": (5, "graded"),   # correct
    "1002": (2, "graded"),   # wrong values: loses the 3 points of the hidden test only
    "1003": (5, "graded"),   # Colab round trip: metadata stripped, shuffled, outputs, widgets, extra cells
    "1004": (1, "graded"),   # answer and test cells deleted, tests edited: originals restored and run
    "1005": (5, "graded"),   # nbformat v3
    "1006": (0, "error"),    # not JSON
    "1007": (0, "error"),    # the other assignment
    "1008": (5, "review"),   # torch.testing.assert_close patched: the trick "works", so it goes to review
    "1009": (2, "review"),   # IPython custom exception handler
    "1010": (1, "graded"),   # infinite loop: the cell times out, `dense` never gets defined
    "1011": (1, "graded"),   # os._exit kills the kernel during the dense tests
    "1012": (1, "graded"),   # reading solutions/ fails inside the sandbox
    "1013": (5, "graded"),   # a torch-like warning on stderr costs nothing
    "1014": (5, "graded"),   # megabytes of output
    "1015": (0, "graded"),   # the untouched release
}


def test_grade_command_finishes_with_a_summary(graded_class):
    result = graded_class["result"]
    assert result.returncode == 0, result.stderr[-3000:]
    last = result.stdout.strip().splitlines()[-1]
    assert "Оцінено робіт: 11" in last and "на ручну перевірку: 2" in last and "не вдалося оцінити: 2" in last
    assert str(graded_class["out"]) in last


def test_every_student_gets_the_expected_verdict(graded_class):
    grades = read_grades(graded_class["out"])
    assert sorted(grades) == sorted(EXPECTED)
    got = {sid: (float(row["total"]), row["status"]) for sid, row in grades.items()}
    assert got == {sid: (float(total), status) for sid, (total, status) in EXPECTED.items()}
    assert grades["1001"]["name"] == "Олена Коваль"
    assert grades["1002"]["test_dense_layer_values"] == "0" and grades["1002"]["test_dense_layer_shape"] == "1"
    assert "іншого завдання" in grades["1007"]["reasons"]
    assert "JSON" in grades["1006"]["reasons"]
    assert "assert_close" in grades["1008"]["reasons"]
    assert "set_custom_exc" in grades["1009"]["reasons"]
    notes = {sid: " ".join(json.loads((graded_class["out"] / ".course" / "results" / "pt_part1_intro" /
                                       f"{sid}.json").read_text(encoding="utf-8"))["notes"]) for sid in grades}
    assert "ліміт часу" in notes["1010"] and "аварійно" in notes["1011"] and "обрізано" in notes["1014"]
    assert "за вмістом" in notes["1003"] and "ліміт часу" not in notes["1001"]


def test_the_sandbox_kept_student_code_in_its_folder(graded_class):
    if not sandbox.bubblewrap_available():
        pytest.skip("bubblewrap недоступний")
    assert not graded_class["forbidden"].exists()
    verdict = json.loads((graded_class["out"] / ".course" / "results" / "pt_part1_intro" / "1012.json").read_text())
    assert verdict["cells"]["test_dense_layer_shape"]["message"].startswith("NameError")


def test_gradebook_holds_the_same_scores(graded_class):
    from nbgrader.api import Gradebook

    grades = read_grades(graded_class["out"])
    with Gradebook(f"sqlite:///{graded_class['out'] / '.course' / 'gradebook.db'}") as gb:
        for sid, row in grades.items():
            submission = gb.find_submission("pt_part1_intro", sid)
            assert submission.score == pytest.approx(float(row["total"])), sid


def test_feedback_names_failures_but_never_shows_hidden_tests(graded_class):
    feedback = graded_class["out"] / "feedback"
    assert sorted(p.stem for p in feedback.glob("*.html")) == sorted(EXPECTED)
    wrong = (feedback / "1002.html").read_text(encoding="utf-8")
    assert "test_dense_layer_values" in wrong and "значення шару неправильні" in wrong
    hidden_lines = ["torch.addmm", "hidden-marker-7f3a", "BEGIN HIDDEN TESTS"]
    for page in feedback.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        for line in hidden_lines:
            assert line not in text, (page.name, line)
    assert "JSON" in (feedback / "1006.html").read_text(encoding="utf-8")


def test_report_has_histogram_pass_rates_and_flags(graded_class):
    out = graded_class["out"]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert (out / "histogram.png").read_bytes()[:4] == b"\x89PNG"
    for grade_id in ("test_tensors_shape", "test_dense_layer_shape", "test_dense_layer_values"):
        assert grade_id in report
    for flagged in ("1006", "1007", "1008", "1009"):
        assert flagged in report
    assert "set_custom_exc" in report
    moodle = (out / "moodle_grades.csv").read_text(encoding="utf-8").splitlines()
    assert moodle[0] == "ID number,Full name,Grade" and "1001,Олена Коваль,5" in moodle


def test_grading_again_replaces_one_student_and_keeps_the_class(graded_class, tmp_path):
    out, released, answers = graded_class["out"], graded_class["released"], graded_class["answers"]
    before = read_grades(out)
    # 1001 hands in again, now wrong; 1002 again unchanged: same grade as the first time.
    again = tmp_path / "again"
    again.mkdir()
    (again / "1001_PT_Part1_Intro.ipynb").write_bytes(
        builders.to_bytes(builders.filled(released, {**answers, "dense_layer": WRONG_DENSE})))
    (again / "1002_PT_Part1_Intro.ipynb").write_bytes(
        builders.to_bytes(builders.filled(released, {**answers, "dense_layer": WRONG_DENSE})))
    result = run_grade("pt_part1_intro", again, "--out", out, "--timeout", 10, "--solutions",
                       graded_class["solutions"])
    assert result.returncode == 0, result.stderr[-3000:]
    after = read_grades(out)
    assert float(after["1001"]["total"]) == 2 and after["1001"]["test_dense_layer_values"] == "0"
    assert after["1002"] == before["1002"]
    assert {k: v for k, v in after.items() if k not in ("1001",)} == {k: v for k, v in before.items() if k != "1001"}
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out / '.course' / 'gradebook.db'}") as gb:
        assert gb.find_submission("pt_part1_intro", "1001").score == 2
        assert len(gb.find_assignment("pt_part1_intro").submissions) == len(EXPECTED)


def test_bad_command_lines_answer_in_ukrainian(tmp_path):
    result = run_grade("no_such_assignment", tmp_path, "--out", tmp_path / "o")
    assert result.returncode == 1 and "Невідоме завдання" in result.stderr
    result = run_grade("pt_part1_intro", tmp_path / "missing.zip", "--out", tmp_path / "o")
    assert result.returncode == 1 and "Не знайдено" in result.stderr
    result = run_grade("pt_part1_intro", tmp_path, "--out", REPO / "results-in-git")
    assert result.returncode == 1 and "не ігнорується git" in result.stderr
    assert not (REPO / "results-in-git").exists()
    help_text = subprocess.run([sys.executable, "-m", "autograder", "grade", "--help"], cwd=REPO,
                               capture_output=True, text=True).stdout
    assert "використання" in help_text and "--workers" in help_text and "оцінювати одночасно" in help_text
