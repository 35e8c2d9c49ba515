"""Reading what students hand in: file discovery, student ids, rebuilding damaged notebooks, the cheat scan.
Fast: nothing here executes a notebook."""

import io
import json
import os
import zipfile

import nbformat
import pytest

from autograder import collect, integrity, prepare, repair, sandbox
from autograder.course import ASSIGNMENTS, released_notebook, source_notebook
from conftest import REPO
from submissions import builders
from submissions.toy_course import released_toy

NOTEBOOK = "PT_Part1_Intro"


def _course(released, source, others=None):
    """What prepare.py needs of the grading run's Course (nothing here runs a job)."""
    from types import SimpleNamespace

    return SimpleNamespace(released=released, signatures=repair.answer_signatures(source),
                           other_signatures=others or {}, assignment="pt_part1_intro", points={}, reference={},
                           limits=sandbox.Limits(), sandboxed=False)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return released_toy(tmp_path_factory.mktemp("toy"))


@pytest.mark.parametrize("path, expected", [
    ("Іван Петренко_123456_assignsubmission_file_/PT_Part1_Intro.ipynb", ("123456", "Іван Петренко")),
    ("Olha Koval_77_assignsubmission_file_/Copy of PT_Part1_Intro (1).ipynb", ("77", "Olha Koval")),
    ("petrenko_PT_Part1_Intro.ipynb", ("petrenko", "")),
    ("Copy of PT_Part1_Intro - koval.ipynb", ("koval", "")),
    ("koval/Copy of PT_Part1_Intro (2).ipynb", ("koval", "")),
    ("petrenko_PT_Part1_Intro/PT_Part1_Intro.ipynb", ("petrenko", "")),  # a zip named like the notebook
    ("PT_Part1_Intro/PT_Part1_Intro.ipynb", ("PT_Part1_Intro", "")),
    ("PT_Part1_Intro.ipynb", (None, "")),
])
def test_student_id_from_moodle_folders_and_colab_names(path, expected):
    assert collect.student_from_path(path, NOTEBOOK) == expected


def test_custom_id_pattern():
    assert collect.student_from_path("group1/s042-lab.ipynb", NOTEBOOK, r"(?P<student>s\d+)-lab") == ("s042", "")


def test_collect_zip_folders_nested_zip_and_latest_copy_first(tmp_path):
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
    assert [other.data for other in by_id["1"].others] == [b"old"]  # kept for the grader to judge, not dropped
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


# Bad inputs: each costs its own student an "error" (or "review"), never the whole run.

GOOD = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
LATER = (2025, 3, 2, 12, 0, 0)


def _by_id(inputs, **options):
    found, warnings = collect.collect(inputs, NOTEBOOK, **options)
    for submission in found:  # whatever the grader writes about a student must be UTF-8
        json.dumps([submission.student_id, submission.origin, submission.name], ensure_ascii=False).encode("utf-8")
    return {s.student_id: s for s in found}, warnings


def test_folder_names_not_utf8_are_those_students_errors(tmp_path):
    folders = ["koval", os.fsdecode(b"koval\xff"), os.fsdecode(b"\xc2\xb2\xe2\xe0\xed_7_assignsubmission_file_")]
    for folder in folders:  # the last: a Moodle folder whose name was written in cp1251
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "PT_Part1_Intro.ipynb").write_bytes(GOOD)
    by_id, warnings = _by_id([tmp_path])
    assert by_id["koval"].problem is None and not by_id["koval"].others
    assert "UTF-8" in by_id["7"].problem
    (bad,) = [s for sid, s in by_id.items() if sid not in ("koval", "7")]
    assert bad.student_id.startswith("koval-") and "UTF-8" in bad.problem  # never merged with koval
    assert "koval\\xff" in bad.origin and collect.slug(os.fsdecode(b"koval\xff")) == bad.student_id
    assert warnings == []


@pytest.mark.parametrize("zip64", [False, True])
def test_zip_names_flagged_utf8_that_are_not_are_those_students_errors(tmp_path, monkeypatch, zip64):
    mark = builders.NOT_UTF8_MARKER
    inner = builders.not_utf8_names(builders.zip_bytes({f"{mark}/PT_Part1_Intro.ipynb": GOOD}))
    if zip64:  # zipfile writes zip64 end records past this many entries
        monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)
    data = builders.not_utf8_names(builders.moodle_zip({
        ("A B", "1", "PT_Part1_Intro.ipynb"): GOOD,
        (f"C{mark}", "2", "PT_Part1_Intro.ipynb"): GOOD,
        ("E F", "3", "work.zip"): inner,
        ("G H", "4", "PT_Part1_Intro.ipynb"): GOOD,
    }))
    assert (b"PK\x06\x07" in data) == zip64
    (tmp_path / "moodle.zip").write_bytes(data)
    by_id, _ = _by_id([tmp_path / "moodle.zip"])
    assert sorted(by_id) == ["1", "2", "3", "4"]
    assert by_id["1"].problem is None and by_id["4"].problem is None and by_id["1"].data == GOOD
    assert "UTF-8" in by_id["2"].problem and "UTF-8" in by_id["3"].problem
    assert "C\\xff\\xfe\\xff\\xfe_2" in by_id["2"].origin


def _notebook_zip(method=zipfile.ZIP_DEFLATED):
    return builders.zip_bytes({"PT_Part1_Intro.ipynb": GOOD + b" " * 300}, method)


def _unknown_method(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        at = archive.start_dir + 10  # the compression method of the first central directory entry
    return data[:at] + (99).to_bytes(2, "little") + data[at + 2:]


BROKEN_ZIPS = {  # a student's zip -> words of that student's reason
    "encrypted": (lambda: builders.encrypted(_notebook_zip()), "паролем"),
    "not a zip": (lambda: b"PK\x03\x04 not really a zip", "пошкоджено"),
    "deflate damaged": (lambda: builders.damaged_entry(_notebook_zip(), "PT_Part1_Intro.ipynb"), "пошкоджено"),
    "CRC wrong": (lambda: builders.damaged_entry(_notebook_zip(zipfile.ZIP_STORED), "PT_Part1_Intro.ipynb"),
                  "BadZipFile"),
    "truncated": (lambda: _notebook_zip()[:-40], "пошкоджено"),
    "unknown method": (lambda: _unknown_method(_notebook_zip()), "NotImplementedError"),
    "nested too deep": (lambda: builders.zip_bytes({"a.zip": builders.zip_bytes({"b.zip": _notebook_zip()})}),
                        "глибоко"),
}


@pytest.mark.parametrize("kind", list(BROKEN_ZIPS))
def test_a_broken_zip_of_one_student_is_that_students_error(tmp_path, kind):
    make, words = BROKEN_ZIPS[kind]
    (tmp_path / "moodle.zip").write_bytes(builders.moodle_zip({
        ("A B", "1", "PT_Part1_Intro.ipynb"): GOOD, ("C D", "2", "work.zip"): make(), ("E F", "3", "lab.zip"): _notebook_zip(),
    }))
    by_id, _ = _by_id([tmp_path / "moodle.zip"])
    assert sorted(by_id) == ["1", "2", "3"]
    assert by_id["1"].data == GOOD and by_id["3"].data.startswith(GOOD) and by_id["3"].problem is None
    assert by_id["2"].data is None and words in by_id["2"].problem, by_id["2"].problem


def test_a_broken_zip_in_a_folder_is_its_students_error(tmp_path):
    (tmp_path / "koval_PT_Part1_Intro.zip").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "petrenko_PT_Part1_Intro.zip").write_bytes(_notebook_zip())
    by_id, _ = _by_id([tmp_path])
    assert "пошкоджено" in by_id["koval"].problem and by_id["petrenko"].problem is None


def test_a_zip_entry_with_an_impossible_date_is_read(tmp_path):
    (tmp_path / "moodle.zip").write_bytes(builders.moodle_zip({("A B", "1", "PT_Part1_Intro.ipynb", (1980, 0, 0, 0, 0, 0)): GOOD}))
    by_id, _ = _by_id([tmp_path / "moodle.zip"])
    assert by_id["1"].data == GOOD and by_id["1"].modified is None


def test_bytes_expanded_from_archives_are_capped_per_run(tmp_path, monkeypatch):
    assert collect.MAX_EXPANDED_BYTES >= 300 * 5 * 2**20  # a Moodle archive of a real class fits
    monkeypatch.setattr(collect, "MAX_EXPANDED_BYTES", 2000)
    big = GOOD + b" " * 3000
    (tmp_path / "moodle.zip").write_bytes(builders.moodle_zip({
        ("A B", "1", "PT_Part1_Intro.ipynb"): GOOD, ("C D", "2", "PT_Part1_Intro.ipynb"): big,
        ("E F", "3", "work.zip"): builders.zip_bytes({"PT_Part1_Intro.ipynb": GOOD}),
        ("G H", "4", "PT_Part1_Intro.ipynb"): GOOD,
    }))
    (tmp_path / "loose").mkdir()  # files outside archives are not counted
    (tmp_path / "loose" / "koval_PT_Part1_Intro.ipynb").write_bytes(big)
    by_id, warnings = _by_id([tmp_path / "moodle.zip", tmp_path / "loose"])
    assert [sid for sid, s in sorted(by_id.items()) if s.problem] == ["2", "3", "4"]  # past the cap: all the rest
    assert all("розпаковано" in by_id[sid].problem for sid in "234") and by_id["koval"].data == big
    assert len(warnings) == 1 and "УВАГА" in warnings[0] and "ще 3 " in warnings[0]


def test_one_entry_over_the_size_limit_is_that_students_error(tmp_path, monkeypatch):
    monkeypatch.setattr(collect, "MAX_NOTEBOOK_BYTES", 1000)
    (tmp_path / "moodle.zip").write_bytes(builders.moodle_zip({
        ("A B", "1", "PT_Part1_Intro.ipynb"): GOOD, ("C D", "2", "PT_Part1_Intro.ipynb"): GOOD + b" " * 3000}))
    by_id, _ = _by_id([tmp_path / "moodle.zip"])
    assert by_id["1"].problem is None and "завеликий" in by_id["2"].problem


def test_identical_files_count_once_and_different_ones_are_all_kept(tmp_path):
    other = GOOD.replace(b'"metadata": {}', b'"metadata": {"x": 1}')
    (tmp_path / "moodle.zip").write_bytes(builders.moodle_zip({
        ("A B", "1", "PT_Part1_Intro.ipynb"): GOOD, ("A B", "1", "PT_Part1_Intro (1).ipynb"): GOOD,
        ("C D", "2", "PT_Part1_Intro.ipynb"): GOOD, ("C D", "2", "PT_Part1_Intro (1).ipynb", LATER): other,
    }))
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "2_PT_Part1_Intro.ipynb").write_bytes(GOOD)  # the same student again, by mail
    by_id, _ = _by_id([tmp_path / "moodle.zip", tmp_path / "mail"])
    assert by_id["1"].others == [] and any("копією" in note for note in by_id["1"].notes)
    two = by_id["2"]
    assert [two.data, *[o.data for o in two.others]] == [GOOD, other]  # the mail file is the newest
    assert any("копією" in note for note in two.notes)


def _toy_files(toy):
    _, released, source = toy
    answers = builders.reference_answers(source)
    good = builders.filled(released, answers)
    return {
        "correct": builders.to_bytes(good),
        "correct after Colab": builders.to_bytes(builders.colab_roundtrip(good)),
        "wrong": builders.to_bytes(builders.filled(released, {**answers, "dense_layer": "def dense(x, w, b):\n    return x\n"})),
        "not JSON": b"<html>",
    }


@pytest.mark.parametrize("latest, older, status, graded, words", [
    ("correct", "correct after Colab", "graded", "latest", "ті самі відповіді"),
    ("correct", "wrong", "review", "latest", "різних зошитів"),
    ("correct", "not JSON", "review", "latest", "не вдалося оцінити"),
    ("not JSON", "correct", "review", "older", "не вдалося оцінити"),
    ("not JSON", "not JSON", "error", None, "не вдалося оцінити"),
])
def test_several_files_of_one_student_are_flagged_never_merged(toy, latest, older, status, graded, words):
    _, released, source = toy
    files = _toy_files(toy)
    first = collect.Submission("s1", "latest.ipynb", files[latest], "Ім'я")
    first.others = [collect.Submission("s1", "older.ipynb", files[older])]
    job, verdict = prepare.prepare_student(first, _course(released, source))
    assert verdict["status"] == status and verdict["name"] == "Ім'я"
    said = " ".join(verdict["reasons"] + verdict["notes"])
    assert words in said and ("latest.ipynb" if graded == "older" else "older.ipynb") in said, said
    if graded:
        assert verdict["origin"] == f"{graded}.ipynb" and job
    else:
        assert job is None


def test_a_lone_surrogate_in_an_answer_is_that_students_error(toy):
    _, released, source = toy
    answers = builders.reference_answers(source)
    in_answer = builders.filled(released, {**answers, "dense_layer": answers["dense_layer"] + "  # LONE_SURROGATE"})
    data = builders.with_lone_surrogate(builders.to_bytes(in_answer))
    job, verdict = prepare._prepare(collect.Submission("s1", "x.ipynb", data), _course(released, source))
    assert job is None and verdict["status"] == "error" and "dense_layer" in verdict["reasons"][0]
    json.dumps(verdict, ensure_ascii=False).encode("utf-8")
    elsewhere = builders.filled(released, answers)
    elsewhere.cells.append(nbformat.v4.new_markdown_cell("LONE_SURROGATE"))  # not copied into the graded notebook
    data = builders.with_lone_surrogate(builders.to_bytes(elsewhere))
    job, verdict = prepare._prepare(collect.Submission("s2", "y.ipynb", data), _course(released, source))
    assert verdict["status"] == "graded"
    json.dumps(job, ensure_ascii=False).encode("utf-8")


MALFORMED = {  # a notebook that nbformat reads, shaped in a way the grader must survive -> status
    "a cell without source": (lambda cell: cell.pop("source"), "graded"),
    "nbgrader metadata a string": (lambda cell: cell["metadata"].update(nbgrader="x"), "graded"),
    "grade_id a list": (lambda cell: cell["metadata"]["nbgrader"].update(grade_id=[1]), "graded"),
    "source a number": (lambda cell: cell.update(source=5), "error"),
}


@pytest.mark.parametrize("shape", list(MALFORMED))
def test_a_strangely_shaped_notebook_is_that_students_verdict(toy, shape):
    _, released, source = toy
    damage, status = MALFORMED[shape]
    raw = json.loads(builders.to_bytes(builders.filled(released, builders.reference_answers(source))))
    damage(next(c for c in raw["cells"] if repair.nbgrader_meta(c).get("grade_id") == "tensors"))
    submission = collect.Submission("s1", "x.ipynb", json.dumps(raw).encode())
    _, verdict = prepare.prepare_student(submission, _course(released, source))
    assert verdict["status"] == status, verdict


def test_anything_unforeseen_in_a_file_is_that_students_error(toy, monkeypatch):
    _, released, source = toy
    monkeypatch.setattr(repair, "rebuild", lambda *args: 1 / 0)
    data = builders.to_bytes(builders.filled(released, builders.reference_answers(source)))
    job, verdict = prepare.prepare_student(collect.Submission("s1", "x.ipynb", data), _course(released, source))
    assert job is None and verdict["status"] == "error" and "ZeroDivisionError" in verdict["reasons"][0]


def test_printable_and_slug_never_fail():
    assert collect.printable("a\ud800b") == "a\\ud800b" and collect.printable(os.fsdecode(b"a\xffb")) == "a\\xffb"
    assert len(collect.slug(os.fsdecode(b"\xff"))) == 8 and collect.slug("Коваль О.") == "Коваль_О"


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
    copy_cell = nbformat.from_dict(json.loads(json.dumps([c for c in nb.cells if repair.nbgrader_meta(c).get("grade_id") == "dense_layer"][0])))
    copy_cell.source = "def dense(x, w, b):\n    return x @ w  # друга спроба"
    nb.cells.append(copy_cell)
    rebuilt = repair.rebuild(released, repair.read_submission(builders.to_bytes(nb)), repair.answer_signatures(source))
    assert rebuilt.answers["dense_layer"].endswith("друга спроба")


def test_other_assignment_is_recognised(toy):
    _, _, source = toy
    part2 = builders.toy_part2_source()
    assert repair.looks_like(part2, repair.answer_signatures(source)) == 0
    assert repair.looks_like(part2, repair.answer_signatures(part2)) == 1


def _real(folder, assignment):
    path = source_notebook(assignment) if folder == "solutions" else released_notebook(assignment)
    return nbformat.read(str(path), as_version=4)


@pytest.mark.parametrize("graded, handed_in", [(a, b) for a in ASSIGNMENTS for b in ASSIGNMENTS if a != b])
def test_the_other_real_assignment_is_an_error_also_after_colab(graded, handed_in):
    """Common names (`model`, `history`) make the real Part 2 look a little like Part 1: not enough to grade it."""
    signatures = {a: repair.answer_signatures(_real("solutions", a)) for a in ASSIGNMENTS}
    others = {a: s for a, s in signatures.items() if a != graded}
    theirs, ours = _real("exercises", handed_in), _real("exercises", graded)
    filled = builders.filled(theirs, builders.reference_answers(_real("solutions", handed_in)))
    for notebook in (theirs, builders.colab_roundtrip(theirs), builders.colab_roundtrip(filled, seed=2)):
        course = _course(ours, _real("solutions", graded), others)
        job, verdict = prepare._prepare(collect.Submission("s", "x.ipynb", builders.to_bytes(notebook)), course)
        assert job is None and verdict["status"] == "error" and handed_in in verdict["reasons"][0]
    own = builders.filled(ours, builders.reference_answers(_real("solutions", graded)))
    for notebook in (ours, builders.colab_roundtrip(ours), builders.colab_roundtrip(own, seed=2)):
        assert repair.other_assignment(notebook, signatures[graded], others) is None


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


def _in_the_sandbox(program):
    """(the finished run, its uid) of `python -I -c program` in the grading sandbox."""
    import subprocess
    import sys

    from autograder import sandbox

    with sandbox.claim_uid() as uid:
        argv, env = sandbox.command([sys.executable, "-I", "-c", program], limits=sandbox.Limits(), uid=uid,
                                    sandboxed=True)
        result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result, uid


@pytest.mark.skipif(not __import__("autograder.sandbox").sandbox.bubblewrap_available(), reason="bubblewrap недоступний")
def test_the_sandbox_has_python_and_nothing_else_of_the_machine(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "answers.txt").write_text("секрет")
    look = ("import os, sys, torch, abcrnn\n"
            f"print(os.path.exists({str(tmp_path)!r}), os.path.exists({str(REPO / 'solutions')!r}),\n"
            "      sorted(os.listdir(os.path.dirname(os.path.dirname(abcrnn.__file__)))), os.getuid(), os.getcwd())\n"
            "open('inside.txt', 'w').write('x')\n"
            "try:\n    open('/usr/written.txt', 'w')\nexcept OSError as error:\n    print('read-only', error.errno)\n")
    result, uid = _in_the_sandbox(look)
    seen, readonly = result.stdout.splitlines()
    assert seen.startswith("False False"), seen  # the test's folder and the course's solutions do not exist
    assert "solutions" not in seen and "tests" not in seen  # of the checkout, only what Python needs
    assert f"{uid} /home/student" in seen if uid is not None else "/home/student" in seen
    assert readonly.startswith("read-only")
    assert not (tmp_path / "inside.txt").exists() and not list(tmp_path.rglob("inside.txt"))


@pytest.mark.skipif(not __import__("autograder.sandbox").sandbox.bubblewrap_available(), reason="bubblewrap недоступний")
def test_a_course_checked_out_under_tmp_is_seen_inside_the_sandbox(tmp_path, monkeypatch):
    # An instructor may clone the course into /tmp: the sandbox's own fresh /tmp must not hide the probe
    # (or the environment) that lives there, while the rest of /tmp stays out of sight.
    from autograder import sandbox

    runtime = tmp_path / "course" / "autograder" / "runtime"
    runtime.mkdir(parents=True)
    (runtime / "probe.txt").write_text("probe")
    (tmp_path / "solutions.txt").write_text("секрет")
    monkeypatch.setattr(sandbox, "RUNTIME", runtime)
    look = (f"import os\nprint(open({str(runtime / 'probe.txt')!r}).read(), os.path.exists({str(tmp_path / 'solutions.txt')!r}))\n"
            "open('/tmp/scratch.txt', 'w').write('x')\n")
    result, _ = _in_the_sandbox(look)
    assert result.stdout.split() == ["probe", "False"]
    assert not list(tmp_path.rglob("scratch.txt"))


def test_two_jobs_never_share_a_sandbox_user():
    from autograder import sandbox

    with sandbox.claim_uid() as first, sandbox.claim_uid() as second:
        assert first != second or first is None
