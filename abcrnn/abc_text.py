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


# A field line: one letter, a colon, the value (`T:Title`, `M:6/8`, `w:lyrics`...); or `+:`, which
# ABC 2.1 defines as the continuation of the field on the line before it (`T:A long` + `+:title`).
# Every module reads field lines through field_line / field_lines; see there how `+:` is treated.
_FIELD_LINE = re.compile(r"^([A-Za-z+]):[ \t]*(.*)$")
CONTINUATION = "+"
# An inline field inside the music: `[M:3/4]`, `[K:D]`; a chord such as `[CEG]` has no colon.
_INLINE_FIELD = re.compile(r"\[([A-Za-z]):([^\]\n]*)\]")
# Quoted text in the music: a chord symbol ("G") or an annotation ("^text"). Matched left to right
# in pairs, so `"D"^F"G"` is two quoted strings around a sharp F.
QUOTED = re.compile(r'"[^"\n]*"')
# A meter or unit length written as a fraction; the numerator may be a sum (M:2+3/8).
_FRACTION = re.compile(r"(\d+(?:\+\d+)*)/(\d+)")


def field_line(line):
    """(name, value) when `line` is an ABC field line, else None; value keeps all but the spaces after `:`.

    `line` is taken as it is: a caller that wants `  M:6/8` or `M:6/8 % comment` read differently
    strips spaces or comments first. The name of a continuation line `+:` is CONTINUATION: it is a
    field line (never music), but belongs to the field before it rather than being one of its own.
    """
    match = _FIELD_LINE.match(line)
    return (match.group(1), match.group(2)) if match else None


def field_lines(lines):
    """(index, name, value) for every field line among `lines` (see field_line), in order."""
    found = []
    for index, line in enumerate(lines):
        field = field_line(line)
        if field is not None:
            found.append((index, *field))
    return found


def inline_fields(text):
    """(name, value) for every inline field `[X:value]` in `text`, in order."""
    return _INLINE_FIELD.findall(text)


def without_inline_fields(text):
    """`text` with its inline fields removed."""
    return _INLINE_FIELD.sub("", text)


def key_line_index(fields):
    """The line index of the first `K:` field among `field_lines(...)`, which ends the header; or None."""
    return next((index for index, name, _ in fields if name == "K"), None)


def header_field_lines(lines):
    """(index, name, value) of the field lines in the header: the lines up to and including the first `K:` line."""
    fields = field_lines(lines)
    key_index = key_line_index(fields)
    return [field for field in fields if key_index is None or field[0] <= key_index]


def header_field_names(lines):
    """The names of the field lines in the header (see header_field_lines)."""
    return [name for _, name, _ in header_field_lines(lines)]


def header_value(tune, name):
    """The value of the first `name:` field in the header of `tune`, without its `%` comment and spaces; or None."""
    for _, field, value in header_field_lines(normalize_newlines(tune).split("\n")):
        if field == name:
            return _COMMENT.sub("", value).strip()
    return None


def parse_fraction(text):
    """(numerator terms, denominator) of a fraction such as `1/8` or `2+3/8` (spaces ignored), else None."""
    match = _FRACTION.fullmatch(text.replace(" ", ""))
    if not match:
        return None
    return [int(part) for part in match.group(1).split("+")], int(match.group(2))


def parse_meter(value):
    """The meter of an `M:` value as (beats in a bar, denominator), or None for a free meter.

    `C` is 4/4 and `C|` is 2/2; an empty value and `none` mean a free meter; a `%` comment is ignored.
    The denominator may be 0: what that means is the caller's business. Anything else raises AbcError.
    """
    meter = value.split("%")[0].strip()
    if meter in ("", "none"):
        return None
    fraction = parse_fraction({"C": "4/4", "C|": "2/2"}.get(meter, meter))
    if fraction is None:
        raise AbcError(
            f"Незрозумілий розмір такту «M:{meter}». Пишіть дріб (M:6/8), M:C, M:C| або M:none."
        )
    terms, denominator = fraction
    return sum(terms), denominator


def default_unit_length(meter):
    """The unit note length the ABC standard implies when a tune has no `L:` field.

    Standard 2.1, section 3.1.7: the meter as a decimal below 0.75 means 1/16, otherwise 1/8;
    `C` is 4/4, `C|` is 2/2, and a missing, free (`none`) or unreadable meter means 1/8. music21
    follows the same rule, so writing the value out does not change how a tune sounds.
    """
    try:
        parsed = parse_meter(meter or "")
    except AbcError:
        parsed = None
    if parsed is None:
        return "1/8"
    beats, denominator = parsed
    if denominator == 0 or beats / denominator >= 0.75:
        return "1/8"
    return "1/16"


def clean_tune(tune):
    """Return one tune tidied for character-level training.

    What a character model should see is the music and nothing that varies by accident:
    - `\\n` line endings, tabs as spaces, runs of spaces collapsed, no leading or trailing spaces;
    - no `%` comments (they are editors' remarks; `%%` lines are typesetting directives);
    - no informational fields (INFORMATION_FIELDS: book, notes, transcriber...), wherever they are,
      nor the `+:` lines that continue them;
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
    dropping = False  # the last field was an information field, so its `+:` continuations go too
    for raw_line in text.split("\n"):
        line = _SPACES.sub(" ", _COMMENT.sub("", raw_line)).strip()
        if not line:
            continue
        field = field_line(line)
        if field:
            name, value = field[0], field[1].strip()
            if name != CONTINUATION:
                dropping = name in INFORMATION_FIELDS
            if dropping:
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
        else:
            dropping = False
        lines.append(line)
    return "\n".join(lines)


def tune_body(tune):
    """The part of a tune after its `K:` line (the music), or "" when there is no `K:` line."""
    lines = normalize_newlines(tune).split("\n")
    for index, line in enumerate(lines):
        field = field_line(line)
        if field is not None and field[0] == "K":
            return "\n".join(lines[index + 1:])
    return ""
