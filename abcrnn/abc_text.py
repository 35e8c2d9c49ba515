"""Plain-text tools for ABC notation: find the tunes in a text and tidy one tune for training.

Only the standard library is used here (no music21), so these functions are fast enough to run
over a whole corpus or over every sample a model generates.

Conventions shared with `abcrnn.corpus`: a tune is a block of lines that starts with an `X:` line
and ends at a blank line, and a tidy tune has no blank line inside and no newline at its end, so
`"\\n\\n".join(tunes)` is a valid ABC file from which `extract_song_snippet` gets the same tunes back.
"""

import re

from .errors import AbcError

# A new tune starts at an `X:` line (reference number field) ...
_TUNE_START = re.compile(r"^X:", re.MULTILINE)
# ... and ends at the first blank line (a line holding at most spaces or tabs), as the ABC standard says.
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_FIELD_LINE = re.compile(r"^([A-Za-z+]):[ \t]*(.*)$")
# A `%` starts a comment unless escaped as `\%`.
_COMMENT = re.compile(r"(?<!\\)%.*$")
_SPACES = re.compile(r"[ \t]+")

# Fields that describe the printed source, the transcriber or the tune's history rather than the
# music (book, notes, transcription, composer, origin, source, history, instructions for abcm2ps...).
# A character-level model would spend capacity on e-mail addresses and page numbers, so they go.
INFORMATION_FIELDS = frozenset("ABCDFGHINOSWZ")

# Typographic punctuation (found e.g. in Ryan's collection) mapped to ASCII, which keeps the
# model's vocabulary small and the text readable by every ABC tool.
_ASCII_PUNCTUATION = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u00a0": " ",
})


def normalize_newlines(text):
    """Turn Windows (`\\r\\n`) and old Mac (`\\r`) line endings into `\\n`."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def extract_song_snippet(text, include_unfinished=False):
    """Return the list of tunes found in `text` (for example the output of a trained model).

    A tune starts at a line beginning with `X:` and ends at the first blank line, or where the next
    `X:` line begins (models sometimes forget the blank line). Text before the first `X:` line is
    skipped: generated text may begin in the middle of a tune. A tune that runs to the very end of
    the text without a blank line after it was cut off by the generation length, so it is left out
    unless `include_unfinished=True`. Each tune is returned without its trailing newline.
    """
    if not isinstance(text, str):
        raise AbcError(f"Очікувався рядок тексту, а отримано {type(text).__name__}.")
    text = normalize_newlines(text)
    starts = [match.start() for match in _TUNE_START.finditer(text)]
    tunes = []
    for index, start in enumerate(starts):
        next_start = starts[index + 1] if index + 1 < len(starts) else len(text)
        block = text[start:next_start]
        blank = _BLANK_LINE.search(block)
        if blank is not None:
            block = block[: blank.start()]
        elif next_start == len(text) and not include_unfinished:
            continue  # the last tune, and nothing marks its end
        block = block.rstrip()
        if block:
            tunes.append(block)
    return tunes


def default_unit_length(meter):
    """The unit note length the ABC standard implies when a tune has no `L:` field.

    Standard 2.1, section 3.1.7: the meter as a decimal below 0.75 means 1/16, otherwise 1/8;
    `C` is 4/4, `C|` is 2/2, and a missing or free meter (`none`) means 1/8. music21 follows the
    same rule, so writing the value out does not change how a tune sounds.
    """
    meter = (meter or "").strip()
    if meter == "C":
        meter = "4/4"
    elif meter == "C|":
        meter = "2/2"
    match = re.fullmatch(r"([\d+]+)\s*/\s*(\d+)", meter)
    if not match:
        return "1/8"
    numerator = sum(int(part) for part in match.group(1).split("+") if part)
    denominator = int(match.group(2))
    if denominator == 0 or numerator / denominator >= 0.75:
        return "1/8"
    return "1/16"


def clean_tune(tune):
    """Return one tune tidied for character-level training.

    What a character model should see is the music and nothing that varies by accident:
    - `\\n` line endings, tabs as spaces, runs of spaces collapsed, no leading or trailing spaces;
    - no `%` comments (they are editors' remarks; `%%` lines are typesetting directives);
    - no informational fields (INFORMATION_FIELDS: book, notes, transcriber...), wherever they are;
    - fields written without a space after the colon (`X: 1` becomes `X:1`);
    - an explicit `L:` when the header had none, computed from `M:` by the standard's rule, so every
      tune is self-contained and carries all of X:, T:, M:, L:, K:;
    - no blank lines and no trailing newline.
    The music itself (notes, bars, chords, ornaments, inline fields) is left exactly as written.
    """
    if not isinstance(tune, str):
        raise AbcError(f"Очікувався рядок із мелодією ABC, а отримано {type(tune).__name__}.")
    text = normalize_newlines(tune).translate(_ASCII_PUNCTUATION).replace("\t", " ")
    lines = []
    in_header = True
    header_meter = None
    header_has_unit = False
    for raw_line in text.split("\n"):
        line = _SPACES.sub(" ", _COMMENT.sub("", raw_line)).strip()
        if not line:
            continue
        field = _FIELD_LINE.match(line)
        if field:
            name, value = field.group(1), field.group(2).strip()
            if name in INFORMATION_FIELDS:
                continue
            if name == "X" and value.isdigit():
                value = str(int(value))  # X:0001 and X: 1 both become X:1
            line = f"{name}:{value}"
            if in_header:
                if name == "M" and header_meter is None:
                    header_meter = value
                elif name == "L":
                    header_has_unit = True
                elif name == "K":
                    in_header = False
                    if not header_has_unit:
                        lines.append(f"L:{default_unit_length(header_meter)}")
        lines.append(line)
    return "\n".join(lines)


def tune_body(tune):
    """The part of a tune after its `K:` line (the music), or "" when there is no `K:` line."""
    lines = normalize_newlines(tune).split("\n")
    for index, line in enumerate(lines):
        if line.startswith("K:"):
            return "\n".join(lines[index + 1:])
    return ""
