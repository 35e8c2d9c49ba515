"""Nothing that reaches students holds a reference solution or a hidden test: the released notebooks in
exercises/ and the built website (feedback is checked where it is made, in test_autograder_grade.py and
test_autograder_real.py; the student edition in test_publish.py). One detector serves all of them:
autograder/secret_lines.py."""

import nbformat
import pytest

from autograder import publish, secret_lines
from conftest import REPO
from submissions import builders



def test_secret_lines_are_found_in_a_source_and_spotted_in_a_leaky_file(tmp_path):
    source = tmp_path / "src.ipynb"
    nbformat.write(builders.toy_source(), str(source))
    secret = secret_lines.secret_lines([source])
    assert "return x @ w + b" in secret
    assert any("torch.addmm" in line for line in secret)
    assert not any("неправильна форма виходу" in line for line in secret)  # a visible test is public
    site = tmp_path / "site"
    site.mkdir()
    (site / "page.html").write_text('<pre><span class="k">    return</span> x @ w + b  # готово</pre>',
                                    encoding="utf-8")
    (site / "ok.html").write_text("<p>raise NotImplementedError</p><p>y = return x @ w + b later</p>",
                                  encoding="utf-8")
    (site / "marker.md").write_text("text\n### BEGIN HIDDEN TESTS\n", encoding="utf-8")
    (site / "image.png").write_bytes(b"return x @ w + b")  # binary files are not read
    found = {(leak.path, leak.line) for leak in secret_lines.leaks_in_tree(site, secret)}
    assert found == {("page.html", "return x @ w + b"), ("marker.md", "### BEGIN HIDDEN TESTS")}


def test_outputs_of_a_notebook_are_checked_too(tmp_path):
    source = tmp_path / "src.ipynb"
    nbformat.write(builders.toy_source(), str(source))
    secret = secret_lines.secret_lines([source])
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)", outputs=[
        nbformat.v4.new_output("error", ename="RuntimeError", evalue="x", traceback=["    return x @ w + b"])])])
    assert [leak.line for leak in secret_lines.leaks_in_text(secret_lines.notebook_text(notebook), secret)] == [
        "return x @ w + b"]


def test_short_lines_and_idioms_are_no_secret(tmp_path):
    source = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "def f(a, b):\n    ### BEGIN SOLUTION\n    c = a + b\n    optimizer.zero_grad()\n"
        "    return torch.special_function(c)\n    ### END SOLUTION")])
    assert set(secret_lines.secret_lines([source])) == {"return torch.special_function(c)"}


def test_no_solution_or_hidden_test_in_exercises_or_website():
    secret = secret_lines.secret_lines()
    assert secret, "solutions/ не містить жодного рядка розв'язку"
    found = secret_lines.leaks_in_tree(REPO / "exercises", secret)
    site = publish.SITE
    if not (site / "index.html").is_file():
        pytest.fail("Сайт не зібрано: спершу виконайте `make book`.")
    found += secret_lines.leaks_in_tree(site, secret)
    assert found == [], "Рядки розв'язків або прихованих тестів потрапили до студентів:\n" + "\n".join(
        str(leak) for leak in found[:20])
