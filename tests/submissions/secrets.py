"""The lines students must never see: reference solutions and hidden tests of the nbgrader sources."""

import re
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent.parent
BLOCKS = [("### BEGIN SOLUTION", "### END SOLUTION"), ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")]


def _split(source):
    """(secret lines, public lines) of one cell."""
    secret, public, inside = [], [], None
    for line in source.splitlines():
        begin = next((b for b, e in BLOCKS if b in line), None)
        end = next((e for b, e in BLOCKS if e in line), None)
        if begin:
            inside = begin
        elif end:
            inside = None
        elif inside:
            secret.append(line.strip())
        else:
            public.append(line.strip())
    return secret, public


def distinctive_secret_lines(source_paths=None, min_length=16):
    """{line: source notebook} for solution/hidden-test lines that appear nowhere in the public parts of the
    sources (a line a student also receives, like a visible assert or code quoted in the text, is no secret)."""
    paths = source_paths or sorted((REPO / "solutions").glob("*/*.ipynb"))
    secret, public = {}, set()
    for path in paths:
        notebook = nbformat.read(str(path), as_version=4)
        for cell in notebook.cells:
            hidden, shown = _split(cell.source)
            public.update(shown)
            for line in hidden:
                secret.setdefault(line, Path(path).name)
    public_text = "\n".join(public)
    found = {}
    for line, origin in secret.items():
        code = re.sub(r"#.*$", "", line).strip()
        if len(code) >= min_length and code not in public_text:
            found[line] = origin
    return found


def files_reaching_students(*roots):
    """Text files under `roots` (missing roots are skipped)."""
    suffixes = {".ipynb", ".html", ".htm", ".txt", ".js", ".json", ".md", ".py", ".csv"}
    for root in roots:
        root = Path(root)
        if root.is_dir():
            yield from (p for p in sorted(root.rglob("*")) if p.is_file() and p.suffix.lower() in suffixes)


def leaks(lines, files):
    """[(file, line)] for every secret line found in a file."""
    found = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if path.suffix.lower() in {".html", ".htm"}:
            import html

            text = html.unescape(text)
        for line in lines:
            if line in text:
                found.append((str(path), line))
    return found
