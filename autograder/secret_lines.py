"""The one check of "secret lines": does a text students receive hold a graded solution or a hidden test?

The secrets are the reference solutions (nbgrader's solution regions in solutions/*.ipynb) and the hidden
tests (the modules of autograder/checks/, which grade outside the student's process).

Used by the release of the exercise notebooks, the student edition (`publish`), the website's tests and
the grader's feedback. The rule, in one place:

- A **secret line** is a line of a reference solution (an nbgrader solution region), wherever else it occurs:
  a solution line repeated in a public cell of the notebook is a leak too. A line of a hidden test (a
  hidden-test or mark-scheme region, a module of autograder/checks/) is secret unless a public part of a
  notebook has it too (a visible test often repeats a hidden test's setup line: students already have it).
- Lines are compared whole, after `normalise` (spaces collapsed, a trailing comment dropped), so a
  secret line quoted inside a longer public line is no leak, and re-indenting a solution hides nothing.
- A line with fewer than MIN_ALNUM letters and digits (`c = a + b`, `return x`) says nothing specific,
  an import names only a library, `return False` could be anyone's, and the IDIOMS below are what the book
  must teach; none of them counts.
- nbgrader's region markers themselves are always a leak.
"""

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .course import SOURCE_DIRECTORY

CHECKS_DIRECTORY = Path(__file__).resolve().parent / "checks"  # the hidden tests: every line of them is secret

# The parts of a source cell that students must never see (nbgrader's default markers).
SECRET_REGIONS = (
    ("### BEGIN SOLUTION", "### END SOLUTION"),
    ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"),
    ("=== BEGIN MARK SCHEME ===", "=== END MARK SCHEME ==="),
)
MARKERS = tuple(marker for region in SECRET_REGIONS for marker in region)
MIN_ALNUM = 8
# Lines of every PyTorch training loop: the book teaches them, so a student seeing one learns no answer.
IDIOMS = frozenset({
    "loss.backward()",
    "optimizer.step()",
    "optimizer.zero_grad()",
    "model.train()",
    "model.eval()",
    "with torch.no_grad():",
    "super().__init__()",
})
# Files that are not text (images, fonts, audio) are skipped; everything else is read as UTF-8.
BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".ico", ".svg", ".woff", ".woff2", ".ttf", ".eot", ".otf",
                   ".mp3", ".wav", ".ogg", ".pt", ".pdf", ".zip", ".gz", ".whl", ".pickle", ".db", ".pyc"}
_COMMENT = re.compile(r"\s#\s.*$")
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Leak:
    path: str
    line: str  # the secret line found (or the marker)

    def __str__(self):
        return f"{self.path}: {self.line}"


def normalise(line):
    """A line as compared: spaces collapsed, a trailing `# comment` dropped (a comment line is kept as is)."""
    stripped = line.strip()
    if not stripped.startswith("#"):
        stripped = _COMMENT.sub("", stripped)
    return " ".join(stripped.split())


def _regions(source):
    """(solution lines, hidden-test lines, public lines) of one cell's source."""
    solution, hidden, public, region = [], [], [], None
    for line in source.splitlines():
        if region is None:
            region = next((pair for pair in SECRET_REGIONS if pair[0] in line), None)
            if region is None:
                public.append(line)
        elif region[1] in line:
            region = None
        else:
            (solution if region == SECRET_REGIONS[0] else hidden).append(line)
    return solution, hidden, public


def _cells(notebook):
    """Cell sources of a notebook given as a path or as a parsed notebook (dict or nbformat node); a Python
    file (a module of hidden tests) is one cell that is secret from its first line to its last."""
    if isinstance(notebook, (str, Path)) and Path(notebook).suffix == ".py":
        return [f"{SECRET_REGIONS[1][0]}\n{Path(notebook).read_text(encoding='utf-8')}\n{SECRET_REGIONS[1][1]}"]
    if isinstance(notebook, (str, Path)):
        with open(notebook, encoding="utf-8") as handle:
            notebook = json.load(handle)
    return [("".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for c in notebook.get("cells", [])]


# Lines that could be anyone's: an import, or a bare statement returning or raising a single name.
_GENERIC = re.compile(r"^(?:@\w+|import [\w., ]+|from [\w.]+ import [\w., ()*]+|(?:return|yield|raise) [\w.]+(?:\(\))?)$")


def _is_telling(line):
    return (line and not line.startswith("#") and line not in IDIOMS and not _GENERIC.match(line)
            and sum(ch.isalnum() for ch in line) >= MIN_ALNUM)


def secret_lines(sources=None):
    """{normalised secret line: where it comes from} of nbgrader sources: paths or parsed notebooks
    (default: every notebook in solutions/ and every module of hidden tests in autograder/checks/)."""
    if sources is None:
        sources = sorted(SOURCE_DIRECTORY.glob("*/*.ipynb")) + sorted(CHECKS_DIRECTORY.glob("*.py"))
    solutions, hidden, public = {}, {}, set()
    for number, notebook in enumerate(sources):
        origin = Path(notebook).name if isinstance(notebook, (str, Path)) else f"notebook {number + 1}"
        for source in _cells(notebook):
            answer, test, shown = _regions(source)
            public.update(normalise(line) for line in shown)
            for line in answer:
                solutions.setdefault(normalise(line), origin)
            for line in test:
                hidden.setdefault(normalise(line), origin)
    found = {line: origin for line, origin in hidden.items() if line not in public and _is_telling(line)}
    found.update((line, origin) for line, origin in solutions.items() if _is_telling(line))
    return found


def text_lines(text, html_markup=False):
    """The normalised lines of a text (of HTML: its text, tags removed and entities decoded)."""
    if html_markup:
        text = html.unescape(_TAG.sub("", text))
    return {normalise(line) for line in text.splitlines()}


def leaks_in_text(text, secrets, label="", html_markup=False):
    """Leaks found in one text: each marker present, each secret line present as a whole line."""
    found = [Leak(label, marker) for marker in MARKERS if marker in text]
    lines = text_lines(text, html_markup)
    found += [Leak(label, line) for line in sorted(lines & secrets.keys())]
    if not html_markup and "<" in text and ">" in text:  # HTML inside other files (notebook outputs, JSON)
        found += [Leak(label, line) for line in sorted((text_lines(text, True) - lines) & secrets.keys())]
    return found


def notebook_text(notebook):
    """Every text of a notebook (dict or nbformat node): cell sources and textual outputs."""
    parts = []
    for cell in notebook.get("cells", []):
        source = cell.get("source", "")
        parts.append("".join(source) if isinstance(source, list) else source)
        for output in cell.get("outputs", []):
            for key in ("text", "evalue"):
                if key in output:
                    value = output[key]
                    parts.append("".join(value) if isinstance(value, list) else str(value))
            parts.extend("\n".join(output.get("traceback", [])).splitlines())
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") or mime.endswith("json"):
                    parts.append("".join(value) if isinstance(value, list) else str(value))
    return "\n".join(parts)


def leaks_in_file(path, secrets, label=None):
    path = Path(path)
    label = label or str(path)
    if path.suffix.lower() in BINARY_SUFFIXES:
        return []
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return []
    if path.suffix == ".ipynb":
        try:
            text = notebook_text(json.loads(text))
        except (ValueError, AttributeError):
            pass  # not a notebook after all: checked as plain text
    return leaks_in_text(text, secrets, label, html_markup=path.suffix.lower() in (".html", ".htm"))


def leaks_in_tree(root, secrets=None):
    """Every leak in every file under `root` (paths in the result are relative to it)."""
    root = Path(root)
    secrets = secret_lines() if secrets is None else secrets
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and ".git" not in path.relative_to(root).parts:
            found += leaks_in_file(path, secrets, label=path.relative_to(root).as_posix())
    return found
