"""abcrnn.synthesize and abcrnn.save_wav: the sound a student hears must be the tune that was written."""

import wave

import numpy as np
import pytest

import abcrnn
from abcrnn import AbcError, SAMPLE_RATE, load_training_data, save_wav, synthesize
from abcrnn import synth

TAIL = round(synth.TAIL_SECONDS * SAMPLE_RATE)


def tune(body, meter="4/4", tempo="Q:1/4=120", length="1/8", key="C"):
    headers = ["X:1", "T:Test", f"M:{meter}", f"L:{length}"]
    if tempo:
        headers.append(tempo)
    return "\n".join(headers + [f"K:{key}", body]) + "\n"


def samples_for(quarters, quarter_bpm, sample_rate=SAMPLE_RATE):
    return round(quarters * 60 / quarter_bpm * sample_rate) + round(synth.TAIL_SECONDS * sample_rate)


def spectrum_peak_hz(waveform, start_s, end_s, sample_rate=SAMPLE_RATE):
    segment = waveform[round(start_s * sample_rate) : round(end_s * sample_rate)]
    magnitudes = np.abs(np.fft.rfft(segment * np.hanning(len(segment))))
    frequencies = np.fft.rfftfreq(len(segment), 1 / sample_rate)
    return frequencies, magnitudes


def energy_near(frequencies, magnitudes, hz, width=4.0):
    return magnitudes[np.abs(frequencies - hz) < width].max()


def test_waveform_is_1d_float32_normalised_and_repeatable():
    abc = tune("CDEF GABc|")
    waveform = synthesize(abc)
    assert waveform.ndim == 1 and waveform.dtype == np.float32
    assert np.all(np.isfinite(waveform))
    assert 0.5 < np.max(np.abs(waveform)) <= 1.0
    np.testing.assert_array_equal(waveform, synthesize(abc))


def test_length_is_tune_duration_at_q_tempo_plus_fixed_tail():
    # 2 bars of 4/4 = 8 quarter notes at 120 a minute = 4 s.
    waveform = synthesize(tune("CDEF GABc|cBAG FEDC|"))
    assert len(waveform) == 4 * SAMPLE_RATE + TAIL


def test_q_field_in_another_unit_sets_the_tempo():
    # 6/8 with dotted quarter = 60: one bar (3 quarters) lasts 2 s.
    waveform = synthesize(tune("CDE FGA|", meter="6/8", tempo="Q:3/8=60"))
    assert len(waveform) == 2 * SAMPLE_RATE + TAIL


@pytest.mark.parametrize("meter, quarters_in_two_bars", [("4/4", 8), ("6/8", 6), ("3/4", 6), ("2/4", 4), ("5/4", 10)])
def test_default_tempo_follows_the_documented_table_by_meter(meter, quarters_in_two_bars):
    beats = {"4/4": "CDEF GABc|", "6/8": "CDE FGA|", "3/4": "CDEF GA|", "2/4": "CDEF|", "5/4": "CDEF GABc de|"}[meter]
    waveform = synthesize(tune(beats + beats, meter=meter, tempo=None))
    beat_quarters, beats_per_minute = synth.DEFAULT_TEMPI.get(meter, synth.FALLBACK_TEMPO)
    assert len(waveform) == samples_for(quarters_in_two_bars, beat_quarters * beats_per_minute)


def test_reels_and_jigs_get_dance_tempi_without_q():
    reel_bpm = synth.quarter_bpm(abcrnn.parse_abc(tune("CDEF GABc|", tempo=None)))
    jig_bpm = synth.quarter_bpm(abcrnn.parse_abc(tune("CDE FGA|", meter="6/8", tempo=None)))
    assert 150 <= reel_bpm <= 240  # quarter notes a minute: a relaxed reel
    assert 130 <= jig_bpm <= 200  # a relaxed double jig (90-130 dotted quarters)


def test_absurd_q_tempo_is_clamped_instead_of_hanging_or_failing():
    slow = synthesize(tune("CDEF|", tempo="Q:1/4=0"))
    fast = synthesize(tune("CDEF|", tempo="Q:1/4=100000"))
    assert len(slow) == samples_for(2, synth.MIN_QUARTER_BPM)
    assert len(fast) == samples_for(2, synth.MAX_QUARTER_BPM)


def test_repeats_are_played_twice():
    once = synthesize(tune("CDEF GABc|cdef gabc|\ncBAG FEDC|CDEF GABc|"))
    twice = synthesize(tune("|:CDEF GABc|cdef gabc:|\n|:cBAG FEDC|CDEF GABc:|"))
    assert len(once) == samples_for(16, 120)
    assert len(twice) == samples_for(32, 120)
    # The second time through is the same music as the first.
    section = round(4 * SAMPLE_RATE)
    # (Skipping the first 0.1 s, where the release of the last note before the repeat still sounds.)
    skip = round(0.1 * SAMPLE_RATE)
    np.testing.assert_allclose(twice[section + skip : section + 20000], twice[skip:20000], atol=1e-4)


def test_first_and_second_endings_are_played_in_turn():
    abc = tune("|:CDEF GABc|cdef gabc|\ncBAG FEDC|1 E8:|2 C8|]")
    part = abcrnn.parse_abc(abc).parts[0]
    measures = list(part.getElementsByClass("Measure"))
    assert synth.measure_playing_order(part, measures) == [0, 1, 2, 3, 0, 1, 2, 4]
    assert len(synthesize(abc)) == samples_for(32, 120)


def playing_order(body):
    part = abcrnn.parse_abc(tune(body)).parts[0]
    return synth.measure_playing_order(part, list(part.getElementsByClass("Measure")))


def test_end_repeat_without_start_repeats_from_the_previous_section_end():
    # music21 alone would go back to the top every time: sections played 1 + 2 + 3 times over.
    assert playing_order("CDEF GABc|cdef gabc:|\ncBAG FEDC|EFGA Bcde:|\nGABc defg|C8:|\n") == [
        0, 1, 0, 1, 2, 3, 2, 3, 4, 5, 4, 5
    ]


def test_end_repeat_after_a_double_bar_repeats_from_the_double_bar():
    # A B part with first and second endings and no |: starts after the || that ends the A part.
    assert playing_order("|:CDEF GABc|cdef gabc:|\ncBAG FEDC|EFGA Bcde||\nGABc defg|1 C8:|2 E8|]\n") == [
        0, 1, 0, 1, 2, 3, 4, 5, 4, 6
    ]


def test_a_long_corpus_tune_of_end_repeats_is_played_each_section_twice():
    old_nora = next(t for t in load_training_data() if "T:Old Nora" in t)  # six sections, each ending :|
    notes, total = synth._notes_in_playing_order(abcrnn.parse_abc(old_nora))
    assert total == 2 * float(abcrnn.parse_abc(old_nora).highestTime)
    assert len(synthesize(old_nora)) < 3 * 60 * SAMPLE_RATE


def test_repeats_are_expanded_exactly_as_music21_expands_the_whole_score():
    # measure_playing_order runs music21's Expander on stand-in measures because that is faster than
    # Score.expandRepeats(); both must give the same notes once the implied |: are in place.
    with_repeats = [t for t in load_training_data() if ":|" in t][::400]
    assert len(with_repeats) >= 5
    for abc in with_repeats:
        reference_score = abcrnn.parse_abc(abc)
        for part in reference_score.parts:
            synth._add_implied_start_repeats(list(part.getElementsByClass("Measure")))
        reference_score = reference_score.expandRepeats()
        reference = synth._merge_ties(synth._pitched_notes(reference_score))
        notes, total = synth._notes_in_playing_order(abcrnn.parse_abc(abc))
        assert total == float(reference_score.highestTime)
        np.testing.assert_allclose(np.array(sorted(synth._merge_ties(notes))), np.array(sorted(reference)), atol=1e-9)


def test_badly_formed_repeats_play_once_instead_of_failing():
    # An end repeat that music21 cannot expand: the tune is played straight through.
    abc = tune("|:CDEF GABc:|\n|:cBAG FEDC|]")
    waveform = synthesize(abc)
    assert len(waveform) == samples_for(8, 120)


def test_rests_are_silent():
    waveform = synthesize(tune("C2 z2 C2 z2|"))  # quarter notes at 120: C 0-0.5 s, rest 0.5-1 s
    note = waveform[round(0.1 * SAMPLE_RATE) : round(0.4 * SAMPLE_RATE)]
    rest = waveform[round(0.5 * SAMPLE_RATE + synth.RELEASE_SECONDS * SAMPLE_RATE) + 10 : round(1.0 * SAMPLE_RATE)]
    assert np.sqrt(np.mean(rest**2)) < 1e-6 < np.sqrt(np.mean(note**2))


def test_tied_notes_sound_as_one_long_note():
    tied = synthesize(tune("C2-C2 z4|"))
    long_note = synthesize(tune("C4 z4|"))
    repeated = synthesize(tune("C2 C2 z4|"))
    np.testing.assert_allclose(tied, long_note, atol=1e-6)
    assert not np.allclose(repeated, long_note, atol=1e-3)


def test_a_tie_between_different_pitches_plays_both_and_a_tie_over_a_bar_keeps_the_next_bar_in_time():
    # music21's stripTies would join G and A into one G, and lengthen the tied-over bar (see _merge_ties).
    events, total, _ = synth.tune_events(tune("G3-A B4 | c8- | c4 d4 |", length="1/8"))
    names = [(start, length, round(frequency)) for start, length, frequency in events]
    assert names == [(0.0, 1.5, 392), (1.5, 0.5, 440), (2.0, 2.0, 494), (4.0, 6.0, 523), (10.0, 2.0, 587)]
    assert total == 12.0


def test_pitch_of_a_is_440_hz():
    waveform = synthesize(tune("A8|"))
    frequencies, magnitudes = spectrum_peak_hz(waveform, 0.1, 1.9)
    assert abs(frequencies[np.argmax(magnitudes)] - 440.0) < 2.0


def test_notes_in_brackets_sound_together():
    chord = synthesize(tune("[CEG]8|"))
    single = synthesize(tune("C8|"))
    for waveform, expect_e_and_g in ((chord, True), (single, False)):
        frequencies, magnitudes = spectrum_peak_hz(waveform, 0.1, 1.9)
        c = energy_near(frequencies, magnitudes, 261.63)
        e = energy_near(frequencies, magnitudes, 329.63)
        g = energy_near(frequencies, magnitudes, 392.00)
        if expect_e_and_g:
            assert e > 0.3 * c and g > 0.3 * c
        else:
            assert e < 0.02 * c and g < 0.02 * c


def test_voices_sound_together():
    abc = "X:1\nT:Two voices\nM:4/4\nL:1/8\nQ:1/4=120\nK:C\nV:1\nc2d2 e2f2|g8|\nV:2\nC,8|G,8|\n"
    waveform = synthesize(abc)
    assert len(waveform) == samples_for(8, 120)
    frequencies, magnitudes = spectrum_peak_hz(waveform, 2.1, 3.9)  # second bar: g (784 Hz) over G, (196 Hz)
    assert energy_near(frequencies, magnitudes, 196.0) > 0.3 * energy_near(frequencies, magnitudes, 784.0)


def test_tone_has_harmonics_not_a_bare_sine():
    frequencies, magnitudes = spectrum_peak_hz(synthesize(tune("A8|")), 0.1, 1.9)
    fundamental = energy_near(frequencies, magnitudes, 440.0)
    assert energy_near(frequencies, magnitudes, 880.0) > 0.1 * fundamental
    assert energy_near(frequencies, magnitudes, 1320.0) > 0.05 * fundamental


def test_guitar_chord_symbols_are_not_played():
    np.testing.assert_array_equal(synthesize(tune('"Am"C4 "G"D4|')), synthesize(tune("C4 D4|")))


def test_sample_rate_parameter_scales_the_length():
    waveform = synthesize(tune("CDEF GABc|"), sample_rate=8000)
    assert len(waveform) == samples_for(4, 120, sample_rate=8000)


@pytest.mark.parametrize("rate", [0, -1, 44100.5, "44100", True, 10**7])
def test_bad_sample_rate_is_a_clear_error(rate):
    with pytest.raises(ValueError, match="Частота дискретизації"):
        synthesize(tune("CDEF|"), sample_rate=rate)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   \n",
        None,
        123,
        "hello world",
        "X:1\nM:4/4\nL:1/8\nK:C\n[CEG|\n",  # unclosed chord
        "X:1\nM:7/0\nL:1/8\nK:C\nCDEF|\n",  # zero denominator
        "X:1\nT:Headers only\nM:4/4\nL:1/8\nK:C\n",  # no notes
        "X:1\nM:4/4\nL:1/8\nK:C\nz8|z8|\n",  # only rests
        'X:1\nM:4/4\nL:1/8\nK:C\n"Am CDEF|\n',  # unclosed chord symbol swallows the notes
        "X:1\nM:4/4\nL:1/8\nK:C\n" + "CDEF|" * 60_000,  # far too long a text
        "X:1\nM:4/4\nL:1/8\nK:C\nC1000000|\n",  # a note lasting hours
        "X:1\nM:4/4\nL:1/8\nK:C\nCDEF|\n\nX:2\nM:4/4\nL:1/8\nK:C\nGABc|\n",  # two tunes at once
    ],
)
def test_bad_input_raises_abc_error_in_ukrainian(bad):
    with pytest.raises(AbcError) as error:
        synthesize(bad)
    assert any("а" <= ch <= "я" or ch in "іїєґ" for ch in str(error.value).lower())


def test_save_wav_writes_16_bit_mono_pcm_of_the_tune(tmp_path):
    abc = tune("CDEF GABc|")
    path = save_wav(tmp_path / "tune.wav", abc)
    expected = synthesize(abc)
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, SAMPLE_RATE)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    np.testing.assert_array_equal(frames, np.round(expected * 32767).astype(np.int16))


def test_save_wav_accepts_a_waveform_and_clips_it(tmp_path):
    path = save_wav(str(tmp_path / "beep.wav"), [0.0, 0.5, -0.5, 2.0, -2.0], sample_rate=8000)
    with wave.open(str(path), "rb") as wav:
        assert wav.getframerate() == 8000
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert frames.tolist() == [0, 16384, -16384, 32767, -32767]


@pytest.mark.parametrize(
    "bad, message",
    [(np.zeros((2, 10)), "одновимірним"), ([], "порожня"), ([0.0, float("nan")], "NaN"), (object(), "Очікувався")],
)
def test_save_wav_rejects_bad_waveforms(tmp_path, bad, message):
    with pytest.raises(ValueError, match=message):
        save_wav(tmp_path / "bad.wav", bad)
    assert not (tmp_path / "bad.wav").exists()


def test_save_wav_of_bad_abc_raises_abc_error_and_writes_nothing(tmp_path):
    with pytest.raises(AbcError):
        save_wav(tmp_path / "bad.wav", "X:1\nK:C\n")
    assert not (tmp_path / "bad.wav").exists()


def mutated(tune_text, rng, alphabet):
    """A corpus tune with a few characters replaced, inserted or deleted, like a half-trained model's."""
    chars = list(tune_text)
    for _ in range(rng.randint(1, 12)):
        position, operation = rng.randrange(len(chars)), rng.random()
        if operation < 0.4:
            chars[position] = rng.choice(alphabet)
        elif operation < 0.7:
            chars.insert(position, rng.choice(alphabet))
        else:
            del chars[position]
    return "".join(chars)


def test_damaged_tunes_give_a_waveform_or_abc_error_never_another_exception():
    import random

    rng = random.Random(0)  # the same damaged tunes on every run
    tunes = load_training_data()
    alphabet = sorted(set("".join(tunes[:200])))
    outcomes = {"sound": 0, "AbcError": 0}
    for _ in range(40):
        try:
            waveform = synthesize(mutated(rng.choice(tunes), rng, alphabet))
        except AbcError:
            outcomes["AbcError"] += 1
        else:
            assert waveform.ndim == 1 and np.all(np.isfinite(waveform)) and np.max(np.abs(waveform)) <= 1.0
            outcomes["sound"] += 1
    assert outcomes["sound"] > 0 and outcomes["AbcError"] > 0  # the sample really mixes both kinds
