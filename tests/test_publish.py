"""The student edition (`python -m autograder publish`): what students get, and that nothing else goes with it.

Installing that tree's package in a Colab-like environment is tested in test_colab.py.
"""

import json
import os
import subprocess
import sys
import tarfile
import zipfile

import nbformat
import pytest

from autograder import edition, publish, secret_lines
from conftest import REPO

EXPECTED_TOP_LEVEL = {".abcrnn-edition", ".gitignore", "LICENSE", "README.md", "abcrnn", "docs", "exercises",
                      "pyproject.toml"}


def test_the_tree_holds_what_students_need_and_nothing_else(student_edition):
    assert {path.name for path in student_edition.iterdir()} == EXPECTED_TOP_LEVEL
    assert (student_edition / "docs" / ".nojekyll").is_file(), "GitHub Pages would hide Sphinx's _static/"
    assert (student_edition / "docs" / "index.html").is_file()
    notebooks = sorted(p.relative_to(student_edition).as_posix() for p in student_edition.rglob("*.ipynb")
                       if "docs" not in p.parts)
    assert notebooks == list(publish.EXERCISE_NOTEBOOKS)
    names = {part for path in student_edition.rglob("*") for part in path.relative_to(student_edition).parts}
    assert not names & {"solutions", "autograder", "tests", "benchmarks", "nbgrader_config.py", "gradebook.db"}


def test_a_new_benchmark_result_makes_the_site_stale(tmp_path, monkeypatch):
    # Chapters 8 and 9 draw their tables from benchmarks/results: a site built before a new result is stale.
    for name, seconds in (("book/01_how_to_use.md", 1_000), ("benchmarks/results/tuning.jsonl", 2_000),
                          ("benchmarks/run.py", 3_000)):  # the script is not a source of the site
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
        os.utime(path, (seconds, seconds))
    monkeypatch.setattr(publish, "REPOSITORY_ROOT", tmp_path)
    assert publish._newest_source_time() == 2_000


def test_no_file_of_the_tree_holds_a_solution_or_hidden_test(student_edition):
    files = [path for path in student_edition.rglob("*") if path.is_file()]
    assert sum(path.suffix == ".html" for path in files) > 10 and sum(path.suffix == ".py" for path in files) > 10
    assert secret_lines.leaks_in_tree(student_edition) == []


def test_buttons_install_cell_readme_and_version_point_at_the_release(student_edition):
    current = edition.read()
    part2 = nbformat.read(str(student_edition / publish.EXERCISE_NOTEBOOKS[1]), as_version=4)
    assert any(current.install_line("    ") in cell.source.splitlines() for cell in part2.cells)
    for notebook in publish.EXERCISE_NOTEBOOKS:
        page = (student_edition / "docs" / notebook).with_suffix(".html").read_text(encoding="utf-8")
        assert current.colab_url(notebook) in page
    readme = (student_edition / "README.md").read_text(encoding="utf-8")
    for fact in (current.site_url, current.install_spec, current.colab_url(publish.EXERCISE_NOTEBOOKS[0])):
        assert fact in readme
    assert "English summary" in readme
    assert f'version = "{current.version}"' in (student_edition / "pyproject.toml").read_text(encoding="utf-8")
    assert json.loads((student_edition / publish.MARKER).read_text(encoding="utf-8"))["tag"] == current.tag


def test_the_package_builds_and_passes_twine_check(edition_copy, tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(dist), str(edition_copy)],
                   check=True, capture_output=True, timeout=600)
    result = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, sorted(dist.iterdir()))],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.count("PASSED") == 2, result.stdout + result.stderr
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(next(dist.glob("*.whl"))) as wheel:
        wheel.extractall(unpacked / "wheel")
        assert {name.split("/")[0] for name in wheel.namelist()} == {"abcrnn", f"abcrnn-{edition.read().version}.dist-info"}
    with tarfile.open(next(dist.glob("*.tar.gz"))) as sdist:
        sdist.extractall(unpacked / "sdist", filter="data")
    assert secret_lines.leaks_in_tree(unpacked) == []


def test_a_leak_stops_the_publication_and_nothing_stays_written(monkeypatch, tmp_path):
    [secret] = list(secret_lines.secret_lines())[:1]
    write_tree = publish._write_tree

    def leaky_tree(dest, site, current):
        write_tree(dest, site, current)
        (dest / "docs" / "leak.html").write_text(f"<pre>{secret}</pre>", encoding="utf-8")

    monkeypatch.setattr(publish, "_write_tree", leaky_tree)
    with pytest.raises(publish.PublishError, match="розв'язки"):
        publish.publish(tmp_path / "public", dry_run=True)
    assert list((tmp_path / "public").iterdir()) == []


def test_the_placeholder_address_is_refused_outside_a_dry_run(tmp_path):
    assert edition.read().is_placeholder, "this test assumes the repository's own placeholder address"
    result = subprocess.run([sys.executable, "-m", "autograder", "publish", str(tmp_path / "public")], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "заглушка" in result.stderr
    assert not (tmp_path / "public").exists()


@pytest.mark.parametrize("where", ["inside", "foreign"])
def test_a_destination_inside_the_course_or_holding_other_files_is_refused(tmp_path, where):
    if where == "inside":
        dest = REPO / "test-artifacts" / "edition"
    else:
        dest = tmp_path / "other"
        dest.mkdir()
        (dest / "thesis.tex").write_text("моя робота", encoding="utf-8")
    with pytest.raises(publish.PublishError, match="[Тт]ека"):
        publish.publish(dest, dry_run=True)
    if where == "foreign":
        assert (dest / "thesis.tex").is_file()


def test_a_clone_of_the_public_repository_keeps_its_git_history(student_edition, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    (clone / "README.md").write_text("# створено на GitHub\n", encoding="utf-8")
    (clone / "old-page.html").write_text("з попереднього випуску", encoding="utf-8")
    (clone / publish.MARKER).write_text("{}", encoding="utf-8")  # an earlier edition lives here
    publish.publish(clone, dry_run=True)
    assert (clone / ".git" / "HEAD").is_file()
    assert not (clone / "old-page.html").exists(), "a file of an earlier release must not linger"
    assert {path.name for path in clone.iterdir()} == EXPECTED_TOP_LEVEL | {".git"}
