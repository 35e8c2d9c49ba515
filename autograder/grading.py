"""`python -m autograder grade`: from a pile of submissions to grades, feedback and a class report.

The grading process only reads and rewrites notebooks as data; student code runs in the workers' sandboxed
kernels. Every student ends with one verdict:
- "graded"  (оцінено): scores from the test cells;
- "review"  (на перевірку): graded, but something looks like an attempt to silence the tests, or the student
  handed in other files that differ from the graded one or cannot be graded (_prepare_student);
- "error"   (не оцінено): the file cannot be graded (not a notebook, another assignment, a broken or encrypted
  archive, a name that is not UTF-8...), zero points. One bad file never stops the run (collect.py).
"""

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import collect, integrity, repair, sandbox
from .messages import t

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ("pt_part1_intro", "pt_part2_music_generation")


class GradingError(Exception):
    """Grading cannot start at all (the message is Ukrainian, for the instructor)."""


@dataclass
class Options:
    assignment: str
    inputs: list
    out: Path
    workers: int = 1
    cell_timeout: int | None = None
    notebook_timeout: int = 600
    memory_mb: int = 6144
    roster: Path | None = None
    id_pattern: str | None = None
    sandbox: str = "auto"  # "auto", "on" (refuse to grade without bubblewrap) or "off"
    solutions: Path = REPO_ROOT / "solutions"


@dataclass
class Summary:
    results: list = field(default_factory=list)  # this run's verdicts
    out: Path | None = None
    sandboxed: bool = True
    warnings: list = field(default_factory=list)

    def count(self, status):
        return sum(1 for r in self.results if r["status"] == status)


def _source_notebook(solutions, assignment):
    folder = Path(solutions) / assignment
    notebooks = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
    if not notebooks:
        raise GradingError(t("no_assignment", assignment=assignment, folder=folder))
    return notebooks[0]


def _refuse_git_tree(out):
    """The gradebook holds every hidden test: it must never be committable. An --out inside the repository
    is accepted only where git ignores it (e.g. test-artifacts/)."""
    if not out.is_relative_to(REPO_ROOT):
        return
    probe = out / ".course" / "gradebook.db"
    try:
        ignored = subprocess.run(["git", "check-ignore", "-q", str(probe)], cwd=REPO_ROOT,
                                 capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ignored = False
    if not ignored:
        raise GradingError(t("out_in_git", out=out))


def _decide_sandbox(mode, log):
    if mode == "off":
        log(t("unsandboxed_warning"), error=True)
        return False
    if sandbox.bubblewrap_available():
        return True
    if mode == "on":
        raise GradingError(t("no_bubblewrap_required"))
    log(t("unsandboxed_warning"), error=True)
    return False


def _verdict(submission, status, reasons=(), notes=(), cells=None):
    return {
        "student_id": submission.student_id,
        "name": submission.name,
        "origin": submission.origin,
        "status": status,
        "reasons": list(reasons),
        "notes": list(submission.notes) + list(notes),
        "cells": cells or {},
    }


def _prepare(submission, released, signatures, other_signatures):
    """(job for a worker, None) or (None, verdict) when the file cannot be graded."""
    if submission.problem:
        return None, _verdict(submission, "error", [submission.problem])
    try:
        notebook = repair.read_submission(submission.data)
        other = repair.other_assignment(notebook, signatures, other_signatures)
        if other:
            raise repair.SubmissionError(t("other_assignment", other=other))
        rebuilt = repair.rebuild(released, notebook, signatures)
        repair.refuse_unwritable(rebuilt.answers)
    except repair.SubmissionError as error:
        return None, _verdict(submission, "error", [str(error)])
    if not rebuilt.answers:
        return None, _verdict(submission, "error", [t("no_answers")])
    reasons = []
    for grade_id, source in rebuilt.answers.items():
        reasons += [t("in_cell", cell=grade_id, reason=r) for r in integrity.scan_answer(source)]
    notes = []
    if any(how == "content" for how in rebuilt.matched_by.values()):
        notes.append(t("metadata_lost", cells=", ".join(g for g, h in rebuilt.matched_by.items() if h == "content")))
    if rebuilt.missing:
        notes.append(t("answers_missing", cells=", ".join(rebuilt.missing)))
    job = {"student_id": submission.student_id, "notebook": nbformat.writes(rebuilt.notebook)}
    return job, _verdict(submission, "graded", reasons, notes)


def _prepare_safely(submission, *context):
    """_prepare, where a file shaped as nothing there foresaw is its student's error, never the end of the run."""
    try:
        return _prepare(submission, *context)
    except Exception as error:
        return None, _verdict(submission, "error", [t("unforeseen_file", error=collect.printable(repr(error))[:300])])


def _prepare_student(submission, released, signatures, other_signatures):
    """(job or None, verdict) for a student and all their files (collect.py: `submission.others`).

    The latest file that can be graded is graded. Another file whose answers are the same is noted; one whose
    answers differ, or that cannot be graded, is a reason naming both files, so the student goes to review
    (or stays an error when no file can be graded). Nothing is merged and no file is silently dropped.
    """
    files = [submission, *submission.others]
    tries = [_prepare_safely(file, released, signatures, other_signatures) for file in files]
    chosen = next((i for i, (job, _) in enumerate(tries) if job), 0)
    job, verdict = tries[chosen]
    graded = files[chosen].origin
    for file, (other_job, other_verdict) in zip(files, tries):
        if file is files[chosen]:
            continue
        if not other_job:
            verdict["reasons"].append(t("other_file_failed", origin=file.origin,
                                        reason=" ".join(other_verdict["reasons"])))
        elif job and other_job["notebook"] == job["notebook"]:
            verdict["notes"].append(t("same_answers", origin=file.origin, graded=graded))
        else:
            verdict["reasons"].append(t("different_answers", origin=file.origin, graded=graded))
    if chosen:  # collect's notes about the student's files sit on the first one
        verdict["notes"][:0] = submission.notes
        verdict["name"] = verdict["name"] or submission.name
    if job and verdict["reasons"]:
        verdict["status"] = "review"
    return job, verdict


def _run_workers(jobs, settings, n_workers, hard_limit, log_dir, log):
    """Grade `jobs` in `n_workers` worker processes; {student_id: worker result}.

    Each worker takes the next job when it finishes one. A worker stuck on a job past `hard_limit`
    seconds is killed (its sandbox dies with it) and replaced.
    """
    if not jobs:
        return {}
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    settings_path = log_dir / "settings.json"
    settings_path.write_text(json.dumps(settings), encoding="utf-8")
    events = queue.Queue()
    pending = list(reversed(jobs))
    processes, current, done = {}, {}, {}
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))

    def start(slot):
        stderr = open(log_dir / f"worker-{slot}.log", "a", encoding="utf-8")
        process = subprocess.Popen([sys.executable, "-m", "autograder.worker", str(settings_path), str(slot)],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                   text=True, encoding="utf-8", env=environment, cwd=str(log_dir))
        stderr.close()
        processes[slot] = process

        def read():
            for line in process.stdout:
                try:
                    events.put((slot, process, json.loads(line)))
                except ValueError:
                    continue
            events.put((slot, process, {"kind": "eof"}))

        threading.Thread(target=read, daemon=True).start()

    def dispatch(slot):
        process = processes[slot]
        if pending:
            job = pending.pop()
            current[slot] = (job["student_id"], time.monotonic())
            process.stdin.write(json.dumps(job, ensure_ascii=False) + "\n")
            process.stdin.flush()
        else:
            current.pop(slot, None)
            process.stdin.close()

    def record(student_id, result):
        done[student_id] = result
        if result.get("success"):
            total = sum(c["score"] for c in result["cells"].values())
            log(t("progress", n=len(done), total=len(jobs), student=student_id, score=f"{total:g}",
                  seconds=result.get("seconds")))
        else:
            log(t("progress_failed", n=len(done), total=len(jobs), student=student_id,
                  reason=result.get("reason") or t("autograde_failed")))

    begun = time.monotonic()
    for slot in range(min(n_workers, len(jobs))):
        start(slot)
    try:
        while len(done) < len(jobs):
            try:
                slot, process, event = events.get(timeout=1)
            except queue.Empty:
                for slot, (student_id, started) in list(current.items()):
                    if time.monotonic() - started > hard_limit:
                        processes[slot].kill()
                continue
            if process is not processes.get(slot):
                continue  # an event from a worker already replaced
            kind = event["kind"]
            if kind == "failed":
                raise GradingError(t("worker_setup_failed", error=event["payload"][-1500:]))
            if kind == "ready":
                dispatch(slot)
            elif kind == "done":
                result = event["payload"]
                result["seconds"] = round(time.monotonic() - current[slot][1], 2)
                record(result["student_id"], result)
                dispatch(slot)
            elif kind == "eof":
                process.wait()
                if slot in current:  # died or was killed while grading: that student gets a verdict, go on
                    student_id, started = current.pop(slot)
                    hung = time.monotonic() - started > hard_limit
                    reason = t("hard_timeout", seconds=hard_limit) if hung else t("worker_crashed")
                    record(student_id, {"student_id": student_id, "success": False, "cells": {}, "run": {},
                                        "reason": reason, "log": reason})
                    if pending:
                        start(slot)
    finally:
        for process in processes.values():
            if process.poll() is None:
                try:
                    process.stdin.close()
                except (OSError, ValueError):
                    pass
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    log(t("workers_done", seconds=round(time.monotonic() - begun, 1)))
    return done


def _apply(verdict, result, test_cells):
    """Fold a worker's result into the student's verdict."""
    cells = {}
    for grade_id, points in test_cells.items():
        cell = result.get("cells", {}).get(grade_id) if result else None
        cells[grade_id] = cell or {"score": 0.0, "max": points, "message": ""}
    verdict["cells"] = cells
    if result is None:
        return verdict
    if not result.get("success"):
        verdict["status"] = "error"
        verdict["reasons"].append(result.get("reason") or t("autograde_failed"))
        verdict["log"] = result.get("log", "")
        for cell in cells.values():
            cell["score"] = 0.0
        return verdict
    run = result.get("run", {})
    if run.get("start_failed"):
        verdict["status"] = "error"
        verdict["reasons"].append(t("kernel_start_failed", error=run["start_failed"]))
        return verdict
    if run.get("integrity"):
        verdict["reasons"].append(t("runtime_tamper", names=", ".join(run["integrity"])))
    if run.get("kernel_died"):
        verdict["notes"].append(t("note_kernel_died"))
    if run.get("cell_timeout"):
        verdict["notes"].append(t("note_cell_timeout"))
    if run.get("out_of_time"):
        verdict["notes"].append(t("note_out_of_time"))
    if run.get("output_truncated"):
        verdict["notes"].append(t("note_output_truncated"))
    if verdict["reasons"]:
        verdict["status"] = "review"
    verdict["seconds"] = result.get("seconds")
    return verdict


def _test_cells(source_notebook):
    return {repair.nbgrader_meta(c)["grade_id"]: float(repair.nbgrader_meta(c).get("points", 0))
            for c in source_notebook.cells if repair.is_test_cell(c)}


def _merge_into_gradebook(class_dir, assignment, notebook_name, verdicts):
    """Replace each graded student's submission in the class gradebook (no stale grades survive)."""
    import warnings

    from nbgrader.api import Gradebook, MissingEntry

    warnings.filterwarnings("ignore", message=".*not in session.*")  # SQLAlchemy noise after remove_submission
    db_url = f"sqlite:///{class_dir / 'gradebook.db'}"
    for verdict in verdicts:
        student_id = verdict["student_id"]
        with Gradebook(db_url) as gb:
            try:
                gb.remove_submission(assignment, student_id)
            except MissingEntry:
                pass
        with Gradebook(db_url) as gb:
            gb.update_or_create_student(student_id, last_name=verdict.get("name") or None)
            gb.add_submission(assignment, student_id)
            submission = gb.find_submission_notebook(notebook_name, assignment, student_id)
            for grade in submission.grades:
                cell = verdict["cells"].get(grade.name)
                grade.auto_score = cell["score"] if cell else 0.0
                grade.needs_manual_grade = verdict["status"] == "review"
            gb.db.commit()


def grade(options, log=None):
    """Grade every submission found in `options.inputs`; write grades.csv, feedback/ and the report."""
    from . import course, outputs

    def default_log(message, error=False):
        print(message, file=sys.stderr if error else sys.stdout, flush=True)

    log = log or default_log
    if options.assignment not in ASSIGNMENTS:
        raise GradingError(t("unknown_assignment", assignment=options.assignment, known=", ".join(ASSIGNMENTS)))
    if options.workers < 1:
        raise GradingError(t("bad_workers"))
    source_path = _source_notebook(options.solutions, options.assignment)
    notebook_name = source_path.stem
    out = Path(options.out).resolve()
    _refuse_git_tree(out)
    class_dir = out / ".course"
    summary = Summary(out=out)
    summary.sandboxed = _decide_sandbox(options.sandbox, log)

    # The class course: source copied from solutions/, the student version and gradebook made by nbgrader.
    (class_dir / "source").mkdir(parents=True, exist_ok=True)
    shutil.rmtree(class_dir / "source" / options.assignment, ignore_errors=True)
    shutil.copytree(source_path.parent, class_dir / "source" / options.assignment,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    ok, generate_log = course.generate(class_dir, options.assignment)
    if not ok:
        raise GradingError(t("generate_failed", log=generate_log[-1500:]))
    released = nbformat.read(str(class_dir / "release" / options.assignment / f"{notebook_name}.ipynb"), as_version=4)
    source_nb = nbformat.read(str(source_path), as_version=4)
    signatures = repair.answer_signatures(source_nb)
    test_cells = _test_cells(source_nb)
    other_signatures = {}
    for other in ASSIGNMENTS:
        if other != options.assignment:
            try:
                other_nb = nbformat.read(str(_source_notebook(options.solutions, other)), as_version=4)
                other_signatures[other] = repair.answer_signatures(other_nb)
            except GradingError:
                pass

    roster = collect.read_roster(options.roster) if options.roster else None
    submissions, warnings = collect.collect(options.inputs, notebook_name, options.id_pattern, roster)
    summary.warnings = warnings
    for warning in warnings:
        log(warning, error=True)
    if not submissions:
        raise GradingError(t("nothing_found"))
    log(t("found", n=len(submissions), assignment=options.assignment))

    verdicts, jobs = {}, []
    for submission in submissions:
        job, verdict = _prepare_student(submission, released, signatures, other_signatures)
        verdicts[submission.student_id] = verdict
        if job:
            jobs.append(job)

    limits = sandbox.Limits(notebook_timeout=options.notebook_timeout, memory_mb=options.memory_mb)
    if options.cell_timeout:
        limits.cell_timeout = options.cell_timeout
    limits.cpu_seconds = max(limits.cpu_seconds, 2 * options.notebook_timeout)
    if options.workers > 1:
        limits.threads = max(1, (os.cpu_count() or 1) // options.workers)
    hidden = {str(REPO_ROOT), str(Path(options.solutions).resolve()), str(out), str(Path.home())}
    for item in options.inputs:
        path = Path(item).resolve()
        hidden.add(str(path if path.is_dir() else path.parent))
    settings = {
        "assignment": options.assignment, "notebook": notebook_name, "class_dir": str(class_dir),
        "workers_dir": str(class_dir / "workers"), "sandboxed": summary.sandboxed,
        "limits": limits.__dict__, "hidden": sorted(hidden),
    }
    results = _run_workers(jobs, settings, options.workers, options.notebook_timeout + 120, class_dir / "logs", log)
    shutil.rmtree(class_dir / "workers", ignore_errors=True)

    for student_id, verdict in verdicts.items():
        _apply(verdict, results.get(student_id), test_cells)
        verdict["total"] = round(sum(c["score"] for c in verdict["cells"].values()), 4)
        verdict["max_total"] = sum(test_cells.values())
    results_dir = class_dir / "results" / options.assignment
    results_dir.mkdir(parents=True, exist_ok=True)
    for student_id, verdict in verdicts.items():
        previous = results_dir / f"{student_id}.json"
        if not verdict["name"] and previous.exists():  # a re-submission by mail carries no name: keep it
            verdict["name"] = json.loads(previous.read_text(encoding="utf-8")).get("name", "")
    _merge_into_gradebook(class_dir, options.assignment, notebook_name, verdicts.values())
    for student_id, verdict in verdicts.items():
        (results_dir / f"{student_id}.json").write_text(json.dumps(verdict, ensure_ascii=False, indent=1),
                                                        encoding="utf-8")
    summary.results = list(verdicts.values())
    all_verdicts = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(results_dir.glob("*.json"))]
    outputs.write_all(out, options.assignment, all_verdicts, test_cells, roster)
    return summary
