"""A real nbgrader round trip in a throw-away course folder, for the tests of both notebooks.

`autograde_scores(assignment, notebook_path)` copies solutions/<assignment> into a temporary course as the
nbgrader source, runs generate_assignment, hands `notebook_path` in as a student's submission, runs a real
`nbgrader autograde` with the project's configuration (autograder/nbgrader_config.py) and reads the scores
back from the gradebook.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE = REPOSITORY_ROOT / "autograder" / "nbgrader_config.py"


class NbgraderFailed(RuntimeError):
    """An nbgrader step did not succeed; the message holds its log."""


def course_config(root):
    """The project's nbgrader configuration, pointed at the course folder `root`."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(CONFIG_FILE.name, path=str(CONFIG_FILE.parent)).load_config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.source_directory = "source"
    config.CourseDirectory.release_directory = "release"
    config.CourseDirectory.submitted_directory = "submitted"
    config.CourseDirectory.autograded_directory = "autograded"
    config.CourseDirectory.feedback_directory = "feedback"
    config.CourseDirectory.db_url = f"sqlite:///{Path(root) / 'gradebook.db'}"
    return config


def run_nbgrader(app_class, config, assignment, student=None):
    """Run one nbgrader converter (GenerateAssignment, Autograde...) in this process; raise when it fails."""
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log, temp_attrs

    scripts = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from here to create the gradebook
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([scripts, os.environ.get("PATH", "")])
    coursedir = CourseDirectory(config=config)
    with temp_attrs(coursedir, assignment_id=assignment, student_id=student or "*"):
        app = app_class(coursedir=coursedir, config=config)
        app.force = True
        if hasattr(app, "create_assignment"):
            app.create_assignment = True
        result = capture_log(app)
    if not result.get("success"):
        raise NbgraderFailed(f"{app_class.__name__}: {result.get('log', '')}{result.get('error', '')}")
    return result.get("log", "")


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
