"""The judge on a machine with a GPU (prints figures; not a test): what a CPU-only run cannot show.

    python benchmarks/gpu_checks.py [--sandboxed]

- Both reference notebooks get full marks when the checks run their models on cuda, with the seconds per job.
- The mutants that only a GPU can expose (a tensor made without device=) are killed there.
Run by the session's device machine; the figures go to the note.
"""

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import nbformat  # noqa: E402
import torch  # noqa: E402

from autograder import checks, judge, mutants, repair, sandbox  # noqa: E402
from autograder.course import ASSIGNMENTS, source_notebook  # noqa: E402


def reference_marks(assignment, sandboxed):
    source = nbformat.read(str(source_notebook(assignment)), as_version=4)
    points = {repair.nbgrader_meta(c)["grade_id"]: float(repair.nbgrader_meta(c)["points"])
              for c in source.cells if repair.is_test_cell(c)}
    limits = sandbox.Limits()
    reference = judge.reference_values(source, assignment, limits, sandboxed)
    job = judge.make_job(source, student_id="reference", assignment=assignment, points=points, reference=reference,
                         limits=limits, sandboxed=sandboxed)
    started = time.monotonic()
    result = judge.grade_job(job)
    lost = {g: c["message"] for g, c in result["cells"].items() if c["score"] < c["max"]}
    print(f"{assignment}: reference on {checks.device()}: {sum(c['score'] for c in result['cells'].values()):g}"
          f"/{sum(points.values()):g} in {time.monotonic() - started:.1f} s; lost {lost}; tampered {result['tampered']}")


def device_mutants(sandboxed):
    limits = sandbox.Limits(notebook_timeout=300)
    found, jobs = mutants.jobs_for("pt_part2_music_generation", source_notebook("pt_part2_music_generation"), limits, sandboxed,
                                   only={"lstm_model", "generate_text"})
    for mutant, job in zip(found, jobs):
        if "device" not in mutant.operator:
            continue
        result = judge.grade_job(job)
        lost = [g for g, c in result["cells"].items() if c["score"] < c["max"]]
        print(f"  {'KILLED' if lost else 'SURVIVED'}: {mutant.label} -> {lost}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sandboxed", action="store_true")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, cuda available: {torch.cuda.is_available()}, "
          f"{torch.cuda.get_device_name(0) if torch.cuda.is_available() else '-'}")
    for assignment in ASSIGNMENTS:
        reference_marks(assignment, args.sandboxed)
    print("mutants without device= (on CPU they behave like the reference):")
    device_mutants(args.sandboxed)


if __name__ == "__main__":
    main()
