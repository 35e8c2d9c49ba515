"""The student copies in exercises/: up to date with solutions/, reproducible, and free of answers."""

import re
import subprocess
from pathlib import Path

import nbformat
import pytest

from autograder import release as release_module
from autograder.release import ASSIGNMENTS, ReleaseError, assert_no_secrets, generate_release, release

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
PRESENT = [name for name in ASSIGNMENTS if any((REPOSITORY_ROOT / "solutions" / name).glob("*.ipynb"))]


@pytest.fixture(scope="module")
def fresh_releases():
    """{assignment: {relative path: bytes}} generated now from solutions/."""
    return {name: generate_release(name) for name in PRESENT}


def committed_bytes(path):
    """The file as git has it staged or committed (`make book` rewrites the working tree), else on disk."""
    relative = path.relative_to(REPOSITORY_ROOT).as_posix()
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", relative], cwd=REPOSITORY_ROOT,
                             capture_output=True).returncode == 0
    if tracked:
        return subprocess.run(["git", "show", f":{relative}"], cwd=REPOSITORY_ROOT, capture_output=True,
                              check=True).stdout
    return path.read_bytes() if path.is_file() else None


def source_notebooks():
    return [path for name in PRESENT for path in sorted((REPOSITORY_ROOT / "solutions" / name).glob("*.ipynb"))]


def test_part1_source_exists():
    assert "pt_part1_intro" in PRESENT


@pytest.mark.parametrize("assignment", PRESENT)
def test_exercises_are_up_to_date_with_solutions(fresh_releases, assignment):
    target = REPOSITORY_ROOT / "exercises" / assignment
    for relative, content in fresh_releases[assignment].items():
        assert committed_bytes(target / relative) == content, (
            f"exercises/{assignment}/{relative} застарів: запустіть `python -m autograder release`")


def test_release_writes_the_same_bytes_every_time(fresh_releases):
    assert generate_release("pt_part1_intro") == fresh_releases["pt_part1_intro"]


@pytest.mark.parametrize("assignment", PRESENT)
def test_released_notebooks_hold_no_solution_no_hidden_test_and_no_output(assignment):
    for source_path in sorted((REPOSITORY_ROOT / "solutions" / assignment).glob("*.ipynb")):
        source = nbformat.read(str(source_path), as_version=4)
        released_path = REPOSITORY_ROOT / "exercises" / assignment / source_path.name
        released = nbformat.reads(committed_bytes(released_path).decode("utf-8"), as_version=4)
        assert_no_secrets(source, released, released_path.name)
        text = "\n".join(cell.source for cell in released.cells)
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        for cell in released.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                assert "# ВАШ КОД ТУТ" in cell.source and "NotImplementedError" in cell.source, meta["grade_id"]
        # Students' copies keep what nbgrader needs to grade them: the grade ids and points of every cell.
        source_ids = [c.metadata["nbgrader"]["grade_id"] for c in source.cells if "nbgrader" in c.metadata]
        released_ids = [c.metadata["nbgrader"]["grade_id"] for c in released.cells if "nbgrader" in c.metadata]
        assert released_ids == source_ids


def test_a_leaked_solution_line_stops_the_release():
    source = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return x * 42\n    ### END SOLUTION"),
        nbformat.v4.new_code_cell("assert f(1) == 42\n### BEGIN HIDDEN TESTS\nassert f(2) == 84\n### END HIDDEN TESTS"),
    ])
    stubbed = nbformat.v4.new_code_cell("def f(x):\n    # ВАШ КОД ТУТ\n    raise NotImplementedError()")
    visible_test = nbformat.v4.new_code_cell("assert f(1) == 42")
    clean = nbformat.v4.new_notebook(cells=[stubbed, visible_test])
    assert_no_secrets(source, clean, "clean")  # no error

    with pytest.raises(ReleaseError, match="розв'язку"):
        leaky = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("def f(x):\n    return x * 42"),
                                                visible_test])
        assert_no_secrets(source, leaky, "leaky")
    with pytest.raises(ReleaseError):
        hidden = nbformat.v4.new_notebook(cells=[stubbed, nbformat.v4.new_code_cell("assert f(2) == 84")])
        assert_no_secrets(source, hidden, "hidden")
    with pytest.raises(ReleaseError, match="маркер"):
        marker = nbformat.v4.new_notebook(cells=[stubbed, nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS")])
        assert_no_secrets(source, marker, "marker")


def test_release_and_check_keep_the_folder_in_step(fresh_releases, tmp_path, monkeypatch, capsys):
    # The generation itself is tested above; here the folder logic, against a scratch exercises/.
    monkeypatch.setattr(release_module, "RELEASE_DIRECTORY", tmp_path)
    monkeypatch.setattr(release_module, "generate_release", lambda name: fresh_releases[name])
    assert release(["pt_part1_intro"], check=True) is False
    assert "Застаріло" in capsys.readouterr().err

    written = release(["pt_part1_intro"])
    assert [Path(path).name for path in written] == sorted(Path(r).name for r in fresh_releases["pt_part1_intro"])
    assert release(["pt_part1_intro"], check=True) is True
    assert release(["pt_part1_intro"]) == []  # nothing to rewrite

    stray = tmp_path / "pt_part1_intro" / "old_name.ipynb"
    stray.write_text("{}")
    assert release(["pt_part1_intro"], check=True) is False
    release(["pt_part1_intro"])
    assert not stray.exists()


def test_unknown_assignment_is_refused_in_ukrainian():
    with pytest.raises(ReleaseError, match="Немає джерел"):
        release(["no_such_assignment"], check=True)


def test_gradebook_is_never_inside_the_repository():
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPOSITORY_ROOT / "autograder")).load_config()
    database = Path(config.CourseDirectory.db_url.removeprefix("sqlite:///")).resolve()
    assert REPOSITORY_ROOT not in database.parents
    assert Path(config.CourseDirectory.root) == REPOSITORY_ROOT
    assert (config.CourseDirectory.source_directory, config.CourseDirectory.release_directory) == (
        "solutions", "exercises")
    assert "ВАШ КОД ТУТ" in config.ClearSolutions.code_stub["python"]
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPOSITORY_ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    assert not [name for name in files if name.endswith(".db")]


@pytest.mark.parametrize("path", source_notebooks(), ids=lambda path: path.stem)
def test_first_code_cell_installs_abcrnn_from_the_configured_repository(path):
    config_text = (REPOSITORY_ROOT / "_config.yml").read_text(encoding="utf-8")
    url = re.search(r"^repository:\s*\n(?:[ \t]+.*\n)*?[ \t]+url:\s*(\S+)", config_text, re.M)
    assert url, "_config.yml не має repository.url"
    first_code = next(cell for cell in nbformat.read(str(path), as_version=4).cells if cell.cell_type == "code")
    assert "import abcrnn" in first_code.source
    assert f'%pip install -q "git+{url.group(1)}"' in first_code.source
