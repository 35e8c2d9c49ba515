"""abcrnn.play_song: a compact MP3 player for every good tune, a Ukrainian message (and no exception) for a bad one."""

import base64
import io
import re

import numpy as np
import pytest
import soundfile

from abcrnn import AbcError, SAMPLE_RATE, TunePlayer, check_tune, load_training_data, play_song, synthesize
from abcrnn.playback import MAX_SECONDS, clip

GOOD = "X:1\nT:Test\nM:6/8\nL:1/8\nK:D\n|:DFA dAF|GBd gdB|AFD EFG|FDD D3:|\n"
N_CORPUS_SAMPLE = 15


def wav_samples(audio):
    """The decoded samples (floats) and the sample rate of a player's MP3."""
    with soundfile.SoundFile(io.BytesIO(audio.data)) as sound:
        assert (sound.format, sound.channels) == ("MP3", 1)
        return sound.read(dtype="float32"), sound.samplerate


def test_play_song_returns_an_mp3_player_with_the_tune(capsys):
    audio = play_song(GOOD)
    assert isinstance(audio, TunePlayer)
    frames, rate = wav_samples(audio)
    assert rate == SAMPLE_RATE
    expected = synthesize(GOOD)
    # MP3 pads the start and end by a frame or two (1152 samples each) and never loses sound.
    assert len(expected) <= len(frames) <= len(expected) + 3 * 1152
    assert 0.05 < np.abs(frames).max() <= 1.0
    html = audio._repr_html_()
    assert '<audio class="abcrnn-player" controls' in html
    assert base64.b64decode(html.split("base64,", 1)[1].split('"', 1)[0]) == audio.data
    assert len(audio.data) < 4_500 * audio.seconds  # about 32 kbit/s: 4 KB a second
    assert capsys.readouterr().err == ""


def test_a_long_tune_is_cut_with_a_fade_out():
    long_wave = np.full(int((MAX_SECONDS + 10) * SAMPLE_RATE), 0.5, dtype=np.float32)
    cut, was_cut = clip(long_wave)
    assert was_cut and len(cut) == int(MAX_SECONDS * SAMPLE_RATE)
    assert cut[0] == 0.5 and abs(cut[-1]) < 1e-3 and np.all(np.diff(cut[-SAMPLE_RATE // 2:]) <= 0)
    short, was_cut = clip(long_wave[:SAMPLE_RATE])
    assert not was_cut and len(short) == SAMPLE_RATE
    player = TunePlayer(b"x", MAX_SECONDS, cut=True)
    assert f"перші {MAX_SECONDS:.0f} с" in player._repr_html_()


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "just some words",
        "X:1\nM:4/4\nL:1/8\nK:C\n[CEG|\n",  # unclosed chord
        "X:1\nM:7/0\nL:1/8\nK:C\nCDEF|\n",  # zero denominator
        "X:1\nT:No notes\nM:4/4\nL:1/8\nK:C\n",
        "X:1\nM:4/4\nL:1/8\nK:C\n" + "CDEF|" * 60_000,  # far too long
        None,
    ],
)
def test_play_song_prints_why_a_bad_tune_cannot_be_played(capsys, bad):
    with pytest.raises(AbcError) as error:
        synthesize(bad)
    assert play_song(bad) is None
    captured = capsys.readouterr()
    assert captured.out == f"Не вдалося відтворити мелодію: {error.value}\n"
    assert re.search("[а-яіїєґ]{4}", str(error.value))  # the reason itself is in Ukrainian
    assert captured.err == ""  # stderr would cost an autograded cell its points


def corpus_sample():
    tunes = load_training_data()
    step = len(tunes) // N_CORPUS_SAMPLE  # spread over all three collections
    return [tunes[i * step] for i in range(N_CORPUS_SAMPLE)]


def test_play_song_works_on_every_accepted_tune_of_a_corpus_sample(capsys):
    accepted = [tune for tune in corpus_sample() if check_tune(tune).ok]
    assert len(accepted) >= N_CORPUS_SAMPLE // 2, "check_tune rejected most of the corpus sample"
    for tune in accepted:
        audio = play_song(tune)
        assert isinstance(audio, TunePlayer), f"не відтворилася мелодія:\n{tune[:300]}"
        frames, _ = wav_samples(audio)
        assert len(frames) > 5 * SAMPLE_RATE  # every dance tune in the corpus lasts longer than 5 s
    assert capsys.readouterr().out == ""
