"""Rebuild a submission from the released notebook: never trust the structure of what a student hands in.

Colab strips nbgrader's cell metadata, students reorder, delete, duplicate and edit cells. So the notebook
that gets graded is always a fresh copy of the released one; only the student's answer cells are copied in,
found by their nbgrader grade_id when Colab kept it, else by the names the answer defines
(`def compute_loss`, `class LSTMModel`, `tensor_a = ...`). Test cells always come from the release (nbgrader
then restores their hidden part from the gradebook). An answer that UTF-8 cannot write (a lone surrogate such as
the JSON escape "\\ud800") makes the file ungradable, before it reaches anything that writes it.
"""

import ast
import copy
import json
import re
from dataclasses import dataclass, field

import nbformat

from .collect import has_surrogates
from .messages import t


class SubmissionError(Exception):
    """The file cannot be graded at all; the message (Ukrainian) says why."""


@dataclass
class Rebuilt:
    notebook: nbformat.NotebookNode
    answers: dict  # grade_id -> the student's source copied in
    matched_by: dict  # grade_id -> "metadata" | "content"
    missing: list = field(default_factory=list)  # answer grade_ids not found in the submission


def nbgrader_meta(cell):
    """The cell's nbgrader metadata (grade_id, points...): {} when it has none, as after Colab."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


# The kind of a cell is nbgrader's to say (nbgrader.utils). nbgrader and nbconvert are imported when first
# needed, so that a refused command line answers before they are loaded.
def is_answer_cell(cell):
    """A code cell the student writes: an nbgrader solution cell that is not graded itself."""
    from nbgrader.utils import is_grade, is_solution

    return cell.cell_type == "code" and bool(is_solution(cell)) and not is_grade(cell)


def is_test_cell(cell):
    """A graded test cell: an nbgrader grade cell that is not a solution."""
    from nbgrader.utils import is_grade, is_solution

    return cell.cell_type == "code" and bool(is_grade(cell)) and not is_solution(cell)


def read_submission(data):
    """The submitted bytes as an nbformat 4 notebook; SubmissionError with the reason when impossible."""
    if data is None or not data.strip():
        raise SubmissionError(t("empty_file"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SubmissionError(t("not_utf8"))
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise SubmissionError(t("not_json"))
    if not isinstance(raw, dict) or not ("cells" in raw or "worksheets" in raw):
        raise SubmissionError(t("not_notebook"))
    try:
        # nbformat converts old notebooks (v3 keeps cells in "worksheets") to v4.
        notebook = nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat raises several kinds for malformed files
        raise SubmissionError(t("bad_notebook", error=str(error)[:200]))
    for cell in notebook.cells:
        _normalize_cell(cell)
    return notebook


def _normalize_cell(cell):
    """A cell whose source is text and whose nbgrader metadata, when kept, is a dict naming its grade_id by
    text; other nbgrader metadata is dropped, as Colab does (the answer is then found by its content)."""
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        source = "".join(source)
    if not isinstance(source, str):
        raise SubmissionError(t("bad_notebook", error=f"source: {type(source).__name__}"))
    cell["source"] = source
    meta = cell.get("metadata", {}).get("nbgrader")
    if meta is not None and not (isinstance(meta, dict) and isinstance(meta.get("grade_id", ""), str)):
        del cell["metadata"]["nbgrader"]


def _strip_magics(source):
    """Source without IPython-only lines (magics, shell escapes), so that `ast` can read it."""
    return "\n".join("" if re.match(r"\s*[%!]", line) else line for line in source.splitlines())


def defined_names(source):
    """Names a cell defines at top level: functions, classes and assigned variables."""
    try:
        tree = ast.parse(_strip_magics(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # A cell that does not parse may still be the student's (broken) answer: look for the keywords.
        return set(re.findall(r"^\s*(?:def|class)\s+(\w+)", source, flags=re.MULTILINE))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        names.add(leaf.id)
    return names


def answer_signatures(source_notebook):
    """{answer grade_id: names its reference solution defines} from the instructor's source notebook."""
    signatures = {}
    for cell in source_notebook.cells:
        if is_answer_cell(cell):
            signatures[nbgrader_meta(cell)["grade_id"]] = defined_names(cell.source)
    return signatures


def _normalized(source):
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def rebuild(released, submission, signatures):
    """A fresh copy of `released` holding the student's answers found in `submission`."""
    from nbconvert.preprocessors import ClearOutputPreprocessor

    fresh, _ = ClearOutputPreprocessor().preprocess(copy.deepcopy(released), {})
    answer_cells = {nbgrader_meta(c)["grade_id"]: c for c in fresh.cells if is_answer_cell(c)}
    # Code that is not an answer: the release's own cells (tests, set-up) as the student received them.
    released_code = {_normalized(c.source) for c in fresh.cells if c.cell_type == "code" and not is_answer_cell(c)}

    found, matched_by, used = {}, {}, set()
    # 1. nbgrader metadata kept (Jupyter, VS Code, sometimes Colab). A duplicated cell: the last copy wins.
    for index, cell in enumerate(submission.cells):
        grade_id = nbgrader_meta(cell).get("grade_id")
        if cell.get("cell_type") == "code" and grade_id in answer_cells:
            if grade_id in found:
                used.discard(found[grade_id][0])
            found[grade_id] = (index, cell.source)
            matched_by[grade_id] = "metadata"
            used.add(index)
    # 2. Metadata lost: the code cell that defines the answer's names. Names defined by several candidates
    # go to the cell sharing the most of them, the later cell on a tie (the student's latest attempt).
    for grade_id, expected in signatures.items():
        if grade_id in found or grade_id not in answer_cells or not expected:
            continue
        best, best_score = None, 0
        for index, cell in enumerate(submission.cells):
            if index in used or cell.get("cell_type") != "code":
                continue
            if _normalized(cell.source) in released_code:
                continue
            score = len(defined_names(cell.source) & expected)
            if score and score >= best_score:
                best, best_score = index, score
        if best is not None:
            found[grade_id] = (best, submission.cells[best].source)
            matched_by[grade_id] = "content"
            used.add(best)
    for grade_id, (_, source) in found.items():
        answer_cells[grade_id].source = source
    missing = [g for g in answer_cells if g not in found]
    return Rebuilt(fresh, {g: s for g, (_, s) in found.items()}, matched_by, missing)


def refuse_unwritable(answers):
    """SubmissionError when an answer ({grade_id: source}) holds text that UTF-8 cannot encode."""
    unwritable = [grade_id for grade_id, source in answers.items() if has_surrogates(source)]
    if unwritable:
        raise SubmissionError(t("bad_characters", cells=", ".join(unwritable)))


def looks_like(notebook, signatures):
    """How many of an assignment's answers this notebook seems to contain (by grade_id or defined names)."""
    ids = {nbgrader_meta(c).get("grade_id") for c in notebook.cells}
    names = set()
    for cell in notebook.cells:
        if cell.get("cell_type") == "code":
            names |= defined_names(cell.source)
    return sum(1 for grade_id, expected in signatures.items() if grade_id in ids or (expected and expected <= names))


def other_assignment(notebook, signatures, other_signatures):
    """The name of the other assignment this notebook is, or None: one whose answers it holds a larger share of
    than of this assignment's (`signatures`). Common names (`model`, `history`) make a notebook of one part
    look a little like the other, so a share, not a mere match, decides."""
    best, best_share = None, _share(notebook, signatures)
    for name, other in other_signatures.items():
        share = _share(notebook, other)
        if share > best_share:
            best, best_share = name, share
    return best


def _share(notebook, signatures):
    return looks_like(notebook, signatures) / len(signatures) if signatures else 0.0
