"""Find the submitted notebooks in what the instructor passes: .ipynb files, folders and .zip archives.

A Moodle "download all submissions" archive holds one folder per student, named
`Full Name_<id>_assignsubmission_file_`; Colab renames downloads to `Copy of X.ipynb` or `X (1).ipynb`.
The student id comes from the path: by the instructor's pattern when given, else the Moodle folder, else
what is left of the file name after the notebook's own name, else the parent folder.

One bad file costs only its own student. A path that is not UTF-8 (a folder on disk, or a zip entry flagged
UTF-8 whose bytes are not), an archive or entry that is encrypted, corrupt, too big or nested too deep, and
every entry from the one that would pass the run's total of bytes expanded from archives (MAX_EXPANDED_BYTES)
on each become a Submission
with a `problem`: that student's "error". Only what the instructor names stops the run (a missing path, an
input zip that is no zip). An id made from bytes that are not UTF-8 carries a hash of them, so it never
merges with another student's; origins and names are made printable.

Several files of one student are never merged nor silently dropped: byte-identical copies count once (with
a note); every other one stays in `Submission.others`, latest first, for the grader to judge (grading.py
grades the latest file that can be graded and sends the student to review when another file differs).
"""

import contextlib
import hashlib
import io
import re
import shutil
import struct
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from .messages import t

MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024  # a real notebook with outputs is far smaller; guards against zip bombs
MAX_NESTED_ZIP_BYTES = 4 * MAX_NOTEBOOK_BYTES  # one student's zip inside an archive
# All archives of one run together: a Moodle zip of 300 students with a few MB each is well under 2 GiB.
MAX_EXPANDED_BYTES = 4 * 1024**3
MAX_ZIP_DEPTH = 2  # zips inside zips inside an input archive
MOODLE_FOLDER = re.compile(r"(?:^|/)(?P<name>[^/]+?)_(?P<student>\d+)_assignsubmission_[a-z]+_?(?:/|$)")
_COPY_PREFIX = re.compile(r"(copy of |копія |копия )+", re.IGNORECASE)
_DUPLICATE_SUFFIX = re.compile(r"\s*\(\d+\)$")
_SURROGATE = re.compile("[\ud800-\udfff]")
_UTF8_NAME_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1
_END_OF_DIRECTORY = struct.Struct("<4s4H2LH")
_ZIP64_END_OF_DIRECTORY = struct.Struct("<4sQ2H2L4Q")
_ZIP64_LOCATOR_SIZE = 20
_CENTRAL_ENTRY = struct.Struct("<4s4B4HL2L5H2L")


@dataclass
class Submission:
    student_id: str
    origin: str  # where the file came from, for the instructor: "archive.zip!folder/file.ipynb"
    data: bytes | None
    name: str = ""  # the student's full name when the path or the roster gives it
    modified: datetime | None = None
    problem: str | None = None  # why the file cannot be graded at all (too big, unreadable)
    notes: list = field(default_factory=list)
    others: list = field(default_factory=list)  # the student's other distinct files, latest first


class Found(NamedTuple):
    """One notebook (or one archive that could not be opened) under an input."""
    origin: str
    rel: str  # POSIX path relative to the input, from which the student is named
    data: bytes | None
    modified: datetime | None
    problem: str | None


@dataclass
class _Budget:
    """Bytes that archives may still expand to in this run, and how many entries were refused for lack of them."""
    left: int
    refused: int = 0


def printable(text):
    """`text` safe to print and to write as UTF-8: bytes that were not UTF-8 shown as \\xff escapes."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte, e.g. "\ud800"
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def has_surrogates(text):
    """Whether `text` holds surrogates: bytes that were not UTF-8, or a lone \\ud800 from JSON."""
    return bool(_SURROGATE.search(text))


def slug(text):
    """A student id safe for nbgrader's folders: letters, digits, '-', '_' and '.' (Cyrillic kept).

    Bytes that are not UTF-8 are left out and a hash of them added, so that such an id is never another's."""
    text = unicodedata.normalize("NFC", text).strip()
    clean = re.sub(r"[^\w.\-]+", "_", text, flags=re.UNICODE).strip("._-")
    if not has_surrogates(text):
        return clean
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{clean}-{digest}" if clean else digest


def student_from_path(relpath, notebook_stem, pattern=None):
    """(student_id, full name) for a submission at `relpath` (a POSIX path relative to the input)."""
    relpath = str(relpath)
    if pattern is not None:
        match = re.search(pattern, relpath)
        if match and match.groupdict().get("student"):
            return slug(match.group("student")), match.groupdict().get("name") or ""
        return None, ""
    moodle = MOODLE_FOLDER.search(relpath)
    if moodle:
        return slug(moodle.group("student")), moodle.group("name").strip()
    path = PurePosixPath(relpath)
    rest = _without_notebook_name(path.stem, notebook_stem)
    if rest:
        return rest, ""
    if len(path.parts) > 1:  # a folder (or a zip: "koval_PT_Part1_Intro.zip" holds "koval_PT_Part1_Intro/...")
        return _without_notebook_name(path.parts[-2], notebook_stem) or slug(path.parts[-2]), ""
    return None, ""


def _without_notebook_name(text, notebook_stem):
    """The slug of what is left of a file or folder name without Colab's additions and the notebook's name."""
    text = _DUPLICATE_SUFFIX.sub("", _COPY_PREFIX.sub("", text)).strip()
    return slug(re.sub(re.escape(notebook_stem), "", text, flags=re.IGNORECASE))


def _short(error):
    return printable(f"{type(error).__name__}: {error}")[:200]


def _central_directory(handle):
    """(offset, size) of a zip's central directory, from its end records (zip64 too, data prepended too)."""
    handle.seek(0, io.SEEK_END)
    longest = _END_OF_DIRECTORY.size + 0xFFFF + _ZIP64_LOCATOR_SIZE + _ZIP64_END_OF_DIRECTORY.size  # with a comment
    start = max(0, handle.tell() - longest)
    handle.seek(start)
    tail = handle.read()
    end = tail.rfind(b"PK\x05\x06")
    if end < 0:
        raise zipfile.BadZipFile("no end of central directory")
    size = _END_OF_DIRECTORY.unpack_from(tail, end)[5]
    locator = end - _ZIP64_LOCATOR_SIZE
    if locator >= 0 and tail[locator:locator + 4] == b"PK\x06\x07":
        record = locator - _ZIP64_END_OF_DIRECTORY.size
        if record < 0:
            raise zipfile.BadZipFile("truncated zip64 end of central directory")
        size = _ZIP64_END_OF_DIRECTORY.unpack_from(tail, record)[8]
        end = record
    return start + end - size, size


def _clear_false_utf8_flags(handle):
    """Clear, in the writable zip `handle`, the UTF-8 flag of entries whose names are not UTF-8.

    Returns {the name as zipfile now reads it (cp437): the name with its bytes that are not UTF-8 as surrogates}.
    """
    offset, size = _central_directory(handle)
    handle.seek(offset)
    directory = bytearray(handle.read(size))
    renamed, at = {}, 0
    while directory[at:at + 4] == b"PK\x01\x02" and at + _CENTRAL_ENTRY.size <= len(directory):
        entry = _CENTRAL_ENTRY.unpack_from(directory, at)
        flags, name_length, extra_length, comment_length = entry[5], entry[12], entry[13], entry[14]
        raw = bytes(directory[at + _CENTRAL_ENTRY.size:at + _CENTRAL_ENTRY.size + name_length])
        if flags & _UTF8_NAME_FLAG and has_surrogates(raw.decode("utf-8", "surrogateescape")):
            struct.pack_into("<H", directory, at + 8, flags & ~_UTF8_NAME_FLAG)
            renamed[raw.decode("cp437")] = raw.decode("utf-8", "surrogateescape")
        at += _CENTRAL_ENTRY.size + name_length + extra_length + comment_length
    handle.seek(offset)
    handle.write(directory)
    return renamed


@contextlib.contextmanager
def _opened_zip(source):
    """A ZipFile of `source` (a path or bytes). zipfile refuses a whole archive when one entry is flagged
    UTF-8 but its name is not; here a copy is read instead, that entry's name keeping its bytes as surrogates."""
    with contextlib.ExitStack() as stack:
        handle = stack.enter_context(open(source, "rb") if isinstance(source, Path) else io.BytesIO(source))
        try:
            archive = zipfile.ZipFile(handle)
        except UnicodeDecodeError:
            handle.seek(0)
            copy = stack.enter_context(tempfile.TemporaryFile())
            shutil.copyfileobj(handle, copy)
            renamed = _clear_false_utf8_flags(copy)
            archive = zipfile.ZipFile(copy)
            for info in archive.infolist():
                info.filename = renamed.get(info.orig_filename, info.filename)
        with archive:
            yield archive


def _zip_time(info):
    try:
        return datetime(*info.date_time)
    except ValueError:  # a zip may hold any date, even month 0
        return None


def _read_entry(archive, info, limit, budget):
    """(bytes, None), or (None, the reason) when the entry's name is not UTF-8 (it is then not even read), or
    it is encrypted, too big, past the budget or corrupt."""
    if has_surrogates(info.filename):
        return None, t("name_not_utf8")
    if info.flag_bits & _ENCRYPTED_FLAG:
        return None, t("encrypted")
    if info.file_size > limit:
        return None, t("file_too_big", mb=limit // 2**20)
    if budget.refused or info.file_size > budget.left:  # past the cap, every later entry is refused
        budget.refused += 1
        return None, t("over_budget", mb=MAX_EXPANDED_BYTES // 2**20)
    try:
        with archive.open(info) as handle:  # stops at the declared size, then checks the CRC
            data = handle.read(limit + 1)
    except Exception as error:  # an untrusted archive raises many kinds: BadZipFile, zlib, lzma, EOFError...
        return None, t("archive_broken", error=_short(error))
    budget.left -= len(data)
    return data, None


def _zip_candidates(source, origin, depth, budget):
    """Found for each notebook in the zip `source` (a path or bytes) named `origin`, nested zips included."""
    with _opened_zip(source) as archive:
        for info in archive.infolist():
            name = info.filename
            if info.is_dir() or "__MACOSX" in name or ".ipynb_checkpoints" in name:
                continue
            here = f"{origin}!{name}"
            if name.lower().endswith(".zip"):
                yield from _nested(archive, info, here, depth, budget)
            elif name.lower().endswith(".ipynb"):
                data, problem = _read_entry(archive, info, MAX_NOTEBOOK_BYTES, budget)
                yield Found(here, name, data, _zip_time(info), problem)


def _nested(archive, info, here, depth, budget):
    """Found for the notebooks in a zip inside an archive; the inner zip itself when it cannot be expanded."""
    modified = _zip_time(info)
    if depth >= MAX_ZIP_DEPTH:
        return [Found(here, info.filename, None, modified, t("zip_too_deep", depth=MAX_ZIP_DEPTH))]
    data, problem = _read_entry(archive, info, MAX_NESTED_ZIP_BYTES, budget)
    if problem:
        return [Found(here, info.filename, None, modified, problem)]
    return _expand(data, here, info.filename, modified, depth + 1, budget)


def _expand(source, origin, rel, modified, depth, budget):
    """Found for the notebooks in a student's zip at `rel`, their paths under it; the zip itself when broken."""
    try:
        found = list(_zip_candidates(source, origin, depth, budget))
    except Exception as error:  # not a zip, truncated, encrypted directory...: as in _read_entry
        return [Found(origin, rel, None, modified, t("archive_broken", error=_short(error)))]
    prefix = str(PurePosixPath(rel).with_suffix(""))
    return [item._replace(rel=f"{prefix}/{item.rel}") for item in found]


def _modified(file):
    try:
        return datetime.fromtimestamp(file.stat().st_mtime)
    except (OSError, ValueError, OverflowError):
        return None


def _file_candidate(file, rel):
    try:
        if file.stat().st_size > MAX_NOTEBOOK_BYTES:
            return Found(str(file), rel, None, _modified(file), t("file_too_big", mb=MAX_NOTEBOOK_BYTES // 2**20))
        return Found(str(file), rel, file.read_bytes(), _modified(file), None)
    except OSError as error:
        return Found(str(file), rel, None, None, t("unreadable", error=_short(error)))


def _folder_candidates(folder, budget):
    for file in sorted(folder.rglob("*")):
        if not file.is_file() or ".ipynb_checkpoints" in file.parts:
            continue
        rel = file.relative_to(folder).as_posix()
        if file.suffix.lower() == ".zip":
            yield from _expand(file, str(file), rel, _modified(file), 0, budget)
        elif file.suffix.lower() == ".ipynb":
            yield _file_candidate(file, rel)


def _candidates(input_path, budget):
    """Found for each notebook under one input (a file, a folder or a zip the instructor names)."""
    path = Path(input_path)
    if not path.exists():
        raise FileNotFoundError(t("input_missing", path=printable(str(input_path))))
    if path.is_dir():
        yield from _folder_candidates(path, budget)
    elif path.suffix.lower() == ".zip":
        try:
            yield from _zip_candidates(path, str(path), 0, budget)
        except Exception as error:  # the input itself is broken: the instructor must know
            raise ValueError(t("bad_zip", path=printable(str(input_path)), error=_short(error)))
    else:
        yield _file_candidate(path, path.name)


def _roster_id(name, roster):
    """The roster id of the student called `name`, or None."""
    key = _name_key(name)
    return next((sid for sid, full in roster.items() if full and _name_key(full) == key), None) if key else None


def _submission(found, notebook_stem, pattern, roster, warnings):
    """The Submission for one file, or None (with a warning) when no student can be named for it."""
    origin = printable(found.origin)
    student_id, name = student_from_path(found.rel, notebook_stem, pattern)
    if roster is not None and student_id not in roster:
        student_id = _roster_id(name, roster) or student_id
    if not student_id:
        warnings.append(t("no_student_id", origin=origin))
        return None
    if roster is not None and student_id not in roster:
        warnings.append(t("not_in_roster", origin=origin, student=student_id))
    if roster and not name:
        name = roster.get(student_id, "")
    problem = t("name_not_utf8") if has_surrogates(found.rel) else found.problem  # a folder's name too
    return Submission(student_id, origin, found.data, printable(name), found.modified, problem)


def _one_per_student(files):
    """The student's latest file, with the other distinct ones in `others` (latest first).

    Files with the same bytes count once, noted; files that differ are all kept for the grader to judge."""
    files.sort(key=lambda s: (s.modified or datetime.min, s.origin), reverse=True)
    kept = []
    for file in files:
        twin = next((k for k in kept if file.data is not None and k.data == file.data
                     and not k.problem and not file.problem), None)
        if twin is None:
            kept.append(file)
        else:
            kept[0].notes.append(t("same_file", origin=file.origin, twin=twin.origin))
    first, *others = kept
    first.others = others
    return first


def collect(inputs, notebook_stem, pattern=None, roster=None):
    """One submission per student found in `inputs` (see the module's docstring), and warnings.

    `roster` maps student ids to names; a path that names a student by full name (Moodle) is matched to
    the roster by that name when its id is unknown.
    """
    warnings, by_student = [], {}
    budget = _Budget(MAX_EXPANDED_BYTES)
    for input_path in inputs:
        for found in _candidates(input_path, budget):
            submission = _submission(found, notebook_stem, pattern, roster, warnings)
            if submission:
                by_student.setdefault(submission.student_id, []).append(submission)
    if budget.refused:
        warnings.append(t("over_budget_warning", mb=MAX_EXPANDED_BYTES // 2**20, n=budget.refused))
    return [_one_per_student(files) for _, files in sorted(by_student.items())], warnings


def _name_key(name):
    return " ".join(unicodedata.normalize("NFC", name or "").lower().split())


def read_roster(path):
    """{student id: full name} from a CSV with a column `id` (and optionally `name` or `first_name`/`last_name`)."""
    import csv

    roster = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "id" not in reader.fieldnames:
            raise ValueError(t("roster_no_id", path=path))
        for row in reader:
            name = row.get("name") or " ".join(filter(None, [row.get("first_name"), row.get("last_name")]))
            if row["id"].strip():
                roster[slug(row["id"])] = (name or "").strip()
    return roster
