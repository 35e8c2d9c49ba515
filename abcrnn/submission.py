"""How big is the notebook a student is about to hand in, against the course's limit for it?

Moodle sites commonly cap an upload at a few megabytes, and the grader reads every byte again, so each part
has a limit (SIZE_LIMITS, the one place it is written; benchmarks/submission_size.py measures the course's
own notebooks against it). The notebook is read where it lives:
- in Colab, from the page itself (the notebook is in Google Drive, not on the runtime's disk);
- in Jupyter, from the file the kernel was started for (`JPY_SESSION_NAME`; it shows the last save);
- elsewhere the size cannot be known, and the message says how to see it.
"""

import json
import os
from pathlib import Path

MB = 1_000_000
# Bytes a notebook of each part may have when it is handed in, run from top to bottom with its outputs.
SIZE_LIMITS = {
    "pt_part1_intro": 300_000,
    "pt_part2_music_generation": 2 * MB,
}


def _megabytes(size):
    return f"{size / MB:.2f}".replace(".", ",") + " МБ"


def _colab_notebook():
    """The notebook open in Colab as a dict, or None outside Colab (or when Colab does not answer)."""
    try:
        from google.colab import _message  # only in Colab
    except ImportError:
        return None
    try:
        reply = _message.blocking_request("get_ipynb", request="", timeout_sec=30)
    except Exception:  # a private Colab API: any failure only means "unknown"
        return None
    return reply.get("ipynb") if isinstance(reply, dict) else None


def _saved_notebook_path():
    """The .ipynb file of this Jupyter session, when the server told the kernel (else None)."""
    name = os.environ.get("JPY_SESSION_NAME", "")
    if name.endswith(".ipynb"):
        path = Path(name)
        if path.is_file():
            return path
    return None


def notebook_size():
    """(bytes, how they were measured) of the current notebook, or (None, None) when it cannot be known."""
    notebook = _colab_notebook()
    if notebook is not None:
        return len(json.dumps(notebook, ensure_ascii=False, indent=2).encode("utf-8")), "colab"
    path = _saved_notebook_path()
    if path is not None:
        return path.stat().st_size, "file"
    return None, None


def size_message(size, limit, source):
    """The Ukrainian message for a notebook of `size` bytes (None: unknown) against `limit`."""
    if size is None:
        return (f"Розмір зошита тут визначити не вдалося. Після завантаження (.ipynb) перевірте розмір файла: "
                f"ліміт курсу для цієї частини — {_megabytes(limit)}.")
    when = " (за останнім збереженням)" if source == "file" else ""
    text = f"Розмір зошита зараз{when} ≈ {_megabytes(size)}; ліміт курсу для цієї частини — {_megabytes(limit)}."
    if size > limit:
        text += (" Зошит завеликий: очистьте виводи клітинок з програвачами й нотами "
                 "(меню клітинки → «Очистити вивід») і збережіть зошит знову.")
    return text


def report_notebook_size(assignment):
    """Print how big the current notebook is and the limit of `assignment` (e.g. "pt_part2_music_generation")."""
    if assignment not in SIZE_LIMITS:
        raise ValueError(f"Невідоме завдання {assignment!r}; відомі: {', '.join(SIZE_LIMITS)}.")
    size, source = notebook_size()
    print(size_message(size, SIZE_LIMITS[assignment], source))
