"""Benchmark of `python -m autograder grade` (prints figures; not a test).

    .venv/bin/python benchmarks/grading.py [--assignment pt_part1_intro] [--submissions 16] [--skip-throughput]

Prints the median seconds per submission with one worker (targets: Part 1 <= 8 s, Part 2 <= 20 s on a
2-core machine) and the throughput of --workers 2 against --workers 1 on the same submissions (target >= 1.6x).
Submissions are the reference solutions filled into the student copy, half of them after a Colab round trip.
"""

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import nbformat  # noqa: E402

from autograder import course, grading  # noqa: E402
from submissions import builders  # noqa: E402

TARGETS = {"pt_part1_intro": 8.0, "pt_part2_music_generation": 20.0}


def make_submissions(assignment, folder, count):
    source_path = next((REPO / "solutions" / assignment).glob("*.ipynb"))
    work = Path(tempfile.mkdtemp(prefix="bench-release-"))
    shutil.copytree(source_path.parent, work / "source" / assignment)
    ok, log = course.generate(work, assignment)
    assert ok, log
    released = nbformat.read(str(work / "release" / assignment / source_path.name), as_version=4)
    answers = builders.reference_answers(nbformat.read(str(source_path), as_version=4))
    folder.mkdir(parents=True)
    for index in range(count):
        notebook = builders.filled(released, answers)
        if index % 2:
            notebook = builders.colab_roundtrip(notebook, seed=index)
        (folder / f"s{index:03d}_{source_path.stem}.ipynb").write_bytes(builders.to_bytes(notebook))
    shutil.rmtree(work)


def run(assignment, inputs, out, workers):
    started = time.monotonic()
    summary = grading.grade(grading.Options(assignment, [str(inputs)], out, workers=workers),
                            log=lambda message, error=False: None)
    elapsed = time.monotonic() - started
    return elapsed, summary


def main():
    parser = argparse.ArgumentParser(description="Вимірює швидкість автооцінювання.")
    parser.add_argument("--assignment", default="pt_part1_intro", choices=list(TARGETS))
    parser.add_argument("--submissions", type=int, default=16)
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
        inputs = root / "in"
        make_submissions(args.assignment, inputs, args.submissions)
        elapsed1, summary1 = run(args.assignment, inputs, root / "out1", 1)
        per = [r["seconds"] for r in summary1.results if r.get("seconds")]
        full = sum(1 for r in summary1.results if r["total"] == r["max_total"])
        print(f"{args.assignment}: {len(per)} submissions, sandboxed={summary1.sandboxed}, full marks {full}/{len(per)}")
        print(f"  workers=1: median {statistics.median(per):.2f} s per submission (min {min(per):.2f}, "
              f"max {max(per):.2f}; target <= {TARGETS[args.assignment]:.0f} s), total {elapsed1:.1f} s")
        if not args.skip_throughput:
            elapsed2, _ = run(args.assignment, inputs, root / "out2", 2)
            print(f"  workers=2: total {elapsed2:.1f} s; throughput {elapsed1 / elapsed2:.2f}x of workers=1 "
                  f"(target >= 1.6x)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
