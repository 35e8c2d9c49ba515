"""The toy assignment, released by nbgrader in a temporary folder (shared by the autograder's tests)."""

import csv
import shutil
from pathlib import Path

import nbformat

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
