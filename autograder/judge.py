"""Grade one submission: its notebook runs in a sandboxed probe, the assignment's checks judge what it answers.

`grade_job(job)` is the whole job of grading one student, a pure function of its input (the student's cells,
the assignment, the reference values, the limits) that returns the result (score and message per test cell,
flags, notes); it never writes the gradebook. It runs in a process that never executes student code: that
happens only in the probe (runtime/probe.py), a fresh sandboxed process that answers with data. So the verdict
of every check is decided here, out of reach of the code it judges, and no hidden test ever exists where the
student's code could read it.

A probe that dies or hangs costs the check it was answering; the probe is started again (its notebook run anew,
without a cell that killed it) at most MAX_RESTARTS times, then the remaining checks score zero.
"""

import json
import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from . import answers, checks, sandbox
from .messages import t

MAX_RESTARTS = 8  # a probe that keeps dying costs a restart per check, within the job's time limit
STARTUP_SECONDS = 120  # for a fresh probe to import torch and answer, however busy the machine
MAX_MESSAGE_BYTES = 64 * 2**20  # one answer of the probe; a bigger one is the student's error, not the grader's
OUTPUT_KEPT = 32 * 1024  # of the probe's own stdout/stderr, for the instructor's log


class ProbeFailure(Exception):
    """The probe died, hung or broke the protocol; the message (Ukrainian) says which."""


class SandboxFailure(Exception):
    """The probe could not even start (before any student code ran): the grader's problem, not the student's."""


class Probe:
    """One sandboxed probe process and the two pipes the judge talks to it through."""

    def __init__(self, limits, uid, sandboxed):
        request_read, self._requests = os.pipe()
        self._answers, answer_write = os.pipe()
        program = [sys.executable, "-I", str(sandbox.RUNTIME / "probe.py"), str(request_read), str(answer_write),
                   *(["alone"] if sandboxed else [])]  # bubblewrap gives it a PID namespace of its own
        argv, env = sandbox.command(program, limits=limits, uid=uid, sandboxed=sandboxed)
        self.process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, pass_fds=(request_read, answer_write),
                                        start_new_session=True)
        os.close(request_read)
        os.close(answer_write)
        self.output = bytearray()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for chunk in iter(lambda: self.process.stdout.read1(65536), b""):
            if len(self.output) < OUTPUT_KEPT:
                self.output += chunk[:OUTPUT_KEPT - len(self.output)]

    def ask(self, message, timeout):
        """Send one request and return the probe's answer (a dict); ProbeFailure when it cannot answer in time."""
        deadline = time.monotonic() + timeout
        data = json.dumps(message, ensure_ascii=False).encode("utf-8")
        self._write(len(data).to_bytes(8, "big") + data, deadline)
        size = int.from_bytes(self._read(8, deadline), "big")
        if size > MAX_MESSAGE_BYTES:
            raise ProbeFailure(t("probe_too_big", mb=MAX_MESSAGE_BYTES // 2**20))
        try:
            return json.loads(self._read(size, deadline).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ProbeFailure(t("probe_garbled"))

    def _write(self, data, deadline):
        view = memoryview(data)
        while view:
            if not select.select([], [self._requests], [], max(0.0, deadline - time.monotonic()))[1]:
                raise ProbeFailure(t("probe_timeout"))
            try:
                view = view[os.write(self._requests, view[:65536]):]
            except (BrokenPipeError, OSError):
                raise ProbeFailure(self._death())

    def _read(self, size, deadline):
        data = bytearray()
        while len(data) < size:
            if not select.select([self._answers], [], [], max(0.0, deadline - time.monotonic()))[0]:
                raise ProbeFailure(t("probe_timeout"))
            chunk = os.read(self._answers, min(1 << 20, size - len(data)))
            if not chunk:
                raise ProbeFailure(self._death())
            data += chunk
        return bytes(data)

    def _death(self):
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return t("probe_silent")
        return t("probe_died", code=code)

    def close(self):
        for fd in (self._requests, self._answers):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, 9)
            except (ProcessLookupError, PermissionError):
                self.process.kill()
        self.process.wait()


@dataclass
class Session:
    """The student's notebook running in a probe, restarted when it dies; what checks talk to."""
    job: dict
    limits: sandbox.Limits
    uid: int | None
    sandboxed: bool
    deadline: float
    probe: Probe | None = None
    restarts: int = 0
    fatal_cells: set = field(default_factory=set)
    cell_errors: dict = field(default_factory=dict)
    tampered: set = field(default_factory=set)
    seconds_in_probe: float = 0.0

    def _remaining(self):
        return self.deadline - time.monotonic()

    def start(self):
        """A new probe that has run every notebook cell (but those that killed an earlier one)."""
        self.close()
        self.probe = Probe(self.limits, self.uid, self.sandboxed)
        try:
            self.probe.ask({"op": "hello", "preload": self.job.get("preload", [])}, STARTUP_SECONDS)
        except ProbeFailure as failure:
            output = bytes(self.probe.output).decode("utf-8", "replace")[-1500:]
            self.close()
            raise SandboxFailure(f"{failure} {output}".strip())
        for index, source in self.job["cells"]:
            if index in self.fatal_cells:
                continue
            timeout = min(self.limits.cell_timeout + 10, self._remaining())
            try:
                reply = self.probe.ask({"op": "run", "cells": [[index, source]],
                                        "cell_timeout": self.limits.cell_timeout}, max(timeout, 1))
            except ProbeFailure as failure:
                self.fatal_cells.add(index)
                self.cell_errors[index] = str(failure)
                return self._restart_after(failure)
            self._note(reply)
            for number, status, message, _seconds in reply.get("cells", []):
                if status != "ok":
                    self.cell_errors[number] = message

    def _restart_after(self, failure):
        if self.restarts >= MAX_RESTARTS or self._remaining() <= 1:
            self.close()
            raise failure
        self.restarts += 1
        self.start()

    def _note(self, reply):
        names = list(reply.get("tampered", []))[:50] + list(reply.get("events", []))[:50]
        self.tampered.update(str(name)[:200] for name in names)
        self.seconds_in_probe += float(reply.get("seconds", 0) or 0)

    def request(self, op, seed=0, **args):
        """The probe's answer to one program (decoded), or checks.Fail with the student's error."""
        if self._remaining() <= 1:
            raise ProbeFailure(t("notebook_timeout", seconds=self.limits.notebook_timeout))
        if self.probe is None:
            self.start()
        try:
            reply = self.probe.ask({"op": op, "seed": seed, "args": args},
                                   min(self.limits.cell_timeout + 10, self._remaining()))
        except ProbeFailure:
            self.close()
            raise
        self._note(reply)
        if not reply.get("ok"):
            message = checks.student_message(reply.get("error", ""))
            raise checks.Fail(t("student_error", error=message) if reply.get("crash") else message)
        return answers.answer(reply.get("value"))

    def close(self):
        """Ask a living probe what was tampered with, then end it."""
        if self.probe is not None:
            try:
                self._note(self.probe.ask({"op": "report"}, max(1.0, min(30.0, self._remaining()))))
            except ProbeFailure:
                pass
            self.probe.close()
            self.probe = None


def _run_check(session, function):
    """(passed, message) of one check; a probe that fails is restarted for the next check."""
    try:
        function(checks.Student(session, session.job["reference"]))
        return True, ""
    except checks.Fail as failure:
        return False, failure.message
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, RuntimeError) as error:
        # answers shaped unlike any correct one (the probe ran student code): the check fails
        return False, t("answer_malformed", error=f"{type(error).__name__}: {str(error)[:200]}")
    except ProbeFailure as failure:
        try:
            session.restarts += 1
            if session.restarts <= MAX_RESTARTS and session._remaining() > 1:
                session.start()
        except ProbeFailure:
            pass
        return False, str(failure)


def grade_job(job):
    """The result of one student's job (see the module's docstring). `job` holds: student_id, assignment,
    cells ([index, Python source] of the notebook's code cells, test cells left out), answer_cells (their
    indices), points ({test grade_id: points}), reference (values of the reference notebook), limits,
    sandboxed."""
    started = time.monotonic()
    limits = sandbox.Limits.from_dict(job["limits"])
    registry = checks.load(job["assignment"])
    results = {}
    with sandbox.claim_uid() as uid:
        session = Session(job, limits, uid, job["sandboxed"], started + limits.notebook_timeout)
        try:
            session.start()
        except ProbeFailure as failure:
            session.cell_errors.setdefault(-1, str(failure))
        except SandboxFailure as failure:
            return {"student_id": job["student_id"], "failed": t("sandbox_failed", error=str(failure)[:1500]),
                    "cells": {}, "tampered": [], "notes": [], "seconds": round(time.monotonic() - started, 2)}
        for grade_id, points in job["points"].items():
            function = registry.get(grade_id)
            if function is None:
                passed, message = False, t("no_check", cell=grade_id)
            elif session.probe is None and session.restarts > MAX_RESTARTS:
                passed, message = False, t("probe_gave_up")
            else:
                passed, message = _run_check(session, function)
            results[grade_id] = {"score": float(points) if passed else 0.0, "max": float(points),
                                 "message": checks.student_message(message)}
        session.close()
    notes = [t("answer_cell_failed", cell=index, error=checks.student_message(message))
             for index, message in sorted(session.cell_errors.items()) if index in set(job["answer_cells"])]
    if session.restarts:
        notes.append(t("probe_restarted", n=session.restarts))
    return {"student_id": job["student_id"], "cells": results, "tampered": sorted(session.tampered),
            "notes": notes, "seconds": round(time.monotonic() - started, 2)}


def python_source(cell_source):
    """A notebook cell as plain Python (IPython's magics and shell lines become calls of get_ipython())."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return TransformerManager().transform_cell(cell_source)
    except Exception:  # the cell is broken; Python will say how when the probe compiles it
        return cell_source


def imported_modules(source):
    """Modules a (public) cell imports at its top level."""
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    found = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def make_job(notebook, *, student_id, assignment, points, reference, limits, sandboxed):
    """The job of grading `notebook` (a rebuilt submission, or the reference notebook itself)."""
    from .repair import is_answer_cell, is_test_cell, nbgrader_meta

    cells, answer_cells, answer_sources, preload = [], [], {}, set()
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or is_test_cell(cell):
            continue
        cells.append([index, python_source(cell.source)])
        if is_answer_cell(cell):
            answer_cells.append(index)
            answer_sources[nbgrader_meta(cell)["grade_id"]] = cell.source
        else:
            preload |= imported_modules(cells[-1][1])
    return {"student_id": student_id, "assignment": assignment, "cells": cells, "answer_cells": answer_cells,
            "answers": answer_sources, "preload": sorted(preload), "points": dict(points), "reference": reference,
            "limits": dict(limits.__dict__), "sandboxed": bool(sandboxed)}


def reference_values(notebook, assignment, limits, sandboxed):
    """The values the checks of `assignment` need from the reference notebook (its REFERENCE_VALUES)."""
    names = list(getattr(__import__(f"{checks.__name__}.{assignment}", fromlist=["REFERENCE_VALUES"]),
                         "REFERENCE_VALUES", ()))
    if not names:
        return {}
    job = make_job(notebook, student_id="reference", assignment=assignment, points={}, reference={},
                   limits=limits, sandboxed=sandboxed)
    with sandbox.claim_uid() as uid:
        session = Session(job, limits, uid, sandboxed, time.monotonic() + limits.notebook_timeout)
        try:
            session.start()
            return session.request("values", names=names)
        finally:
            session.close()
