"""The student copies in exercises/: up to date with solutions/, reproducible, and free of answers."""

import subprocess
from pathlib import Path

import nbformat
import pytest
from nbgrader.utils import is_solution

from autograder import release as release_module
from autograder import edition
from autograder.course import REPOSITORY_ROOT, released_notebook, source_notebook
from autograder.release import ASSIGNMENTS, ReleaseError, assert_no_secrets, generate_release, release
from autograder.repair import nbgrader_meta



@pytest.fixture(scope="module")
def fresh_releases():
    """{assignment: {relative path: bytes}} generated now from solutions/."""
    return {name: generate_release(name) for name in ASSIGNMENTS}


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
    return [source_notebook(name) for name in ASSIGNMENTS]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_assignment_has_its_source_notebook_and_nothing_else(assignment):
    assert sorted(source_notebook(assignment).parent.glob("*.ipynb")) == [source_notebook(assignment)]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercises_are_up_to_date_with_solutions(fresh_releases, assignment):
    target = released_notebook(assignment).parent
    for relative, content in fresh_releases[assignment].items():
        assert committed_bytes(target / relative) == content, (
            f"exercises/{assignment}/{relative} застарів: запустіть `python -m autograder release`")


def test_release_writes_the_same_bytes_every_time(fresh_releases):
    assert generate_release("pt_part1_intro") == fresh_releases["pt_part1_intro"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_notebooks_hold_no_solution_no_hidden_test_and_no_output(assignment):
    source = nbformat.read(str(source_notebook(assignment)), as_version=4)
    released_path = released_notebook(assignment)
    released = nbformat.reads(committed_bytes(released_path).decode("utf-8"), as_version=4)
    assert_no_secrets(source, released, released_path.name)
    text = "\n".join(cell.source for cell in released.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    for cell in released.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        if is_solution(cell):
            grade_id = nbgrader_meta(cell)["grade_id"]
            assert "# ВАШ КОД ТУТ" in cell.source and "NotImplementedError" in cell.source, grade_id
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
    assert release(["pt_part1_intro"], check=True) != []
    assert "Застаріло" in capsys.readouterr().err

    written = release(["pt_part1_intro"])
    assert [Path(path).name for path in written] == sorted(Path(r).name for r in fresh_releases["pt_part1_intro"])
    assert release(["pt_part1_intro"], check=True) == []
    assert release(["pt_part1_intro"]) == []  # nothing to rewrite

    stray = tmp_path / "pt_part1_intro" / "old_name.ipynb"
    stray.write_text("{}")
    assert release(["pt_part1_intro"], check=True) == [stray]
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


def test_only_part2_installs_the_package_and_from_the_configured_release():
    current = edition.read()
    installs = {}
    for path in source_notebooks():
        code = [cell.source for cell in nbformat.read(str(path), as_version=4).cells if cell.cell_type == "code"]
        installs[path.parent.name] = [source for source in code if "%pip install" in source]
    # Part 1 uses nothing of abcrnn: it installs nothing (every install costs a student time in Colab).
    assert installs["pt_part1_intro"] == []
    [cell] = installs["pt_part2_music_generation"]
    assert "import abcrnn" in cell and current.install_line("    ") in cell.splitlines()


def test_release_points_the_install_line_and_book_links_at_the_configured_edition(tmp_path, monkeypatch):
    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: https://github.com/uni-kyiv/pytorch-music\n  branch: v2.3.4\n",
                      encoding="utf-8")
    monkeypatch.setattr(edition, "CONFIG", config)
    source = tmp_path / "nb.ipynb"
    cell = nbformat.v4.new_code_cell('try:\n    import abcrnn\nexcept ImportError:\n'
                                     '    %pip install -q "git+https://github.com/old/place@v0.1.0"\n    import abcrnn')
    link = nbformat.v4.new_markdown_cell("[розділ 2](https://old.github.io/place/book/02_tensors.html#x)")
    nbformat.write(nbformat.v4.new_notebook(cells=[cell, link]), str(source))
    assert release_module.sync_edition(source, edition.read(), check=True)
    assert "old/place" in source.read_text(encoding="utf-8"), "check=True must write nothing"
    assert release_module.sync_edition(source, edition.read())
    code, text = (c.source for c in nbformat.read(str(source), as_version=4).cells)
    assert '    %pip install -q "git+https://github.com/uni-kyiv/pytorch-music@v2.3.4"' in code.splitlines()
    assert text == "[розділ 2](https://uni-kyiv.github.io/pytorch-music/book/02_tensors.html#x)"
    assert not release_module.sync_edition(source, edition.read())


@pytest.mark.parametrize("text, message", [
    ("repository:\n  url: https://gitlab.com/a/b\n  branch: v1.0.0\n", "GitHub"),
    ("repository:\n  url: https://github.com/a/b\n  branch: main\n", "тегом"),
    ("title: x\n", "GitHub"),
])
def test_a_malformed_address_or_tag_is_refused_in_ukrainian(tmp_path, text, message):
    config = tmp_path / "_config.yml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(edition.EditionError, match=message):
        edition.read(config)


def test_every_assignment_has_a_size_limit_and_checks():
    from abcrnn.submission import SIZE_LIMITS
    from autograder import checks

    assert set(SIZE_LIMITS) == set(ASSIGNMENTS)
    assert all(checks.load(name) for name in ASSIGNMENTS)
