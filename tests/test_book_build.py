"""Structure of the course website: configuration, table of contents and what the built site contains.

The checks of the configuration run anywhere; those of the built site (`_build/html`, made by
`make book`) skip with a Ukrainian message when it is missing, except in CI (env CI set), where a
missing site is a failure: there `make test` always builds the book first.
"""

import json
import os
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "_build" / "html"
REPOSITORY_URL = "https://github.com/abcrnn-course/abcrnn"
COLAB_PREFIX = "https://colab.research.google.com/github/abcrnn-course/abcrnn/blob/main/"
EXERCISE_NOTEBOOKS = (
    "exercises/pt_part1_intro/PT_Part1_Intro",
    "exercises/pt_part2_music_generation/PT_Part2_Music_Generation",
)
SOURCE_SUFFIXES = (".md", ".ipynb")


def load_yaml(name):
    return yaml.safe_load((REPO / name).read_text(encoding="utf-8"))


def toc_files(entry=None):
    """Every `file:` of _toc.yml (the root included), in order."""
    if entry is None:
        toc = load_yaml("_toc.yml")
        return [toc["root"], *toc_files(toc)]
    found = []
    for key in ("parts", "chapters", "sections"):
        for child in entry.get(key, []):
            if "file" in child:
                found.append(child["file"])
            found.extend(toc_files(child))
    return found


def site():
    if not (SITE / "searchindex.js").is_file():
        message = "Сайт підручника не зібрано (_build/html відсутній): спершу виконайте `make book`."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SITE


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
    assert config["repository"]["url"] == REPOSITORY_URL
    assert config["repository"]["branch"] == "main"
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
    for name in ["book/intro", *chapters, *EXERCISE_NOTEBOOKS]:
        assert name in files, f"Сторінки {name} немає у змісті _toc.yml"
    assert not [name for name in files if name.startswith(("solutions/", "autograder/"))]
    assert len(files) == len(set(files)), "Сторінка згадана в _toc.yml двічі"


def test_site_has_every_toc_page():
    site()
    missing = [name for name in toc_files() if not page_path(name).is_file()]
    assert not missing, f"Сайт не містить сторінок: {missing}"


def test_site_holds_nothing_from_solutions_or_autograder():
    root = site()
    leaked = [
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and re.search(r"(^|/)(solutions|autograder)(/|$)", str(path.relative_to(root)))
    ]
    assert not leaked, f"Файли з solutions/ чи autograder/ потрапили на сайт: {leaked[:10]}"


@pytest.mark.parametrize("notebook", EXERCISE_NOTEBOOKS)
def test_exercise_pages_carry_colab_link(notebook):
    site()
    text = page_path(notebook).read_text(encoding="utf-8")
    expected = f"{COLAB_PREFIX}{notebook}.ipynb"
    assert expected in text, f"На сторінці {notebook} немає кнопки Colab з адресою {expected}"


def test_chapter_pages_have_no_colab_link():
    """Colab cannot open MyST .md chapters: a button there would lead to a missing .ipynb."""
    site()
    for chapter in (REPO / "book").glob("*.md"):
        page = page_path(f"book/{chapter.stem}")
        if page.is_file():
            assert "colab.research.google.com/github/" not in page.read_text(encoding="utf-8"), (
                f"На сторінці розділу {chapter.name} є посилання на Colab, що веде до файлу .ipynb, якого немає в репозиторії"
            )


def test_site_uses_ukrainian_language_tag():
    site()
    text = page_path(toc_files()[0]).read_text(encoding="utf-8")
    assert re.search(r'<html[^>]*\blang="uk"', text), 'Сторінки мають оголошувати мову: <html lang="uk">'


WORD_FORMS = {
    "мереж": ["мережа", "мережі", "мережу", "мережею", "мережами", "мережах", "мереж"],
    "тензор": ["тензор", "тензора", "тензори", "тензорів", "тензором", "тензорами"],
    "нейронн": ["нейронна", "нейронної", "нейронний", "нейронні", "нейронними"],
}


def _load_extension(name):
    import importlib.util

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
        if os.environ.get("CI"):
            pytest.fail("Не знайдено node: він потрібен і для збирання сайту.")
        pytest.skip("Не знайдено node (Node.js).")
    module = _search_stemmer()
    words = [form for forms in WORD_FORMS.values() for form in forms] + ["навчаються", "з'явився", "LSTM", "ідея"]
    script = module.JS_STEMMER + "\nconst s = new Stemmer();\nconsole.log(JSON.stringify(" + json.dumps(words, ensure_ascii=False) + ".map(w => s.stemWord(w))));"
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(result.stdout) == [module.stem(word) for word in words]


SHORT_TUNE = "X:1\nT:Коротка\nM:6/8\nL:1/8\nK:G\nGFG GAB|c2B A2G|\n"


def test_abc_audio_is_cached_by_the_tune_text_and_the_sound_code(tmp_path, monkeypatch):
    pytest.importorskip("abcrnn")
    import soundfile

    directive = _load_extension("abc_directive")
    name = directive.render_audio(SHORT_TUNE, tmp_path)
    path = tmp_path / name
    first_write = path.stat().st_mtime_ns
    assert directive.render_audio(SHORT_TUNE, tmp_path) == name, "Та сама мелодія — той самий файл"
    assert path.stat().st_mtime_ns == first_write, "Звук мелодії, що вже є в кеші, не має синтезуватися знову"
    assert directive.render_audio(SHORT_TUNE.replace("c2B", "d2B"), tmp_path) != name, "Інша мелодія — інший файл"
    monkeypatch.setattr(directive, "_sound_code_hash", lambda: "a changed synthesizer")
    assert directive.audio_name(SHORT_TUNE) != name, "Після зміни синтезатора кеш звуку має оновитися"
    with soundfile.SoundFile(str(path)) as sound:
        assert (sound.format, sound.channels) == ("MP3", 1)
        assert 1.0 < sound.frames / sound.samplerate < 10.0


def test_abc_audio_of_a_long_tune_is_cut(tmp_path):
    pytest.importorskip("abcrnn")
    import soundfile

    from abcrnn.playback import MAX_SECONDS

    directive = _load_extension("abc_directive")
    long_tune = "X:1\nT:Довга\nM:4/4\nL:1/4\nQ:1/4=60\nK:C\n" + "C D E F|G A B c|" * 20 + "\n"
    with soundfile.SoundFile(str(tmp_path / directive.render_audio(long_tune, tmp_path))) as sound:
        seconds = sound.frames / sound.samplerate
    assert seconds == pytest.approx(MAX_SECONDS, abs=0.35), "Звук довгої мелодії обрізається, щоб сайт був невеликим"


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
    pytest.importorskip("abcrnn")
    if not (REPO / "node_modules" / "abcjs" / "dist" / "abcjs-basic-min.js").is_file():
        pytest.skip("abcjs не встановлено: виконайте `npm ci`.")
    code, output = _build_tiny_book(tmp_path, f"# Пісня\n\n```{{abc}}\n:caption: Підпис\n{SHORT_TUNE}```\n\n```{{abc}}\n:audio: false\n{SHORT_TUNE}```\n")
    assert code == 0, output
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert page.count('<figure class="abc-tune">') == 2
    assert page.count("<audio") == 1, "`:audio: false` прибирає програвач"
    assert "<figcaption" in page and "Підпис" in page
    assert "abcjs-basic-min.js" in page and (tmp_path / "out" / "_static" / "abcjs-basic-min.js").is_file()
    audio = re.search(r'<audio[^>]* src="([^"]+)"', page).group(1)
    assert audio.startswith("_audio/") and (tmp_path / "out" / audio).is_file()


def test_abc_directive_rejects_broken_tune(tmp_path):
    pytest.importorskip("abcrnn")
    if not (REPO / "node_modules" / "abcjs" / "dist" / "abcjs-basic-min.js").is_file():
        pytest.skip("abcjs не встановлено: виконайте `npm ci`.")
    code, output = _build_tiny_book(tmp_path, "# Пісня\n\n```{abc}\nце не мелодія\n```\n")
    assert code != 0, "Збирання з неправильним записом ABC має завершитися помилкою"
    assert "ABC" in output
