# nbgrader configuration of the course (a traitlets config file).
#
# Loaded by autograder/release.py (student copies), by the grader (autograder/course.py, which then points
# the course directory at its own working folder) and by the tests. From the command line:
#     nbgrader validate --config=autograder/nbgrader_config.py solutions/pt_part1_intro/*.ipynb
import os
import sys
import tempfile
from pathlib import Path

c = get_config()  # noqa: F821 (traitlets provides get_config)

# nbgrader's command line loads this file alone: the checkout's root must be importable to read the course layout.
if str(Path(__file__).resolve().parent.parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from autograder.course import RELEASE_DIRECTORY, REPOSITORY_ROOT, SOURCE_DIRECTORY  # noqa: E402

# The repository itself is the course directory: the sources with solutions live in
# solutions/<assignment>/, the student copies that nbgrader generates go to exercises/<assignment>/.
c.CourseDirectory.root = str(REPOSITORY_ROOT)
c.CourseDirectory.source_directory = SOURCE_DIRECTORY.name
c.CourseDirectory.release_directory = RELEASE_DIRECTORY.name
c.CourseDirectory.course_id = "abcrnn"

# The gradebook stores every source cell, hidden tests included, so it must never land in the git tree
# (nbgrader's default is <root>/gradebook.db). The caller may choose a file; otherwise a temporary folder.
_gradebook = os.environ.get("ABCRNN_GRADEBOOK") or os.path.join(tempfile.gettempdir(), "abcrnn-nbgrader",
                                                                "gradebook.db")
os.makedirs(os.path.dirname(os.path.abspath(_gradebook)), exist_ok=True)
c.CourseDirectory.db_url = "sqlite:///" + os.path.abspath(_gradebook)

# What a student sees in place of a solution: a Ukrainian prompt and an error that says what to do.
c.ClearSolutions.code_stub = {
    "python": '# ВАШ КОД ТУТ\nraise NotImplementedError("Напишіть тут свій розв\'язок і видаліть цей рядок.")',
}
c.ClearSolutions.text_stub = "ВАША ВІДПОВІДЬ ТУТ"

# nbgrader no longer runs notebooks here: autograder/judge.py grades them, outside the student's process.
