"""Load the reference solution of Part 2, and its training settings, from the nbgrader source notebook.

The benchmarks measure the code students are graded against, trained the way the notebook trains it, so
they take both from the one place they live (the answer cells and the settings cell of the instructor
notebook) instead of keeping second copies that could drift.
"""

import ast
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from nbgrader.utils import is_solution

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the course checkout, for autograder.course
import abcrnn  # noqa: E402
from autograder.course import settings_cell_index, source_notebook  # noqa: E402

PART2 = source_notebook("pt_part2_music_generation")

ANSWER_IDS = ("vectorize_string", "get_batch", "lstm_model", "compute_loss", "train_step", "generate_text")


def answer_sources(path=PART2):
    """Map each Part 2 answer cell's grade_id to its source (reference solution included)."""
    nb = nbformat.read(str(path), as_version=4)
    sources = {}
    for cell in nb.cells:
        grade_id = cell.metadata.nbgrader["grade_id"] if is_solution(cell) else None
        if grade_id in ANSWER_IDS:
            sources[grade_id] = cell.source
    missing = [grade_id for grade_id in ANSWER_IDS if grade_id not in sources]
    if missing:
        raise RuntimeError(f"У {path} немає клітинок-відповідей: {', '.join(missing)}")
    return sources


def notebook_settings(device, path=PART2):
    """The upper-case settings the notebook's settings cell gives on `device` outside autograding.

    The cell is run as the notebook runs it (AUTOGRADING false, `device` a torch.device), so the
    benchmark trains the CPU or GPU configuration that a student gets on that device.
    """
    namespace = {"AUTOGRADING": False, "device": torch.device(device)}
    nb = nbformat.read(str(path), as_version=4)
    index = settings_cell_index(nb)
    if index is None:
        raise RuntimeError(f"У {path} немає клітинки з NUM_STEPS =")
    exec(compile(nb.cells[index].source, "<settings>", "exec"), namespace)
    return {name: value for name, value in namespace.items() if name.isupper() and name != "AUTOGRADING"}


def notebook_constant(name, path=PART2):
    """The literal value of the one top-level `name = <literal>` in the notebook's ordinary code cells."""
    nb = nbformat.read(str(path), as_version=4)
    values = []
    for cell in nb.cells:
        if cell.cell_type != "code" or is_solution(cell) or cell.source.lstrip().startswith(("%", "!")):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # IPython syntax (%pip) in a cell that holds no setting
            continue
        values += [ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                   and [getattr(target, "id", None) for target in node.targets] == [name]]
    if len(values) != 1:
        raise RuntimeError(f"Очікувалось одне присвоєння {name} = у зошиті частини 2, знайдено {len(values)}")
    return values[0]


def load_reference(vocab, device):
    """Execute the reference answer cells in a fresh namespace set up the way the notebook sets it up.

    The notebook's functions read the globals `char2idx`, `idx2char`, `vocab`, `device`, `model` and
    `optimizer`; the returned namespace holds them, so callers assign `ns.model`/`ns.optimizer` there.
    """
    namespace = {
        "np": np,
        "torch": torch,
        "nn": nn,
        "F": F,
        "vocab": list(vocab),
        "char2idx": {char: index for index, char in enumerate(vocab)},
        "idx2char": np.array(vocab),
        "device": torch.device(device),
    }
    for grade_id, source in answer_sources().items():
        exec(compile(source, f"<{grade_id}>", "exec"), namespace)
    return _NamespaceView(namespace)


class _NamespaceView(types.SimpleNamespace):
    """Attribute access onto the exec namespace, writing through so the notebook's globals change too."""

    def __init__(self, namespace):
        object.__setattr__(self, "_namespace", namespace)

    def __getattr__(self, name):
        try:
            return self._namespace[name]
        except KeyError as error:
            raise AttributeError(name) from error

    def __setattr__(self, name, value):
        self._namespace[name] = value


@dataclass(frozen=True)
class Corpus:
    """The course's tunes split as a benchmark trains on them, and both parts as character numbers."""

    train: list
    validation: list
    train_ids: np.ndarray
    val_ids: np.ndarray


def load_with_corpus(device, seed=0):
    """(ns, Corpus): the reference solution (load_reference) over the whole corpus's vocabulary, and
    the corpus split by abcrnn.split_train_validation with `seed` (the notebook uses its SEED, 42)."""
    songs = abcrnn.load_training_data()
    train, validation = abcrnn.split_train_validation(songs, seed=seed)
    ns = load_reference(sorted(set("\n\n".join(songs))), device)
    return ns, Corpus(train, validation, ns.vectorize_string("\n\n".join(train)),
                      ns.vectorize_string("\n\n".join(validation)))
