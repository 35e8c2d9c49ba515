"""Benchmark of `python -m autograder grade` (prints figures; not a test).

    .venv/bin/python benchmarks/grading_speed.py [--assignment pt_part2_music_generation] [--submissions 16]

Submissions are the reference solutions filled into the student copy, half of them after a Colab round trip.
Prints:
- the median seconds of one submission's job (the sandboxed probe and every check; targets: Part 1 <= 8 s,
  Part 2 <= 10 s on a 2-core machine);
- the speed-up of 2 local Dask workers over 1 on the same class (target >= 1.7x on 2 cores);
- the overhead Dask adds per submission: the same jobs run one after another in this process, without Dask,
  against Dask with one worker (target < 0.5 s).
Results go to benchmarks/results/grading-<assignment>.json.
"""

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import nbformat  # noqa: E402

from autograder import cluster, grading, judge, prepare  # noqa: E402
from autograder.course import released_notebook, source_notebook  # noqa: E402
from submissions import builders  # noqa: E402

TARGETS = {"pt_part1_intro": 8.0, "pt_part2_music_generation": 10.0}


def make_submissions(assignment, folder, count):
    released = nbformat.read(str(released_notebook(assignment)), as_version=4)
    source = nbformat.read(str(source_notebook(assignment)), as_version=4)
    answers = builders.reference_answers(source)
    folder.mkdir(parents=True)
    for index in range(count):
        notebook = builders.filled(released, answers)
        if index % 2:
            notebook = builders.colab_roundtrip(notebook, seed=index)
        (folder / f"s{index:03d}_{released_notebook(assignment).name}").write_bytes(builders.to_bytes(notebook))


def quiet(message, error=False):
    pass


def graded_run(assignment, inputs, out, workers):
    started = time.monotonic()
    summary = grading.grade(grading.Options(assignment, [str(inputs)], out, workers=workers), log=quiet)
    return time.monotonic() - started, summary


def dask_overhead(assignment, inputs, out):
    """(seconds per job without Dask, seconds per job with Dask and one worker) for the same jobs."""
    options = grading.Options(assignment, [str(inputs)], out, workers=1)
    course = grading.open_course(options, quiet)
    submissions, _ = grading.collect_stage(options, course, grading.Summary(), quiet)
    jobs = []
    for submission in submissions:
        job, _ = prepare.prepare_student(submission, course)
        job.pop("notebook")
        job["key"] = job["student_id"]
        jobs.append(job)
    judge.grade_job(jobs[0])  # the same warm start as the Dask worker's below
    started = time.monotonic()
    for job in jobs:
        judge.grade_job(job)
    direct = (time.monotonic() - started) / len(jobs)
    with cluster.client(workers=1) as dask_client:
        cluster.run_jobs(jobs[:1], lambda job, result: None, quiet, dask_client)  # a worker that has started
        started = time.monotonic()
        cluster.run_jobs(jobs, lambda job, result: None, quiet, dask_client)
        return direct, (time.monotonic() - started) / len(jobs)


def main():
    parser = argparse.ArgumentParser(description="Вимірює швидкість автооцінювання.")
    parser.add_argument("--assignment", default="pt_part1_intro", choices=list(TARGETS))
    parser.add_argument("--submissions", type=int, default=16)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
        inputs = root / "in"
        make_submissions(args.assignment, inputs, args.submissions)
        one, summary = graded_run(args.assignment, inputs, root / "out1", 1)
        two, _ = graded_run(args.assignment, inputs, root / "out2", 2)
        per = [r["seconds"] for r in summary.results if r.get("seconds")]
        full = sum(1 for r in summary.results if r["total"] == r["max_total"])
        direct, with_dask = dask_overhead(args.assignment, inputs, root / "out3")
        figures = {"assignment": args.assignment, "submissions": len(per), "sandboxed": summary.sandboxed,
                   "full_marks": full, "median_job_s": round(statistics.median(per), 2), "min_job_s": round(min(per), 2),
                   "max_job_s": round(max(per), 2), "workers1_s": round(one, 1), "workers2_s": round(two, 1),
                   "speedup": round(one / two, 2), "direct_per_job_s": round(direct, 2),
                   "dask_per_job_s": round(with_dask, 2), "dask_overhead_per_job_s": round(with_dask - direct, 2)}
        print(f"{args.assignment}: {len(per)} submissions, sandboxed={summary.sandboxed}, full marks {full}/{len(per)}")
        print(f"  one job: median {figures['median_job_s']} s (min {figures['min_job_s']}, max {figures['max_job_s']}; "
              f"target <= {TARGETS[args.assignment]:.0f} s)")
        print(f"  whole class: workers=1 {one:.1f} s, workers=2 {two:.1f} s: speed-up {one / two:.2f}x (target >= 1.7x)")
        print(f"  Dask: {direct:.2f} s per job without, {with_dask:.2f} s with one worker: overhead "
              f"{with_dask - direct:.2f} s per submission (target < 0.5 s)")
        results = REPO / "benchmarks" / "results" / f"grading-{args.assignment}.json"
        results.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
