"""Spelling of the Ukrainian prose: the book's chapters and the notebooks' markdown cells.

Checked with hunspell and the Debian dictionary uk_UA (package hunspell-uk). Code, math, URLs,
inline code, roles such as {cite}`...` and front matter are left out; only words with Cyrillic
letters are checked (English terms and identifiers are not Ukrainian prose).

Two lists of words the dictionary lacks, one word per line:
- book/spelling_wordlist.txt, the allow-list: true technical terms only (логіт, гіперпараметр, ...);
- book/spelling_reviewed.txt: words a person checked that are correct but no terms (names such as
  Карпаті, abbreviations such as «англ.», rare words). They pass the word-by-word check, but they
  still count as unknown in the unknown-word rate.

The unknown-word rate — occurrences unknown to hunspell and not in the allow-list, over all word
occurrences of the prose a student reads (the book's chapters and the exercise notebooks' markdown) —
must stay at most 0.5 %. `python tests/test_spelling.py` prints it with the most frequent unknown words.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
WORDLIST = REPO / "book" / "spelling_wordlist.txt"
REVIEWED = REPO / "book" / "spelling_reviewed.txt"
MAX_UNKNOWN_RATE = 0.005
DICTIONARY = "uk_UA"

# Directives whose body is code, music or math rather than prose.
NON_PROSE_DIRECTIVES = {
    "code-cell", "code", "code-block", "sourcecode", "abc", "math", "raw", "bibliography",
    "literalinclude", "glue", "eval-rst", "mermaid", "graphviz",
}
APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})
CYRILLIC_WORD = re.compile(r"[а-щьюяєіїґА-ЩЬЮЯЄІЇҐ'\-]*[а-щьюяєіїґА-ЩЬЮЯЄІЇҐ][а-щьюяєіїґА-ЩЬЮЯЄІЇҐ'\-]*")


def prose_of_markdown(text, keep_math=False):
    """The prose of a MyST Markdown text: code, math, directives' options, links' targets removed.

    Fenced blocks nest (a ````{exercise}```` may hold a ```python block): the text inside a code-like
    block is dropped, the text inside a prose directive (note, exercise, dropdown) is kept. With
    `keep_math`, math stays (the decimal-comma check reads numbers in formulas too).
    """
    text = re.sub(r"\A---\n.*?\n---\n", "\n", text, flags=re.DOTALL)  # front matter
    kept = []
    stack = []  # (marker, is_prose) of the open fenced blocks, innermost last
    for line in text.splitlines():
        stripped = line.strip()
        if stack:
            marker = stack[-1][0]
            if stripped.startswith(marker) and set(stripped) == {marker[0]}:
                stack.pop()
                continue
        if not stack or stack[-1][1]:
            opening = re.match(r"^(`{3,}|~{3,}|:{3,})\s*(\{([\w:-]+)\})?\s*(\S*)", stripped)
            if opening and (opening.group(1)[0] != ":" or opening.group(2)):
                name = opening.group(3)
                is_prose = name is not None and name not in NON_PROSE_DIRECTIVES
                if keep_math and name == "math":
                    is_prose = True
                stack.append((opening.group(1), is_prose))
                # The argument of a prose directive (an admonition's title) is prose too.
                if is_prose:
                    kept.append(stripped[opening.end(2) if opening.group(2) else opening.end(1):])
                continue
            if stack and re.match(r"^:[\w-]+:", stripped):  # directive options
                continue
            kept.append(line)
    text = "\n".join(kept)
    if not keep_math:
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


def word_occurrences(prose):
    """Every Cyrillic word of the prose, in order, repeats included."""
    found = []
    for match in CYRILLIC_WORD.finditer(prose.translate(APOSTROPHES)):
        word = match.group().strip("'-")
        found += [part for part in ([word] if "--" not in word else word.split("--")) if part]
    return found


def words_of(prose):
    return set(word_occurrences(prose))


def notebook_prose(path):
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    return "\n\n".join(
        prose_of_markdown("".join(cell.get("source", []))) for cell in cells if cell.get("cell_type") == "markdown"
    )


def read_word_list(path):
    if not path.is_file():
        return set()
    lines = path.read_text(encoding="utf-8").translate(APOSTROPHES).splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def allowed_words():
    """The allow-list of technical terms."""
    return read_word_list(WORDLIST)


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


def sources(folders=("solutions", "exercises")):
    """(path relative to the repository, prose) of every checked file: the book and the notebooks of `folders`."""
    found = [(path, prose_of_markdown(path.read_text(encoding="utf-8"))) for path in sorted((REPO / "book").glob("*.md"))]
    for folder in folders:
        found += [(path, notebook_prose(path)) for path in sorted((REPO / folder).glob("*/*.ipynb"))]
    return [(str(path.relative_to(REPO)), prose) for path, prose in found]


def student_sources():
    """What a student reads: the book's chapters and the exercise notebooks (not the instructors' sources)."""
    return sources(folders=("exercises",))


def unknown_word_rate():
    """(rate, unknown occurrences, all occurrences, {unknown word: occurrences}) over what students read.

    Unknown means unknown to hunspell uk_UA and not in the allow-list of technical terms.
    """
    occurrences = [word for _, prose in student_sources() for word in word_occurrences(prose)]
    allowed = allowed_words()
    unknown = {word for word in unknown_to_hunspell(set(occurrences)) if not is_allowed(word, allowed)}
    counts = {}
    for word in occurrences:
        if word in unknown:
            counts[word] = counts.get(word, 0) + 1
    total = len(occurrences)
    return sum(counts.values()) / max(1, total), sum(counts.values()), total, counts


@pytest.fixture(scope="module")
def hunspell():
    if shutil.which("hunspell") is None or not Path(f"/usr/share/hunspell/{DICTIONARY}.dic").is_file():
        from conftest import skip_or_fail  # here: `python tests/test_spelling.py` runs without the repository on sys.path

        skip_or_fail("Не встановлено hunspell зі словником uk_UA (пакети Debian hunspell і hunspell-uk).")


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
    text += "````{exercise} Вправа\n```python\nкодвправи = 1\n```\nУмова вправи.\n````\n"
    words = words_of(prose_of_markdown(text))
    assert {"Перше", "речення", "посиланням", "текст", "Заголовок", "примітки", "Текст", "Умова", "вправи"} <= words
    assert "кодвправи" not in words
    assert not words & {"пітон", "кодд", "змінна", "Мелодіяя", "формулаа", "ключч", "розділл", "приклад", "укр", "class"}


def test_hunspell_flags_a_misspelled_word_and_accepts_correct_ones(hunspell):
    assert unknown_to_hunspell({"мережа", "мережею", "з'явився", "нейроннна"}) == {"нейроннна"}


# --- the course's texts ---------------------------------------------------------------------------


def test_unknown_word_rate_is_at_most_half_a_percent(hunspell):
    rate, unknown, total, counts = unknown_word_rate()
    assert total > 10000, f"Замало тексту для перевірки: {total} слів"
    print(f"Частка невідомих словнику слів: {rate:.3%} ({unknown} з {total})")
    frequent = ", ".join(f"{word} ({count})" for word, count in sorted(counts.items(), key=lambda item: -item[1])[:20])
    assert rate <= MAX_UNKNOWN_RATE, (
        f"Частка невідомих словнику uk_UA слів {rate:.2%} ({unknown} з {total}) перевищує "
        f"{MAX_UNKNOWN_RATE:.1%}. Найчастіші: {frequent}"
    )


def test_allow_list_holds_only_words_the_dictionary_lacks(hunspell):
    """An allow-list entry hunspell already knows is dead weight; a word in both lists is a contradiction."""
    allowed, reviewed = allowed_words(), read_word_list(REVIEWED)
    known = (allowed | reviewed) - unknown_to_hunspell(allowed | reviewed)
    assert not known, f"Ці слова словник уже знає, приберіть їх зі списків: {sorted(known)}"
    assert not allowed & reviewed, f"Слова в обох списках: {sorted(allowed & reviewed)}"


def test_ukrainian_prose_is_spelled_correctly(hunspell):
    allowed = allowed_words() | read_word_list(REVIEWED)
    checked = [(name, words_of(prose)) for name, prose in sources()]
    assert any(name.startswith("book/") for name, _ in checked), "Не знайдено розділів book/*.md"
    # One hunspell run for all the words: loading the dictionary takes a second or two.
    unknown = {word for word in unknown_to_hunspell(set().union(*(words for _, words in checked))) if not is_allowed(word, allowed)}
    problems = [f"{name}: {', '.join(sorted(words & unknown))}" for name, words in checked if words & unknown]
    assert not problems, (
        "Невідомі словнику uk_UA слова (виправте написання; якщо це термін, додайте його до "
        "book/spelling_wordlist.txt, якщо правильне слово, але не термін (ім'я, скорочення) — до "
        "book/spelling_reviewed.txt, по одному на рядок):\n" + "\n".join(problems)
    )


if __name__ == "__main__":
    rate, unknown, total, counts = unknown_word_rate()
    print(f"Частка невідомих словнику uk_UA слів (після списку термінів): {rate:.3%} ({unknown} з {total})")
    for word, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {word}: {count}")
