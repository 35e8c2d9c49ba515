"""nbgrader course folders used by the release and the grader (never inside the git tree).

The project's `autograder/nbgrader_config.py` (stubs, the course id) is loaded first; the grader then points
nbgrader at its own working folder, where `source/<assignment>` is a copy of `solutions/<assignment>` and the
gradebook lives next to it (or wherever its SQLAlchemy URL says). nbgrader releases the assignment and keeps
the gradebook; it no longer runs notebooks (judge.py grades them).
"""

import os
import sys
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

PROJECT_CONFIG = Path(__file__).with_name("nbgrader_config.py")
REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRECTORY = REPOSITORY_ROOT / "solutions"  # nbgrader sources: the answers and the hidden tests
RELEASE_DIRECTORY = REPOSITORY_ROOT / "exercises"  # the student copies that `release` generates
# The course's assignments and the notebook of each: its source is SOURCE_DIRECTORY/<name>/<notebook>,
# its student copy RELEASE_DIRECTORY/<name>/<notebook>, its hidden checks autograder/checks/<name>.py.
ASSIGNMENTS = {"pt_part1_intro": "PT_Part1_Intro.ipynb", "pt_part2_music_generation": "PT_Part2_Music_Generation.ipynb"}


def source_notebook(assignment):
    """The nbgrader source notebook of `assignment`, answers and hidden tests included."""
    return SOURCE_DIRECTORY / assignment / ASSIGNMENTS[assignment]


def released_notebook(assignment):
    """The student copy of `assignment`'s notebook."""
    return RELEASE_DIRECTORY / assignment / ASSIGNMENTS[assignment]


def settings_cell_index(nb):
    """The index of the cell of training settings (the code cell that assigns NUM_STEPS) in `nb`, or None.

    Part 2 has one. Tools that train the notebook briefly insert `NUM_STEPS = <n>` right after it; the
    benchmarks run it to train what a student trains.
    """
    found = [index for index, cell in enumerate(nb.cells) if cell.cell_type == "code" and "NUM_STEPS =" in cell.source]
    if len(found) > 1:
        raise ValueError(f"Очікувалась одна клітинка з NUM_STEPS =, знайдено {len(found)}")
    return found[0] if found else None


def ensure_tools_on_path():
    """nbgrader runs the `alembic` command when it creates a gradebook; it sits next to this Python."""
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([scripts, os.environ.get("PATH", "")])


def project_config():
    """The project's nbgrader configuration (an empty Config when the file is missing)."""
    if not PROJECT_CONFIG.exists():
        return Config()
    loader = PyFileConfigLoader(PROJECT_CONFIG.name, path=str(PROJECT_CONFIG.parent))
    return loader.load_config()


def course_config(root, db_url=None):
    """Config for an nbgrader course at `root` (its gradebook: `db_url`, or gradebook.db in `root`)."""
    root = Path(root).resolve()
    config = project_config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.source_directory = "source"
    config.CourseDirectory.release_directory = "release"
    config.CourseDirectory.submitted_directory = "submitted"
    config.CourseDirectory.autograded_directory = "autograded"
    config.CourseDirectory.feedback_directory = "feedback"
    config.CourseDirectory.db_url = db_url or f"sqlite:///{root / 'gradebook.db'}"
    return config


def run_app(app_class, config, assignment, student=None):
    """Run an nbgrader converter in this process; (success, log text)."""
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log, temp_attrs

    ensure_tools_on_path()
    coursedir = CourseDirectory(config=config)
    with temp_attrs(coursedir, assignment_id=assignment, student_id=student or "*"):
        app = app_class(coursedir=coursedir, config=config)
        app.force = True
        if hasattr(app, "create_student"):
            app.create_student = True
        if hasattr(app, "create_assignment"):
            app.create_assignment = True
        result = capture_log(app)
    return bool(result.get("success")), (result.get("log") or "") + (result.get("error") or "")


def generate(root, assignment, db_url=None):
    """`nbgrader generate_assignment` in the course at `root` (source already copied there)."""
    from nbgrader.converters import GenerateAssignment

    return run_app(GenerateAssignment, course_config(root, db_url), assignment)
