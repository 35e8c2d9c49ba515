"""Where the grading jobs run: Dask distributed, on a local cluster sized to the machine or on an existing one.

Each job is `judge.grade_job(job)`, a pure function: it needs only its input and, on the worker, this course's
checkout and environment (and bubblewrap). Results come back to the coordinator one by one, as they are done,
and only the coordinator records them. A worker that dies in the middle of a job (the machine is lost, the
process is killed) has its job run again elsewhere by Dask; a job that kills MAX_WORKER_DEATHS workers is that
student's error.
"""

import contextlib
import logging
import os
import time

from .messages import t

MAX_WORKER_DEATHS = 3  # Dask's distributed.scheduler.allowed-failures


def default_workers():
    return os.cpu_count() or 1


@contextlib.contextmanager
def client(workers=None, scheduler=None):
    """A Dask client: of the cluster at `scheduler` (an address such as tcp://10.0.0.5:8786, or the JSON file
    `dask scheduler --scheduler-file` wrote), or of a new local cluster of `workers` processes with one job at
    a time each."""
    import dask
    from dask.distributed import Client, LocalCluster

    dask.config.set({"distributed.scheduler.allowed-failures": MAX_WORKER_DEATHS - 1,
                     "distributed.worker.daemon": False})  # a worker starts sandboxed processes of its own
    if scheduler:
        where = {"scheduler_file": scheduler} if os.path.isfile(scheduler) else {"address": scheduler}
        with Client(**where, timeout="60s") as remote:
            yield remote
        return
    with LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
                      memory_limit=0, dashboard_address=None, silence_logs=logging.ERROR) as local, \
            Client(local) as connected:
        yield connected


class Progress:
    """done/total, rate, time left and failures so far, as a line a person can watch."""

    def __init__(self, total, log):
        self.total, self.done, self.failed, self.log = total, 0, 0, log
        self.started = time.monotonic()

    def step(self, student_id, result):
        self.done += 1
        self.failed += bool(result.get("failed"))
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed * 60 if elapsed > 0 else 0.0
        left = (self.total - self.done) * elapsed / self.done
        score = sum(cell["score"] for cell in result.get("cells", {}).values())
        outcome = result["failed"][:120] if result.get("failed") else t("progress_score", score=f"{score:g}")
        self.log(t("progress", n=self.done, total=self.total, student=student_id, outcome=outcome,
                   rate=f"{rate:.1f}", left=_clock(left), failed=self.failed))


def _clock(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def run_jobs(jobs, on_result, log, workers=None, scheduler=None):
    """Grade `jobs` on Dask; call on_result(job, result) in this process for each, as it finishes."""
    from dask.distributed import as_completed

    from . import judge

    if not jobs:
        return
    progress = Progress(len(jobs), log)
    with client(workers, scheduler) as dask_client:
        futures = {dask_client.submit(judge.grade_job, job, key=f"grade-{job['key']}", pure=False): job
                   for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as error:  # KilledWorker (the job killed its workers) or the grader's own bug
                result = {"student_id": job["student_id"], "failed": t("job_failed", error=f"{type(error).__name__}: "
                                                                                            f"{str(error)[:300]}")}
            on_result(job, result)
            progress.step(job["student_id"], result)
