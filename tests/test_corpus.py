"""Tests of the training corpus: loading, cleaning, de-duplication, the split and the summary."""

import re
import subprocess
import sys
import time

import pytest

from abcrnn import (
    AbcError,
    CorpusSummary,
    corpus_summary,
    load_abc_files,
    load_training_data,
    split_train_validation,
)
from abcrnn.corpus import music21_corpus_dir, read_abc_file, training_tunes_by_collection

SMALL_FILE = (
    "% a collection header with comments only\n"
    "\n"
    "X: 1\nT: One\nM: 2/4\nL: 1/8\nK: G\nGABc|dedB|\n"
    "\n"
    "X: 2\nT: Two\nM: 6/8\nK: D\nAFA dfa|gfe d3|\n"
)


@pytest.fixture(scope="module")
def tunes():
    return load_training_data()


def test_the_corpus_has_over_4000_distinct_tunes_that_each_start_with_x(tunes):
    assert len(tunes) >= 4000
    assert all(tune.startswith("X:") for tune in tunes)
    assert len(set(tunes)) == len(tunes)


def test_python_c_one_liner_prints_at_least_4000():
    result = subprocess.run(
        [sys.executable, "-c", "import abcrnn; print(len(abcrnn.load_training_data()))"],
        capture_output=True, text=True, timeout=120, check=True,
    )
    assert int(result.stdout.strip()) >= 4000


def test_every_tune_is_tidy_text_for_a_character_model(tunes):
    for tune in tunes:
        assert "\r" not in tune and "\t" not in tune
        assert "\n\n" not in tune, "a blank line inside a tune would split it"
        assert not tune.endswith("\n")
        lines = tune.split("\n")
        assert all(line == line.strip() for line in lines)
        assert not any(line.startswith("%") for line in lines)
        assert not any(re.match(r"[ZNB]:", line) for line in lines)


def test_every_tune_has_all_five_header_fields(tunes):
    for tune in tunes:
        header = tune.split("\nK:")[0].split("\n")
        for name in "XTML":
            assert any(line.startswith(name + ":") for line in header), (name, tune[:80])
        assert re.search(r"^K:", tune, re.MULTILINE)


def test_the_corpus_is_ascii(tunes):
    assert all(tune.isascii() for tune in tunes)


def test_all_three_collections_contribute():
    grouped = training_tunes_by_collection()
    assert set(grouped) == {"oneills1850", "ryansMammoth", "airdsAirs"}
    assert len(grouped["oneills1850"]) > 1700
    assert len(grouped["ryansMammoth"]) > 1000
    assert len(grouped["airdsAirs"]) > 1100


def test_overlapping_oneill_files_give_each_book_tune_once():
    grouped = training_tunes_by_collection()
    numbers = [int(re.match(r"X:(\d+)", tune).group(1)) for tune in grouped["oneills1850"]]
    # 732-758 and 1116-1135 are each transcribed in two files, 626-635 sits inside 626-700
    for number in (626, 630, 732, 745, 1116, 1130):
        assert numbers.count(number) == 1, number


def test_oneill_tunes_that_only_share_a_mistyped_number_are_both_kept():
    # 0626-0700.abc labels O'Neill's tune 700 as X:800, which 0759-0810.abc also uses for another tune
    oneill = training_tunes_by_collection()["oneills1850"]
    titles = [re.search(r"^T:(.*)$", tune, re.MULTILINE).group(1) for tune in oneill if tune.startswith("X:800\n")]
    assert len(titles) == 2 and titles[0] != titles[1]


def test_no_two_tunes_have_the_same_music(tunes):
    bodies = [re.sub(r"\s+", "", tune.split("\nK:", 1)[1].split("\n", 1)[-1]) for tune in tunes]
    assert len(set(bodies)) == len(bodies)


def test_the_order_is_the_same_on_every_call(tunes):
    assert load_training_data() == tunes


def test_the_second_call_is_served_from_the_cache_and_callers_cannot_corrupt_it(tunes):
    started = time.perf_counter()
    copy = load_training_data()
    assert time.perf_counter() - started < 0.5  # generous: a cached copy takes about a millisecond
    copy.clear()
    assert len(load_training_data()) == len(tunes)


def test_verbose_prints_a_ukrainian_summary(capsys):
    load_training_data(verbose=True)
    assert "Мелодій:" in capsys.readouterr().out


# split_train_validation


def test_split_covers_every_tune_once_and_is_about_the_fraction_asked(tunes):
    train, validation = split_train_validation(tunes, validation_fraction=0.1, seed=0)
    assert len(train) + len(validation) == len(tunes)
    assert not set(train) & set(validation)
    assert len(validation) == round(len(tunes) * 0.1)


def test_split_is_the_same_on_every_call_and_independent_of_order(tunes):
    train, validation = split_train_validation(tunes, seed=0)
    assert split_train_validation(tunes, seed=0) == (train, validation)
    shuffled = list(reversed(tunes))
    train2, validation2 = split_train_validation(shuffled, seed=0)
    assert set(train2) == set(train) and set(validation2) == set(validation)


def test_split_keeps_the_input_order_inside_each_part(tunes):
    train, validation = split_train_validation(tunes)
    position = {tune: index for index, tune in enumerate(tunes)}
    assert [position[t] for t in train] == sorted(position[t] for t in train)
    assert [position[t] for t in validation] == sorted(position[t] for t in validation)


def test_another_seed_gives_another_split(tunes):
    assert split_train_validation(tunes, seed=0)[1] != split_train_validation(tunes, seed=1)[1]


def test_copies_of_one_tune_never_end_up_on_both_sides():
    tunes = [f"X:{i}\nT:t\nK:G\nGABc|" for i in range(20)] * 3
    train, validation = split_train_validation(tunes, validation_fraction=0.3)
    assert not set(train) & set(validation)
    assert validation and len(validation) % 3 == 0


def test_a_tiny_list_still_gets_one_validation_tune_and_fraction_zero_gets_none():
    tunes = ["X:1\nK:G\nG|", "X:2\nK:G\nA|", "X:3\nK:G\nB|"]
    assert len(split_train_validation(tunes, validation_fraction=0.1)[1]) == 1
    assert split_train_validation(tunes, validation_fraction=0) == (tunes, [])


@pytest.mark.parametrize("fraction", [-0.1, 1, 1.5, "0.1", None, True])
def test_split_rejects_a_bad_fraction(fraction):
    with pytest.raises(AbcError, match="Частка"):
        split_train_validation(["X:1\nK:G\nG|"], validation_fraction=fraction)


@pytest.mark.parametrize("bad", ["X:1\nK:G\nG|", None, ["X:1", 2]])
def test_split_rejects_something_other_than_a_list_of_strings(bad):
    with pytest.raises(AbcError):
        split_train_validation(bad)


# load_abc_files


def test_load_abc_files_reads_a_file_and_tidies_its_tunes(tmp_path):
    path = tmp_path / "mine.abc"
    path.write_text(SMALL_FILE, encoding="utf-8")
    assert load_abc_files(path) == [
        "X:1\nT:One\nM:2/4\nL:1/8\nK:G\nGABc|dedB|",
        "X:2\nT:Two\nM:6/8\nL:1/8\nK:D\nAFA dfa|gfe d3|",
    ]


def test_load_abc_files_reads_every_abc_file_of_a_folder_in_name_order(tmp_path):
    (tmp_path / "b.abc").write_text("X:1\nT:B\nM:C\nL:1/8\nK:G\nBBBB|\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.abc").write_text("X:1\nT:C\nM:C\nL:1/8\nK:G\ncccc|\n", encoding="utf-8")
    (tmp_path / "a.abc").write_text("X:1\nT:A\nM:C\nL:1/8\nK:G\nAAAA|\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("X:1\nT:not abc file\nK:G\nGGGG|\n", encoding="utf-8")
    titles = [tune.split("\n")[1] for tune in load_abc_files(tmp_path)]
    assert titles == ["T:A", "T:B", "T:C"]


def test_load_abc_files_accepts_a_list_and_drops_duplicates(tmp_path):
    first, second = tmp_path / "1.abc", tmp_path / "2.abc"
    first.write_text(SMALL_FILE, encoding="utf-8")
    second.write_text(SMALL_FILE.replace("T: One", "T: Same music"), encoding="utf-8")
    assert len(load_abc_files([first, str(second)])) == 2


def test_load_abc_files_reads_latin1_files(tmp_path):
    path = tmp_path / "old.abc"
    path.write_bytes("X:1\nT:Caf\u00e9\nM:C\nL:1/8\nK:G\nGABc|\n".encode("latin-1"))
    assert load_abc_files(path)[0].split("\n")[1] == "T:Caf\u00e9"


def test_load_abc_files_reports_a_missing_path_in_ukrainian(tmp_path):
    with pytest.raises(AbcError, match="не існує"):
        load_abc_files(tmp_path / "missing.abc")


def test_load_abc_files_reports_a_file_without_tunes(tmp_path):
    path = tmp_path / "empty.abc"
    path.write_text("% only a comment\nT:No X line\nK:G\nGABc|\n", encoding="utf-8")
    with pytest.raises(AbcError, match="немає жодної мелодії"):
        load_abc_files(path)


def test_load_abc_files_reports_a_folder_without_abc_files(tmp_path):
    with pytest.raises(AbcError, match="немає жодного файлу"):
        load_abc_files(tmp_path)


@pytest.mark.parametrize("bad", [[], 42, [None]])
def test_load_abc_files_rejects_bad_arguments(bad):
    with pytest.raises(AbcError):
        load_abc_files(bad)


def test_the_one_utf8_corpus_file_is_read_and_its_tune_kept():
    path = music21_corpus_dir() / "ryansMammoth" / "SandyBuchanansStrathspey.abc"
    assert "\u2019" in read_abc_file(path)  # typographic quotes, in fields that cleaning drops
    assert any("\nT:SANDY BUCHANAN'S -- STRATHSPEY\n" in tune for tune in load_training_data())


# corpus_summary


def test_corpus_summary_counts_what_it_says():
    summary = corpus_summary(["X:1\nab", "X:2\nabcd", "X:3"])
    assert summary == CorpusSummary(
        n_tunes=3, n_chars=17, n_distinct_chars=10, median_length=6, min_length=3,
        max_length=8, vocabulary="\n123:Xabcd",
    )


def test_corpus_summary_of_the_corpus_reads_in_ukrainian(tunes):
    summary = corpus_summary(tunes)
    assert 80 <= summary.n_distinct_chars <= 100
    assert 200 <= summary.median_length <= 400
    text = str(summary)
    assert f"Мелодій: {len(tunes)}" in text and "різних символів" in text


def test_corpus_summary_of_an_empty_list():
    assert corpus_summary([]).n_tunes == 0
    assert "порожній" in str(corpus_summary([]))


def test_corpus_summary_rejects_a_string():
    with pytest.raises(AbcError):
        corpus_summary("X:1\nK:G\nG|")
