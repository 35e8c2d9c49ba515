"""Fixtures shared by several test files."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


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
