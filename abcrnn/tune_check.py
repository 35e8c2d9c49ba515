"""A structured quality report for one ABC tune, such as a tune a trained model has generated.

music21 reads much broken ABC without complaint, so "it parses" says little on its own. The report
combines the header fields, the parse, the number of notes and the bar lengths.

Baseline on the human tunes of the training corpus (benchmarks/check_corpus.py, all 4,041 tunes):
every tune has the five headers and parses; tunes with no bar of the wrong length (pickups, section
edges and endings set aside): O'Neill's 86.0%, Ryan's 94.9%, Aird's 89.8%; wrong-length bars among
those checked: 1.9%, 0.9%, 1.1%; verdict ok: 93.9%, 97.9%, 96.7% (95.7% overall). The project's
notes put the remaining mismatches down to transcription errors and music21 limits.
"""

from dataclasses import dataclass, field
from fractions import Fraction

from .abc_parse import parse_score, played_notes
from .abc_text import header_field_names, normalize_newlines
from .errors import AbcError

REQUIRED_FIELDS = ("X", "T", "M", "L", "K")
MIN_NOTES = 8
MAX_WRONG_BAR_FRACTION = 0.10


@dataclass
class TuneReport:
    """What `check_tune` found; `ok` is the verdict and `reasons` (Ukrainian) say what is wrong."""

    fields: dict  # field letter (X, T, M, L, K) -> present in the header
    parses: bool  # music21 read the tune without an exception
    n_notes: int = 0  # notes and chords, grace notes included, chord symbols not
    n_bars: int = 0  # bars whose length was checked (pickups and section edges excluded)
    wrong_length_bars: list = field(default_factory=list)  # their numbers, counted from 1
    lowest_pitch: str = None  # e.g. "D4"
    highest_pitch: str = None
    lowest_midi: int = None  # e.g. 62
    highest_midi: int = None
    ok: bool = False
    reasons: list = field(default_factory=list)

    @property
    def wrong_bar_fraction(self):
        return len(self.wrong_length_bars) / self.n_bars if self.n_bars else 0.0

    def summary(self):
        """A few lines in Ukrainian, for printing in a notebook."""
        verdict = "Мелодія придатна." if self.ok else "Мелодія має вади:"
        present = ", ".join(f"{name}:" for name, seen in self.fields.items() if seen) or "жодного"
        lines = [verdict]
        lines += [f"  - {reason}" for reason in self.reasons]
        lines.append(f"Поля заголовка: {present}.")
        lines.append(f"music21 прочитав мелодію: {'так' if self.parses else 'ні'}.")
        if self.parses:
            lines.append(f"Нот: {self.n_notes}.")
            lines.append(
                f"Тактів неправильної довжини: {len(self.wrong_length_bars)} з {self.n_bars} перевірених."
            )
            if self.lowest_pitch is not None:
                lines.append(
                    f"Діапазон: від {self.lowest_pitch} (MIDI {self.lowest_midi}) "
                    f"до {self.highest_pitch} (MIDI {self.highest_midi})."
                )
        return "\n".join(lines)

    def __str__(self):
        return self.summary()


def header_fields(abc):
    """Which of X:, T:, M:, L:, K: appear in the header (the lines up to the first K: line)."""
    header = set(header_field_names(normalize_newlines(abc).split("\n")))
    return {name: name in header for name in REQUIRED_FIELDS}


def _is_section_barline(barline):
    """A repeat sign, or any bar line other than a plain `|` (double `||`, thin-thick `|]`...)."""
    return barline is not None and (barline.type != "regular" or hasattr(barline, "direction"))


def _at_section_edge(measures, index):
    """True for a bar next to a section boundary: its own bar lines, or the ones it shares with neighbours.

    Bars there are often deliberately short: the pickup into a repeated section, the half bar before
    a repeat sign that completes it.
    """
    measure = measures[index]
    if _is_section_barline(measure.leftBarline) or _is_section_barline(measure.rightBarline):
        return True
    if index > 0 and _is_section_barline(measures[index - 1].rightBarline):
        return True
    return index + 1 < len(measures) and _is_section_barline(measures[index + 1].leftBarline)


def _parts(score):
    parts = list(score.parts)
    return parts if parts else [score]


def check_bar_lengths(score):
    """Return (number of bars checked, numbers of bars whose length disagrees with the meter).

    Left out of the check: the first and last bar of each part (pickup and closing bar), the bars at
    section edges (see _at_section_edge), the bars of a first or second ending, and tunes with a free
    meter (M:none). Bar numbers count from 1 in the order music21 lays them out.
    """
    from music21 import spanner

    n_checked = 0
    wrong = []
    for part in _parts(score):
        measures = list(part.getElementsByClass("Measure"))
        in_endings = set()
        for bracket in part.recurse().getElementsByClass(spanner.RepeatBracket):
            in_endings.update(id(m) for m in bracket.getSpannedElements())
        meter = None
        for index, measure in enumerate(measures):
            if measure.timeSignature is not None:
                meter = measure.timeSignature
            if meter is None or index in (0, len(measures) - 1):
                continue
            if _at_section_edge(measures, index) or id(measure) in in_endings:
                continue
            n_checked += 1
            expected = Fraction(meter.barDuration.quarterLength).limit_denominator(10_000)
            actual = Fraction(measure.duration.quarterLength).limit_denominator(10_000)
            if actual != expected:
                wrong.append(index + 1)
    return n_checked, wrong


def check_tune(abc):
    """Check one ABC tune and return a TuneReport; never raises for a string, whatever it holds.

    The verdict `ok` requires all of X:, T:, M:, L:, K: in the header, a successful music21 parse,
    at least MIN_NOTES notes, and at most MAX_WRONG_BAR_FRACTION of the checked bars with a length
    that disagrees with M:. A non-string raises AbcError.
    """
    if not isinstance(abc, str):
        raise AbcError(f"Очікувався рядок із мелодією ABC, а отримано {type(abc).__name__}.")
    report = TuneReport(fields=header_fields(abc), parses=False)
    missing = [f"{name}:" for name, seen in report.fields.items() if not seen]
    if missing:
        report.reasons.append(f"Бракує полів заголовка: {', '.join(missing)}.")
    try:
        score = parse_score(abc, bars_as_written=True)
    except AbcError as error:
        report.reasons.append(str(error))
        return report
    except Exception as error:  # a check must report, not crash, whatever music21 does
        report.reasons.append(f"music21 не зміг прочитати мелодію: {type(error).__name__}.")
        return report
    report.parses = True
    try:
        _measure(score, report)
    except Exception as error:  # pragma: no cover - music21 internals on very odd input
        report.reasons.append(f"Не вдалося проаналізувати мелодію: {type(error).__name__}.")
    report.ok = not report.reasons
    return report


def _measure(score, report):
    notes = played_notes(score)
    report.n_notes = len(notes)
    pitches = [pitch for note in notes for pitch in note.pitches]
    if pitches:
        lowest = min(pitches, key=lambda pitch: pitch.ps)
        highest = max(pitches, key=lambda pitch: pitch.ps)
        report.lowest_pitch, report.highest_pitch = lowest.nameWithOctave, highest.nameWithOctave
        report.lowest_midi, report.highest_midi = lowest.midi, highest.midi
    if report.n_notes < MIN_NOTES:
        report.reasons.append(f"Замало нот: {report.n_notes} (потрібно щонайменше {MIN_NOTES}).")
    report.n_bars, report.wrong_length_bars = check_bar_lengths(score)
    if report.wrong_bar_fraction > MAX_WRONG_BAR_FRACTION:
        report.reasons.append(
            f"Тактів, довжина яких не відповідає розміру M:, {len(report.wrong_length_bars)} "
            f"з {report.n_bars} ({report.wrong_bar_fraction:.0%}); допустимо щонайбільше "
            f"{MAX_WRONG_BAR_FRACTION:.0%}."
        )
