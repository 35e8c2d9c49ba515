"""Grading on a Dask cluster that is not ours: a scheduler and two workers started as separate processes on
127.0.0.1 (as `dask scheduler` / `dask worker` would be on lab machines), reached with --scheduler.
The grades are exactly those of a local run, also when a worker is killed in the middle of the run."""

import os
import signal
import subprocess
import sys
import time

import pytest

from submissions import builders
from conftest import REPO
from submissions.toy_course import RIGHT_DENSE, WRONG_DENSE_LAYER, part1, read_grades

ENV = dict(os.environ, PYTHONPATH=str(REPO))  # a worker machine: the course checkout and its environment


def start(*args, **options):
    return subprocess.Popen([*args], cwd=REPO, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, **options)


@pytest.fixture
def dask_cluster(tmp_path):
    """(scheduler file, [worker processes]) of a cluster of two one-job workers."""
    scheduler_file = tmp_path / "scheduler.json"
    scheduler = start(sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                      "--no-dashboard", "--scheduler-file", str(scheduler_file))
    workers = [start(sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file", str(scheduler_file),
                     "--nthreads", "1", "--nworkers", "1", "--no-dashboard", "--name", f"lab-pc-{n}")
               for n in range(2)]
    deadline = time.monotonic() + 120
    while not scheduler_file.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    yield scheduler_file, workers
    for process in [*workers, scheduler]:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _class(folder, students=4):
    released, answers = part1()
    folder.mkdir(parents=True)
    for index in range(students):
        dense = RIGHT_DENSE if index % 2 else WRONG_DENSE_LAYER
        (folder / f"s{index}_PT_Part1_Intro.ipynb").write_bytes(
            builders.to_bytes(builders.filled(released, {**answers, "dense_layer": dense})))
    return folder


def _grade(inputs, out, *extra):
    return subprocess.Popen([sys.executable, "-m", "autograder", "grade", "pt_part1_intro", str(inputs),
                             "--out", str(out), "--timeout", "20", *map(str, extra)],
                            cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _totals(out):
    return {student: (row["total"], row["status"]) for student, row in read_grades(out).items()}


def test_a_class_graded_on_a_dask_cluster_gets_the_grades_of_a_local_run(dask_cluster, tmp_path):
    scheduler_file, _ = dask_cluster
    inputs = _class(tmp_path / "in")
    remote = _grade(inputs, tmp_path / "remote", "--scheduler", scheduler_file)
    local = _grade(inputs, tmp_path / "local", "--workers", 1)
    for process in (remote, local):
        _, error = process.communicate(timeout=900)
        assert process.returncode == 0, error[-3000:]
    assert _totals(tmp_path / "remote") == _totals(tmp_path / "local")
    assert len(_totals(tmp_path / "remote")) == 4


def test_a_worker_killed_mid_run_loses_no_student_and_grades_none_twice(dask_cluster, tmp_path):
    scheduler_file, workers = dask_cluster
    inputs = _class(tmp_path / "in", students=5)
    run = _grade(inputs, tmp_path / "out", "--scheduler", scheduler_file)
    lines = []
    for line in run.stdout:
        lines.append(line)
        if line.startswith("[1/5]"):
            os.killpg(workers[0].pid, signal.SIGKILL)  # the machine is gone: nanny, worker and its jobs
            break
    rest, error = run.communicate(timeout=900)
    lines += rest.splitlines(keepends=True)
    assert run.returncode == 0, error[-3000:]
    progress = [line for line in lines if line.startswith("[")]
    assert len(progress) == 5, "".join(lines)  # every student reported once
    totals = _totals(tmp_path / "out")
    assert sorted(totals) == [f"s{n}" for n in range(5)]
    assert all(status == "graded" for _, status in totals.values())
    assert {student: total for student, (total, _) in totals.items()} == {
        f"s{n}": "22" if n % 2 else "18" for n in range(5)}


def test_local_workers_default_to_the_cores_the_grader_may_use():
    # `taskset -c 0 python -m autograder grade ...` on a shared machine: one job at a time, not one per core there.
    code = "import os; os.sched_setaffinity(0, [min(os.sched_getaffinity(0))])\n" \
           "from autograder import cluster; print(cluster.default_workers())"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=ENV, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["1"], result.stderr[-2000:]
