"""How varied a set of tunes is, and how close it comes to the training tunes; text only, no music21.

The benchmark measures the generated tunes and an equal number of real validation tunes the same way,
so each figure has a human baseline beside it. Distinct shares depend on the number of tunes (the more
tunes, the more repeats), which is why the two sets are of equal size.

Measures (`measure` returns all of them):

- titles, keys, meters, tune types: for the tunes that have the field, the number of distinct values
  ("distinct"), the number of tunes ("total") and distinct / total ("share"). A field's value is the
  first one in the header (the lines up to the first K:), normalised as follows. Title (T:): lower case,
  spaces collapsed, a final full stop dropped. Key (K:): the tonic and a mode of three letters ("G",
  "Em", "Ador", "Dmix"); major and minor spelt "" and "m"; anything else (K:none, K:HP) lower case as
  written. Meter (M:): as a fraction, C being 4/4 and C| 2/2; M:none is "none". Tune type: the R: field
  where there is one (lower case, spaces collapsed, "slipjig" spelt "slip jig"); otherwise derived from
  the meter by METER_TYPES (6/8 jig, 9/8 slip jig, 12/8 slide, 4/4 and 2/2 "reel/hornpipe", 2/4
  "polka/march", 3/4 "waltz/air", 3/2 "3/2 hornpipe"; another meter gives "meter N/D"), and tunes
  with neither field are left out.
- phrases: 4-bar phrases. The body (the lines after the first K: line, without field lines, inline
  fields [K:D], quoted chord symbols and annotations, line continuations and all spacing) is cut into
  bars at bar lines (|, ||, |], [|, |:, :|, ::, and the ending numbers after them); each run of 4
  consecutive bars of one tune is a phrase. distinct / total counts distinct phrases over all phrases
  of all tunes (n = total).
- nearest_similarity: for each tune, the similarity (0..1, rapidfuzz's fuzz.ratio / 100: 1 minus the
  normalised insertion-deletion distance of the whole texts) to its nearest training tune; reported as
  the highest ("max") and the mean over the tunes, with n.

These are counts of distinct things among many, not independent yes/no outcomes (one repeated phrase
makes several windows repeat), so they carry their n but no binomial interval.
"""

import re
import statistics

from abcrnn.abc_text import QUOTED, field_line, header_value, parse_meter, tune_body, without_inline_fields
from abcrnn.errors import AbcError

PHRASE_BARS = 4
METER_TYPES = {
    "6/8": "jig",
    "9/8": "slip jig",
    "12/8": "slide",
    "4/4": "reel/hornpipe",
    "2/2": "reel/hornpipe",
    "2/4": "polka/march",
    "3/4": "waltz/air",
    "3/2": "3/2 hornpipe",
}
TYPE_SPELLINGS = {"slipjig": "slip jig"}
MODES = {"": "", "maj": "", "ion": "", "m": "m", "min": "m", "aeo": "m"}
# A bar line: |, ||, |], [|, |:, :|, ::|, ::, with an ending number after it (|1, :|2); or an ending [2.
_BAR_LINE = re.compile(r":*\[?\|[|\]:]*\d*|::|\[\d")
_KEY = re.compile(r"([A-Ga-g][#b]?)\s*([A-Za-z]*)")


def normal_title(value):
    return " ".join(value.lower().split()).rstrip(".")


def normal_key(value):
    match = _KEY.fullmatch(value)
    if match is None:
        return value.lower()
    tonic, mode = match.groups()
    mode = mode.lower()[:3]
    return tonic[0].upper() + tonic[1:] + MODES.get(mode, mode)


def normal_meter(value):
    try:
        meter = parse_meter(value)
    except AbcError:
        return value
    return "none" if meter is None else f"{meter[0]}/{meter[1]}"


def tune_type(tune):
    """The R: field where the tune has one, else the type METER_TYPES gives its meter; None without both."""
    rhythm = header_value(tune, "R")
    if rhythm:
        rhythm = " ".join(rhythm.lower().split())
        return TYPE_SPELLINGS.get(rhythm, rhythm)
    meter = header_value(tune, "M")
    if meter is None:
        return None
    meter = normal_meter(meter)
    return METER_TYPES.get(meter, f"meter {meter}")


def distinct(values):
    """{"distinct", "total", "share"} of the values that are not None."""
    values = [value for value in values if value is not None]
    return {"distinct": len(set(values)), "total": len(values),
            "share": len(set(values)) / len(values) if values else None}


def field_values(tunes, name, normalise):
    values = [header_value(tune, name) for tune in tunes]
    return [None if value is None else normalise(value) for value in values]


def bars(tune):
    """The bars of the tune's body as strings without spacing, chord symbols and inline fields."""
    body = [line for line in tune_body(tune).split("\n") if field_line(line) is None]
    music = QUOTED.sub("", without_inline_fields("".join(body)))
    music = re.sub(r"[\s\\]+", "", music)
    return [bar for bar in _BAR_LINE.split(music) if bar]


def phrases(tune, length=PHRASE_BARS):
    """Every run of `length` consecutive bars of the tune, each joined into one string."""
    tune_bars = bars(tune)
    return ["|".join(tune_bars[i:i + length]) for i in range(len(tune_bars) - length + 1)]


def nearest_similarities(tunes, training):
    """For each tune, its similarity (0..1) to the most similar training tune."""
    from rapidfuzz import fuzz, process

    return [process.extractOne(tune, training, scorer=fuzz.ratio)[1] / 100 for tune in tunes]


def similarity_summary(similarities):
    """{"max", "mean", "n"} of nearest-training similarities (None for no tunes)."""
    return {"max": max(similarities, default=None),
            "mean": statistics.fmean(similarities) if similarities else None,
            "n": len(similarities)}


def measure(tunes, training):
    """Every measure of the module docstring, for `tunes` against the `training` tunes."""
    return {
        "tunes": len(tunes),
        "titles": distinct(field_values(tunes, "T", normal_title)),
        "keys": distinct(field_values(tunes, "K", normal_key)),
        "meters": distinct(field_values(tunes, "M", normal_meter)),
        "tune_types": distinct([tune_type(tune) for tune in tunes]),
        "phrases": distinct([phrase for tune in tunes for phrase in phrases(tune)]),
        "nearest_similarity": similarity_summary(nearest_similarities(tunes, training)),
    }
