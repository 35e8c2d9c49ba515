"""Regenerate the student notebooks (exercises/) from the nbgrader sources (solutions/).

`release()` runs nbgrader's generate_assignment in a temporary course folder (so the gradebook, which stores
the solutions and hidden tests, never lands in the git tree), checks that no solution or hidden test
survived, normalises the notebooks so that every run writes the same bytes, and writes them to
exercises/<assignment>/. Either way it returns the paths that differed; with check=True it writes nothing.
"""

import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearOutputPreprocessor

from . import edition, secret_lines
from .course import ASSIGNMENTS, RELEASE_DIRECTORY, SOURCE_DIRECTORY

# Files nbgrader or Jupyter may leave next to a notebook that do not belong to the release.
IGNORED_NAMES = {".ipynb_checkpoints", "__pycache__", ".DS_Store"}


class ReleaseError(RuntimeError):
    """The student copies could not be generated, or a generated copy would reveal a solution."""


def release(assignments=None, check=False):
    """Bring the sources' install line and book links in step with _config.yml, then regenerate exercises/<assignment>/ for
    each assignment (all of ASSIGNMENTS by default); an assignment without a source notebook is skipped.

    Returns the paths that differed from a fresh release: written, or with check=True only listed (and
    printed): an empty list means everything is up to date.
    """
    names = list(assignments) if assignments else list(ASSIGNMENTS)
    unknown = [name for name in names if not (SOURCE_DIRECTORY / name).is_dir() and name not in ASSIGNMENTS]
    if unknown:
        raise ReleaseError(f"Немає джерел завдання в solutions/: {', '.join(unknown)}.")
    try:
        current = edition.read()
    except edition.EditionError as error:
        raise ReleaseError(str(error)) from error
    differing = []
    for name in names:
        sources = sorted((SOURCE_DIRECTORY / name).glob("*.ipynb"))
        stale_sources = [path for path in sources if sync_edition(path, current, check)]
        differing += stale_sources
        if not sources or (check and stale_sources):
            continue  # with check, a stale source makes a stale release: nothing more to compare
        fresh = generate_release(name)
        target = RELEASE_DIRECTORY / name
        differences = compare(fresh, target)
        differing += differences
        if differences and not check:
            write(fresh, target)
    if check:
        for path in differing:
            print(f"Застаріло: {path} (запустіть `python -m autograder release`)", file=sys.stderr)
    return differing


def sync_edition(path, current, check=False):
    """Point the install line and the book links of the source notebook at `path` to the current edition;
    True if they differed."""
    notebook = nbformat.read(str(path), as_version=4)
    changed = False
    for cell in notebook.cells:
        updated = edition.with_edition(cell.source, current)
        if updated != cell.source:
            cell.source, changed = updated, True
    if changed and not check:
        Path(path).write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")
    return changed


def generate_release(assignment):
    """{relative path: bytes} of the student copy of `assignment`, produced by nbgrader in a temporary folder."""
    from nbgrader.converters import GenerateAssignment

    from .course import course_config, run_app

    with tempfile.TemporaryDirectory(prefix="abcrnn-release-") as workdir:
        root = Path(workdir)
        shutil.copytree(SOURCE_DIRECTORY / assignment, root / "source" / assignment,
                        ignore=shutil.ignore_patterns(*IGNORED_NAMES))
        succeeded, log = run_app(GenerateAssignment, course_config(root), assignment)
        if not succeeded:
            raise ReleaseError(f"nbgrader не зміг створити завдання {assignment}:\n{log}")
        released = root / "release" / assignment
        files = {}
        for path in sorted(released.rglob("*")):
            if path.is_file() and not IGNORED_NAMES.intersection(path.relative_to(released).parts):
                relative = path.relative_to(released).as_posix()
                if path.suffix == ".ipynb":
                    source_nb = nbformat.read(str(SOURCE_DIRECTORY / assignment / relative), as_version=4)
                    student_nb = nbformat.read(str(path), as_version=4)
                    assert_no_secrets(source_nb, student_nb, f"{assignment}/{relative}")
                    files[relative] = normalised(student_nb)
                else:
                    files[relative] = path.read_bytes()
        return files


def normalised(nb):
    """The notebook as bytes that do not depend on when or where it was generated."""
    nb, _ = ClearOutputPreprocessor().preprocess(nb, {})
    for cell in nb.cells:
        # Execution timings and similar volatile metadata written by editors (on any cell).
        for key in ("execution", "collapsed", "scrolled", "ExecuteTime"):
            cell.metadata.pop(key, None)
    nb.metadata.pop("widgets", None)
    text = nbformat.writes(nb)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def assert_no_secrets(source_nb, student_nb, label):
    """Raise ReleaseError when the student copy still has a marker, a solution or a hidden test, or outputs."""
    leaks = secret_lines.leaks_in_text(secret_lines.notebook_text(student_nb), secret_lines.secret_lines([source_nb]))
    markers = [leak.line for leak in leaks if leak.line in secret_lines.MARKERS]
    if markers:
        raise ReleaseError(f"У {label} лишився маркер {markers[0]!r}.")
    if leaks:
        raise ReleaseError(f"У {label} лишилися рядки розв'язку або прихованих тестів: {[l.line for l in leaks[:5]]}")
    for cell in student_nb.cells:
        if cell.get("outputs"):
            raise ReleaseError(f"У {label} лишилися виводи клітинок.")


def compare(fresh, target):
    """Paths under `target` that differ from the fresh release `fresh` (missing, changed or extra)."""
    differences = []
    for relative, content in fresh.items():
        path = target / relative
        if not path.is_file() or path.read_bytes() != content:
            differences.append(path)
    if target.is_dir():
        for path in sorted(target.rglob("*")):
            relative = path.relative_to(target)
            if (path.is_file() and relative.as_posix() not in fresh
                    and not IGNORED_NAMES.intersection(relative.parts)):
                differences.append(path)
    return differences


def write(fresh, target):
    """Make `target` hold exactly the files of the fresh release."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(target.rglob("*"), reverse=True):
        relative = path.relative_to(target)
        if path.is_file() and relative.as_posix() not in fresh and not IGNORED_NAMES.intersection(relative.parts):
            path.unlink()
    for relative, content in fresh.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
