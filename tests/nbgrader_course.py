"""A real nbgrader round trip in a throw-away course folder, for the tests of both notebooks.

`autograde_scores(assignment, notebook_path)` copies solutions/<assignment> into a temporary course as the
nbgrader source, runs generate_assignment, hands `notebook_path` in as a student's submission, runs a real
`nbgrader autograde` with the project's configuration (autograder/nbgrader_config.py) and reads the scores
back from the gradebook.
"""

import os
import shutil
import tempfile
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent


class NbgraderFailed(RuntimeError):
    """An nbgrader step did not succeed; the message holds its log."""


def course_config(root):
    """The project's nbgrader configuration, pointed at the course folder `root` (the grader's own)."""
    from autograder.course import course_config as grader_course_config

    return grader_course_config(root)


def run_nbgrader(app_class, config, assignment, student=None):
    """Run one nbgrader converter (GenerateAssignment, Autograde...) in this process; raise when it fails."""
    from autograder.course import run_app

    succeeded, log = run_app(app_class, config, assignment, student)
    if not succeeded:
        raise NbgraderFailed(f"{app_class.__name__}: {log}")
    return log


def source_notebook(assignment):
    notebooks = sorted((REPOSITORY_ROOT / "solutions" / assignment).glob("*.ipynb"))
    if len(notebooks) != 1:
        raise FileNotFoundError(f"solutions/{assignment} має містити рівно один зошит, а містить {len(notebooks)}")
    return notebooks[0]


def autograde_scores(assignment, notebook_path, student="s1"):
    """Grade `notebook_path` as `student`'s submission of `assignment`; {grade_id: (score, max_score)}.

    Only the graded cells appear (autograded test cells). The kernel finds the repository's abcrnn package
    through PYTHONPATH, as an installed copy would be found.
    """
    from nbgrader.api import Gradebook
    from nbgrader.converters import Autograde, GenerateAssignment

    source = source_notebook(assignment)
    saved_pythonpath = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY_ROOT), saved_pythonpath]))
    try:
        with tempfile.TemporaryDirectory(prefix="abcrnn-course-") as workdir:
            root = Path(workdir)
            shutil.copytree(source.parent, root / "source" / assignment,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
            config = course_config(root)
            run_nbgrader(GenerateAssignment, config, assignment)
            submitted = root / "submitted" / student / assignment
            submitted.mkdir(parents=True)
            shutil.copyfile(notebook_path, submitted / source.name)
            run_nbgrader(Autograde, config, assignment, student)
            with Gradebook(config.CourseDirectory.db_url) as gradebook:
                notebook = gradebook.find_submission_notebook(source.stem, assignment, student)
                return {grade.name: (grade.score, grade.max_score) for grade in notebook.grades}
    finally:
        if saved_pythonpath is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved_pythonpath
