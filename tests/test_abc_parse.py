"""Tests of parse_abc: real tunes parse, and every kind of bad input gives a clear Ukrainian AbcError."""

import sys
import warnings

import pytest
from music21 import stream

from abcrnn import AbcError, load_training_data, parse_abc
from abcrnn.abc_parse import MAX_PARSE_CHARS

GOOD = "X:1\nT:Good\nM:6/8\nL:1/8\nK:D\nAFA dfa|gfe d3|AFA dfa|gec d3|]"


def test_a_tune_parses_into_a_score_with_its_notes():
    score = parse_abc(GOOD)
    assert isinstance(score, stream.Score)
    assert [n.nameWithOctave for n in score.recurse().notes][:3] == ["A4", "F#4", "A4"]


def test_corpus_tunes_parse():
    for tune in load_training_data()[::400]:
        assert len(parse_abc(tune).recurse().notes) > 8


def test_a_key_only_tune_gets_the_standard_default_unit_length():
    # music21 raises without M: and L:; the ABC standard says the unit is then an eighth note
    score = parse_abc("X:1\nK:G\nGABc|")
    assert [n.quarterLength for n in score.recurse().notes] == [0.5] * 4


def test_a_path_is_never_read_as_a_file(tmp_path):
    path = tmp_path / "tune.abc"
    path.write_text(GOOD, encoding="utf-8")
    with pytest.raises(AbcError, match="не схожий на запис ABC"):
        parse_abc(str(path))


def test_whatever_music21_prints_or_warns_is_silenced(capsys, monkeypatch):
    from music21 import converter

    real_parse = converter.parseData

    def noisy_parse(*args, **kwargs):
        print("music21 chatter")
        print("music21 complaint", file=sys.stderr)
        warnings.warn("music21 warning")
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(converter, "parseData", noisy_parse)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        parse_abc(GOOD)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "" and seen == []


@pytest.mark.parametrize(
    ("abc", "message"),
    [
        ("", "порожній"),
        ("   \n\n", "порожній"),
        ("hello world", "не схожий на запис ABC"),
        ("Привіт!\nце не ABC", "не схожий на запис ABC"),
        ("X:1\nT:t\nM:4/4\nL:1/8\nK:G\n[GB GABc|", "акорд"),
        ("X:1\nT:t\nM:7/0\nL:1/8\nK:G\nGABc|", "нуль у знаменнику"),
        ("X:1\nT:t\nM:4/4\nL:1/0\nK:G\nGABc|", "нуль у знаменнику"),
        ("X:1\nT:t\nM:0/4\nL:1/8\nK:G\nGABc|", "неможливий"),
        ("X:1\nT:t\nM:1000/4\nL:1/8\nK:G\nGABc|", "неможливий"),
        ("X:1\nT:t\nM:abc\nL:1/8\nK:G\nGABc|", "Незрозумілий розмір"),
        ("X:1\nT:t\nM:4/4\nL:1/8\nK:G\nGABc|[M:7/0]GABc|", "нуль у знаменнику"),
        ("X:1\nT:t\nM:4/4\nL:1/8\nK:G\n", "немає жодної ноти"),
        ("X:1\nT:t\nM:4/4\nL:1/8\nK:G\n||::||", "немає жодної ноти"),
        ('X:1\nT:t\nM:4/4\nL:1/8\nK:G\n"Am GABc|dedB|', "лапки"),
        ("X:1\nT:t\nM:4/4\nL:1/8\nK:G\nG////////////A|", "music21 не зміг прочитати"),
        (GOOD + "\n\n" + GOOD.replace("X:1", "X:2"), "2 мелодії"),
        ("X:1\nK:G\n" + "GABc|" * (MAX_PARSE_CHARS // 5), "занадто довго"),
    ],
)
def test_bad_input_gives_a_ukrainian_abc_error(abc, message):
    with pytest.raises(AbcError, match=message):
        parse_abc(abc)


@pytest.mark.parametrize("bad", [None, 42, b"X:1\nK:G\nGABc|", ["X:1"]])
def test_a_non_string_gives_an_abc_error(bad):
    with pytest.raises(AbcError, match="Очікувався рядок"):
        parse_abc(bad)


def test_abc_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_abc("")


def test_annotations_do_not_lose_notes_or_break_the_parse():
    # music21 alone drops the note after ">" and raises on "_> 2,1" (both in the corpus)
    score = parse_abc('X:1\nT:t\nM:2/4\nL:1/16\nK:F\n">"d4 "_> 2,1"[g4B4]|"^Slow"c4 "@x"f4|')
    assert [n.quarterLength for n in score.recurse().notes] == [1.0, 1.0, 1.0, 1.0]


def test_chord_symbols_next_to_accidentals_keep_their_notes():
    score = parse_abc('X:1\nT:t\nM:4/4\nL:1/8\nK:C\n"D"^F2"G"_B2 "Am"c4|')
    names = [n.nameWithOctave for n in score.recurse().notes if n.quarterLength > 0]
    assert names == ["F#4", "B-4", "C5"]


def test_a_continuation_line_is_joined_to_its_field_not_read_as_notes():
    # music21 would read `+:cde` as the notes c, d, e.
    score = parse_abc("X:1\nT:A long\n+:cde title\nM:4/4\nL:1/8\nK:G\nGABc|")
    assert len(score.recurse().notes) == 4
    assert score.metadata.title == "A long cde title"
