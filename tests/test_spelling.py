"""Spelling of the Ukrainian prose: the book's chapters and the notebooks' markdown cells.

Checked with hunspell and the Debian dictionary uk_UA (package hunspell-uk). Code, math, URLs,
inline code, roles such as {cite}`...` and front matter are left out; only words with Cyrillic
letters are checked (English terms and identifiers are not Ukrainian prose). Technical terms that
the dictionary lacks go into the allow-list book/spelling_wordlist.txt, one word per line.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
WORDLIST = REPO / "book" / "spelling_wordlist.txt"
DICTIONARY = "uk_UA"

# Directives whose body is code, music or math rather than prose.
NON_PROSE_DIRECTIVES = {
    "code-cell", "code", "code-block", "sourcecode", "abc", "math", "raw", "bibliography",
    "literalinclude", "glue", "eval-rst", "mermaid", "graphviz",
}
APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})
CYRILLIC_WORD = re.compile(r"[а-щьюяєіїґА-ЩЬЮЯЄІЇҐ'\-]*[а-щьюяєіїґА-ЩЬЮЯЄІЇҐ][а-щьюяєіїґА-ЩЬЮЯЄІЇҐ'\-]*")


def prose_of_markdown(text):
    """The prose of a MyST Markdown text: code, math, directives' options, links' targets removed."""
    text = re.sub(r"\A---\n.*?\n---\n", "\n", text, flags=re.DOTALL)  # front matter
    kept = []
    fence = None  # (marker, is_prose) of the open fenced block
    for line in text.splitlines():
        stripped = line.strip()
        if fence is None:
            opening = re.match(r"^(`{3,}|~{3,}|:{3,})\s*(\{([\w:-]+)\})?\s*(\S*)", stripped)
            if opening and (opening.group(1)[0] != ":" or opening.group(2)):
                name = opening.group(3)
                is_prose = name is not None and name not in NON_PROSE_DIRECTIVES
                fence = (opening.group(1), is_prose)
                # The argument of a prose directive (an admonition's title) is prose too.
                if is_prose:
                    kept.append(stripped[opening.end(2) if opening.group(2) else opening.end(1):])
                continue
            kept.append(line)
            continue
        marker, is_prose = fence
        if stripped.startswith(marker) and set(stripped) == {marker[0]}:
            fence = None
            continue
        if is_prose and not re.match(r"^:[\w-]+:", stripped):  # directive options
            kept.append(line)
    text = "\n".join(kept)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.DOTALL)  # display math
    text = re.sub(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", " ", text, flags=re.DOTALL)
    text = re.sub(r"(?<![\\\w])\$[^$\n]+\$", " ", text)  # inline math
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", " ", text)  # roles: {cite}`...`, {doc}`...`
    text = re.sub(r"`[^`\n]*`", " ", text)  # inline code
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.DOTALL)
    text = re.sub(r"<[^>\n]+>", " ", text)  # HTML tags
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    text = re.sub(r"https?://\S+|www\.\S+", " ", text)
    text = re.sub(r"^\s*\(\S+\)=\s*$", " ", text, flags=re.MULTILINE)  # labels
    text = re.sub(r"^\s*%.*$", " ", text, flags=re.MULTILINE)  # MyST comments
    return text


def words_of(prose):
    words = set()
    for match in CYRILLIC_WORD.finditer(prose.translate(APOSTROPHES)):
        word = match.group().strip("'-")
        for part in [word] if "--" not in word else word.split("--"):
            if part:
                words.add(part)
    return words


def notebook_prose(path):
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    return "\n\n".join(
        prose_of_markdown("".join(cell.get("source", []))) for cell in cells if cell.get("cell_type") == "markdown"
    )


def allowed_words():
    if not WORDLIST.is_file():
        return set()
    lines = WORDLIST.read_text(encoding="utf-8").translate(APOSTROPHES).splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def unknown_to_hunspell(words):
    """The words hunspell's uk_UA dictionary does not know (one call for all the words)."""
    if not words:
        return set()
    result = subprocess.run(
        ["hunspell", "-d", DICTIONARY, "-l", "-i", "utf-8"],
        input="\n".join(sorted(words)) + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        timeout=120,
    )
    return {line.strip() for line in result.stdout.splitlines() if line.strip()}


def is_allowed(word, allowed):
    return word in allowed or word.lower() in allowed or word.capitalize() in allowed


def sources():
    """(path relative to the repository, prose) of every checked file."""
    found = [(path, prose_of_markdown(path.read_text(encoding="utf-8"))) for path in sorted((REPO / "book").glob("*.md"))]
    for folder in ("solutions", "exercises"):
        found += [(path, notebook_prose(path)) for path in sorted((REPO / folder).glob("*/*.ipynb"))]
    return [(str(path.relative_to(REPO)), prose) for path, prose in found]


@pytest.fixture(scope="module")
def hunspell():
    if shutil.which("hunspell") is None or not Path(f"/usr/share/hunspell/{DICTIONARY}.dic").is_file():
        message = "Не встановлено hunspell зі словником uk_UA (пакети Debian hunspell і hunspell-uk)."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


# --- the extraction itself: what is checked and what is not -------------------------------------------


def test_prose_extraction_skips_code_math_and_markup():
    text = (
        "---\nkernelspec:\n  name: пітон\n---\n"
        "Перше речення з `кодд` і $\\alphaа$ та посиланням [текст](https://приклад.укр).\n"
        "```{code-cell} ipython3\nзмінна = 1\n```\n"
        "```{note} Заголовок примітки\n:class: dropdown\nТекст примітки.\n```\n"
        "```{abc}\nT:Мелодіяя\n```\n"
        "$$\nформулаа\n$$\n"
        "Див. {cite}`ключч` і {doc}`розділл`.\n"
    )
    words = words_of(prose_of_markdown(text))
    assert {"Перше", "речення", "посиланням", "текст", "Заголовок", "примітки", "Текст"} <= words
    assert not words & {"пітон", "кодд", "змінна", "Мелодіяя", "формулаа", "ключч", "розділл", "приклад", "укр", "class"}


def test_hunspell_flags_a_misspelled_word_and_accepts_correct_ones(hunspell):
    assert unknown_to_hunspell({"мережа", "мережею", "з'явився", "нейроннна"}) == {"нейроннна"}


# --- the course's texts ---------------------------------------------------------------------------


def test_ukrainian_prose_is_spelled_correctly(hunspell):
    allowed = allowed_words()
    checked = [(name, words_of(prose)) for name, prose in sources()]
    assert any(name.startswith("book/") for name, _ in checked), "Не знайдено розділів book/*.md"
    # One hunspell run for all the words: loading the dictionary takes a second or two.
    unknown = {word for word in unknown_to_hunspell(set().union(*(words for _, words in checked))) if not is_allowed(word, allowed)}
    problems = [f"{name}: {', '.join(sorted(words & unknown))}" for name, words in checked if words & unknown]
    assert not problems, (
        "Невідомі словнику uk_UA слова (виправте написання або, якщо це термін, "
        "додайте його до book/spelling_wordlist.txt, по одному на рядок):\n" + "\n".join(problems)
    )
