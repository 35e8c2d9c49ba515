"""The training corpus: Irish and Scottish folk tunes in ABC notation from music21's corpus folder.

The files are read as plain text (a second or less) rather than parsed with music21 (minutes), then
split into tunes, tidied by `abc_text.clean_tune`, and freed of duplicates so that the same tune cannot
land in both the training and the validation set.
"""

import difflib
import hashlib
import importlib.util
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from .abc_text import QUOTED, clean_tune, extract_song_snippet, field_line, tune_body, without_inline_fields
from .errors import AbcError

# music21's corpus folders used for training, in the order their tunes are returned:
# O'Neill's Music of Ireland (1903), Ryan's Mammoth Collection (1883), Aird's Airs (1778-).
COLLECTIONS = ("oneills1850", "ryansMammoth", "airdsAirs")

# In O'Neill's files the X: number is the tune's number in the printed book. Some files overlap and
# hold a second, independent transcription of the same numbers (0732-0758_bs/_mh, 1116-1135_mh/_ml,
# 0626-0635 inside 0626-0700...). Two transcriptions differ in ornaments, slurs and the odd note, so
# they are matched by number plus melody similarity rather than by identical text.
BOOK_NUMBERED_COLLECTIONS = frozenset({"oneills1850"})
# Measured on the overlapping files: second transcriptions score 0.89-1.0 and the two tunes that
# merely share a mistyped X: number 0.31-0.35, so 0.8 separates them with room on both sides.
SAME_MELODY_SIMILARITY = 0.8
# Shorter melodies than this are not compared by pitch letters alone: too few to tell tunes apart.
MIN_FINGERPRINT_LETTERS = 24

_cached_sourced_tunes = None  # (collection, tune) pairs in a tuple, so no caller can change it


@dataclass(frozen=True)
class CorpusSummary:
    """Counts that describe a list of tunes; `str()` gives a short Ukrainian description."""

    n_tunes: int
    n_chars: int
    n_distinct_chars: int
    median_length: float
    min_length: int
    max_length: int
    vocabulary: str  # the distinct characters, sorted

    def __str__(self):
        if self.n_tunes == 0:
            return "Корпус порожній: жодної мелодії."
        return (
            f"Мелодій: {self.n_tunes}; символів: {self.n_chars}; "
            f"різних символів: {self.n_distinct_chars}; "
            f"довжина мелодії: медіана {self.median_length:g}, "
            f"найкоротша {self.min_length}, найдовша {self.max_length} символів."
        )


def music21_corpus_dir():
    """The folder of music21's bundled corpus, found without importing music21 (which takes seconds)."""
    spec = importlib.util.find_spec("music21")
    if spec is None or not spec.submodule_search_locations:
        raise AbcError("Не знайдено пакет music21: встановіть його командою `pip install music21`.")
    return Path(list(spec.submodule_search_locations)[0]) / "corpus"


def read_abc_file(path):
    """Return the text of one .abc file; UTF-8 when it is valid UTF-8, otherwise Latin-1 (older files)."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def tunes_in_abc_text(text):
    """The tidied tunes of one ABC file's text; anything before the first `X:` (file header) is dropped.

    File-level headers in this corpus are only `%` comments, so no tune needs one to be complete.
    Tunes whose body holds no music are dropped.
    """
    tunes = []
    for raw in extract_song_snippet(text, include_unfinished=True):
        tune = clean_tune(raw)
        if tune_body(tune).strip():
            tunes.append(tune)
    return tunes


def _body_key(tune):
    """The music of a tune with all spaces and line breaks removed: equal keys mean identical music."""
    return re.sub(r"\s+", "", tune_body(tune))


def _melody_fingerprint(tune):
    """Only the pitch letters of the melody, without chord symbols, decorations and grace notes."""
    body = tune_body(tune)
    body = QUOTED.sub("", body)  # chord symbols and annotations
    body = re.sub(r"![^!\n]*!", "", body)  # decorations such as !trill!
    body = re.sub(r"\{[^}\n]*\}", "", body)  # grace notes
    body = "\n".join(line for line in body.split("\n") if field_line(line) is None)  # field lines
    body = without_inline_fields(body)
    return re.sub(r"[^A-Ga-g]", "", body)


def _reference_number(tune):
    match = re.match(r"X:(\d+)", tune)
    return int(match.group(1)) if match else None


def remove_duplicates(sourced_tunes):
    """Keep the first of each group of duplicates, in order: (collection, tune) pairs in and out.

    Duplicates are: identical music (after removing spaces); the same pitch-letter sequence (a copy
    that differs only in ornaments or slurs); and, in a book-numbered collection, the same X: number
    with melodies at least SAME_MELODY_SIMILARITY alike (a second transcription of one printed tune).
    """
    kept = []
    seen_bodies = set()
    seen_fingerprints = set()
    fingerprints_by_number = {}
    for collection, tune in sourced_tunes:
        body = _body_key(tune)
        fingerprint = _melody_fingerprint(tune)
        if body in seen_bodies:
            continue
        if len(fingerprint) >= MIN_FINGERPRINT_LETTERS and fingerprint in seen_fingerprints:
            continue
        if collection in BOOK_NUMBERED_COLLECTIONS and _reference_number(tune) is not None:
            earlier = fingerprints_by_number.setdefault((collection, _reference_number(tune)), [])
            if any(
                difflib.SequenceMatcher(None, fingerprint, other, autojunk=False).ratio()
                >= SAME_MELODY_SIMILARITY
                for other in earlier
            ):
                continue
            earlier.append(fingerprint)
        seen_bodies.add(body)
        if len(fingerprint) >= MIN_FINGERPRINT_LETTERS:
            seen_fingerprints.add(fingerprint)
        kept.append((collection, tune))
    return kept


def _load_collections():
    corpus_dir = music21_corpus_dir()
    sourced = []
    for collection in COLLECTIONS:
        folder = corpus_dir / collection
        files = sorted(folder.glob("*.abc"))
        if not files:
            raise AbcError(
                f"У корпусі music21 немає файлів збірки {collection} (шукали в {folder}). "
                "Перевстановіть music21: `pip install --force-reinstall music21`."
            )
        for path in files:
            sourced.extend((collection, tune) for tune in tunes_in_abc_text(read_abc_file(path)))
    return tuple(remove_duplicates(sourced))


def _sourced_training_tunes():
    """(collection, tune) pairs, read once per process and kept in an immutable tuple."""
    global _cached_sourced_tunes
    if _cached_sourced_tunes is None:
        _cached_sourced_tunes = _load_collections()
    return _cached_sourced_tunes


def training_tunes_by_collection():
    """The training tunes grouped by music21 collection name (for per-collection statistics)."""
    grouped = {collection: [] for collection in COLLECTIONS}
    for collection, tune in _sourced_training_tunes():
        grouped[collection].append(tune)
    return grouped


def load_training_data(verbose=False):
    """Return the training tunes: O'Neill's, Ryan's and Aird's collections from music21's corpus.

    About 4,000 distinct tunes, each a string that starts with `X:` and is tidied by
    `abc_text.clean_tune` (Unix newlines, no comments, no trailing spaces, headers X T M L K always
    present, no trailing newline). The order is fixed: collection by collection, files sorted by name,
    tunes in file order. The first call reads the files (under a second); later calls return a new
    list from a cache, so changing the list you get does not change what the next call returns.
    With `verbose=True` a Ukrainian summary is printed.
    """
    tunes = [tune for _, tune in _sourced_training_tunes()]
    if verbose:
        print(corpus_summary(tunes))
    return tunes


def _check_tune_list(tunes):
    if isinstance(tunes, str) or not isinstance(tunes, (list, tuple)):
        raise AbcError(
            f"Очікувався список мелодій (рядків), а отримано {type(tunes).__name__}."
        )
    for index, tune in enumerate(tunes):
        if not isinstance(tune, str):
            raise AbcError(
                f"Елемент {index} списку мелодій має тип {type(tune).__name__}, а має бути рядком."
            )


def _split_rank(tune, seed):
    """A pseudo-random number for a tune that depends only on its text and the seed (not on order)."""
    digest = hashlib.sha256(f"{seed}\0{tune}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def split_train_validation(tunes, validation_fraction=0.1, seed=0):
    """Split tunes into (train, validation) lists, whole tunes only, the same way on every run.

    Each distinct tune text gets a rank from a SHA-256 hash of the seed and the text; the
    round(n * validation_fraction) lowest-ranked distinct tunes form the validation set (at least one
    and never all of them when 0 < validation_fraction and there are two or more distinct tunes).
    Because the choice depends on the texts only, reordering the input changes nothing but the order
    inside the two lists, which follows the input; copies of one text always go to the same side.
    """
    _check_tune_list(tunes)
    if isinstance(validation_fraction, bool) or not isinstance(validation_fraction, (int, float)):
        raise AbcError("Частка валідаційних мелодій має бути числом від 0 до 1.")
    if not 0 <= validation_fraction < 1:
        raise AbcError(
            f"Частка валідаційних мелодій має бути не менше 0 і менше 1, а отримано {validation_fraction}."
        )
    distinct = sorted(set(tunes), key=lambda tune: (_split_rank(tune, seed), tune))
    n_validation = round(len(distinct) * validation_fraction)
    if validation_fraction > 0 and len(distinct) >= 2:
        n_validation = min(max(n_validation, 1), len(distinct) - 1)
    validation_set = set(distinct[:n_validation])
    train = [tune for tune in tunes if tune not in validation_set]
    validation = [tune for tune in tunes if tune in validation_set]
    return train, validation


def _abc_paths(paths):
    if isinstance(paths, (str, Path)):
        paths = [paths]
    try:
        paths = list(paths)
    except TypeError:
        raise AbcError(
            f"Очікувався шлях до файлу .abc або теки чи їх список, а отримано {type(paths).__name__}."
        ) from None
    if not paths:
        raise AbcError("Не вказано жодного файлу .abc.")
    files = []
    for entry in paths:
        if not isinstance(entry, (str, Path)):
            raise AbcError(f"Шлях має бути рядком або Path, а отримано {type(entry).__name__}.")
        path = Path(entry).expanduser()
        if path.is_dir():
            found = sorted(path.rglob("*.abc"))
            if not found:
                raise AbcError(f"У теці «{path}» немає жодного файлу .abc.")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise AbcError(f"Файл або тека «{path}» не існує.")
    return files


def load_abc_files(paths):
    """Return the tunes in your own ABC files, tidied and de-duplicated like the training data.

    `paths` is one path or a list of paths; a folder stands for all `.abc` files in it and its
    subfolders (sorted by name). A missing path, a folder without .abc files, or a file without a
    single tune (no `X:` line followed by music) raises AbcError.
    """
    sourced = []
    for path in _abc_paths(paths):
        try:
            text = read_abc_file(path)
        except OSError as error:
            raise AbcError(f"Не вдалося прочитати файл «{path}»: {error.strerror or error}.") from error
        tunes = tunes_in_abc_text(text)
        if not tunes:
            raise AbcError(
                f"У файлі «{path}» немає жодної мелодії ABC: мелодія починається рядком `X:` "
                "і містить ноти після рядка `K:`."
            )
        sourced.extend((str(path), tune) for tune in tunes)
    return [tune for _, tune in remove_duplicates(sourced)]


def corpus_summary(tunes):
    """Return a CorpusSummary of a list of tunes (print it for a Ukrainian description)."""
    _check_tune_list(tunes)
    lengths = [len(tune) for tune in tunes]
    vocabulary = "".join(sorted(set().union(*tunes))) if tunes else ""
    return CorpusSummary(
        n_tunes=len(tunes),
        n_chars=sum(lengths),
        n_distinct_chars=len(vocabulary),
        median_length=statistics.median(lengths) if lengths else 0,
        min_length=min(lengths, default=0),
        max_length=max(lengths, default=0),
        vocabulary=vocabulary,
    )
