"""The toy assignment, released by nbgrader in a temporary folder (shared by the autograder's tests)."""

import csv
import shutil
from pathlib import Path

import nbformat

from autograder.course import released_notebook, source_notebook
from . import builders

CORRECT_DENSE = "def dense(x, w, b):\n    return x @ w + b\n"  # the toy's answer `dense_layer`, right
WRONG_DENSE = "def dense(x, w, b):\n    return x @ w\n"  # and wrong: loses the hidden test's 3 points


def released_toy(root):
    """(solutions folder, released notebook, source notebook) of the toy assignment under `root`."""
    from autograder import course

    root = Path(root)
    solutions = builders.write_toy_solutions(root)
    builders.write_toy_part2(solutions)
    course_dir = root / "course"
    shutil.copytree(solutions / "pt_part1_intro", course_dir / "source" / "pt_part1_intro")
    ok, log = course.generate(course_dir, "pt_part1_intro")
    assert ok, log
    released = nbformat.read(str(course_dir / "release" / "pt_part1_intro" / "PT_Part1_Intro.ipynb"), as_version=4)
    return solutions, released, builders.toy_source()


def read_grades(out):
    """{student id: row of grades.csv} in the output folder `out`."""
    with open(out / "grades.csv", encoding="utf-8") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


# ----- the course's real Part 1, for whole-class runs (its hidden checks live in autograder/checks) -----

PART1_SOURCE = source_notebook("pt_part1_intro")
PART1_RELEASED = released_notebook("pt_part1_intro")
FULL_MARKS = 22


def part1():
    """(released notebook, reference answers) of Part 1."""
    released = nbformat.read(str(PART1_RELEASED), as_version=4)
    return released, builders.reference_answers(nbformat.read(str(PART1_SOURCE), as_version=4))


def part1_dense(forward_body):
    """Part 1's answer `dense_layer` with `forward` written as `forward_body` (indented 8 spaces)."""
    return ("class OurDenseLayer(nn.Module):\n"
            "    def __init__(self, num_inputs, num_outputs):\n"
            "        super().__init__()\n"
            "        self.W = nn.Parameter(torch.randn(num_inputs, num_outputs))\n"
            "        self.bias = nn.Parameter(torch.randn(num_outputs))\n\n"
            "    def forward(self, x):\n" + forward_body)


RIGHT_DENSE = part1_dense("        return torch.sigmoid(x @ self.W + self.bias)\n")
WRONG_DENSE_LAYER = part1_dense("        return torch.relu(x @ self.W + self.bias)\n")  # loses forward and gradient
WRONG_TOTAL = FULL_MARKS - 4
