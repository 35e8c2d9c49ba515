"""How many tunes pass abcrnn.check_tune, with 95 % intervals, and why the others fail.

Every share here is a count of tunes out of n, each tune passing or failing on its own, so it comes
with its sample size and a 95 % Wilson score interval (`proportion`). A failing tune is put in the
category of the first check of abcrnn.check_tune that it fails (`failure_category`), in the order
check_tune runs them: header fields, parse, number of notes, bar lengths; "other" is a tune whose
report has reasons but none of these (music21 failed while the tune was being measured).
"""

import math

import abcrnn
from abcrnn.tune_check import MAX_WRONG_BAR_FRACTION, MIN_NOTES

Z_95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution

# The categories of failing tunes, in check_tune's order, with their Ukrainian names for the table.
FAILURE_CATEGORIES = {
    "missing_headers": "бракує полів заголовка",
    "unparsable": "не розбирається",
    "too_few_notes": f"менше {MIN_NOTES} нот",
    "bar_lengths": "довжини тактів",
    "other": "інше",
}
EXAMPLES_PER_CATEGORY = 2
EXAMPLE_CHARS = 300


def wilson_interval(successes, n, z=Z_95):
    """The Wilson score interval (low, high) of the share successes / n; (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    share = successes / n
    centre = share + z * z / (2 * n)
    spread = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    low = 0.0 if successes == 0 else (centre - spread) / scale
    high = 1.0 if successes == n else (centre + spread) / scale
    return low, high


def proportion(successes, n):
    """A share as the JSON keeps it: {"count", "n", "share", "ci95": [low, high]}."""
    return {"count": successes, "n": n, "share": successes / n if n else None,
            "ci95": list(wilson_interval(successes, n))}


def failure_category(report):
    """The first check of abcrnn.check_tune that `report` fails (a FAILURE_CATEGORIES key); None if ok."""
    if report.ok:
        return None
    if not all(report.fields.values()):
        return "missing_headers"
    if not report.parses:
        return "unparsable"
    if report.n_notes < MIN_NOTES:
        return "too_few_notes"
    if report.wrong_bar_fraction > MAX_WRONG_BAR_FRACTION:
        return "bar_lengths"
    return "other"


def failures(tunes, reports):
    """For each category: the tunes failing there, as a proportion of all tunes, and a few examples."""
    categories = [failure_category(report) for report in reports]
    result = {}
    for name in FAILURE_CATEGORIES:
        failed = [tune for tune, category in zip(tunes, categories) if category == name]
        result[name] = proportion(len(failed), len(tunes))
        result[name]["examples"] = [tune[:EXAMPLE_CHARS] for tune in failed[:EXAMPLES_PER_CATEGORY]]
    return result


def quality(tunes, reports=None):
    """Shares of tunes passing each check of abcrnn.check_tune (`reports`: their reports, if already made).

    The shares stay plain numbers under their names (tunes, all_headers, parses_8_notes, bars_fit,
    valid), as the book reads them; "checks" holds each as a proportion (count, n, 95 % interval) and
    "failures" the failing tunes by category.
    """
    if reports is None:
        reports = [abcrnn.check_tune(tune) for tune in tunes]
    counts = {
        "all_headers": sum(all(r.fields.values()) for r in reports),
        "parses_8_notes": sum(r.parses and r.n_notes >= MIN_NOTES for r in reports),
        "bars_fit": sum(r.parses and r.wrong_bar_fraction <= MAX_WRONG_BAR_FRACTION for r in reports),
        "valid": sum(r.ok for r in reports),
    }
    n = len(reports)
    figures = {"tunes": n}
    figures.update({name: count / max(1, n) for name, count in counts.items()})
    figures["checks"] = {name: proportion(count, n) for name, count in counts.items()}
    figures["failures"] = failures(tunes, reports)
    return figures
