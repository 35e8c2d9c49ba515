"""Reading what students hand in: file discovery, student ids, rebuilding damaged notebooks, the cheat scan.
Fast: nothing here executes a notebook."""

import io
import json
import zipfile

import nbformat
import pytest

from autograder import collect, integrity, repair
from submissions import builders
from submissions.toy_course import released_toy

NOTEBOOK = "PT_Part1_Intro"


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return released_toy(tmp_path_factory.mktemp("toy"))


@pytest.mark.parametrize("path, expected", [
    ("Іван Петренко_123456_assignsubmission_file_/PT_Part1_Intro.ipynb", ("123456", "Іван Петренко")),
    ("Olha Koval_77_assignsubmission_file_/Copy of PT_Part1_Intro (1).ipynb", ("77", "Olha Koval")),
    ("petrenko_PT_Part1_Intro.ipynb", ("petrenko", "")),
    ("Copy of PT_Part1_Intro - koval.ipynb", ("koval", "")),
    ("koval/Copy of PT_Part1_Intro (2).ipynb", ("koval", "")),
    ("PT_Part1_Intro.ipynb", (None, "")),
])
def test_student_id_from_moodle_folders_and_colab_names(path, expected):
    assert collect.student_from_path(path, NOTEBOOK) == expected


def test_custom_id_pattern():
    assert collect.student_from_path("group1/s042-lab.ipynb", NOTEBOOK, r"(?P<student>s\d+)-lab") == ("s042", "")


def test_collect_zip_folders_nested_zip_and_keeps_latest_copy(tmp_path):
    good = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("PT_Part1_Intro.ipynb", good)
    with zipfile.ZipFile(tmp_path / "moodle.zip", "w") as archive:
        first = zipfile.ZipInfo("A B_1_assignsubmission_file_/Copy of PT_Part1_Intro.ipynb", (2025, 1, 1, 10, 0, 0))
        later = zipfile.ZipInfo("A B_1_assignsubmission_file_/PT_Part1_Intro (1).ipynb", (2025, 1, 2, 10, 0, 0))
        archive.writestr(first, b"old")
        archive.writestr(later, good)
        archive.writestr("C D_2_assignsubmission_file_/work.zip", inner.getvalue())
        archive.writestr("__MACOSX/._junk.ipynb", b"junk")
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "koval_PT_Part1_Intro.ipynb").write_bytes(good)
    found, warnings = collect.collect([tmp_path / "moodle.zip", tmp_path / "loose"], NOTEBOOK)
    by_id = {s.student_id: s for s in found}
    assert sorted(by_id) == ["1", "2", "koval"]
    assert by_id["1"].data == good and by_id["1"].name == "A B"
    assert any("найновіший" in note for note in by_id["1"].notes)
    assert by_id["2"].data == good
    assert warnings == []


def test_roster_maps_moodle_names_and_warns_about_strangers(tmp_path):
    roster_file = tmp_path / "roster.csv"
    roster_file.write_text("id,name\nst01,Іван Петренко\n", encoding="utf-8")
    roster = collect.read_roster(roster_file)
    archive_path = tmp_path / "a.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        archive.writestr("Іван Петренко_555_assignsubmission_file_/PT_Part1_Intro.ipynb", b"{}")
        archive.writestr("Хтось Інший_556_assignsubmission_file_/PT_Part1_Intro.ipynb", b"{}")
    found, warnings = collect.collect([archive_path], NOTEBOOK, roster=roster)
    assert sorted(s.student_id for s in found) == ["556", "st01"]
    assert len(warnings) == 1 and "556" in warnings[0]


def test_missing_input_is_a_ukrainian_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="Не знайдено"):
        collect.collect([tmp_path / "nope.zip"], NOTEBOOK)


@pytest.mark.parametrize("data, message", [
    (b"", "порожній"),
    (b"   \n", "порожній"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "UTF-8"),
    (b"<html>not a notebook</html>", "не JSON"),
    (b'{"name": "x"}', "не зошитом"),
])
def test_broken_files_get_a_clear_reason(data, message):
    with pytest.raises(repair.SubmissionError, match=message):
        repair.read_submission(data)


def _answers_of(rebuilt):
    return {g: s for g, s in rebuilt.answers.items()}


def test_rebuild_from_colab_roundtrip_finds_answers_by_content(toy):
    _, released, source = toy
    answers = builders.reference_answers(source)
    mangled = builders.colab_roundtrip(builders.filled(released, answers), seed=3)
    submission = repair.read_submission(builders.to_bytes(mangled))
    rebuilt = repair.rebuild(released, submission, repair.answer_signatures(source))
    assert _answers_of(rebuilt) == answers
    assert set(rebuilt.matched_by.values()) == {"content"}
    # the graded notebook is the release: same cells, same order, test cells untouched, no outputs
    assert [c.cell_type for c in rebuilt.notebook.cells] == [c.cell_type for c in released.cells]
    for fresh, original in zip(rebuilt.notebook.cells, released.cells):
        if repair.is_test_cell(original):
            assert fresh.source == original.source and fresh.metadata == original.metadata
        if fresh.cell_type == "code":
            assert fresh.outputs == []
    assert rebuilt.notebook.metadata == released.metadata


def test_rebuild_restores_deleted_and_edited_test_cells(toy):
    _, released, source = toy
    answers = builders.reference_answers(source)
    damaged = builders.edit_test_cells(builders.delete_cells(builders.filled(released, answers),
                                                             ["tensors", "test_dense_layer_values"]))
    rebuilt = repair.rebuild(released, repair.read_submission(builders.to_bytes(damaged)),
                             repair.answer_signatures(source))
    assert rebuilt.missing == ["tensors"]
    tests = [c for c in rebuilt.notebook.cells if repair.is_test_cell(c)]
    assert [c.source for c in tests] == [c.source for c in released.cells if repair.is_test_cell(c)]


def test_rebuild_reads_old_nbformat_v3(toy):
    _, released, source = toy
    answers = builders.reference_answers(source)
    data = builders.to_bytes(builders.filled(released, answers), version=3)
    assert json.loads(data)["nbformat"] == 3
    rebuilt = repair.rebuild(released, repair.read_submission(data), repair.answer_signatures(source))
    assert _answers_of(rebuilt) == answers


def test_duplicated_answer_cell_last_copy_wins(toy):
    _, released, source = toy
    answers = builders.reference_answers(source)
    nb = builders.filled(released, answers)
    copy_cell = nbformat.from_dict(json.loads(json.dumps([c for c in nb.cells if builders.meta(c).get("grade_id") == "dense_layer"][0])))
    copy_cell.source = "def dense(x, w, b):\n    return x @ w  # друга спроба"
    nb.cells.append(copy_cell)
    rebuilt = repair.rebuild(released, repair.read_submission(builders.to_bytes(nb)), repair.answer_signatures(source))
    assert rebuilt.answers["dense_layer"].endswith("друга спроба")


def test_other_assignment_is_recognised(toy):
    _, _, source = toy
    part2 = builders.toy_part2_source()
    assert repair.looks_like(part2, repair.answer_signatures(source)) == 0
    assert repair.looks_like(part2, repair.answer_signatures(part2)) == 1


@pytest.mark.parametrize("code", [
    "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)",
    "import sys\nsys.excepthook = lambda *a: None",
    "import builtins\nbuiltins.AssertionError = type('X', (Exception,), {})",
    "AssertionError = Warning",
    "torch.testing.assert_close = lambda *a, **k: None",
    "torch.allclose = lambda *a, **k: True",
    "import numpy as np\nnp.testing.assert_allclose = print",
    "setattr(torch, 'allclose', lambda *a, **k: True)",
    "__builtins__.len = lambda x: 3",
    "get_ipython().showtraceback = lambda *a, **k: None",
    "%time x = 1\nmath.isclose = lambda *a, **k: True",
])
def test_scan_flags_attempts_to_silence_tests(code):
    assert integrity.scan_answer(code), code


@pytest.mark.parametrize("code", [
    "def dense(x, w, b):\n    return x @ w + b",
    "class LSTMModel(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.lstm = nn.LSTM(3, 4, batch_first=True)",
    "torch.backends.cudnn.deterministic = True\nvector = torch.tensor([1.0])",
    "def f(x):\n    assert x > 0, 'x має бути додатним'\n    return x",
    "import warnings\nwith warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n    y = 1",
])
def test_scan_leaves_honest_code_alone(code):
    assert integrity.scan_answer(code) == []


def test_scan_passes_every_reference_solution_in_solutions():
    from pathlib import Path

    sources = sorted(Path(__file__).resolve().parent.parent.glob("solutions/*/*.ipynb"))
    for path in sources:
        for grade_id, answer in builders.reference_answers(nbformat.read(str(path), as_version=4)).items():
            assert integrity.scan_answer(answer) == [], (path.name, grade_id)


def test_grading_without_bubblewrap_warns_or_refuses(monkeypatch):
    from autograder import grading, sandbox

    said = []
    assert grading._decide_sandbox("off", lambda message, error=False: said.append((message, error))) is False
    assert said and said[0][1] and "БЕЗ ІЗОЛЯЦІЇ" in said[0][0]
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    assert sandbox.bubblewrap_available() is False
    with pytest.raises(grading.GradingError, match="bubblewrap"):
        grading._decide_sandbox("on", lambda message, error=False: None)
    said.clear()
    assert grading._decide_sandbox("auto", lambda message, error=False: said.append(message)) is False
    assert "БЕЗ ІЗОЛЯЦІЇ" in said[0]


def test_sandbox_hides_course_folders_but_keeps_python(tmp_path):
    import sys

    from autograder import sandbox

    course = tmp_path / "course"
    course.mkdir()
    argv = sandbox.kernel_argv(scratch=tmp_path / "s", ipc_dir=tmp_path / "i", hidden=[str(course), "/usr"],
                               uid=61000, limits=sandbox.Limits(), sandboxed=True)
    pairs = list(zip(argv, argv[1:]))
    assert ("--tmpfs", str(course.resolve())) in pairs
    assert ("--tmpfs", "/usr") not in pairs  # never hide the system
    assert "--unshare-net" in argv and "--unshare-pid" in argv
    assert ("--ro-bind", str(__import__("pathlib").Path(sys.prefix).resolve())) in pairs
