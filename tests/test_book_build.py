"""Structure of the course website: configuration, table of contents and what the built site contains.

The checks of the configuration run anywhere; those of the built site (`_build/html`, made by
`make book`) skip with a Ukrainian message when it is missing, except in CI (env CI set), where a
missing site is a failure: there `make test` always builds the book first.
"""

import json
import re

import pytest
import yaml

from autograder import edition
from conftest import (EXERCISE_PAGES, MP3_PADDING_SECONDS, REPO, SITE, built_site, mp3_seconds, npm_abcjs, skip_or_fail,
                      toc_files)

SOURCE_SUFFIXES = (".md", ".ipynb")


def load_yaml(name):
    return yaml.safe_load((REPO / name).read_text(encoding="utf-8"))


def page_path(docname):
    return SITE / f"{docname}.html"


def test_config_sets_ukrainian_interface_and_repository():
    config = load_yaml("_config.yml")
    assert config["title"] == "Вступ до PyTorch та генерація музики за допомогою RNN"
    sphinx = config["sphinx"]
    assert sphinx["config"]["language"] == "uk", "Мова інтерфейсу сайту має бути українська (language: uk)."
    assert sphinx.get("recursive_update") is True, (
        "Без sphinx.recursive_update: true тема втрачає кнопки запуску в Colab."
    )
    assert "locales" in sphinx["config"]["locale_dirs"]
    assert (REPO / "locales" / "uk" / "LC_MESSAGES" / "sphinx.po").is_file()
    edition.read()  # a GitHub address and a release tag (autograder/edition.py checks both)
    assert config["launch_buttons"]["colab_url"].rstrip("/") == "https://colab.research.google.com"


def test_config_never_builds_solutions_or_executes_exercises():
    config = load_yaml("_config.yml")
    assert config["only_build_toc_files"] is True
    excluded = config["exclude_patterns"]
    for folder in ("solutions", "autograder", "tests", ".venv", "node_modules"):
        assert any(pattern.startswith(folder) for pattern in excluded), f"{folder}/ має бути виключено зі збирання сайту"
    assert config["execute"]["execute_notebooks"] == "cache"
    assert any("exercises" in pattern for pattern in config["execute"]["exclude_patterns"])


def test_every_toc_entry_exists():
    missing = [
        name for name in toc_files() if not any((REPO / f"{name}{suffix}").is_file() for suffix in SOURCE_SUFFIXES)
    ]
    assert not missing, f"У _toc.yml є сторінки без файлу .md чи .ipynb: {missing}"


def test_toc_lists_every_chapter_and_exercise_but_no_solution():
    files = toc_files()
    chapters = sorted(f"book/{path.stem}" for path in (REPO / "book").glob("[0-9][0-9]_*.md"))
    assert chapters, "У book/ немає розділів"
    for name in ["book/intro", *chapters, *EXERCISE_PAGES]:
        assert name in files, f"Сторінки {name} немає у змісті _toc.yml"
    assert not [name for name in files if name.startswith(("solutions/", "autograder/"))]
    assert len(files) == len(set(files)), "Сторінка згадана в _toc.yml двічі"


def test_site_has_every_toc_page():
    built_site()
    missing = [name for name in toc_files() if not page_path(name).is_file()]
    assert not missing, f"Сайт не містить сторінок: {missing}"


def test_site_holds_nothing_from_solutions_or_autograder():
    root = built_site()
    leaked = [
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and re.search(r"(^|/)(solutions|autograder)(/|$)", str(path.relative_to(root)))
    ]
    assert not leaked, f"Файли з solutions/ чи autograder/ потрапили на сайт: {leaked[:10]}"


@pytest.mark.parametrize("notebook", EXERCISE_PAGES)
def test_exercise_pages_carry_colab_link(notebook):
    built_site()
    text = page_path(notebook).read_text(encoding="utf-8")
    expected = edition.read().colab_url(f"{notebook}.ipynb")
    assert expected in text, f"На сторінці {notebook} немає кнопки Colab з адресою {expected}"


def test_chapter_pages_have_no_colab_link():
    """Colab cannot open MyST .md chapters: a button there would lead to a missing .ipynb."""
    built_site()
    for chapter in (REPO / "book").glob("*.md"):
        page = page_path(f"book/{chapter.stem}")
        if page.is_file():
            assert "colab.research.google.com/github/" not in page.read_text(encoding="utf-8"), (
                f"На сторінці розділу {chapter.name} є посилання на Colab, що веде до файлу .ipynb, якого немає в репозиторії"
            )


def test_site_uses_ukrainian_language_tag():
    built_site()
    text = page_path(toc_files()[0]).read_text(encoding="utf-8")
    assert re.search(r'<html[^>]*\blang="uk"', text), 'Сторінки мають оголошувати мову: <html lang="uk">'


WORD_FORMS = {
    "мереж": ["мережа", "мережі", "мережу", "мережею", "мережами", "мережах", "мереж"],
    "тензор": ["тензор", "тензора", "тензори", "тензорів", "тензором", "тензорами"],
    "нейронн": ["нейронна", "нейронної", "нейронний", "нейронні", "нейронними"],
}


def _load_extension(name):
    import importlib.util
    import sys

    extensions = str(REPO / "book" / "_ext")
    if extensions not in sys.path:  # as the book's build has it (_config.yml's local_extensions)
        sys.path.insert(0, extensions)
    spec = importlib.util.spec_from_file_location(name, REPO / "book" / "_ext" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _search_stemmer():
    return _load_extension("uk_search")


def test_search_stemmer_conflates_word_forms():
    stem = _search_stemmer().stem
    for expected, forms in WORD_FORMS.items():
        assert {stem(form) for form in forms} == {expected}, f"Форми слова мають звестися до «{expected}»"
    assert stem("Мережею") == "мереж", "Пошук не залежить від регістру"
    assert stem("ABC") == "abc", "Латинські слова лишаються цілими"
    assert stem("ще") == "ще" and stem("для") == "для", "Короткі слова не обрізаються"
    assert all(len(stem(word)) >= 3 for word in ("мама", "тато", "ідея", "якою")), "Основа коротша за 3 літери"


def test_search_stemmer_is_the_same_in_javascript():
    """The index is built with the Python stemmer, queries are stemmed in the browser: they must agree."""
    import shutil
    import subprocess

    if shutil.which("node") is None:
        skip_or_fail("Не знайдено node (Node.js): він потрібен і для збирання сайту.")
    module = _search_stemmer()
    words = [form for forms in WORD_FORMS.values() for form in forms] + ["навчаються", "з'явився", "LSTM", "ідея"]
    script = module.JS_STEMMER + "\nconst s = new Stemmer();\nconsole.log(JSON.stringify(" + json.dumps(words, ensure_ascii=False) + ".map(w => s.stemWord(w))));"
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(result.stdout) == [module.stem(word) for word in words]


SHORT_TUNE = "X:1\nT:Коротка\nM:6/8\nL:1/8\nK:G\nGFG GAB|c2B A2G|\n"


def test_abc_audio_is_cached_by_the_tune_text_and_the_sound_code(tmp_path, monkeypatch):
    directive = _load_extension("abc_directive")
    name = directive.render_audio(SHORT_TUNE, tmp_path)
    path = tmp_path / name
    first_write = path.stat().st_mtime_ns
    assert directive.render_audio(SHORT_TUNE, tmp_path) == name, "Та сама мелодія — той самий файл"
    assert path.stat().st_mtime_ns == first_write, "Звук мелодії, що вже є в кеші, не має синтезуватися знову"
    assert directive.render_audio(SHORT_TUNE.replace("c2B", "d2B"), tmp_path) != name, "Інша мелодія — інший файл"
    monkeypatch.setattr(directive, "_sound_code_hash", lambda: "a changed synthesizer")
    assert directive.audio_name(SHORT_TUNE) != name, "Після зміни синтезатора кеш звуку має оновитися"
    assert 1.0 < mp3_seconds(path) < 10.0


def test_abc_audio_of_a_long_tune_is_cut(tmp_path):
    from abcrnn.playback import MAX_SECONDS

    directive = _load_extension("abc_directive")
    long_tune = "X:1\nT:Довга\nM:4/4\nL:1/4\nQ:1/4=60\nK:C\n" + "C D E F|G A B c|" * 20 + "\n"
    seconds = mp3_seconds(tmp_path / directive.render_audio(long_tune, tmp_path))
    assert seconds == pytest.approx(MAX_SECONDS, abs=MP3_PADDING_SECONDS), "Звук довгої мелодії обрізається, щоб сайт був невеликим"


def _build_tiny_book(tmp_path, page):
    """sphinx-build of a one-page project with the {abc} directive; returns (exit code, output)."""
    import subprocess
    import sys

    source = tmp_path / "src"
    source.mkdir()
    (source / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(REPO / 'book' / '_ext')!r})\n"
        "extensions = ['myst_parser', 'abc_directive']\nlanguage = 'uk'\n"
        "exclude_patterns = ['node_modules']\n",
        encoding="utf-8",
    )
    (source / "index.md").write_text(page, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(source), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result.returncode, result.stdout + result.stderr


def test_abc_directive_renders_score_markup_and_audio(tmp_path):
    npm_abcjs()
    code, output = _build_tiny_book(tmp_path, f"# Пісня\n\n```{{abc}}\n:caption: Підпис\n{SHORT_TUNE}```\n\n```{{abc}}\n:audio: false\n{SHORT_TUNE}```\n")
    assert code == 0, output
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert page.count('<figure class="abcrnn-score-figure">') == 2
    assert 'id="abcrnn-score-1"' in page and 'id="abcrnn-score-2"' in page, "id мелодій нумеруються в межах сторінки, щоб кожне збирання давало той самий HTML"
    assert page.count("<audio") == 1, "`:audio: false` прибирає програвач"
    assert "<figcaption" in page and "Підпис" in page
    assert "abcjs-basic-min.js" in page and (tmp_path / "out" / "_static" / "abcjs-basic-min.js").is_file()
    audio = re.search(r'<audio[^>]* src="([^"]+)"', page).group(1)
    assert audio.startswith("_audio/") and (tmp_path / "out" / audio).is_file()


def test_abc_directive_rejects_broken_tune(tmp_path):
    npm_abcjs()
    code, output = _build_tiny_book(tmp_path, "# Пісня\n\n```{abc}\nце не мелодія\n```\n")
    assert code != 0, "Збирання з неправильним записом ABC має завершитися помилкою"
    assert "ABC" in output


# --- exercises, links between chapters and graded tasks, «what the network learned» -------------------

EXERCISE_CHAPTERS = ("02_tensors", "03_graphs", "04_neural_networks", "05_autograd", "06_rnn",
                     "07_abc_notation", "08_music_generation", "09_experiments")
PART1 = "exercises/pt_part1_intro/PT_Part1_Intro"
PART2 = "exercises/pt_part2_music_generation/PT_Part2_Music_Generation"
# Each graded task: the id of its box in the book, the chapter holding the box, its notebook, points.
TASK_BOXES = {
    "task-part1-tensors": ("02_tensors", PART1, 2),
    "task-part1-graph": ("03_graphs", PART1, 4),
    "task-part1-dense": ("04_neural_networks", PART1, 6),
    "task-part1-sequential": ("04_neural_networks", PART1, 3),
    "task-part1-subclass": ("04_neural_networks", PART1, 3),
    "task-part1-descent": ("05_autograd", PART1, 4),
    "task-part2-vectorize": ("08_music_generation", PART2, 2),
    "task-part2-batch": ("08_music_generation", PART2, 3),
    "task-part2-model": ("08_music_generation", PART2, 7),
    "task-part2-loss": ("08_music_generation", PART2, 2),
    "task-part2-train-step": ("08_music_generation", PART2, 2),
    "task-part2-generate": ("08_music_generation", PART2, 4),
}
LEARNED = REPO / "benchmarks" / "results" / "learned" / "learned.json"


def exercise_labels(chapter):
    text = (REPO / "book" / f"{chapter}.md").read_text(encoding="utf-8")
    return re.findall(r"^`{3,}\{exercise\}[^\n]*\n:label: (\S+)", text, flags=re.MULTILINE), text


def test_config_loads_sphinx_exercise():
    config = load_yaml("_config.yml")
    assert "sphinx_exercise" in config["sphinx"]["extra_extensions"]
    assert config["sphinx"]["config"]["exercise_style"] == "solution_follow_exercise"
    assert (REPO / "locales" / "uk" / "LC_MESSAGES" / "exercise.po").is_file()
    assert any(line.startswith("sphinx-exercise") for line in (REPO / "requirements.txt").read_text().splitlines())


@pytest.mark.parametrize("chapter", EXERCISE_CHAPTERS)
def test_chapter_has_three_to_six_exercises_each_with_a_dropdown_solution(chapter):
    labels, text = exercise_labels(chapter)
    assert 3 <= len(labels) <= 6, f"{chapter}: вправ {len(labels)}, а має бути від 3 до 6"
    for label in labels:
        solution = re.search(r"^`{3,}\{solution-start\} " + re.escape(label) + r"\n:class: dropdown\n", text,
                             flags=re.MULTILINE)
        assert solution, f"{chapter}: вправа {label} не має розв'язку {{solution-start}} з :class: dropdown"
    assert text.count("{solution-start}") == text.count("{solution-end}") == len(labels)


@pytest.mark.parametrize("chapter", EXERCISE_CHAPTERS)
def test_site_shows_each_exercise_with_a_collapsible_solution(chapter):
    built_site()
    labels, _ = exercise_labels(chapter)
    page = page_path(f"book/{chapter}").read_text(encoding="utf-8")
    for label in labels:
        assert f'class="exercise admonition" id="{label}"' in page, f"{chapter}: на сайті немає вправи {label}"
    assert page.count('class="solution dropdown admonition"') == len(labels), f"{chapter}: не всі розв'язки сховано"
    text = re.sub(r"<[^>]+>", " ", page)
    assert re.search(r"Вправа \d+", text) and "Розв'язок" in text, "Заголовки вправ і розв'язків мають бути українською"
    assert not re.search(r"\b(?:Solution|Exercise)\b", text), "Англійський заголовок вправи чи розв'язку"


@pytest.mark.parametrize("box", sorted(TASK_BOXES))
def test_graded_task_box_says_points_and_links_to_its_notebook(box):
    chapter, notebook, points = TASK_BOXES[box]
    source = (REPO / "book" / f"{chapter}.md").read_text(encoding="utf-8")
    start = source.index(f":name: {box}")
    opening = source.rfind("```{admonition}", 0, start)
    body = source[opening:source.index("\n```\n", start)]
    assert "Завдання зошита" in body and f"({points} бал" in body, f"{box}: назва рамки має містити бали ({points})"
    assert "Що перевіряють тести" in body, f"{box}: рамка має казати, що перевіряють тести"
    assert f"</{notebook}>" in body, f"{box}: рамка має посилатися на зошит {notebook}"
    built_site()
    page = page_path(f"book/{chapter}").read_text(encoding="utf-8")
    assert f'id="{box}"' in page, f"На сторінці {chapter} немає рамки з id {box}"


def test_lab_assignment_lists_every_task_with_a_link_to_its_box():
    built_site()
    page = page_path("book/10_lab_assignment").read_text(encoding="utf-8")
    for box, (chapter, _, _) in TASK_BOXES.items():
        assert f'href="{chapter}.html#{box}"' in page, f"У розділі 10 немає посилання на рамку {box}"


def test_learned_results_are_committed_and_complete():
    assert LEARNED.is_file(), "Немає benchmarks/results/learned/learned.json: виконайте python benchmarks/learned.py"
    assert LEARNED.stat().st_size < 300_000, "Результати для підручника мають бути невеликими"
    data = json.loads(LEARNED.read_text(encoding="utf-8"))
    assert data["tiny"] is False and data["seed"] == 42 and data["steps"] == 1000
    assert data["config"] == {"embedding_dim": 64, "hidden_size": 512, "batch_size": 32, "seq_length": 100,
                              "learning_rate": 0.003, "grad_clip": 1.0}
    assert [s["step"] for s in data["snapshots"]] == [0, 100, 300, 1000]
    assert len(data["train_losses"]) == 1000
    tune = data["tune"]
    for snapshot in data["snapshots"]:
        assert snapshot["sample"].startswith("X:") and len(snapshot["sample"]) > 500
        assert len(snapshot["tune_losses"]) == len(tune) and all(value >= 0 for value in snapshot["tune_losses"])
    assert data["snapshots"][-1]["val_loss"] < data["snapshots"][0]["val_loss"] - 2, "Модель мала навчитися"
    for unit in data["units"].values():
        assert {"description", "unit", "r_selection", "r_held_out", "r_held_out_untrained", "gain"} <= unit.keys()
        assert 0 <= unit["unit"] < 512 and -1 <= unit["r_held_out"] <= 1
    shown = data["shown_unit"]
    assert shown["feature"] == data["shown_feature"] == max(data["units"], key=lambda n: data["units"][n]["gain"])
    assert len(shown["tune_activations"]) == len(shown["tune_feature"]) == len(tune)
    assert shown["profile_held_out"]


def test_learned_section_on_site_has_figures_and_shaded_tunes():
    built_site()
    page = page_path("book/08_music_generation").read_text(encoding="utf-8")
    start = page.index('id="what-the-network-learned"')
    section = page[start:page.index('class="exercise admonition"', start)]  # up to the exercises
    images = re.findall(r'<img [^>]*src="([^"]+)"', section)
    assert len(images) >= 2, "Підрозділ «Що навчилася мережа» має показувати графіки"
    for src in images:
        assert (page_path("book/08_music_generation").parent / src).resolve().is_file(), f"Немає файла {src}"
    assert section.count('class="learned-shading"') >= 3, "Бракує мелодій, пофарбованих за втратами й нейроном"


def test_every_graded_task_links_back_to_its_chapter():
    import nbformat
    from nbgrader.utils import is_solution

    site = edition.read().site_url
    link = re.compile(re.escape(site) + r"book/(?P<page>[\w-]+)\.html#(?P<anchor>[\w-]+)")
    for path in sorted((REPO / "exercises").glob("*/*.ipynb")):
        cells = nbformat.read(str(path), as_version=4).cells
        answers = [i for i, c in enumerate(cells) if is_solution(c)]
        assert answers, path
        for index in answers:
            text = next(cells[j].source for j in range(index - 1, -1, -1) if cells[j].cell_type == "markdown")
            found = link.search(text)
            grade_id = cells[index].metadata["nbgrader"]["grade_id"]
            assert found, f"{path.name}: завдання {grade_id} не посилається на розділ підручника"
            chapter = (REPO / "book" / f"{found['page']}.md").read_text(encoding="utf-8")
            assert f":name: {found['anchor']}" in chapter or f"({found['anchor']})=" in chapter, (
                f"{path.name}: посилання завдання {grade_id} веде на відсутню мітку {found['anchor']}")
