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
import threading
import time

from .messages import t

MAX_WORKER_DEATHS = 3  # Dask's distributed.scheduler.allowed-failures


def default_workers():
    """The cores this grader may use: all of the machine's, or those `taskset` (or a container's cpuset) gave it."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def connect(workers=None, scheduler=None):
    """(a Dask client, a function that ends it): of the cluster at `scheduler` (an address such as
    tcp://10.0.0.5:8786, or the JSON file `dask scheduler --scheduler-file` wrote), or of a new local cluster
    of `workers` processes with one job at a time each."""
    import dask
    from dask.distributed import Client, LocalCluster

    dask.config.set({"distributed.scheduler.allowed-failures": MAX_WORKER_DEATHS - 1,
                     "distributed.worker.daemon": False,  # a worker starts sandboxed processes of its own
                     "distributed.worker.preload": ["autograder.judge"]})  # torch imported once, at the start
    if scheduler:
        where = {"scheduler_file": scheduler} if os.path.isfile(scheduler) else {"address": scheduler}
        remote = Client(**where, timeout="60s", set_as_default=False)
        return remote, remote.close
    local = LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
                         memory_limit=0, dashboard_address=":0", silence_logs=logging.ERROR)
    connected = Client(local, set_as_default=False)

    def close():
        connected.close()
        local.close()

    return connected, close


@contextlib.contextmanager
def client(workers=None, scheduler=None):
    """connect() as a context manager."""
    connected, close = connect(workers, scheduler)
    try:
        yield connected
    finally:
        close()


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


class Starting:
    """A Dask client made in a thread of its own: a local cluster's workers start (and import torch) while
    the coordinator opens the course and reads the submissions. `get()` waits for it; `close()` ends it."""

    def __init__(self, workers=None, scheduler=None):
        self._client, self._close, self._error = None, None, None
        self._thread = threading.Thread(target=self._start, args=(workers, scheduler), daemon=True)
        self._thread.start()

    def _start(self, workers, scheduler):
        try:
            self._client, self._close = connect(workers, scheduler)
        except BaseException as error:  # raised again in the coordinator's own thread, by get()
            self._error = error

    def get(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._client

    def close(self):
        self._thread.join()
        if self._close is not None:
            self._close()


def run_jobs(jobs, on_result, log, dask_client):
    """Grade `jobs` on Dask; call on_result(job, result) in this process for each, as it finishes."""
    from dask.distributed import as_completed

    from . import judge

    if not jobs:
        return
    progress = Progress(len(jobs), log)
    futures = {dask_client.submit(judge.grade_job, job, key=f"grade-{job['key']}", pure=False): job for job in jobs}
    for future in as_completed(futures, loop=dask_client.loop):
        job = futures[future]
        try:
            result = future.result()
        except Exception as error:  # KilledWorker (the job killed its workers) or the grader's own bug
            result = {"student_id": job["student_id"],
                      "failed": t("job_failed", error=f"{type(error).__name__}: {str(error)[:300]}")}
        on_result(job, result)
        progress.step(job["student_id"], result)
