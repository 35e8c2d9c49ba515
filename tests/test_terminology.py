"""One term for one idea in everything a student reads, and Ukrainian decimal commas in its prose.

The terms, their banned variants and the contexts where a variant is right live in
book/terminology.yml (the glossary shows them as a table). Scanned: the book's chapters (book/*.md, all
of their text: prose, code comments, strings), the exercise notebooks (markdown cells, and comments and
string literals of code cells), README.md, the README of the student edition
(autograder/templates/student_README.md.j2) and the grader's feedback texts (string literals of
autograder/messages.py).
"""

import io
import json
import re
import sys
import tokenize
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_spelling import prose_of_markdown  # noqa: E402

from autograder.publish import EXERCISE_NOTEBOOKS  # noqa: E402

TERMINOLOGY = REPO / "book" / "terminology.yml"


# A decimal number written with a point, and the contexts where a point is right (versions, numbered
# headings are dropped before the check).
DECIMAL = re.compile(r"(?<![\w.,/=-])\d+\.\d+(?!\.\d)(?!\w)")  # "1.2." ends a sentence; "1.2.3" is a version
VERSION_CONTEXT = re.compile(
    r"(?:Python|PyTorch|torch|ABC|Book|Sphinx|nbgrader|music21|abcjs|Jupyter|версі\w*|стандарт\w*)\s+\d+\.\d+",
    re.IGNORECASE,
)


def load_terms():
    return yaml.safe_load(TERMINOLOGY.read_text(encoding="utf-8"))["terms"]


def code_text(source):
    """Comments and string literals of a code cell (IPython magics and shell lines are skipped)."""
    lines = [line if not line.lstrip().startswith(("%", "!")) else "" for line in source.splitlines()]
    parts = []
    try:
        for token in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            if token.type in (tokenize.COMMENT, tokenize.STRING):
                parts.append(token.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        parts = re.findall(r"#.*$|\"[^\"\n]*\"|'[^'\n]*'", "\n".join(lines), flags=re.MULTILINE)
    return "\n".join(parts)


def notebook_cells(path):
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        source = cell.get("source", "")
        yield cell.get("cell_type"), "".join(source) if isinstance(source, list) else source


def student_texts():
    """(file relative to the repository, text) of everything the terminology check reads."""
    texts = [(f"book/{path.name}", path.read_text(encoding="utf-8")) for path in sorted((REPO / "book").glob("*.md"))]
    for name in EXERCISE_NOTEBOOKS:
        path = REPO / name
        if path.is_file():
            parts = [source if kind == "markdown" else code_text(source) for kind, source in notebook_cells(path)]
            texts.append((name, "\n\n".join(parts)))
    readme = REPO / "README.md"
    if readme.is_file():
        texts.append(("README.md", readme.read_text(encoding="utf-8")))
    student_readme = REPO / "autograder" / "templates" / "student_README.md.j2"
    if student_readme.is_file():
        texts.append(("autograder/templates/student_README.md.j2", student_readme.read_text(encoding="utf-8")))
    messages = REPO / "autograder" / "messages.py"
    if messages.is_file():
        texts.append(("autograder/messages.py", code_text(messages.read_text(encoding="utf-8"))))
    return texts


def student_prose():
    """(file, prose with math) for the decimal-comma check: the book's prose and the notebooks' markdown."""
    found = [(f"book/{path.name}", prose_of_markdown(path.read_text(encoding="utf-8"), keep_math=True))
             for path in sorted((REPO / "book").glob("*.md"))]
    for name in EXERCISE_NOTEBOOKS:
        path = REPO / name
        if path.is_file():
            found.append((name, "\n\n".join(prose_of_markdown(source, keep_math=True)
                                            for kind, source in notebook_cells(path) if kind == "markdown")))
    return found


def banned_occurrences(text, term):
    """The matches of a term's banned patterns in `text` that lie outside its allowed contexts."""
    allowed = [match.span() for pattern in term.get("allowed", [])
               for match in re.finditer(pattern, text, flags=re.IGNORECASE)]
    spans = sorted({match.span() for pattern in term["patterns"]
                    for match in re.finditer(pattern, text, flags=re.IGNORECASE)
                    if not any(start <= match.start() and match.end() <= end for start, end in allowed)})
    merged = []  # overlapping matches of different patterns are one occurrence («встановлює пакет курсу»)
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return [(text.count("\n", 0, start) + 1, text[start:end]) for start, end in merged]


def decimal_points(prose):
    """(line, number) of each decimal number written with a point, outside versions and numbered headings."""
    found = []
    for number, line in enumerate(prose.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        versions = [match.span() for match in VERSION_CONTEXT.finditer(line)]
        for match in DECIMAL.finditer(line):
            if not any(start <= match.start() and match.end() <= end for start, end in versions):
                found.append((number, match.group()))
    return found


def test_terminology_file_is_well_formed():
    terms = load_terms()
    ids = [term["id"] for term in terms]
    assert len(ids) == len(set(ids)), "Повтор ідентифікатора терміна в book/terminology.yml"
    for term in terms:
        assert term["preferred"] and term["banned"] and term["patterns"], term["id"]
        for pattern in term["patterns"] + term.get("allowed", []):
            re.compile(pattern)
        # Each banned variant shown in the glossary is caught by the term's patterns.
        for variant in term["banned"]:
            assert any(re.search(pattern, variant, flags=re.IGNORECASE) for pattern in term["patterns"]), (
                f"{term['id']}: варіант «{variant}» не ловить жоден шаблон")
        # The preferred term itself is never banned.
        for preferred in re.split(r"[,;]\s*|\s*\(", term["preferred"]):
            preferred = preferred.strip(" )")
            if preferred:
                assert not banned_occurrences(preferred, term), f"{term['id']}: шаблон ловить сам термін «{preferred}»"


def test_banned_variant_is_found_and_allowed_context_is_not():
    terms = {term["id"]: term for term in load_terms()}
    assert banned_occurrences("Відкрийте ноутбук і збережіть сесію.", terms["notebook"])
    assert banned_occurrences("У цьому ноутбуці", terms["notebook"])
    assert not banned_occurrences("виберіть **Файл → Відкрити блокнот** (*File → Open notebook*)", terms["notebook"])
    assert banned_occurrences("Блокнот лежить на Диску.", terms["notebook"])
    assert banned_occurrences("Перша клітинка встановлює пакет курсу `abcrnn`.", terms["software-package"])
    assert not banned_occurrences("Пакет із 8 послідовностей по 100 кроків.", terms["software-package"])
    assert not banned_occurrences("(англ. *character-level language model*)", terms["char-level"])
    assert banned_occurrences("навчите character-level LSTM", terms["char-level"])
    assert not banned_occurrences("чесність (результати мають відповідати зошитам)", terms["fair-comparison"])
    assert banned_occurrences("щоб порівняння було чесним", terms["fair-comparison"])
    assert not banned_occurrences("збірки О'Нілла", terms["oneill"])
    assert banned_occurrences("збірки О'Ніла", terms["oneill"])


def test_decimal_check_reads_prose_and_math_but_not_code_or_versions():
    prose = prose_of_markdown(
        "Крок $\\eta = 0.05$ і 0,5 та `lr=0.1`.\nСтандарт ABC 2.1 і Python 3.11.\n### 4.1. Розділ\n"
        "```{code-cell} ipython3\nx = 0.25\n```\n", keep_math=True)
    assert [number for _, number in decimal_points(prose)] == ["0.05"]


def test_student_texts_use_the_preferred_terms():
    texts = student_texts()
    assert any(name == "README.md" for name, _ in texts) and any(name.startswith("book/") for name, _ in texts)
    problems = []
    for name, text in texts:
        for term in load_terms():
            found = banned_occurrences(text, term)
            if found:
                where = "; ".join(f"рядок {line}: «{match}»" for line, match in found)
                problems.append(f"{name}: {term['id']} — замість «{term['preferred']}» ({where})")
    assert not problems, "Заборонені варіанти термінів (див. book/terminology.yml):\n" + "\n".join(problems)


def test_prose_uses_decimal_commas():
    problems = []
    for name, prose in student_prose():
        found = decimal_points(prose)
        if found:
            problems.append(f"{name}: " + ", ".join(f"рядок {line}: {number}" for line, number in found))
    assert not problems, (
        "У тексті дробові числа пишуть з комою (0,5; у формулах — 0{,}5), код — у зворотних лапках:\n"
        + "\n".join(problems))


@pytest.mark.parametrize("name", EXERCISE_NOTEBOOKS)
def test_notebooks_are_scanned(name):
    text = dict(student_texts())[name]
    assert len(text) > 1000, f"{name}: замало тексту — чи читаються клітинки зошита?"
