"""Nothing that reaches students holds a reference solution or a hidden test: the released notebooks in
exercises/, and the built website when _build/html exists. (Feedback is checked where it is made, in
test_autograder_grade.py and test_autograder_real.py.)"""

import pytest

from submissions.secrets import REPO, distinctive_secret_lines, files_reaching_students, leaks


def test_secret_lines_are_found_in_a_source_and_spotted_in_a_leaky_file(tmp_path):
    # The detector itself: a toy source with a solution and a hidden test, a "release" that leaks both.
    import nbformat

    from submissions import builders

    source = tmp_path / "src.ipynb"
    nbformat.write(builders.toy_source(), str(source))
    secret = distinctive_secret_lines([source], min_length=8)
    assert "return x @ w + b" in secret
    assert any("torch.addmm" in line for line in secret)
    assert not any("неправильна форма виходу" in line for line in secret)  # a visible test is public
    leaky = tmp_path / "site" / "page.html"
    leaky.parent.mkdir()
    leaky.write_text("<pre>    return x @ w + b</pre>", encoding="utf-8")
    clean = tmp_path / "site" / "ok.html"
    clean.write_text("<p>raise NotImplementedError</p>", encoding="utf-8")
    assert leaks(secret, files_reaching_students(tmp_path / "site")) == [(str(leaky), "return x @ w + b")]


def test_no_solution_or_hidden_test_in_exercises_or_website():
    secret = distinctive_secret_lines()
    if not secret:
        pytest.skip("solutions/ ще не містить зошитів")
    files = list(files_reaching_students(REPO / "exercises", REPO / "_build" / "html"))
    assert files, "exercises/ порожня: випустіть зошити (python -m autograder release)"
    found = leaks(secret, files)
    assert found == [], "Рядки розв'язків або прихованих тестів потрапили до студентів:\n" + "\n".join(
        f"{path}: {line}" for path, line in found[:20])
