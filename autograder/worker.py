"""A grading worker: a separate process with its own nbgrader course folder, gradebook and sandbox.

nbgrader cannot grade in parallel (nbgrader#174), so each worker owns a private copy of the course
(source + gradebook) and the grader merges the results into the class gradebook afterwards. The worker
itself never runs student code: nbgrader starts the sandboxed kernel for that.
"""

import os
import shutil
import tempfile
import traceback
from pathlib import Path

from . import sandbox
from .messages import t

UID_BASE = 61000  # the kernel of worker k runs as uid UID_BASE + k (its own RLIMIT_NPROC count)


class Worker:
    def __init__(self, slot, settings):
        self.slot = slot
        self.settings = settings
        self.assignment = settings["assignment"]
        self.notebook = settings["notebook"]
        self.home = Path(settings["workers_dir"]) / f"w{slot}"
        if self.home.exists():
            shutil.rmtree(self.home)
        self.course = self.home / "course"
        (self.course / "source").mkdir(parents=True)
        shutil.copytree(Path(settings["class_dir"]) / "source" / self.assignment,
                        self.course / "source" / self.assignment)
        shutil.copy(Path(settings["class_dir"]) / "gradebook.db", self.course / "gradebook.db")
        self.uid = UID_BASE + slot
        sandboxed = settings["sandboxed"]
        self.sandboxed = sandboxed
        # Short paths: a ZeroMQ IPC socket path must fit in 107 bytes.
        self.ipc = Path(tempfile.mkdtemp(prefix=f"ag{slot}-"))
        self.scratch = Path(tempfile.mkdtemp(prefix=f"ag{slot}s-"))
        self.limits = sandbox.Limits(**settings["limits"])
        hidden = [*settings["hidden"], str(self.home)]
        sandbox.prepare_folder(self.ipc, self.uid, sandboxed)
        sandbox.install_kernelspec(self.home / "jupyter" / "kernels", scratch=self.scratch, ipc_dir=self.ipc,
                                   hidden=hidden, uid=self.uid, limits=self.limits, sandboxed=sandboxed)
        os.environ["JUPYTER_PATH"] = os.pathsep.join([str(self.home / "jupyter"), os.environ.get("JUPYTER_PATH", "")])
        os.environ["JUPYTER_RUNTIME_DIR"] = str(self.ipc)
        from .course import course_config

        self.config = course_config(self.course, cell_timeout=self.limits.cell_timeout,
                                    notebook_timeout=self.limits.notebook_timeout,
                                    kernel_name=sandbox.KERNEL_NAME, ipc_dir=self.ipc)

    def close(self):
        shutil.rmtree(self.ipc, ignore_errors=True)
        shutil.rmtree(self.scratch, ignore_errors=True)

    def grade(self, student_id, notebook_json):
        """Autograde one rebuilt notebook; a dict with every test cell's score and message."""
        from nbgrader.api import Gradebook, MissingEntry
        from nbgrader.converters import Autograde

        from .course import run_app
        from .execute import RUN_REPORT, reset_report

        db_url = f"sqlite:///{self.course / 'gradebook.db'}"
        with Gradebook(db_url) as gb:
            try:
                gb.remove_submission(self.assignment, student_id)  # never keep stale grades
            except MissingEntry:
                pass
        for step in ("submitted", "autograded"):
            shutil.rmtree(self.course / step / student_id, ignore_errors=True)
        folder = self.course / "submitted" / student_id / self.assignment
        folder.mkdir(parents=True)
        (folder / f"{self.notebook}.ipynb").write_text(notebook_json, encoding="utf-8")
        if self.sandboxed:
            sandbox.reap(self.uid)
        sandbox.prepare_folder(self.scratch, self.uid, self.sandboxed)
        shutil.rmtree(self.ipc / "k", ignore_errors=True)
        reset_report()
        success, log = run_app(Autograde, self.config, self.assignment, student_id)
        result = {"student_id": student_id, "success": success, "run": dict(RUN_REPORT), "cells": {}}
        if not success:
            result["log"] = log[-3000:]
            return result
        executed = self.course / "autograded" / student_id / self.assignment / f"{self.notebook}.ipynb"
        messages = _messages(executed)
        with Gradebook(db_url) as gb:
            submission = gb.find_submission_notebook(self.notebook, self.assignment, student_id)
            for grade in submission.grades:
                result["cells"][grade.name] = {
                    "score": float(grade.score or 0),
                    "max": float(grade.max_score),
                    "message": messages.get(grade.name, ""),
                }
        return result


def _messages(path):
    """{test grade_id: failure message} from an autograded notebook: error names and values, stderr text.

    Never the traceback: it quotes the source of the failing line, which may be a hidden test.
    """
    import nbformat

    found = {}
    if not path.exists():
        return found
    notebook = nbformat.read(str(path), as_version=4)
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if not grade_id or cell.cell_type != "code":
            continue
        problems = []
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                problems.append(f"{output.ename}: {output.evalue}".strip().rstrip(":"))
            elif output.output_type == "stream" and output.name == "stderr":
                problems.append(t("stderr_message", text=output.text.strip()[:500]))
        found[grade_id] = "\n".join(problems)[:2000]
    return found


def main(argv=None):
    """`python -m autograder.worker SETTINGS.json SLOT`: jobs arrive as JSON lines on stdin, one at a time;
    each answer is one JSON line on the original stdout. Anything else printed goes to stderr."""
    import json
    import sys

    settings_path, slot = (argv or sys.argv[1:])[:2]
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray prints of libraries must not corrupt the protocol

    def send(kind, payload=None):
        protocol.write(json.dumps({"kind": kind, "payload": payload}, ensure_ascii=False) + "\n")
        protocol.flush()

    try:
        worker = Worker(int(slot), json.loads(Path(settings_path).read_text(encoding="utf-8")))
    except Exception:
        send("failed", traceback.format_exc())
        return 1
    send("ready")
    try:
        for line in sys.stdin:
            job = json.loads(line)
            try:
                result = worker.grade(job["student_id"], job["notebook"])
            except Exception:
                result = {"student_id": job["student_id"], "success": False, "run": {}, "cells": {},
                          "log": traceback.format_exc()[-3000:]}
            send("done", result)
    finally:
        worker.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
