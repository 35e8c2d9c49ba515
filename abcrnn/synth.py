"""Turn an ABC tune into sound with numpy alone, so it works in Colab, locally and at book build time.

The steps: parse with music21 (`parse_abc`), lay the measures out in playing order (repeats and
first/second endings expanded, see `measure_playing_order`), collect the notes as
(start, length, frequency) events with tied notes merged, then add a short plucked-string tone
per event into one buffer. Every tone is a few harmonics whose upper partials fade faster than the
fundamental, which sounds like a harp or a bouzouki rather than a bare sine.

Choices worth knowing:
- Tempo: the tune's first `Q:` field when it has one, for the whole tune (clamped to
  MIN_QUARTER_BPM..MAX_QUARTER_BPM so that a generated `Q:0` cannot hang or silence the synthesizer),
  otherwise DEFAULT_TEMPI by the first meter (M:).
- Notes written together in `[...]` sound together. Guitar-chord symbols such as "Am" are NOT
  played: they are optional annotations, most corpus tunes have none, and a generated tune's
  symbols often clash with its melody. Grace notes (`{g}`) are not played either (they have no
  length of their own in music21).
- The waveform lasts exactly the tune's length (music21 quarter lengths at the tempo) plus
  TAIL_SECONDS, so the last note can fade out instead of stopping with a click.
"""

import functools
import math
import wave
from pathlib import Path

import numpy as np

from .abc_parse import parse_abc
from .errors import AbcError

SAMPLE_RATE = 22_050  # Hz: plenty for folk melodies (whose notes stay below ~2 kHz) and half the data of CD rate

# Default tempo per meter when a tune has no Q: field: (beat length in quarter notes, beats per minute).
# Moderate dance tempi, a little slower than a session plays them, so a listener can follow the tune.
DEFAULT_TEMPI = {
    "2/2": (2.0, 96),  # reels written in cut time: 96 half notes a minute
    "4/4": (2.0, 96),  # reels and hornpipes (most of the corpus): counted in half notes like 2/2
    "2/4": (1.0, 120),  # polkas and marches
    "3/4": (1.0, 126),  # waltzes, mazurkas, airs
    "3/2": (2.0, 84),  # triple hornpipes
    "6/8": (1.5, 108),  # double jigs: 108 dotted quarters a minute
    "9/8": (1.5, 112),  # slip jigs
    "12/8": (1.5, 112),  # slides
}
FALLBACK_TEMPO = (1.0, 120)  # any other meter, or none: 120 quarter notes a minute
MIN_QUARTER_BPM = 30
MAX_QUARTER_BPM = 480

TAIL_SECONDS = 0.5  # silence after the last note's end, long enough for its release
RELEASE_SECONDS = 0.06  # each note fades out over this after its written end (no clicks)
ATTACK_SECONDS = 0.004  # the pluck: fast, but not instantaneous (that clicks); shorter than any tone's release
MAX_SECONDS = 600.0  # refuse longer tunes: a 10-minute buffer is already 13 million samples
# music21's names for the barlines `||`, `|]` and `[|`, which end a section of a tune.
SECTION_BARLINES = frozenset({"double", "final", "heavy-light", "light-light", "light-heavy"})
HEADROOM = 0.9  # peak level after normalisation, a little below full scale

# Relative loudness of harmonics 1, 2, 3, ... of every note; their decay rate grows with the
# harmonic number, so a note starts bright and mellows, as a plucked string does.
HARMONIC_AMPLITUDES = (1.0, 0.55, 0.35, 0.22, 0.14, 0.09, 0.05)
DECAY_PER_SECOND = 2.2  # of the fundamental; harmonic k decays k**0.7 times faster


def synthesize(abc, sample_rate=SAMPLE_RATE):
    """Return the sound of one ABC tune as a 1-D float32 numpy array with peak HEADROOM (≤ 1).

    Raises AbcError (Ukrainian message) when the text is not a readable tune or has no notes.
    """
    sample_rate = _check_sample_rate(sample_rate)
    events, total_quarters, seconds_per_quarter = tune_events(abc)
    duration = total_quarters * seconds_per_quarter
    if duration > MAX_SECONDS:
        raise AbcError(
            f"Мелодія звучала б {duration / 60:.0f} хв — це задовго (межа {MAX_SECONDS / 60:.0f} хв). "
            "Перевірте тривалості нот і темп (Q:)."
        )
    n_samples = round(duration * sample_rate) + round(TAIL_SECONDS * sample_rate)
    release = round(RELEASE_SECONDS * sample_rate)
    buffer = np.zeros(n_samples, dtype=np.float32)
    for start_q, length_q, frequency in events:
        start = round(start_q * seconds_per_quarter * sample_rate)
        held = max(1, round(length_q * seconds_per_quarter * sample_rate))
        tone = note_tone(frequency, held, release, sample_rate)
        end = min(start + len(tone), n_samples)
        buffer[start:end] += tone[: end - start]
    peak = float(np.max(np.abs(buffer)))
    if peak > 0:
        buffer *= HEADROOM / peak
    return buffer


def tune_events(abc):
    """Parse one tune; return (events, total length in quarter notes, seconds per quarter note).

    Each event is (start in quarter notes, length in quarter notes, frequency in Hz), sorted by start.
    """
    score = parse_abc(abc)
    if not hasattr(score, "parts"):  # an Opus: converter.parse found several X: tunes
        raise AbcError(
            "Текст містить кілька мелодій (кілька полів X:). Виділіть одну, "
            "наприклад abcrnn.extract_song_snippet(text)[0]."
        )
    try:
        seconds_per_quarter = 60.0 / quarter_bpm(score)
        notes, total_quarters = _notes_in_playing_order(score)
        events = _merge_ties(notes)
    except Exception as error:  # music21 can fail in many ways on odd, generated ABC
        raise AbcError(f"music21 прочитав мелодію, але не зміг розібрати її ноти: {type(error).__name__}: {error}") from error
    if not events:
        raise AbcError("У мелодії немає жодної ноти, яку можна зіграти (лише заголовки, паузи або акорди в лапках).")
    return events, total_quarters, seconds_per_quarter


def quarter_bpm(score):
    """Quarter notes per minute: from the first Q: field, else DEFAULT_TEMPI by the first meter."""
    from music21 import meter, tempo

    for mark in score.recurse().getElementsByClass(tempo.MetronomeMark):
        try:
            bpm = mark.getQuarterBPM()
        except ZeroDivisionError:  # Q:1/4=0 from a generated tune
            bpm = 0.0
        if bpm is not None and math.isfinite(bpm):
            return min(max(float(bpm), MIN_QUARTER_BPM), MAX_QUARTER_BPM)
    meters = score.recurse().getElementsByClass(meter.TimeSignature)
    ratio = meters[0].ratioString if meters else None
    beat_quarters, beats_per_minute = DEFAULT_TEMPI.get(ratio, FALLBACK_TEMPO)
    return beat_quarters * beats_per_minute


def _notes_in_playing_order(score):
    """(the notes of every part with the repeats played out, total length in quarter notes).

    Each note is (start, length, frequency, pitch space number, tie type), sorted by start.
    """
    from music21 import stream

    notes, total = [], 0.0
    for part in score.parts:
        measures = list(part.getElementsByClass(stream.Measure))
        if not measures:  # music21 made no measures (it happens for some one-line tunes): play as written
            notes += _pitched_notes(part)
            total = max(total, float(part.highestTime))
            continue
        notes_by_measure = {}  # each measure's notes, relative to its start, found once however often it repeats
        offset = 0.0
        for index in measure_playing_order(part, measures):
            if index not in notes_by_measure:
                notes_by_measure[index] = _pitched_notes(measures[index])
            notes += [(offset + start, *rest) for start, *rest in notes_by_measure[index]]
            offset += float(measures[index].duration.quarterLength)
        total = max(total, offset)
    notes.sort(key=lambda note: note[0])
    return notes, total


def measure_playing_order(part, measures):
    """Indices into `measures` (the part's measures) in the order they are played, repeats expanded.

    Repeat signs, first and second endings, D.C./Fine are music21's business (its repeat.Expander),
    but Expander deep-copies every measure it repeats, notes and all, which took most of the time of
    synthesizing a tune. So it is run on a skeleton: one empty measure per real measure, with the
    same barlines, repeat expressions and endings, whose copies only say which measure they stand for.
    Repeats that music21 cannot expand (common in generated tunes) are played once, in written order.
    """
    import copy

    from music21 import note, repeat, spanner, stream

    skeleton = stream.Part()
    stand_ins = {}
    for index, measure in enumerate(measures):
        stand_in = stream.Measure(number=measure.number)
        stand_in.numberSuffix = measure.numberSuffix
        stand_in.abcrnnIndex = index  # survives the Expander's copies
        if measure.leftBarline is not None:
            stand_in.leftBarline = copy.deepcopy(measure.leftBarline)
        if measure.rightBarline is not None:
            stand_in.rightBarline = copy.deepcopy(measure.rightBarline)
        for expression in measure.getElementsByClass(repeat.RepeatExpression):  # D.C., Fine, segno...
            stand_in.insert(expression.offset, copy.deepcopy(expression))
        stand_in.insert(0, note.Rest(quarterLength=1))  # some length, so the stand-ins follow one another
        skeleton.append(stand_in)
        stand_ins[id(measure)] = stand_in
    _add_implied_start_repeats([stand_ins[id(m)] for m in measures])
    for bracket in part.flatten().getElementsByClass(spanner.RepeatBracket):  # 1st and 2nd endings
        ending = spanner.RepeatBracket(number=bracket.number)
        ending.addSpannedElements([stand_ins[id(m)] for m in bracket.getSpannedElements() if id(m) in stand_ins])
        skeleton.insert(0, ending)
    try:
        expanded = repeat.Expander(skeleton).process(deepcopy=False)
        return [stand_in.abcrnnIndex for stand_in in expanded.getElementsByClass(stream.Measure)]
    except Exception:  # badly formed repeats: ExpanderException, or worse from deeper inside music21
        return list(range(len(measures)))


def _add_implied_start_repeats(measures):
    """Give every end repeat (:|) without a start repeat (|:) the start a musician would assume.

    In ABC, as in print, a `:|` with no `|:` before it repeats from the last section boundary: the
    previous `:|`, double bar `||` or final bar `|]`, or else the top. music21 always goes back to the
    top, so a tune of four such sections was played 1 + 2 + 3 + 4 times over (one of O'Neill's jigs
    came out 19 minutes long), and a B part with a first ending replayed the A part too.
    Modifies the (stand-in) measures.
    """
    from music21 import bar

    section_start, has_start = 0, False
    for index, measure in enumerate(measures):
        left, right = measure.leftBarline, measure.rightBarline
        if isinstance(left, bar.Repeat) and left.direction == "start":
            has_start = True
        if isinstance(right, bar.Repeat) and right.direction == "end":
            if not has_start and section_start > 0:
                measures[section_start].leftBarline = bar.Repeat(direction="start")
            section_start, has_start = index + 1, False
        elif isinstance(right, bar.Barline) and right.type in SECTION_BARLINES and not has_start:
            section_start = index + 1


def _pitched_notes(score):
    """(start, length, pitch frequency, pitch space number, tie type) for every sounding pitch."""
    from music21 import harmony

    notes = []
    for element in score.flatten().notes:
        if isinstance(element, harmony.Harmony):  # guitar-chord symbols: not played, see module doc
            continue
        length = float(element.quarterLength)
        if length <= 0 or element.duration.isGrace:
            continue
        start = float(element.offset)
        if element.isChord:
            chord_tie = element.tie.type if element.tie is not None else None
            for note in element.notes:
                tie = note.tie.type if note.tie is not None else chord_tie
                notes.append((start, length, note.pitch.frequency, note.pitch.ps, tie))
        else:
            tie = element.tie.type if element.tie is not None else None
            notes.append((start, length, element.pitch.frequency, element.pitch.ps, tie))
    notes.sort(key=lambda note: note[0])
    return notes


def _merge_ties(notes):
    """Join each tied pair into one longer note, so a tie sounds as one pluck, not two.

    music21's Stream.stripTies does not fit here, for two reasons measured on the corpus (143 of
    287 tunes with ties would sound different): it joins a tie between two different pitches
    (`G3-A`, a common slip in the transcriptions: 118 of those tunes) into one note and drops the
    second pitch; and a joined note that crosses a bar line lengthens its bar, so every later bar,
    counted bar by bar in playing order, starts too late. Here ties are joined after the repeats
    are played out, only between equal pitches that touch in time.
    """
    events = []  # mutable [start, length, frequency]
    open_ties = {}  # pitch space number -> the event a tie from it is still waiting to extend
    for start, length, frequency, ps, tie in notes:
        previous = open_ties.pop(ps, None)
        if previous is not None and tie in ("stop", "continue") and abs(previous[0] + previous[1] - start) < 1e-6:
            previous[1] += length
            event = previous
        else:
            event = [start, length, frequency]
            events.append(event)
        if tie in ("start", "continue"):
            open_ties[ps] = event
    return [tuple(event) for event in events]


def note_tone(frequency, held_samples, release_samples, sample_rate):
    """One plucked note: `held_samples` of ringing string, then a fade to silence over `release_samples`."""
    n = int(held_samples) + int(release_samples)
    tone = _ringing_string(round(float(frequency), 3), _power_of_two_at_least(n), int(sample_rate))[:n].copy()
    tone[held_samples:] *= _release_curve(int(release_samples))
    return tone


def _power_of_two_at_least(n):
    return 1 << (n - 1).bit_length()


@functools.lru_cache(maxsize=512)
def _ringing_string(frequency, n_samples, sample_rate):
    """A pluck of `frequency` left to ring for `n_samples`; every note is a prefix of one of these.

    Cached, and its length rounded up to a power of two, because a tune reuses a few dozen pitches
    for hundreds of notes: each note then costs one copy instead of several sines and exponentials.
    The returned array is read-only because it is shared.
    """
    t = np.arange(n_samples, dtype=np.float64) / sample_rate
    tone = np.zeros(n_samples, dtype=np.float64)
    for k, amplitude in enumerate(HARMONIC_AMPLITUDES, start=1):
        if k * frequency >= sample_rate / 2:  # above Nyquist it would alias into a wrong pitch
            break
        tone += amplitude * np.sin(2 * np.pi * k * frequency * t) * np.exp(-DECAY_PER_SECOND * k**0.7 * t)
    attack = round(ATTACK_SECONDS * sample_rate)
    tone[:attack] *= np.linspace(0.0, 1.0, attack, endpoint=False)
    tone = tone.astype(np.float32)
    tone.flags.writeable = False
    return tone


@functools.lru_cache(maxsize=16)
def _release_curve(n_samples):
    """A raised-cosine fade from 1 to 0: smoother to the ear than a straight line."""
    curve = (0.5 * (1 + np.cos(np.linspace(0.0, np.pi, n_samples)))).astype(np.float32)
    curve.flags.writeable = False
    return curve


def save_wav(path, abc_or_waveform, sample_rate=SAMPLE_RATE):
    """Write a tune (ABC text) or a waveform (1-D array, values in -1..1) as a 16-bit PCM mono WAV file.

    Returns the path as a pathlib.Path. Samples outside -1..1 are clipped.
    """
    sample_rate = _check_sample_rate(sample_rate)
    if isinstance(abc_or_waveform, str):
        waveform = synthesize(abc_or_waveform, sample_rate=sample_rate)
    else:
        waveform = _check_waveform(abc_or_waveform)
    pcm = np.round(np.clip(waveform, -1.0, 1.0) * 32767).astype("<i2")
    path = Path(path)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm.tobytes())
    return path


def _check_waveform(waveform):
    try:
        array = np.asarray(waveform, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"Очікувався запис ABC (рядок) або звукова хвиля (одновимірний масив чисел), "
            f"а отримано {type(waveform).__name__}."
        ) from error
    if array.ndim != 1:
        raise ValueError(f"Звукова хвиля має бути одновимірним масивом (моно), а має форму {array.shape}.")
    if array.size == 0:
        raise ValueError("Звукова хвиля порожня: у ній немає жодного відліку.")
    if not np.all(np.isfinite(array)):
        raise ValueError("Звукова хвиля містить NaN або нескінченність.")
    return array


def _check_sample_rate(sample_rate):
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) or not 1000 <= sample_rate <= 192_000:
        raise ValueError(f"Частота дискретизації має бути цілим числом від 1000 до 192000 Гц, а не {sample_rate!r}.")
    return int(sample_rate)
