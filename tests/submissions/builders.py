"""Submissions built programmatically from a source notebook (never stored, so they follow the notebook)."""

import copy
import io
import random
import re
import struct
import zipfile

import nbformat
from nbgrader.utils import is_solution

from autograder.repair import is_answer_cell, is_test_cell, nbgrader_meta


def reference_answers(source_nb):
    """{answer grade_id: the reference solution, markers removed} from an nbgrader source notebook."""
    answers = {}
    for cell in source_nb.cells:
        if is_answer_cell(cell):
            lines = [l for l in cell.source.splitlines() if not re.search(r"###\s*(BEGIN|END) SOLUTION", l)]
            answers[nbgrader_meta(cell)["grade_id"]] = "\n".join(lines)
    return answers


def filled(released_nb, answers):
    """The released notebook with `answers` ({grade_id: source}) written into their answer cells."""
    nb = copy.deepcopy(released_nb)
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in answers and is_solution(cell):
            cell.source = answers[grade_id]
    return nb


def colab_roundtrip(nb, seed=0):
    """What a rough trip through Colab does: nbgrader metadata gone, Colab metadata, widgets, outputs, extra
    cells, shuffled order of non-answer cells, a foreign kernelspec."""
    nb = copy.deepcopy(nb)
    rng = random.Random(seed)
    for cell in nb.cells:
        cell.metadata = {"id": f"{rng.getrandbits(40):x}"}
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="output left in\n")]
            cell.execution_count = 1
    nb.cells.insert(1, nbformat.v4.new_code_cell("print('my scratch cell')"))
    nb.cells.append(nbformat.v4.new_markdown_cell("Мої нотатки"))
    rng.shuffle(nb.cells)
    nb.metadata = {"colab": {"provenance": []}, "kernelspec": {"name": "python3", "display_name": "Python 3"},
                   "widgets": {"application/vnd.jupyter.widget-state+json": {"abc": {"model_name": "X"}}},
                   "accelerator": "GPU"}
    return nb


def delete_cells(nb, grade_ids):
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") not in set(grade_ids)]
    return nb


def edit_test_cells(nb, new_source="pass  # мій тест завжди проходить"):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if is_test_cell(cell):
            cell.source = new_source
    return nb


def to_bytes(nb, version=4):
    if version == 3:
        return nbformat.writes(nbformat.convert(copy.deepcopy(nb), 3), version=3).encode("utf-8")
    return nbformat.writes(nb).encode("utf-8")


ZIP_TIME = (2025, 3, 1, 12, 0, 0)  # entries get a fixed time unless told, so "the latest file" is reproducible


def zip_bytes(entries, compression=zipfile.ZIP_DEFLATED):
    """A zip archive of {name or (name, date_time): bytes}."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for key, data in entries.items():
            name, date_time = key if isinstance(key, tuple) else (key, ZIP_TIME)
            info = zipfile.ZipInfo(name, date_time)
            info.compress_type = compression
            archive.writestr(info, data)
    return buffer.getvalue()


def moodle_zip(files):
    """A Moodle "download all submissions" archive: {(full name, moodle id, file name[, date_time]): bytes}."""
    return zip_bytes({(f"{key[0]}_{key[1]}_assignsubmission_file_/{key[2]}", key[3] if len(key) > 3 else ZIP_TIME): data
                      for key, data in files.items()})


NOT_UTF8_MARKER = "\u00ff\u00ff"  # put it in a name given to moodle_zip or zip_bytes, then call not_utf8_names


def not_utf8_names(zip_data):
    """The archive with NOT_UTF8_MARKER in its names turned into bytes that are not UTF-8, the UTF-8 flag kept
    (as some zip tools write names in a legacy code page yet claim UTF-8)."""
    marker = NOT_UTF8_MARKER.encode("utf-8")
    return zip_data.replace(marker, b"\xff\xfe" * (len(marker) // 2))


def _central_entries(zip_data):
    """Offsets of the central directory entries of a small zip built here."""
    with zipfile.ZipFile(io.BytesIO(zip_data)) as archive:
        start = archive.start_dir
    return [start + m.start() for m in re.finditer(b"PK\x01\x02", zip_data[start:])]


def encrypted(zip_data):
    """The archive with every entry flagged encrypted (zipfile then asks for a password)."""
    data = bytearray(zip_data)
    for at in _central_entries(zip_data):
        data[at + 8] |= 0x1
    return bytes(data)


def damaged_entry(zip_data, name):
    """The archive with the middle of one entry's stored bytes inverted: a zlib or CRC error when read."""
    data = bytearray(zip_data)
    with zipfile.ZipFile(io.BytesIO(zip_data)) as archive:
        info = archive.getinfo(name)
    name_length, extra_length = struct.unpack_from("<2H", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    for at in range(start + info.compress_size // 3, start + info.compress_size // 2):
        data[at] ^= 0xFF
    return bytes(data)


def with_lone_surrogate(notebook_bytes, marker="LONE_SURROGATE"):
    """The notebook's JSON with `marker` (put in a cell beforehand) replaced by the escape "\\ud800"."""
    assert marker.encode() in notebook_bytes
    return notebook_bytes.replace(marker.encode(), b"\\ud800")


TOY_NOTEBOOK = "PT_Part1_Intro"


def toy_source():
    """A small nbgrader source notebook with the course's conventions (for tests that must not depend on
    the real notebooks' content): two answers, visible and hidden tests, points, NBGRADER_EXECUTION."""
    def answer(grade_id, source):
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": grade_id,
                                     "schema_version": 3}
        return cell

    def test(grade_id, source, points):
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": grade_id,
                                     "points": points, "schema_version": 3}
        return cell

    cells = [
        nbformat.v4.new_markdown_cell("# Навчальний зошит для тестів автооцінювача\nУсього 5 балів."),
        nbformat.v4.new_code_cell("import os\nimport warnings\nimport torch\nFAST = bool(os.environ.get('NBGRADER_EXECUTION'))"),
        answer("tensors", "### BEGIN SOLUTION\nvector = torch.tensor([1.0, 2.0, 3.0])\n### END SOLUTION"),
        test("test_tensors_shape", "assert tuple(vector.shape) == (3,), 'vector має містити 3 числа'", 1),
        answer("dense_layer", "def dense(x, w, b):\n    ### BEGIN SOLUTION\n    return x @ w + b\n    ### END SOLUTION"),
        test("test_dense_layer_shape",
             "torch.manual_seed(0)\n_x = torch.randn(4, 3)\n"
             "assert dense(_x, torch.randn(3, 2), torch.zeros(2)).shape == (4, 2), 'неправильна форма виходу'", 1),
        test("test_dense_layer_values",
             "torch.manual_seed(1)\n_x, _w, _b = torch.randn(5, 3), torch.randn(3, 2), torch.randn(2)\n"
             "assert dense(_x, _w, _b).dtype == torch.float32, 'тип має бути float32'\n"
             "### BEGIN HIDDEN TESTS\n"
             "with warnings.catch_warnings():\n"
             "    torch.testing.assert_close(dense(_x, _w, _b), torch.addmm(_b, _x, _w), msg='значення шару неправильні')  # hidden-marker-7f3a\n"
             "### END HIDDEN TESTS", 3),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def write_toy_solutions(root):
    """solutions/pt_part1_intro/PT_Part1_Intro.ipynb under `root`; returns the solutions folder."""
    folder = root / "solutions" / "pt_part1_intro"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(toy_source(), str(folder / f"{TOY_NOTEBOOK}.ipynb"))
    return root / "solutions"


def toy_part2_source():
    """A tiny stand-in for Part 2 (to recognise a notebook of the other assignment)."""
    cell = nbformat.v4.new_code_cell("def vectorize_string(text, char2idx):\n    ### BEGIN SOLUTION\n"
                                     "    return [char2idx[c] for c in text]\n    ### END SOLUTION")
    cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": "vectorize_string",
                                 "schema_version": 3}
    test = nbformat.v4.new_code_cell("assert vectorize_string('ab', {'a': 0, 'b': 1}) == [0, 1]")
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                 "grade_id": "test_vectorize_string_values", "points": 1, "schema_version": 3}
    nb = nbformat.v4.new_notebook(cells=[cell, test])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def write_toy_part2(solutions):
    folder = solutions / "pt_part2_music_generation"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(toy_part2_source(), str(folder / "PT_Part2_Music_Generation.ipynb"))
