"""Tests of the plain-text ABC tools: finding tunes in generated text and tidying tunes for training."""

import pytest

from abcrnn import AbcError, extract_song_snippet, load_training_data
from abcrnn.abc_text import clean_tune, default_unit_length, field_line, header_value, parse_meter, tune_body

TUNE_A = "X:1\nT:First\nM:6/8\nL:1/8\nK:D\nAFA dfa|gfe d3|"
TUNE_B = "X:2\nT:Second\nM:4/4\nL:1/8\nK:G\nGABc dBGB|cABG A4|"


# extract_song_snippet


def test_finished_tunes_are_found_and_the_unfinished_one_is_left_out():
    text = TUNE_A + "\n\n" + TUNE_B + "\n\nX:3\nT:Cut off\nM:2/4\nK:A\nAB c"
    assert extract_song_snippet(text) == [TUNE_A, TUNE_B]


def test_include_unfinished_returns_the_tune_cut_off_at_the_end():
    text = TUNE_A + "\n\nX:3\nT:Cut off\nK:A\nAB c"
    assert extract_song_snippet(text, include_unfinished=True) == [TUNE_A, "X:3\nT:Cut off\nK:A\nAB c"]


def test_several_blank_lines_and_blank_lines_with_spaces_separate_tunes():
    text = TUNE_A + "\n \n\t\n\n" + TUNE_B + "\n\n\n"
    assert extract_song_snippet(text) == [TUNE_A, TUNE_B]


def test_text_that_begins_in_the_middle_of_a_tune_is_skipped_up_to_the_first_x_line():
    text = "dfa|gfe d3|\nAFA dfa|\n\n" + TUNE_B + "\n\n"
    assert extract_song_snippet(text) == [TUNE_B]


def test_a_new_x_line_starts_a_new_tune_even_without_a_blank_line():
    text = TUNE_A + "\n" + TUNE_B + "\n\n"
    assert extract_song_snippet(text) == [TUNE_A, TUNE_B]


def test_text_after_a_tune_and_before_the_next_x_line_is_not_part_of_a_tune():
    text = TUNE_A + "\n\nSome free text between tunes\n\n" + TUNE_B + "\n\n"
    assert extract_song_snippet(text) == [TUNE_A, TUNE_B]


def test_windows_line_endings_are_handled():
    text = (TUNE_A + "\n\n" + TUNE_B + "\n\n").replace("\n", "\r\n")
    assert extract_song_snippet(text) == [TUNE_A, TUNE_B]


def test_a_tune_ending_with_a_single_newline_at_the_end_of_text_counts_as_unfinished():
    assert extract_song_snippet(TUNE_A + "\n") == []
    assert extract_song_snippet(TUNE_A + "\n", include_unfinished=True) == [TUNE_A]


def test_text_without_tunes_gives_an_empty_list():
    assert extract_song_snippet("") == []
    assert extract_song_snippet("abc def\n\nno tunes here\n\n") == []


def test_corpus_tunes_joined_by_blank_lines_come_back_unchanged():
    sample = load_training_data()[::20]
    assert extract_song_snippet("\n\n".join(sample) + "\n\n") == sample


def test_extract_song_snippet_rejects_a_non_string():
    with pytest.raises(AbcError, match="рядок"):
        extract_song_snippet(["X:1"])


# clean_tune


def test_clean_tune_drops_comments_information_fields_and_stray_spaces():
    raw = (
        "X: 7\r\nT: The Tune   Name \r\nZ: Transcribed by someone, someone@example.org\r\n"
        "N: a note\r\nM: 6/8\r\nL: 1/8\r\n%% typesetting directive\r\nK: D % key from the book\r\n"
        "\tAFA  dfa | gfe d3 |   \r\n% a comment line\r\nN: a remark inside the body"
    )
    assert clean_tune(raw) == "X:7\nT:The Tune Name\nM:6/8\nL:1/8\nK:D\nAFA dfa | gfe d3 |"


def test_clean_tune_adds_the_standard_unit_length_when_l_is_missing():
    assert clean_tune("X:1\nT:t\nM:2/4\nK:G\nGABc|") == "X:1\nT:t\nM:2/4\nL:1/16\nK:G\nGABc|"
    assert clean_tune("X:1\nT:t\nM:6/8\nK:G\nGAB|") == "X:1\nT:t\nM:6/8\nL:1/8\nK:G\nGAB|"


def test_clean_tune_keeps_an_existing_unit_length_and_the_music_unchanged():
    tune = 'X:1\nT:t\nM:C|\nL:1/8\nQ:1/2=100\nK:Ador\n|:"Am"A2 (3Bcd {g}e2 ~A2:|\n[M:3/4] A2 B2 c2|]'
    assert clean_tune(tune) == tune


def test_clean_tune_makes_typographic_punctuation_ascii_and_numbers_plain():
    assert clean_tune("X:0012\nT:Sandy\u2019s \u201cReel\u201d\nM:C\nK:G\nGABc|").startswith(
        "X:12\nT:Sandy's \"Reel\"\n"
    )


def test_clean_tune_keeps_an_escaped_percent_sign():
    assert "T:100\\% pure" in clean_tune("X:1\nT:100\\% pure\nM:C\nK:G\nGABc|")


@pytest.mark.parametrize(
    ("meter", "unit"),
    [("2/4", "1/16"), ("3/4", "1/8"), ("6/8", "1/8"), ("C", "1/8"), ("C|", "1/8"),
     ("3/8", "1/16"), ("none", "1/8"), (None, "1/8"), ("2+3/8", "1/16")],
)
def test_default_unit_length_follows_the_abc_standard(meter, unit):
    assert default_unit_length(meter) == unit


def test_tune_body_is_the_text_after_the_key_line():
    assert tune_body(TUNE_A) == "AFA dfa|gfe d3|"
    assert tune_body("X:1\nT:no key") == ""


def test_a_continuation_line_is_a_field_that_goes_with_the_field_it_continues():
    assert field_line("+:more title") == ("+", "more title") and field_line("ABc|") is None
    assert clean_tune("X:1\nT:t\n+:more\nN:note\n+:more note\nK:D\nabc") == "X:1\nT:t\n+:more\nL:1/8\nK:D\nabc"


@pytest.mark.parametrize(
    ("value", "meter"),
    [("6/8", (6, 8)), ("C", (4, 4)), ("C|", (2, 2)), ("2 + 3/8 % odd", (5, 8)), ("none", None), ("", None)],
)
def test_parse_meter_reads_every_way_of_writing_a_meter(value, meter):
    assert parse_meter(value) == meter


def test_parse_meter_rejects_what_is_not_a_meter():
    with pytest.raises(AbcError, match="Незрозумілий розмір"):
        parse_meter("abc")


def test_header_value_reads_the_header_only_without_its_comment():
    tune = "X:1\nT:Real % a note\nM:6/8\nK:G\nGABc|\nT:Second part\ndefg|\n"
    assert header_value(tune, "T") == "Real"
    assert header_value(tune, "M") == "6/8"
    assert header_value("X:1\nK:G\nGABc|\nT:Second part\ndefg|", "T") is None  # a T: inside the music is no title
    assert header_value("X:1\r\nT:Windows\r\nK:G\r\n", "T") == "Windows"
