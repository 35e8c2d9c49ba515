"""Parse ABC text with music21, turning its many failure modes into one clear Ukrainian error.

music21 accepts much broken ABC silently and fails on the rest with exceptions from deep inside
(IndexError, ZeroDivisionError, its own ABCHandlerException...), and it may print or warn.
`parse_abc` checks the text first, fills in what the ABC standard lets a tune leave out, silences
music21, and reports every failure as AbcError with a message that says what to fix.
"""

import contextlib
import io
import warnings

from .abc_text import (
    CONTINUATION, QUOTED, field_line, field_lines, header_field_names, inline_fields, key_line_index,
    normalize_newlines, parse_fraction, parse_meter,
)
from .errors import AbcError

# No ABC text a user shows or checks is this long (the longest corpus tune has 2,049 characters).
MAX_ABC_CHARS = 200_000
# music21 takes time that grows faster than linearly with the length of a tune (about 35 ms for a
# typical 300-character tune, seconds for the 2,000-character longest tune of the corpus), so a
# limit keeps a runaway generated text from freezing a notebook. It is twice the longest corpus tune.
MAX_PARSE_CHARS = 4_000
# Meters and unit lengths beyond these are not music any player reads, and a huge meter such as
# M:1000/4 makes music21 work for half a minute on a four-note tune.
MAX_METER_BEATS = 32
MAX_DENOMINATOR = 64

# Annotations: quoted text placed by its first character (^ above, _ below, < left, > right, @ free).
# They are words on the page, not sound, and music21 mishandles them: `">"` (O'Neill's accent mark)
# makes it drop the next note, `"_> 2,1"` makes it raise. They are removed before music21 reads a tune.


def _without_annotations(line):
    return QUOTED.sub(lambda quoted: "" if quoted.group()[1:2] in tuple("^_<>@") else quoted.group(), line)


def check_abc_text(abc, max_chars=MAX_ABC_CHARS):
    """Raise AbcError unless `abc` is a non-empty string of at most `max_chars` characters."""
    if not isinstance(abc, str):
        raise AbcError(f"Очікувався рядок із записом ABC, а отримано {type(abc).__name__}.")
    if not abc.strip():
        raise AbcError("Запис ABC порожній.")
    if len(abc) > max_chars:
        raise AbcError(
            f"Запис ABC завдовжки {len(abc)} символів — це занадто довго для однієї мелодії "
            f"(межа {max_chars}). Якщо в тексті кілька мелодій, розділіть його функцією "
            "extract_song_snippet."
        )


def _is_power_of_two(number):
    return number > 0 and number & (number - 1) == 0


def _check_meter(value):
    parsed = parse_meter(value)  # raises AbcError for a meter it cannot read
    if parsed is None:  # free meter
        return
    meter = value.split("%")[0].strip()
    beats, denominator = parsed
    if denominator == 0:
        raise AbcError(f"Розмір такту «M:{meter}» має нуль у знаменнику.")
    if not 1 <= beats <= MAX_METER_BEATS or not _is_power_of_two(denominator) or denominator > MAX_DENOMINATOR:
        raise AbcError(
            f"Розмір такту «M:{meter}» неможливий: чисельник має бути від 1 до {MAX_METER_BEATS}, "
            f"а знаменник — степенем двійки не більше {MAX_DENOMINATOR} (2/4, 3/4, 6/8...)."
        )


def _check_unit_length(value):
    unit = value.split("%")[0].strip()
    fraction = parse_fraction(unit)
    if fraction is None or len(fraction[0]) > 1:
        raise AbcError(f"Незрозуміла одиниця тривалості «L:{unit}». Пишіть дріб, наприклад L:1/8.")
    (numerator,), denominator = fraction
    if denominator == 0:
        raise AbcError(f"Одиниця тривалості «L:{unit}» має нуль у знаменнику.")
    if numerator == 0 or not _is_power_of_two(denominator) or denominator > 2 * MAX_DENOMINATOR:
        raise AbcError(
            f"Одиниця тривалості «L:{unit}» неможлива: знаменник має бути степенем двійки "
            f"(L:1/8, L:1/16...)."
        )


def prepare_abc(abc):
    """Check the text of one tune and return it ready for music21, or raise AbcError.

    Rejected: more than one tune, text with no ABC field at all, impossible M: or L: values, and a
    chord symbol or annotation whose `"` is never closed on its line (music21 would swallow the rest
    of the tune silently). When the header has neither M: nor L:, `L:1/8` is added: the ABC standard's
    default, which music21 does not apply in that case; and annotations (`"^text"`, `">"`...) are
    removed, because music21 loses notes or fails on some of them. A `+:` field continuation is
    joined to the field line it continues (see _join_continuations).
    """
    check_abc_text(abc, max_chars=MAX_PARSE_CHARS)
    lines = normalize_newlines(abc).split("\n")
    fields = field_lines(lines)
    if all(name == CONTINUATION for _, name, _ in fields):
        raise AbcError(
            "Текст не схожий на запис ABC: у ньому немає жодного поля заголовка "
            "(рядків на кшталт X:1, T:Назва, M:6/8, L:1/8, K:D)."
        )
    n_tunes = sum(1 for _, name, _ in fields if name == "X")
    if n_tunes > 1:
        raise AbcError(
            f"У тексті {n_tunes} мелодії (рядки X:), а очікувалася одна. "
            "Розділіть текст на мелодії функцією extract_song_snippet."
        )
    for name, value in [(name, value) for _, name, value in fields] + inline_fields(abc):
        if name == "M":
            _check_meter(value)
        elif name == "L":
            _check_unit_length(value)

    key_index = key_line_index(fields)
    field_indices = {index for index, _, _ in fields}
    for index, line in enumerate(lines):
        if key_index is None or index <= key_index or index in field_indices:
            continue
        if line.split("%")[0].count('"') % 2:
            raise AbcError(
                f'У рядку {index + 1} лапки «"» відкрито, але не закрито: music21 пропустив би '
                "решту мелодії. Закрийте позначку акорду, наприклад \"Am\"."
            )
        lines[index] = _without_annotations(line)

    header = header_field_names(lines)
    if "M" not in header and "L" not in header:
        insert_at = key_index if key_index is not None else (fields[0][0] + 1)
        lines.insert(insert_at, "L:1/8")
    return "\n".join(_join_continuations(lines))


def _join_continuations(lines):
    """Append each `+:` line to the field line before it, as ABC 2.1 defines; drop one that follows none.

    music21 does not know `+:` and would read the continued title or lyrics as notes.
    """
    joined = []
    for line in lines:
        field = field_line(line)
        if field is not None and field[0] == CONTINUATION:
            if joined and field_line(joined[-1]) is not None:
                joined[-1] = f"{joined[-1]} {field[1]}".rstrip()
            continue
        joined.append(line)
    return joined


def _explain(error):
    """A Ukrainian explanation for an exception raised by music21's ABC reader."""
    text = str(error)
    if "closing bracket" in text or "chord indicator" in text:
        return "акорд у квадратних дужках «[» не закрито «]»"
    if isinstance(error, ZeroDivisionError):
        return "у тривалості ноти або в полі заголовка є ділення на нуль"
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    return f"у записі є помилка, яку він не зміг розібрати ({type(error).__name__}: {first_line[:200]})"


@contextlib.contextmanager
def _bars_as_written():
    """Stop music21 from splitting a bar that is too long into a full bar plus an extra one.

    music21's ABC reader calls `translate.reBar` on every part; the split hides the very errors a
    bar-length check looks for (it even inserts a time signature that fits the leftover notes).
    music21 has no option for this, so its private function is swapped for one that returns the part
    unchanged. This is the only place abcrnn patches music21: only `parse_score(...,
    bars_as_written=True)` enters it, around the one parse call, and `finally` puts the original back
    even when the parse fails. (The swap is visible to the whole process while the parse runs.)
    """
    from music21.abcFormat import translate

    original = translate.reBar
    translate.reBar = lambda part, inPlace=False: part
    try:
        yield
    finally:
        translate.reBar = original


def parse_score(abc, bars_as_written=False):
    """Parse one tune with music21 and return its Score, which may hold no notes; or raise AbcError.

    With `bars_as_written=True` every bar is exactly what the ABC text has between its bar lines,
    even when it is too long for the meter (see _bars_as_written). Everything music21 prints or
    warns while parsing is swallowed.
    """
    text = prepare_abc(abc)
    from music21 import converter, stream  # imported lazily: music21 takes a second to import

    keep_bars = _bars_as_written() if bars_as_written else contextlib.nullcontext()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()), keep_bars:
            warnings.simplefilter("ignore")
            # parseData, not parse: parse would read a file if the text happened to be a path.
            score = converter.parseData(text, format="abc")
    except Exception as error:  # music21 raises many unrelated types for broken ABC
        raise AbcError(f"music21 не зміг прочитати запис ABC: {_explain(error)}.") from error
    if not isinstance(score, stream.Score):
        raise AbcError("music21 прочитав текст як кілька мелодій, а очікувалася одна.")
    return score


def played_notes(score):
    """The notes and chords of a score that sound; chord symbols such as "Am" are left out."""
    from music21 import harmony

    return [note for note in score.recurse().notes if not isinstance(note, harmony.ChordSymbol)]


def parse_abc(abc):
    """Return the music21 Score of one ABC tune, or raise AbcError saying why it cannot be used.

    A tune that music21 reads but that holds no note (an empty body, or everything swallowed by a
    broken symbol) is an error too, because nothing can be played or shown from it.
    """
    score = parse_score(abc)
    if not played_notes(score):
        raise AbcError(
            "У мелодії немає жодної ноти: після рядка K: мають іти ноти (наприклад, GABc|)."
        )
    return score
