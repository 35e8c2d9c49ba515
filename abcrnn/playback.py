"""Listen to a tune in Jupyter or Colab: an audio player for ABC text, or a clear message why not."""

from .errors import AbcError
from .synth import SAMPLE_RATE, synthesize


def play_song(abc):
    """Return an IPython audio player for one ABC tune, or None after printing why it cannot be played.

    Made for generated tunes, many of which are broken: a bad tune prints a Ukrainian message
    (to stdout, so an autograded cell does not fail on stderr output) instead of raising.
    """
    try:
        waveform = synthesize(abc)
    except AbcError as error:
        print(f"Не вдалося відтворити мелодію: {error}")
        return None
    from IPython.display import Audio  # imported here: IPython is needed only for the player

    # synthesize already leaves headroom below full scale; normalize=True keeps it that way.
    return Audio(waveform, rate=SAMPLE_RATE, normalize=True)
