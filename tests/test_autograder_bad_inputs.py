"""End to end: one class graded in one run, where each bad input costs only its own student.

A Moodle archive of Part 1 holds good students and one student per bad input
(a name flagged UTF-8 that is not, encrypted and corrupt zips, a lone surrogate, the other assignment, several
files, a date no calendar has, past the cap on expanded bytes), next to a folder whose name is not UTF-8.
The run is in-process so that the cap can be made small; the students' code still runs in the sandboxed jobs.
"""

import json
import os
import zipfile

import nbformat
import pytest

from autograder import collect, grading, sandbox
from autograder.course import released_notebook
from submissions import builders
from submissions.toy_course import FULL_MARKS, RIGHT_DENSE, WRONG_DENSE_LAYER, WRONG_TOTAL, part1, part1_dense, read_grades

CAP = 2 * 2**20  # bytes expanded from archives in this run; the class is far smaller, student 3012 is not
EARLIER, LATER = (2025, 3, 1, 9, 0, 0), (2025, 3, 1, 18, 0, 0)


def _zip_of_notebook(data, method=zipfile.ZIP_DEFLATED):
    return builders.zip_bytes({"PT_Part1_Intro.ipynb": data}, method)


def _other_assignment():
    """The course's real Part 2, handed in after a trip through Colab."""
    path = released_notebook("pt_part2_music_generation")
    return builders.to_bytes(builders.colab_roundtrip(nbformat.read(str(path), as_version=4)))


def _class_files(released, answers):
    def notebook(dense=RIGHT_DENSE):
        return builders.to_bytes(builders.filled(released, {**answers, "dense_layer": dense}))

    correct, mark = notebook(), builders.NOT_UTF8_MARKER
    huge = builders.filled(released, {**answers, "dense_layer": RIGHT_DENSE})
    huge.cells.append(nbformat.v4.new_markdown_cell("x" * (CAP + 2**20)))
    return {
        ("Олена Коваль", "3001", "PT_Part1_Intro.ipynb"): correct,
        ("Петро Іваненко", "3002", "PT_Part1_Intro.ipynb"): notebook(WRONG_DENSE_LAYER),
        ("Марія Шевчук", "3003", "Copy of PT_Part1_Intro.ipynb"):
            builders.to_bytes(builders.colab_roundtrip(builders.filled(released, answers), seed=1)),
        (f"Ірина{mark} Бойко", "3004", "PT_Part1_Intro.ipynb"): correct,
        ("Тарас Ткаченко", "3005", "work.zip"): builders.encrypted(_zip_of_notebook(correct)),
        ("Оксана Кравченко", "3006", "work.zip"): b"PK\x03\x04 this zip ends here",
        ("Дмитро Олійник", "3007", "work.zip"):
            builders.damaged_entry(_zip_of_notebook(correct), "PT_Part1_Intro.ipynb"),
        ("Юлія Лисенко", "3008", "PT_Part1_Intro.ipynb"):
            builders.with_lone_surrogate(notebook(RIGHT_DENSE + "# LONE_SURROGATE\n")),
        ("Богдан Савченко", "3009", "PT_Part2_Music_Generation.ipynb"): _other_assignment(),
        ("Софія Руденко", "3010", "PT_Part1_Intro.ipynb", EARLIER): notebook(WRONG_DENSE_LAYER),
        ("Софія Руденко", "3010", "PT_Part1_Intro (1).ipynb", LATER): correct,
        ("Віктор Мороз", "3011", "PT_Part1_Intro.ipynb"): correct,
        ("Віктор Мороз", "3011", "Copy of PT_Part1_Intro.ipynb"): correct,
        ("Максим Гнатюк", "3013", "PT_Part1_Intro.ipynb", (1980, 0, 0, 0, 0, 0)): correct,
        ("Ніна Бондар", "3014", "PT_Part1_Intro.ipynb"): notebook(part1_dense("        raise ValueError('\\ud800')\n")),
        ("Олег Мельник", "3015", "lab.zip"): _zip_of_notebook(correct),
        ("Анна Поліщук", "3012", "PT_Part1_Intro.ipynb"): builders.to_bytes(huge),
    }


def _write_inputs(root, released, answers):
    """The Moodle archive and, beside it, a folder holding `koval` and a `koval` whose name is not UTF-8."""
    archive = root / "moodle.zip"
    archive.write_bytes(builders.not_utf8_names(builders.moodle_zip(_class_files(released, answers))))
    folder = root / "by-mail"
    for name in ("koval", os.fsdecode(b"koval\xff")):
        (folder / name).mkdir(parents=True)
        (folder / name / "PT_Part1_Intro.ipynb").write_bytes(builders.to_bytes(builders.filled(released, answers)))
    return [archive, folder]


@pytest.fixture(scope="module")
def bad_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad-class")
    released, answers = part1()
    inputs, out, said = _write_inputs(root, released, answers), root / "out", []
    options = grading.Options("pt_part1_intro", inputs, out, workers=2,
                              limits=sandbox.Limits(cell_timeout=20, notebook_timeout=120))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(collect, "MAX_EXPANDED_BYTES", CAP)
        summary = grading.grade(options, log=lambda message, error=False: said.append(message))
    return {"out": out, "summary": summary, "said": said, "grades": read_grades(out)}


BAD_NAME_ID = collect.slug(os.fsdecode(b"koval\xff"))
EXPECTED = {  # student: (total of 22, status, words of the reasons or notes)
    "3001": (FULL_MARKS, "graded", ""),
    "3002": (WRONG_TOTAL, "graded", ""),
    "3003": (FULL_MARKS, "graded", "за вмістом"),
    "3004": (0, "error", "UTF-8"),              # zip entry flagged UTF-8, bytes that are not
    "3005": (0, "error", "паролем"),             # encrypted zip
    "3006": (0, "error", "пошкоджено"),          # a zip that is no zip
    "3007": (0, "error", "пошкоджено"),          # deflate stream damaged
    "3008": (0, "error", "сурогат"),             # "\ud800" in an answer
    "3009": (0, "error", "іншого завдання"),     # the real Part 2 after Colab
    "3010": (FULL_MARKS, "review", "різних зошитів"),  # two different notebooks: the later is graded
    "3011": (FULL_MARKS, "graded", "копією"),    # the same bytes twice
    "3012": (0, "error", "розпаковано"),         # past the cap on expanded bytes (the archive's last entry)
    "3013": (FULL_MARKS, "graded", ""),          # entry dated month 0
    "3014": (WRONG_TOTAL, "graded", ""),         # a lone surrogate made at run time, in a check's message
    "3015": (FULL_MARKS, "graded", ""),          # a good zip inside the archive
    "koval": (FULL_MARKS, "graded", ""),
    BAD_NAME_ID: (0, "error", "UTF-8"),          # folder name not UTF-8: never merged with koval
}


def test_the_run_finishes_with_every_student(bad_class):
    summary = bad_class["summary"]
    assert sorted(bad_class["grades"]) == sorted(EXPECTED)
    assert summary.count("error") == 8 and summary.count("review") == 1
    assert any("УВАГА" in warning and "розпаковано" in warning for warning in summary.warnings)
    assert summary.warnings[-1] in bad_class["said"]  # told to the instructor as the run goes


def test_each_bad_input_costs_only_its_own_student(bad_class):
    results = bad_class["out"] / ".course" / "results" / "pt_part1_intro"
    for student, (total, status, words) in EXPECTED.items():
        row = bad_class["grades"][student]
        verdict = json.loads((results / f"{student}.json").read_text(encoding="utf-8"))
        assert (float(row["total"]), row["status"]) == (total, status), (student, row)
        assert words in " ".join(verdict["reasons"] + verdict["notes"]), (student, verdict)
    ten = bad_class["grades"]["3010"]["reasons"]
    assert "PT_Part1_Intro (1).ipynb" in ten and "PT_Part1_Intro.ipynb" in ten  # both files named
    assert bad_class["grades"]["3004"]["name"] == "Ірина\\xff\\xfe\\xff\\xfe Бойко"


def test_feedback_and_report_show_every_reason(bad_class):
    out = bad_class["out"]
    assert sorted(p.stem for p in (out / "feedback").glob("*.html")) == sorted(EXPECTED)
    report = (out / "report.html").read_text(encoding="utf-8")
    for student, (_, status, _) in EXPECTED.items():
        if status != "graded":
            assert student in report
    assert "koval\\xff" in report  # the folder's name, printable
    assert "паролем" in (out / "feedback" / "3005.html").read_text(encoding="utf-8")
