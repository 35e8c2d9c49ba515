"""The order in which pytest-xdist deals the test files (tests/conftest.py)."""

from conftest import LONGEST_FILES, REPO


def test_every_file_dealt_first_is_a_test_file_of_the_suite():
    """A renamed or removed file left in LONGEST_FILES would silently drop out of the order: the suite
    would go back to ending on a long file while the other workers wait."""
    assert len(set(LONGEST_FILES)) == len(LONGEST_FILES), "a file named twice"
    for path in LONGEST_FILES:
        assert path.startswith("tests/test_") and (REPO / path).is_file(), f"{path}: no such test file"
