"""How big is a finished notebook, as a student hands it in? (prints figures; not a test)

    .venv/bin/python benchmarks/submission_size.py [--steps N] [--assignment NAME]

Runs each reference notebook (solutions/) from top to bottom on the CPU with the notebook's own defaults,
exactly as a student would (Part 2 trains its full default, about 10 minutes on 2 cores), saves it with
its outputs, and prints its size against the course's limit (abcrnn.submission.SIZE_LIMITS), the bytes
taken by each kind of output, and the largest cells. `--steps N` shortens Part 2's training for a quick look
(the figures are then not the course's). Results go to benchmarks/results/submission_size.json.
"""

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

from abcrnn.submission import SIZE_LIMITS  # noqa: E402
from autograder.course import settings_cell_index, source_notebook  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "submission_size.json"


def output_kind(output):
    if output.output_type == "stream":
        return f"stream/{output.name}"
    if output.output_type == "error":
        return "error"
    data = output.get("data", {})
    if "text/html" in data and "data:audio/mpeg" in data["text/html"]:
        return "player (audio/mpeg)"
    if "text/html" in data and "abcrnn-score" in data["text/html"]:
        return "score (abcjs html)"
    return next((mime for mime in ("image/png", "application/vnd.jupyter.widget-view+json", "text/html")
                 if mime in data), "text/plain")


def slowest_cells(notebook, count=3):
    """[(seconds, first line of the cell)] of the `count` code cells that ran longest, slowest first.

    nbclient records when each cell started and finished in its metadata (record_timing)."""
    from datetime import datetime

    timed = []
    for cell in notebook.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            started, finished = (datetime.fromisoformat(timing[key].replace("Z", "+00:00"))
                                 for key in ("iopub.execute_input", "shell.execute_reply"))
            timed.append((round((finished - started).total_seconds(), 1), cell.source.splitlines()[0][:60]))
    return sorted(timed, reverse=True)[:count]


def measure(notebook):
    """(total bytes, {output kind: bytes}, [(bytes, first line of the cell)] largest first)."""
    by_kind, by_cell = Counter(), []
    for cell in notebook.cells:
        size = 0
        for output in cell.get("outputs", []):
            length = len(json.dumps(output, ensure_ascii=False).encode("utf-8"))
            by_kind[output_kind(output)] += length
            size += length
        by_cell.append((size, cell.source.splitlines()[0][:60] if cell.source else ""))
    total = len((nbformat.writes(notebook) + "\n").encode("utf-8"))
    return total, dict(by_kind), sorted(by_cell, reverse=True)[:5]


def execute(assignment, steps):
    notebook = nbformat.read(str(source_notebook(assignment)), as_version=4)
    settings = settings_cell_index(notebook)
    if steps and settings is not None:
        notebook.cells.insert(settings + 1, nbformat.v4.new_code_cell(f"NUM_STEPS = {steps}"))
    with tempfile.TemporaryDirectory(prefix="bench-size-") as workdir:
        started = time.monotonic()
        NotebookClient(notebook, timeout=3600, kernel_name="python3",
                       resources={"metadata": {"path": workdir}}).execute()
        seconds = time.monotonic() - started
    return notebook, seconds


def main():
    parser = argparse.ArgumentParser(description="Розмір виконаних зошитів проти ліміту курсу.")
    parser.add_argument("--assignment", choices=list(SIZE_LIMITS), action="append")
    parser.add_argument("--steps", type=int, default=None, help="скоротити навчання частини 2 (швидкий огляд)")
    args = parser.parse_args()
    results = {}
    for assignment in args.assignment or list(SIZE_LIMITS):
        notebook, seconds = execute(assignment, args.steps)
        total, by_kind, largest = measure(notebook)
        limit = SIZE_LIMITS[assignment]
        results[assignment] = {"bytes": total, "limit_bytes": limit, "within_limit": total <= limit,
                               "run_seconds": round(seconds, 1), "by_output_kind": by_kind,
                               "largest_cells": largest, "slowest_cells": slowest_cells(notebook),
                               "training_steps": args.steps or "default"}
        print(f"\n{assignment}: {total / 1e6:.3f} MB (limit {limit / 1e6:.1f} MB) — "
              f"{'OK' if total <= limit else 'OVER'}; ran {seconds:.0f} s")
        for kind, size in sorted(by_kind.items(), key=lambda item: -item[1]):
            print(f"  {kind:<45} {size / 1e3:9.1f} KB")
        print("  largest cells:", "; ".join(f"{size / 1e3:.0f} KB «{line}»" for size, line in largest[:3]))
        print("  slowest cells:", "; ".join(f"{seconds:.0f} s «{line}»" for seconds, line in slowest_cells(notebook)))
    if not args.steps:  # the assignments not run this time keep their last figures
        earlier = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
        RESULTS.write_text(json.dumps({**earlier, **results}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"\nWritten to {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
