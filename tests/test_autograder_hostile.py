"""Hostile code meets the sandbox's limits: memory, processes, network. Each student simply loses the
points of what broke, the grader finishes, and the next student in the same worker is graded normally."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import sandbox
from submissions import builders
from submissions.toy_course import released_toy

REPO = Path(__file__).resolve().parent.parent
DENSE = "def dense(x, w, b):\n    return x @ w + b\n"


@pytest.mark.skipif(not sandbox.bubblewrap_available(), reason="bubblewrap недоступний")
def test_memory_bomb_fork_bomb_and_network_lose_points_without_harm(tmp_path):
    solutions, released, source = released_toy(tmp_path / "toy")
    answers = builders.reference_answers(source)
    hostile = {
        "a_membomb": "blocks = []\nwhile True:\n    blocks.append(bytearray(200 * 2**20))\n" + DENSE,
        "b_forkbomb": "import os\nwhile True:\n    os.fork()\n" + DENSE,
        "c_network": "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=3)\n" + DENSE,
        "d_good": DENSE,
        "e_sysexit": "import sys\nsys.exit(0)\n" + DENSE,
        "f_excepthook": "import builtins, sys\nsys.excepthook = print\nbuiltins.AssertionError = Warning\n" + DENSE,
    }
    inputs = tmp_path / "in"
    inputs.mkdir()
    for student, code in hostile.items():
        (inputs / f"{student}_PT_Part1_Intro.ipynb").write_bytes(
            builders.to_bytes(builders.filled(released, {**answers, "dense_layer": code})))
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", "pt_part1_intro", str(inputs),
                             "--out", str(out), "--timeout", "15", "--notebook-timeout", "60", "--memory", "3072",
                             "--solutions", str(solutions), "--sandbox", "on"],
                            cwd=REPO, capture_output=True, text=True, timeout=600,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert result.returncode == 0, result.stderr[-3000:]
    with open(out / "grades.csv", encoding="utf-8") as handle:
        totals = {row["student_id"]: float(row["total"]) for row in csv.DictReader(handle)}
    # The bombs stop before `dense` is defined (MemoryError, process limit), the connection is refused:
    # only the tensors test (1 point) passes. The fork bomb's leftovers do not hinder the next kernel.
    assert totals["a_membomb"] == 1
    assert totals["b_forkbomb"] < 5
    assert totals["c_network"] == 1
    assert totals["d_good"] == 5
    assert totals["e_sysexit"] == 1  # SystemExit is an error like any other: `dense` is never defined
    with open(out / "grades.csv", encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert rows["f_excepthook"]["status"] == "review"
    assert "sys.excepthook" in rows["f_excepthook"]["reasons"] and "AssertionError" in rows["f_excepthook"]["reasons"]
    assert all(rows[s]["status"] == "graded" for s in hostile if s != "f_excepthook")
