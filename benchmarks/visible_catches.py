"""Which common mistakes do the visible tests catch, and with what message? (prints a table; not a test)

    .venv/bin/python benchmarks/visible_catches.py

For each notebook, runs the reference solution (solutions/) with the common mistakes of that notebook written
into its answer cells (one per cell, COMMON_MISTAKES of tests/test_part1_notebook.py and test_part2_notebook.py),
as a student would in Colab, and prints for each mistake whether its visible test failed, whether the message
names the likely cause, and the message itself. The project's tests assert the same; this prints the figures.
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import test_part1_notebook  # noqa: E402
import test_part2_notebook  # noqa: E402
from nbharness import visible_catches  # noqa: E402


def main():
    for module in (test_part1_notebook, test_part2_notebook):
        rows = visible_catches(module.SOURCE, module.COMMON_MISTAKES, env=module.ENV, timeout=600)
        caught = sum(not outcome.passed for _, outcome in rows)
        named = sum(not outcome.passed and mistake.hint in outcome.message for mistake, outcome in rows)
        print(f"\n{module.ASSIGNMENT}: видимі тести ловлять {caught} з {len(rows)} типових помилок, "
              f"причину називають у {named}")
        for mistake, outcome in rows:
            verdict = "ловить" if not outcome.passed else "НЕ ЛОВИТЬ"
            message = outcome.message.strip().splitlines()[-1] if outcome.message.strip() else ""
            print(f"- {mistake.what} → {mistake.test}: {verdict}\n    {message[:300]}")


if __name__ == "__main__":
    main()
