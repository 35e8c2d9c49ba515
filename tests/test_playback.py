"""abcrnn.play_song: a player for every good tune, a Ukrainian message (and no exception) for a bad one."""

import io
import re
import wave

import numpy as np
import pytest
from IPython.display import Audio

from abcrnn import AbcError, SAMPLE_RATE, check_tune, load_training_data, play_song, synthesize

GOOD = "X:1\nT:Test\nM:6/8\nL:1/8\nK:D\n|:DFA dAF|GBd gdB|AFD EFG|FDD D3:|\n"
N_CORPUS_SAMPLE = 15


def wav_samples(audio):
    """The 16-bit samples and the sample rate inside an IPython Audio widget."""
    with wave.open(io.BytesIO(audio.data), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        return frames, wav.getframerate()


def test_play_song_returns_an_audio_player_with_the_tune(capsys):
    audio = play_song(GOOD)
    assert isinstance(audio, Audio)
    frames, rate = wav_samples(audio)
    assert rate == SAMPLE_RATE
    assert len(frames) == len(synthesize(GOOD))
    assert 0 < np.abs(frames).max() <= 32767  # normalised, not clipped
    assert capsys.readouterr().err == ""


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
        assert isinstance(audio, Audio), f"не відтворилася мелодія:\n{tune[:300]}"
        frames, _ = wav_samples(audio)
        assert len(frames) > 5 * SAMPLE_RATE  # every dance tune in the corpus lasts longer than 5 s
    assert capsys.readouterr().out == ""
