"""abcrnn: the helper package of the course «Вступ до PyTorch та генерація музики за допомогою RNN».

Infrastructure only: the ABC corpus, tune checks, sound, sheet music and training conveniences.
It holds no solution of a graded exercise, because students install it.
"""

from .errors import AbcError
from .abc_parse import parse_abc
from .corpus import (
    CorpusSummary,
    corpus_summary,
    load_abc_files,
    load_training_data,
    split_train_validation,
)
from .abc_text import extract_song_snippet
from .tune_check import TuneReport, check_tune
from .synth import SAMPLE_RATE, save_wav, synthesize
from .playback import TunePlayer, play_song
from .score import score_html, show_score
from .device import get_device, seed_everything
from .fingerprint import code_fingerprint
from .live_plot import LossPlot
from .progress import progress_bar
from .submission import report_notebook_size


def _version():
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("abcrnn")  # the student edition's release tag, stamped by `python -m autograder publish`
    except PackageNotFoundError:
        return "0+unknown"


__version__ = _version()

__all__ = [
    "AbcError",
    "CorpusSummary",
    "LossPlot",
    "SAMPLE_RATE",
    "TunePlayer",
    "TuneReport",
    "check_tune",
    "code_fingerprint",
    "corpus_summary",
    "extract_song_snippet",
    "get_device",
    "load_abc_files",
    "load_training_data",
    "parse_abc",
    "play_song",
    "progress_bar",
    "report_notebook_size",
    "save_wav",
    "score_html",
    "seed_everything",
    "show_score",
    "split_train_validation",
    "synthesize",
]
