"""`python -m autograder grade`: from a pile of submissions to grades, feedback and a class report.

Five stages, each a function below:
1. open_course: the assignment's source (solutions/), its released copy and nbgrader's gradebook for the class;
   the reference values the checks need, taken from the reference notebook run like any other.
2. collect: every student's files from the inputs (collect.py).
3. prepare: each student's job, or a verdict when their files cannot be graded (prepare.py); a student whose
   identical job was already graded by an earlier run (same submission, same checks) keeps that verdict, so an
   interrupted run resumes without grading anyone twice.
4. run: the jobs on Dask (cluster.py); each result is recorded as it arrives (record.py: the one writer).
5. report: grades.csv, moodle_grades.csv, feedback/<student>.html, report.html (outputs.py).
Student code runs only inside the jobs' sandboxed probes (judge.py); this process reads notebooks as data.
"""

import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import cluster, collect, prepare, record, repair, sandbox
from .course import ASSIGNMENTS
from .messages import t

REPO_ROOT = Path(__file__).resolve().parent.parent
# The code that decides a grade: a change to it makes earlier verdicts stale (they are graded again).
ENGINE_FILES = ("judge.py", "answers.py", "checks/__init__.py", "runtime/probe.py")


class GradingError(Exception):
    """Grading cannot start at all (the message is Ukrainian, for the instructor)."""


@dataclass
class Options:
    assignment: str
    inputs: list
    out: Path
    workers: int | None = None  # local Dask workers; None: one per core
    scheduler: str | None = None  # address of an existing Dask cluster instead of a local one
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    roster: Path | None = None
    id_pattern: str | None = None
    sandbox: str = "auto"  # "auto", "on" (refuse to grade without bubblewrap) or "off"
    solutions: Path = REPO_ROOT / "solutions"
    gradebook: str | None = None  # an SQLAlchemy URL; None: SQLite in the class folder


@dataclass
class Summary:
    results: list = field(default_factory=list)  # this run's verdicts
    out: Path | None = None
    sandboxed: bool = True
    warnings: list = field(default_factory=list)
    resumed: int = 0

    def count(self, status):
        return sum(1 for r in self.results if r["status"] == status)


@dataclass
class Course:
    """Everything about the assignment that every student's grading shares."""
    assignment: str
    notebook_name: str
    out: Path
    class_dir: Path
    db_url: str
    released: nbformat.NotebookNode
    signatures: dict
    other_signatures: dict
    points: dict  # {test grade_id: points}, in the notebook's order
    limits: sandbox.Limits
    sandboxed: bool
    engine: str
    reference: dict = field(default_factory=dict)


def _print(message, error=False):
    print(message, file=sys.stderr if error else sys.stdout, flush=True)


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


def _engine_hash(assignment, source_path):
    digest = hashlib.sha256(Path(source_path).read_bytes())
    for name in (*ENGINE_FILES, f"checks/{assignment}.py"):
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()


def _signatures(solutions, assignment):
    return repair.answer_signatures(nbformat.read(str(_source_notebook(solutions, assignment)), as_version=4))


def _generate_course(class_dir, assignment, source_path, db_url):
    """nbgrader's course for the class: the source, its release and the gradebook's record of its cells.
    Made again only when the source changed since the last run (a stamp names the source's hash)."""
    from . import course

    stamp = class_dir / f"generated-{assignment}-{hashlib.sha256(Path(source_path).read_bytes()).hexdigest()[:16]}"
    if stamp.is_file() and (class_dir / "release" / assignment / Path(source_path).name).is_file():
        return
    (class_dir / "source").mkdir(parents=True, exist_ok=True)
    shutil.rmtree(class_dir / "source" / assignment, ignore_errors=True)
    shutil.copytree(Path(source_path).parent, class_dir / "source" / assignment,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    ok, generate_log = course.generate(class_dir, assignment, db_url)
    if not ok:
        raise GradingError(t("generate_failed", log=generate_log[-1500:]))
    for old in class_dir.glob(f"generated-{assignment}-*"):
        old.unlink()
    stamp.write_text(db_url + "\n", encoding="utf-8")


def open_course(options, log):
    """Stage 1: the class folder, nbgrader's course in it, and what every job shares."""
    source_path = _source_notebook(options.solutions, options.assignment)
    out = Path(options.out).resolve()
    _refuse_git_tree(out)
    class_dir = out / ".course"
    db_url = options.gradebook or f"sqlite:///{class_dir / 'gradebook.db'}"
    _generate_course(class_dir, options.assignment, source_path, db_url)
    source = nbformat.read(str(source_path), as_version=4)
    released = nbformat.read(str(class_dir / "release" / options.assignment / source_path.name), as_version=4)
    others = {name: _signatures(options.solutions, name) for name in ASSIGNMENTS
              if name != options.assignment and (Path(options.solutions) / name).is_dir()}
    points = {repair.nbgrader_meta(c)["grade_id"]: float(repair.nbgrader_meta(c).get("points", 0))
              for c in source.cells if repair.is_test_cell(c)}
    limits = sandbox.Limits(**options.limits.__dict__)
    if options.scheduler is None:
        limits.threads = limits.threads or max(1, cluster.default_workers() // (options.workers or cluster.default_workers()))
    course_ = Course(options.assignment, source_path.stem, out, class_dir, db_url, released,
                     repair.answer_signatures(source), others, points, limits,
                     _decide_sandbox(options.sandbox, log), _engine_hash(options.assignment, source_path))
    course_.reference = _reference(course_, source)
    return course_


def _reference(course, source):
    """The checks' reference values (cached in the class folder for this source and engine)."""
    from . import judge

    cache = course.class_dir / f"reference-{course.engine[:16]}.json"
    if cache.is_file():
        return json.loads(cache.read_text(encoding="utf-8"))
    try:
        values = judge.reference_values(source, course.assignment, course.limits, course.sandboxed)
    except Exception as error:
        raise GradingError(t("reference_failed", error=f"{type(error).__name__}: {error}"[:1500]))
    cache.write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")
    return values


def collect_stage(options, course, summary, log):
    """Stage 2: one Submission per student (with their other files), and warnings for the instructor."""
    roster = collect.read_roster(options.roster) if options.roster else None
    submissions, warnings = collect.collect(options.inputs, course.notebook_name, options.id_pattern, roster)
    summary.warnings = warnings
    for warning in warnings:
        log(warning, error=True)
    if not submissions:
        raise GradingError(t("nothing_found"))
    log(t("found", n=len(submissions), assignment=course.assignment))
    return submissions, roster


def _job_key(course, job):
    content = {key: job[key] for key in ("student_id", "cells", "points", "reference")}
    content["limits"] = {k: v for k, v in job["limits"].items() if k != "threads"}
    return hashlib.sha256((course.engine + json.dumps(content, sort_keys=True)).encode("utf-8")).hexdigest()[:24]


def prepare_stage(submissions, course, summary, log):
    """Stage 3: the jobs to run; verdicts of students who need none are recorded at once."""
    jobs = []
    for submission in submissions:
        job, verdict = prepare.prepare_student(submission, course)
        if job is None:
            _record(course, verdict, None, None, summary)
            continue
        job["key"] = _job_key(course, job)
        earlier = record.previous(course.class_dir, course.assignment, submission.student_id)
        if earlier and earlier.get("job_key") == job["key"] and earlier["reasons"] == verdict["reasons"]:
            summary.results.append(earlier)
            summary.resumed += 1
            continue
        job["verdict"] = verdict
        jobs.append(job)
    if summary.resumed:
        log(t("resumed", n=summary.resumed))
    return jobs


def _record(course, verdict, job, result, summary):
    """Stage 4's writer: one student's verdict everywhere it belongs."""
    prepare.apply_result(verdict, result, course.points)
    earlier = record.previous(course.class_dir, course.assignment, verdict["student_id"])
    if not verdict["name"] and earlier:  # a re-submission by mail carries no name: keep it
        verdict["name"] = earlier.get("name", "")
    if job is not None and not (result or {}).get("failed"):
        verdict["job_key"] = job["key"]
        record.write_notebooks(course.class_dir, course.assignment, course.notebook_name, verdict["student_id"],
                               job["notebook"], verdict)
    record.write_gradebook(course.db_url, course.assignment, course.notebook_name, verdict)
    record.write_verdict(course.class_dir, course.assignment, verdict)
    summary.results.append(verdict)


def run_stage(jobs, course, dask_client, summary, log):
    """Stage 4: every job on Dask, each result recorded as it arrives."""
    def on_result(job, result):
        _record(course, job["verdict"], job, result, summary)

    sent = [{key: value for key, value in job.items() if key not in ("notebook", "verdict")} for job in jobs]
    by_key = {job["key"]: job for job in jobs}
    cluster.run_jobs(sent, lambda job, result: on_result(by_key[job["key"]], result), log, dask_client)


def report_stage(course, roster):
    """Stage 5: the class's files, from every verdict recorded so far (earlier runs' students included)."""
    from . import outputs

    verdicts = record.all_verdicts(course.class_dir, course.assignment)
    outputs.write_all(course.out, course.assignment, verdicts, course.points, roster)


def _refuse(options):
    """A command line that cannot be graded is refused at once, before any worker starts."""
    if options.assignment not in ASSIGNMENTS:
        raise GradingError(t("unknown_assignment", assignment=options.assignment, known=", ".join(ASSIGNMENTS)))
    if options.workers is not None and options.workers < 1:
        raise GradingError(t("bad_workers"))
    for path in options.inputs:
        if not Path(path).exists():
            raise FileNotFoundError(t("input_missing", path=collect.printable(str(path))))
    _refuse_git_tree(Path(options.out).resolve())


def grade(options, log=None):
    """Grade every submission found in `options.inputs`; write grades.csv, feedback/ and the report."""
    log = log or _print
    _refuse(options)
    dask = cluster.Starting(options.workers, options.scheduler)  # its workers start while the course opens
    try:
        course = open_course(options, log)
        summary = Summary(out=course.out, sandboxed=course.sandboxed)
        submissions, roster = collect_stage(options, course, summary, log)
        jobs = prepare_stage(submissions, course, summary, log)
        run_stage(jobs, course, dask.get() if jobs else None, summary, log)
    finally:
        dask.close()
    report_stage(course, roster)
    return summary
