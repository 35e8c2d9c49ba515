"""Tests of check_tune: the verdict on real and hand-written tunes, bar lengths, and bad input."""

import random

import pytest

from abcrnn import AbcError, TuneReport, check_tune, load_training_data

# A reel with a pickup, two repeated sections and first and second endings: every bar is complete
# except the pickup, which must not count as wrong.
REEL = """X:1
T:Test Reel
M:4/4
L:1/8
K:D
A2|:d2fd AdfA|d2fd e2cA|B2gB A2fA|GFGA F2A2:|
|:f2af g2bg|f2af e2ce|f2af g2bg|1 fedc d2A2:|2 fedc d4|]"""

# The same reel with bar 4 one eighth too long and bar 7 one eighth too short.
REEL_WITH_WRONG_BARS = REEL.replace("B2gB A2fA|", "B2gB A2fAB|").replace("f2af e2ce|", "f2af e2c|")


def test_a_correct_tune_is_ok_and_fully_described():
    report = check_tune(REEL)
    assert isinstance(report, TuneReport)
    assert report.ok and report.reasons == []
    assert report.fields == {"X": True, "T": True, "M": True, "L": True, "K": True}
    assert report.parses
    assert report.n_notes == 55
    assert report.wrong_length_bars == []
    assert report.n_bars == 4  # the bars away from the pickup, repeat signs, endings and final bar
    assert (report.lowest_pitch, report.lowest_midi) == ("F#4", 66)
    assert (report.highest_pitch, report.highest_midi) == ("B5", 83)


def test_bars_of_the_wrong_length_are_found_and_fail_the_verdict():
    report = check_tune(REEL_WITH_WRONG_BARS)
    assert report.parses
    assert report.wrong_length_bars == [4, 7]
    assert not report.ok
    assert any("не відповідає розміру" in reason for reason in report.reasons)


def test_an_overlong_bar_is_not_hidden_by_music21_splitting_it():
    tune = "X:1\nT:t\nM:3/4\nL:1/8\nK:G\nG2|GABc de|GABc dedc|GABc de|GABc de|d4|]"
    report = check_tune(tune)
    assert report.wrong_length_bars == [3]


def test_a_free_meter_tune_has_no_bar_check():
    report = check_tune("X:1\nT:t\nM:none\nL:1/8\nK:G\nGABc dedB|GABc|dedB GABc dedB|GA|")
    assert report.n_bars == 0 and report.ok


def test_most_real_tunes_pass_like_the_corpus_baseline():
    sample = load_training_data()[::135]  # 30 tunes from all three collections
    reports = [check_tune(tune) for tune in sample]
    assert all(report.parses and all(report.fields.values()) for report in reports)
    assert all(report.n_notes >= 30 for report in reports)
    # benchmarks/check_corpus.py measures about 95% ok over the whole corpus
    assert sum(report.ok for report in reports) >= 26


def test_the_report_of_a_tune_is_all_it_should_be_every_time():
    # As REEL's report (one note added, one taken away: the same count and range) but with bars 4 and 7 wrong:
    # 2 of the 4 checked bars, over the 10% allowed.
    expected = TuneReport(fields={"X": True, "T": True, "M": True, "L": True, "K": True}, parses=True, n_notes=55,
                          n_bars=4, wrong_length_bars=[4, 7], lowest_pitch="F#4", highest_pitch="B5", lowest_midi=66,
                          highest_midi=83, ok=False,
                          reasons=["Тактів, довжина яких не відповідає розміру M:, 2 з 4 (50%); допустимо щонайбільше 10%."])
    assert check_tune(REEL_WITH_WRONG_BARS) == expected
    check_tune(REEL)  # another tune in between leaves nothing behind
    assert check_tune(REEL_WITH_WRONG_BARS) == expected


def test_missing_headers_are_named_in_the_reasons():
    report = check_tune("X:1\nK:G\nGABc dedB|GABc dedB|GABc dedB|")
    assert report.fields == {"X": True, "T": False, "M": False, "L": False, "K": True}
    assert report.parses and not report.ok
    assert any("T:, M:, L:" in reason for reason in report.reasons)


def test_fields_after_the_header_do_not_count_as_header_fields():
    report = check_tune("X:1\nK:G\nGABc dedB|\nT:late title\nM:3/4\nGAB|")
    assert report.fields["T"] is False and report.fields["M"] is False


def test_too_few_notes_fail_the_verdict():
    report = check_tune("X:1\nT:t\nM:4/4\nL:1/8\nK:G\nG8|A8|")
    assert report.parses and report.n_notes == 2 and not report.ok
    assert any("Замало нот" in reason for reason in report.reasons)


def test_chord_symbols_are_not_counted_as_notes():
    report = check_tune('X:1\nT:t\nM:4/4\nL:1/8\nK:G\n"G"G8|"D"A8|')
    assert report.n_notes == 2
    assert (report.lowest_pitch, report.highest_pitch) == ("G4", "A4")


def test_an_accent_annotation_does_not_swallow_the_next_note():
    # O'Neill's transcribers write ">" before a note as an accent; music21 alone would drop the note
    report = check_tune('X:1\nT:t\nM:C\nL:1/8\nK:F\n">"d4 (edcA)|">"c4 (dcAG)|d8|]')
    assert report.n_notes == 11 and report.wrong_length_bars == []


def test_an_unclosed_quote_that_swallows_the_tune_is_reported():
    report = check_tune('X:1\nT:t\nM:4/4\nL:1/8\nK:G\n"Am GABc dedB|GABc dedB|')
    assert not report.parses and not report.ok
    assert any("лапки" in reason for reason in report.reasons)


@pytest.mark.parametrize(
    "abc",
    [
        "",
        "hello world",
        "X:1\nT:t\nM:7/0\nL:1/8\nK:G\nGABc|",
        "X:1\nT:t\nM:4/4\nL:1/8\nK:G\n[GB GABc|",
        "X:1\nT:t\nM:4/4\nL:1/8\nK:G\n",
        "X:1\nT:t\nM:4/4\nL:1/8\nK:G\nG////////////A|",
        "X:1\nK:G\n" + "GABc|" * 2000,
        "X:1\nT:a\nK:G\nGABc|\n\nX:2\nT:b\nK:G\nGABc|",
        "\x00\x01\x02",
    ],
)
def test_bad_strings_give_a_failing_report_and_never_raise(abc):
    report = check_tune(abc)
    assert report.ok is False
    assert report.reasons and all(isinstance(reason, str) for reason in report.reasons)


@pytest.mark.parametrize("bad", [None, 12, b"X:1", ["X:1"]])
def test_a_non_string_raises_abc_error(bad):
    with pytest.raises(AbcError):
        check_tune(bad)


def test_the_summary_is_ukrainian_and_lists_the_reasons():
    good = check_tune(REEL).summary()
    assert good.startswith("Мелодія придатна.")
    assert "Діапазон: від F#4 (MIDI 66) до B5 (MIDI 83)" in good
    bad = check_tune(REEL_WITH_WRONG_BARS)
    assert str(bad).startswith("Мелодія має вади:")
    assert bad.reasons[0] in str(bad)
    assert "music21 прочитав мелодію: ні" in str(check_tune("hello"))


def test_randomly_damaged_corpus_tunes_never_make_check_tune_raise():
    # generated text is full of such damage: stray, missing and swapped characters
    rng = random.Random(7)
    tunes = load_training_data()
    vocabulary = sorted(set("".join(tunes[:300])))
    for _ in range(15):
        characters = list(rng.choice(tunes))
        for _ in range(rng.randint(1, 30)):
            position = rng.randrange(len(characters))
            if rng.random() < 0.5:
                characters.insert(position, rng.choice(vocabulary))
            else:
                del characters[position]
        report = check_tune("".join(characters))
        assert isinstance(report.ok, bool)
        assert report.ok == (not report.reasons)
