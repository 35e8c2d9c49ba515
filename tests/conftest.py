"""Fixtures and helpers shared by several test files (import the plain ones with `from conftest import ...`)."""

import io
import os
import shutil
import subprocess
import sys

import pytest
import soundfile
import yaml

from autograder import publish
from autograder.course import REPOSITORY_ROOT as REPO

SITE = publish.SITE  # the website `make book` builds
# The exercise notebooks as pages of the website (Sphinx's docnames: the path without .ipynb).
EXERCISE_PAGES = tuple(notebook.removesuffix(".ipynb") for notebook in publish.EXERCISE_NOTEBOOKS)
NPM_ABCJS = REPO / "node_modules" / "abcjs" / "dist" / "abcjs-basic-min.js"  # installed by `npm ci` (`make book`)
CHROMIUM = "/usr/bin/chromium"  # Debian's, driven by Playwright
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# MP3 frames pad the end of a clip: a clip cut at N seconds lasts up to this much longer once encoded.
MP3_PADDING_SECONDS = 0.35


def pytest_configure(config):
    """Under pytest-xdist (`-n`, as pyproject.toml sets), each worker keeps to its own share of the cores, and
    so does everything it starts (graders, probes, kernels, torch's threads). Without it, two workers on two
    cores each ran torch on both: the threads fought, and the suite took as long as one worker alone. This runs
    before any test file imports torch, which sizes its thread pool by the cores it may use."""
    worker, count = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if not worker or not count or not hasattr(os, "sched_setaffinity"):
        return
    cores, index, count = sorted(os.sched_getaffinity(0)), int(worker.removeprefix("gw")), int(count)
    os.sched_setaffinity(0, cores[index::count] or [cores[index % len(cores)]])


# The test files that take longest on one worker, longest first: seconds summed per file from
# `pytest --junitxml=out.xml` (a file's testcase times, its module fixtures included). pytest-xdist deals
# whole files to the workers, and by default the files with the most tests go first: the grading files,
# each a class of students in a few tests, came last, and the run ended with one worker grading alone while
# the others had nothing left to do. Dealt longest first, the short files fill the end of the run.
LONGEST_FILES = (
    "tests/test_autograder_hostile.py",
    "tests/test_benchmarks.py",
    "tests/test_autograder_dask.py",
    "tests/test_book_browser.py",
    "tests/test_autograder_real.py",
    "tests/test_part2_notebook.py",
    "tests/test_autograder_grade.py",
    "tests/test_colab.py",
    "tests/test_part1_notebook.py",
    "tests/test_autograder_bad_inputs.py",
    "tests/test_publish.py",
    "tests/test_mutants.py",
)


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` (pyproject.toml) dealing LONGEST_FILES first, in their order, then the rest as
    pytest-xdist orders them; any other mode is pytest-xdist's own. It overrides private methods of
    pytest-xdist 3.x (requirements.txt keeps it below 4)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class LongestFirst(LoadFileScheduling):
        def _assign_work_unit(self, node):
            rank = {path: index for index, path in enumerate(LONGEST_FILES)}
            first = min(self.workqueue, key=lambda path: rank.get(path, len(rank)))
            if first in rank:
                self.workqueue.move_to_end(first, last=False)
            super()._assign_work_unit(node)

        def _reschedule(self, node):
            # pytest-xdist sends a worker more when 2 of its tests are left; then a file behind a long
            # second-to-last test waits there while another worker may be idle. A worker runs a test only
            # once it holds the next one (or the order to stop), so 1 left is the latest it can be sent.
            if self.workqueue and not node.shutting_down and self._pending_of(self.assigned_work[node]) > 1:
                return
            super()._reschedule(node)

    return LongestFirst(config, log)


def skip_or_fail(message):
    """Skip with `message` (Ukrainian), except in CI (env CI set), where what is missing is a failure: there
    `make test` installs and builds everything first."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def built_site():
    """The built website; skip (fail in CI) when `make book` has not built it."""
    if not (SITE / "searchindex.js").is_file():
        skip_or_fail("Сайт підручника не зібрано (_build/html відсутній): спершу виконайте `make book`.")
    return SITE


def npm_abcjs():
    """abcjs as npm installs it for the website; skip (fail in CI) without `npm ci`."""
    if not NPM_ABCJS.is_file():
        skip_or_fail("abcjs не встановлено: виконайте `npm ci`.")
    return NPM_ABCJS


def toc_files():
    """Every `file:` of _toc.yml (the root first), in order: the docnames of the website's pages."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    found = [toc["root"]]

    def walk(entry):
        for key in ("parts", "chapters", "sections"):
            for child in entry.get(key, []):
                if "file" in child:
                    found.append(child["file"])
                walk(child)

    walk(toc)
    return found


def mp3_seconds(source):
    """Length in seconds of the tune's sound `source` (a path or the bytes), which must be an MP3 in mono as
    the website and the players serve it."""
    with soundfile.SoundFile(io.BytesIO(source) if isinstance(source, bytes) else str(source)) as sound:
        assert (sound.format, sound.channels) == ("MP3", 1), f"{sound.format}, каналів {sound.channels}: це не MP3 моно"
        return sound.frames / sound.samplerate


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium, one per test file (Playwright's event loop must not outlive it); skip (fail in CI)
    without it or without Playwright."""
    if not os.path.exists(CHROMIUM):
        skip_or_fail(f"Не знайдено браузер {CHROMIUM}: встановіть пакет Debian chromium.")
    try:
        from playwright import sync_api
    except ImportError:
        skip_or_fail("Не встановлено пакет playwright (див. requirements.txt).")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def student_edition(tmp_path_factory):
    """The student edition as `python -m autograder publish --dry-run` writes it (the site must be built:
    `make test` builds it first). Tests that write into the tree work on their own copy."""
    dest = tmp_path_factory.mktemp("edition") / "public"
    result = subprocess.run([sys.executable, "-m", "autograder", "publish", str(dest), "--dry-run"], cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return dest


@pytest.fixture
def edition_copy(student_edition, tmp_path):
    copy = tmp_path / "public"
    shutil.copytree(student_edition, copy)
    return copy
