"""A hostile class: students who read the public code and try to defeat the tests, to read them, or to harm
the grader. Every one of them has a wrong dense layer (exactly WRONG_TOTAL points, 22 with a right one), so a
trick that worked would show as points it should not have. Tricks the probe can see are flagged for review;
no feedback holds a line of a hidden test; resource attacks cost only their author.
"""

import csv
import json
import subprocess
import sys
import threading

import pytest

import judging
from autograder import sandbox, secret_lines
from submissions import builders
from conftest import REPO
from submissions.toy_course import FULL_MARKS, RIGHT_DENSE, WRONG_DENSE_LAYER, WRONG_TOTAL, part1
from autograder.course import released_notebook

ASSIGNMENT = "pt_part1_intro"
pytestmark = pytest.mark.skipif(not sandbox.bubblewrap_available(), reason="bubblewrap недоступний")

# Answer cells: the wrong layer, then the trick (so the layer itself is defined whatever the trick does).
TRICKS = {
    # Against the tests (IPython machinery, hooks, patches), as issue reports described them.
    "blank_later_cells": "get_ipython().input_transformers_cleanup.append(lambda lines: [])\n",
    "ast_transformer": "import ast\nget_ipython().ast_transformers.append(ast.NodeTransformer())\n",
    "pre_run_cell_hook": "get_ipython().events.register('pre_run_cell', lambda *a: None)\n",
    "settrace_proxy": "import sys\nsys.settrace(lambda *a: None)\n",
    "patches_by_name": (
        "import importlib\n"
        "torch_ = importlib.import_module('tor' + 'ch')\n"
        "setattr(importlib.import_module('torch.' + 'testing'), 'assert_' + 'close', lambda *a, **k: None)\n"
        "setattr(torch_, 'all' + 'close', lambda *a, **k: True)\n"
        "setattr(torch_, 'equ' + 'al', lambda *a, **k: True)\n"
        "setattr(torch_.Tensor, '__e' + 'q__', lambda a, b: True)\n"
        "setattr(importlib.import_module('torch.nn.functional'), 'cross_' + 'entropy', lambda *a, **k: torch_.tensor(0.0))\n"
        "setattr(importlib.import_module('num' + 'py'), 'array_' + 'equal', lambda *a, **k: True)\n"),
    "disguised_as_library": (
        "import torch\n"
        "namespace = {}\n"
        "exec(compile('def assert_close(*a, **k):\\n    return None', torch.__file__, 'exec'), namespace)\n"
        "namespace['assert_close'].__module__ = 'builtins'\n"
        "torch.testing.assert_close = namespace['assert_close']\n"),
    "builtins_rebound": "import builtins\nbuiltins.AssertionError = Warning\n",
    "stdout_filter": (
        "import sys\n"
        "class Filter:\n"
        "    def write(self, text):\n"
        "        return sys.__stdout__.write(text.replace('False', 'True'))\n"
        "    def flush(self):\n"
        "        pass\n"
        "sys.stdout = Filter()\n"),
    # Leaks: each tries to put the hidden tests into the student's own feedback.
    "caller_source_in_error": (
        "import linecache, sys\n"
        "_forward = OurDenseLayer.forward\n"
        "def forward(self, x):\n"
        "    caller = sys._getframe(1).f_code.co_filename\n"
        "    raise RuntimeError(''.join(linecache.getlines(caller))[:100000])\n"
        "OurDenseLayer.forward = forward\n"),
    "compressed_later_cells": (
        "import base64, zlib\n"
        "get_ipython().input_transformers_post.append(\n"
        "    lambda lines: ['raise RuntimeError(%r)\\n' % base64.b64encode(zlib.compress(''.join(lines).encode()))])\n"),
    "thread_copies_history": (
        "import sys, threading, time\n"
        "def copy_history():\n"
        "    time.sleep(1)\n"
        "    sys.stderr.write(repr(In))\n"
        "threading.Thread(target=copy_history, daemon=True).start()\n"),
    "frames_of_the_grader": "import gc\nfound = [o for o in gc.get_objects() if type(o).__name__ == 'frame']\n",
}
# The tricks the probe sees, and a word of the reason it gives; the others run unseen and change nothing.
FLAGGED = {"settrace_proxy": "sys.settrace", "patches_by_name": "assert_close", "disguised_as_library": "compile",
           "builtins_rebound": "AssertionError", "caller_source_in_error": "sys._getframe",
           "frames_of_the_grader": "gc.get_objects", "pre_run_cell_hook": "events.register",
           "stdout_filter": "sys.stdout"}
# Harm to the grader or the machine: each costs only its author (the layer is right here).
HARM = {
    "memory_bomb": "blocks = []\nwhile True:\n    blocks.append(bytearray(200 * 2**20))\n",
    "fork_bomb": "import os\nwhile True:\n    os.fork()\n",
    "network": "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=3)\n",
    "fills_the_disk": "with open('big.bin', 'wb') as f:\n    for _ in range(2048):\n        f.write(b'x' * 2**20)\n",
    "huge_error": "raise RuntimeError('x' * 300_000_000)\n",
    "huge_output": "print('y' * 300_000_000)\n",  # costs nothing: the grader keeps only the start of any output
    "sys_exit": "import sys\nsys.exit(0)\n",
}


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    released, answers = part1()
    inputs = root / "in"
    inputs.mkdir()
    students = {name: WRONG_DENSE_LAYER + "\n" + code for name, code in TRICKS.items()}
    students.update({name: code + RIGHT_DENSE for name, code in HARM.items()})
    students["honest"] = RIGHT_DENSE
    for student, code in students.items():
        (inputs / f"{student}_PT_Part1_Intro.ipynb").write_bytes(
            builders.to_bytes(builders.filled(released, {**answers, "dense_layer": code})))
    out = root / "out"
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, str(inputs), "--out", str(out),
                             "--workers", "2", "--timeout", "15", "--notebook-timeout", "150", "--memory", "3072",
                             "--sandbox", "on"], cwd=REPO, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(out / "grades.csv", encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    return {"out": out, "rows": rows}


@pytest.mark.parametrize("student", list(TRICKS))
def test_every_trick_gets_what_its_wrong_layer_earns_and_the_seen_ones_go_to_review(hostile_class, student):
    row = hostile_class["rows"][student]
    expected_status = "review" if student in FLAGGED else "graded"
    assert (float(row["total"]), row["status"]) == (WRONG_TOTAL, expected_status), row
    if student in FLAGGED:
        assert FLAGGED[student] in row["reasons"], row


def test_no_feedback_holds_a_hidden_test_or_more_than_a_short_error(hostile_class):
    feedback = hostile_class["out"] / "feedback"
    assert secret_lines.leaks_in_tree(feedback) == []
    for student in ("caller_source_in_error", "huge_error"):
        verdict = json.loads((hostile_class["out"] / ".course" / "results" / ASSIGNMENT / f"{student}.json").read_text())
        assert all(len(cell["message"]) <= 600 for cell in verdict["cells"].values())
        assert len(" ".join(verdict["notes"])) < 2000


@pytest.mark.parametrize("student", list(HARM))
def test_harm_costs_only_its_author(hostile_class, student):
    rows = hostile_class["rows"]
    assert rows[student]["status"] != "error", rows[student]
    if student == "huge_output":
        assert float(rows[student]["total"]) == FULL_MARKS, rows[student]
    else:  # the attack broke the cell that defines the layer
        assert float(rows[student]["total"]) == FULL_MARKS - 6, rows[student]
    assert float(rows["honest"]["total"]) == FULL_MARKS and rows["honest"]["status"] == "graded"


def test_the_same_submission_gets_the_same_score_every_time():
    # A layer that hides its own exceptions and answers at random when it fails: the checks' inputs and the
    # probe's seeds are fixed, so two runs agree cell by cell.
    sneaky = RIGHT_DENSE.replace("        return torch.sigmoid(x @ self.W + self.bias)\n", (
        "        try:\n"
        "            assert x.shape[0] % 2 == 0\n"
        "            return torch.sigmoid(x @ self.W + self.bias)\n"
        "        except Exception:\n"
        "            return torch.rand(x.shape[0], self.W.shape[1])\n"))
    first, second = (judging.grade(ASSIGNMENT, {"dense_layer": sneaky}) for _ in range(2))
    assert first["cells"] == second["cells"]


def test_no_process_started_by_student_code_outlives_the_call_that_started_it():
    # The dense layer works only once the process its cell started is gone: so it earns its points only when
    # the probe ends the student's processes after each call (a fork bomb left running would slow every check).
    starts_a_sleeper = "import subprocess\nsleeper = subprocess.Popen(['sleep', '600'])\n" + RIGHT_DENSE.replace(
        "    def forward(self, x):\n",
        "    def forward(self, x):\n        assert sleeper.poll() is not None, 'the process still runs'\n")
    result = judging.grade(ASSIGNMENT, {"dense_layer": starts_a_sleeper})
    assert not judging.failed(result), result["cells"]


def test_two_runs_at_once_on_one_machine_grade_both_classes_right(tmp_path):
    released, answers = part1()
    part2 = builders.reference_answers(judging.source("pt_part2_music_generation"))
    import nbformat

    released2 = nbformat.read(str(released_notebook("pt_part2_music_generation")),
                              as_version=4)
    classes = {"pt_part1_intro": ("PT_Part1_Intro", builders.filled(released, answers)),
               "pt_part2_music_generation": ("PT_Part2_Music_Generation", builders.filled(released2, part2))}
    results = {}

    def grade(assignment):
        name, notebook = classes[assignment]
        inputs = tmp_path / assignment / "in"
        inputs.mkdir(parents=True)
        for student in ("s1", "s2", "s3"):
            (inputs / f"{student}_{name}.ipynb").write_bytes(builders.to_bytes(notebook))
        results[assignment] = subprocess.run(
            [sys.executable, "-m", "autograder", "grade", assignment, str(inputs), "--out", str(tmp_path / assignment / "out"),
             "--workers", "1", "--sandbox", "on"], cwd=REPO, capture_output=True, text=True, timeout=900)

    threads = [threading.Thread(target=grade, args=(assignment,)) for assignment in classes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for assignment, result in results.items():
        assert result.returncode == 0, result.stderr[-3000:]
        with open(tmp_path / assignment / "out" / "grades.csv", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == 3 and all(row["total"] == row["max_total"] and row["status"] == "graded" for row in rows), rows
