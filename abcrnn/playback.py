"""Listen to a tune in Jupyter, Colab or on the course website: a compact MP3 player, or a clear message why not.

Why MP3 and not WAV: the player's sound is stored inside the notebook that the student hands in. A WAV of a
25-second tune is about 1,1 MB (1,45 MB in base64), so a finished Part 2 with a dozen tunes grew to 8 MB;
the same tune as a 32 kbit/s MP3 is about 100 KB, and every browser plays MP3. The encoder is libsndfile's
(the `soundfile` package, preinstalled in Colab), so nothing new is installed there. A clip is cut at
MAX_SECONDS with a short fade-out, which also bounds the size of one player.
"""

import base64
import html
import io

import numpy as np

from .errors import AbcError
from .synth import SAMPLE_RATE, synthesize

MAX_SECONDS = 45.0  # the longest clip a player holds: a reel played twice through; longer tunes fade out
FADE_OUT_SECONDS = 1.0
# libsndfile's compression level for MP3 at a constant bit rate; at SAMPLE_RATE (22,05 kHz, mono) it gives
# 32 kbit/s. Measured by benchmarks/submission_size.py.
MP3_COMPRESSION_LEVEL = 0.85
MIME_TYPE = "audio/mpeg"


class TunePlayer:
    """An <audio> player with the sound embedded as MP3; Jupyter and Colab show it through `_repr_html_`."""

    def __init__(self, mp3, seconds, cut=False):
        self.data = bytes(mp3)
        self.seconds = float(seconds)
        self.cut = bool(cut)

    def _repr_html_(self):
        source = f"data:{MIME_TYPE};base64,{base64.b64encode(self.data).decode('ascii')}"
        note = f" (перші {MAX_SECONDS:.0f} с)" if self.cut else ""
        return (f'<audio class="abcrnn-player" controls preload="metadata" src="{source}">'
                f"Ваш браузер не відтворює звук.</audio>{html.escape(note)}")

    def __repr__(self):
        return f"<TunePlayer: {self.seconds:.1f} с, {len(self.data) / 1024:.0f} КБ MP3>"


def clip(waveform, sample_rate=SAMPLE_RATE, seconds=MAX_SECONDS):
    """(waveform cut to `seconds` with a fade-out, whether it was cut); a shorter one comes back unchanged."""
    waveform = np.asarray(waveform, dtype=np.float32)
    limit = int(seconds * sample_rate)
    if len(waveform) <= limit:
        return waveform, False
    waveform = waveform[:limit].copy()
    fade = min(limit, int(FADE_OUT_SECONDS * sample_rate))
    waveform[limit - fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return waveform, True


def encode_mp3(waveform, sample_rate=SAMPLE_RATE):
    """MP3 bytes (mono, constant bit rate) of a waveform with values in -1..1."""
    import soundfile  # imported here: only sound needs it

    buffer = io.BytesIO()
    samples = np.clip(np.asarray(waveform, dtype=np.float32), -1.0, 1.0)
    soundfile.write(buffer, samples, int(sample_rate), format="MP3", subtype="MPEG_LAYER_III",
                    compression_level=MP3_COMPRESSION_LEVEL, bitrate_mode="CONSTANT")
    return buffer.getvalue()


def tune_mp3(abc, sample_rate=SAMPLE_RATE):
    """(MP3 bytes of the tune, seconds of sound, whether it was cut at MAX_SECONDS). Raises AbcError."""
    waveform, cut = clip(synthesize(abc, sample_rate=sample_rate), sample_rate)
    return encode_mp3(waveform, sample_rate), len(waveform) / sample_rate, cut


def play_song(abc):
    """Return a player for one ABC tune, or None after printing why it cannot be played.

    Made for generated tunes, many of which are broken: a bad tune prints a Ukrainian message
    (to stdout, so an autograded cell does not fail on stderr output) instead of raising.
    """
    try:
        mp3, seconds, cut = tune_mp3(abc)
    except AbcError as error:
        print(f"Не вдалося відтворити мелодію: {error}")
        return None
    return TunePlayer(mp3, seconds, cut)
