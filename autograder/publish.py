"""`python -m autograder publish DEST`: the student edition, a tree an instructor pushes to a public repository.

What students may receive, and nothing else:
- `docs/`: the built website (GitHub Pages serves it from the `main` branch, folder `/docs`; `.nojekyll`
  keeps Pages from hiding Sphinx's `_static/`), its Colab and repository buttons pointing at the public
  repository and release in `_config.yml`;
- `exercises/`: the released notebooks (Part 2 installs the package of this very release);
- `abcrnn/`, `pyproject.toml` (its version is the release tag's), `LICENSE`, a Ukrainian `README.md` for
  students (autograder/templates/student_README.md.j2).
Solutions, hidden tests, the grader, tests and benchmarks never go there; before anything is kept, every file
written is checked with the one secret-lines check (autograder/secret_lines.py).

DEST is made to hold exactly this tree: a clone of the public repository keeps its `.git`, everything else is
replaced. The site is not built here (`make publish` builds it first); a site older than its sources, or built
for another address or tag, is refused.
"""

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import edition, secret_lines
from .course import ASSIGNMENTS, REPOSITORY_ROOT, released_notebook
from .release import IGNORED_NAMES, release

SITE = REPOSITORY_ROOT / "_build" / "html"
TEMPLATES = Path(__file__).resolve().parent / "templates"
MARKER = ".abcrnn-edition"  # written into DEST: a later publish may replace a tree that has it
# What a freshly created GitHub repository may already hold: DEST with only these is taken as empty.
NEW_REPOSITORY_FILES = {".git", "README.md", "LICENSE", ".gitignore", ".gitattributes", MARKER}
# What the website is built from: a site older than any of these is stale. The chapters draw their tables and
# figures from the committed benchmark results, so a new result makes the site stale too.
SITE_SOURCES = ("book", "exercises", "abcrnn", "locales", "_config.yml", "_toc.yml", "benchmarks/results")
EXERCISE_NOTEBOOKS = tuple(released_notebook(name).relative_to(REPOSITORY_ROOT).as_posix() for name in ASSIGNMENTS)


class PublishError(RuntimeError):
    """The student edition cannot be written (the message is Ukrainian, for the instructor)."""


@dataclass
class Published:
    dest: Path
    edition: edition.Edition
    files: int
    bytes: int
    dry_run: bool


def publish(dest, site=SITE, dry_run=False):
    """Write the student edition into `dest`; a Published summary. PublishError when it cannot be done."""
    current = _edition(dry_run)
    dest = Path(dest).resolve()
    _check_destination(dest)
    if release(check=True):
        raise PublishError("exercises/ застаріла щодо solutions/ чи _config.yml: спершу виконайте "
                           "`python -m autograder release` (або `make book`).")
    _check_site(Path(site), current)
    _clear(dest)
    _write_tree(dest, Path(site), current)
    leaks = secret_lines.leaks_in_tree(dest)
    if leaks:
        _clear(dest)
        raise PublishError("Видання для студентів містило б розв'язки чи приховані тести, тому нічого не "
                           "записано:\n" + "\n".join(str(leak) for leak in leaks[:20]))
    files = [path for path in dest.rglob("*") if path.is_file() and ".git" not in path.relative_to(dest).parts]
    return Published(dest, current, len(files), sum(path.stat().st_size for path in files), dry_run)


def _edition(dry_run):
    try:
        current = edition.read()
    except edition.EditionError as error:
        raise PublishError(str(error)) from error
    if current.is_placeholder and not dry_run:
        raise PublishError(f"У _config.yml (repository.url) досі адреса-заглушка {current.url}. Створіть публічний "
                           "репозиторій для студентів і впишіть його адресу (README, розділ про видання для "
                           "студентів); для пробного запуску додайте --dry-run.")
    return current


def _check_destination(dest):
    if dest == REPOSITORY_ROOT or dest.is_relative_to(REPOSITORY_ROOT) or REPOSITORY_ROOT.is_relative_to(dest):
        raise PublishError(f"Тека {dest} лежить у репозиторії курсу (або містить його): видання для студентів "
                           "пишеться в окрему теку, наприклад клон публічного репозиторію поруч.")
    if dest.exists() and not dest.is_dir():
        raise PublishError(f"{dest} — це файл, а не тека.")
    if dest.is_dir() and not (dest / MARKER).is_file():
        strangers = sorted(p.name for p in dest.iterdir() if p.name not in NEW_REPOSITORY_FILES)
        if strangers:
            raise PublishError(f"Тека {dest} не порожня і не є попереднім виданням курсу ({', '.join(strangers[:5])}): "
                               "вкажіть порожню теку або клон публічного репозиторію.")


def _newest_source_time():
    newest = 0.0
    for name in SITE_SOURCES:
        path = REPOSITORY_ROOT / name
        paths = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        newest = max([newest] + [p.stat().st_mtime for p in paths if "__pycache__" not in p.parts])
    return newest


def _check_site(site, current):
    buildinfo = site / ".buildinfo"
    if not (site / "index.html").is_file() or not buildinfo.is_file():
        raise PublishError(f"Сайт не зібрано ({site}): спершу виконайте `make book` (або `make publish`).")
    if buildinfo.stat().st_mtime < _newest_source_time():
        raise PublishError("Сайт старіший за свої джерела: зберіть його знову (`make book`).")
    for notebook in EXERCISE_NOTEBOOKS:
        page = site / Path(notebook).with_suffix(".html")
        if not page.is_file() or current.colab_url(notebook) not in page.read_text(encoding="utf-8"):
            raise PublishError(f"Сайт зібрано для іншої адреси чи тегу (на {page.name} немає посилання "
                               f"{current.colab_url(notebook)}): зберіть його знову (`make book`).")


def _clear(dest):
    """Make `dest` an empty folder, keeping a git repository's `.git`."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in dest.iterdir():
        if path.name == ".git":
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _copy_tree(source, target):
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*IGNORED_NAMES, "*.pyc"))


def _write_tree(dest, site, current):
    _copy_tree(site, dest / "docs")
    (dest / "docs" / ".nojekyll").write_text("", encoding="utf-8")
    _copy_tree(REPOSITORY_ROOT / "exercises", dest / "exercises")
    _copy_tree(REPOSITORY_ROOT / "abcrnn", dest / "abcrnn")
    shutil.copy2(REPOSITORY_ROOT / "LICENSE", dest / "LICENSE")
    (dest / "pyproject.toml").write_text(student_pyproject(current), encoding="utf-8")
    (dest / "README.md").write_text(student_readme(current), encoding="utf-8")
    (dest / ".gitignore").write_text("__pycache__/\n*.pyc\n.ipynb_checkpoints/\n.venv/\n", encoding="utf-8")
    (dest / MARKER).write_text(json.dumps({"tag": current.tag, "url": current.url, "source": _source_commit()},
                                          ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def student_pyproject(current):
    """The course's pyproject.toml with the release's version and without the instructor's tool sections."""
    text = (REPOSITORY_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    text, found = re.subn(r'^version = "[^"]*"$', f'version = "{current.version}"', text, count=1, flags=re.M)
    if not found:
        raise PublishError("У pyproject.toml немає рядка version = \"...\".")
    return re.split(r"^\[tool\.pytest[^\]]*\]$", text, maxsplit=1, flags=re.M)[0].rstrip() + "\n"


def student_readme(current):
    import jinja2

    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), keep_trailing_newline=True,
                                     undefined=jinja2.StrictUndefined)
    return environment.get_template("student_README.md.j2").render(
        tag=current.tag, site_url=current.site_url, install_spec=current.install_spec,
        colab_part1=current.colab_url(EXERCISE_NOTEBOOKS[0]), colab_part2=current.colab_url(EXERCISE_NOTEBOOKS[1]))


def _source_commit():
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPOSITORY_ROOT, capture_output=True, text=True,
                                timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None
