"""Find the submitted notebooks in what the instructor passes: .ipynb files, folders and .zip archives.

A Moodle "download all submissions" archive holds one folder per student, named
`Full Name_<id>_assignsubmission_file_`; Colab renames downloads to `Copy of X.ipynb` or `X (1).ipynb`.
The student id comes from the path: by the instructor's pattern when given, else the Moodle folder, else
what is left of the file name after the notebook's own name, else the parent folder.
"""

import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from .messages import t

MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024  # a real notebook with outputs is far smaller; guards against zip bombs
MOODLE_FOLDER = re.compile(r"(?:^|/)(?P<name>[^/]+?)_(?P<student>\d+)_assignsubmission_[a-z]+_?(?:/|$)")
_COPY_PREFIX = re.compile(r"(copy of |копія |копия )+", re.IGNORECASE)
_DUPLICATE_SUFFIX = re.compile(r"\s*\(\d+\)$")


@dataclass
class Submission:
    student_id: str
    origin: str  # where the file came from, for the instructor: "archive.zip!folder/file.ipynb"
    data: bytes | None
    name: str = ""  # the student's full name when the path or the roster gives it
    modified: datetime | None = None
    problem: str | None = None  # why the file cannot be graded at all (too big, unreadable)
    notes: list = field(default_factory=list)


def slug(text):
    """A student id safe for nbgrader's folders: letters, digits, '-', '_' and '.' (Cyrillic kept)."""
    text = unicodedata.normalize("NFC", text).strip()
    text = re.sub(r"[^\w.\-]+", "_", text, flags=re.UNICODE).strip("._-")
    return text


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
    stem = _DUPLICATE_SUFFIX.sub("", _COPY_PREFIX.sub("", path.stem)).strip()
    rest = re.sub(re.escape(notebook_stem), "", stem, flags=re.IGNORECASE)
    rest = slug(rest)
    if rest:
        return rest, ""
    if len(path.parts) > 1:
        return slug(path.parts[-2]), ""
    return None, ""


def _walk_zip(archive, label, depth=0):
    """(relative path, bytes or None, modified, problem) for each notebook in a zip, nested zips included."""
    for info in archive.infolist():
        name = info.filename
        if info.is_dir() or "__MACOSX" in name or ".ipynb_checkpoints" in name:
            continue
        modified = datetime(*info.date_time)
        lower = name.lower()
        if lower.endswith(".zip") and depth < 2:
            if info.file_size > MAX_NOTEBOOK_BYTES * 4:
                continue
            import io

            try:
                with zipfile.ZipFile(io.BytesIO(archive.read(info))) as inner:
                    prefix = str(PurePosixPath(name).with_suffix(""))
                    for rel, data, mod, problem in _walk_zip(inner, f"{label}!{name}", depth + 1):
                        yield f"{prefix}/{rel}", data, mod, problem
            except zipfile.BadZipFile:
                continue
        elif lower.endswith(".ipynb"):
            if info.file_size > MAX_NOTEBOOK_BYTES:
                yield name, None, modified, t("file_too_big", mb=MAX_NOTEBOOK_BYTES // 2**20)
            else:
                yield name, archive.read(info), modified, None


def _candidates(input_path):
    """(origin, relative path, bytes or None, modified, problem) for each notebook under one input."""
    path = Path(input_path)
    if not path.exists():
        raise FileNotFoundError(t("input_missing", path=input_path))
    if path.is_dir():
        for file in sorted(path.rglob("*")):
            if not file.is_file() or ".ipynb_checkpoints" in file.parts:
                continue
            rel = file.relative_to(path).as_posix()
            if file.suffix.lower() == ".zip":
                yield from ((o, f"{Path(rel).with_suffix('')}/{r}", d, m, p) for o, r, d, m, p in _candidates(file))
            elif file.suffix.lower() == ".ipynb":
                yield from _file_candidate(file, rel)
    elif path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                for rel, data, modified, problem in _walk_zip(archive, str(path)):
                    yield f"{path}!{rel}", rel, data, modified, problem
        except zipfile.BadZipFile:
            raise ValueError(t("bad_zip", path=input_path))
    else:
        yield from _file_candidate(path, path.name)


def _file_candidate(file, rel):
    modified = datetime.fromtimestamp(file.stat().st_mtime)
    if file.stat().st_size > MAX_NOTEBOOK_BYTES:
        yield str(file), rel, None, modified, t("file_too_big", mb=MAX_NOTEBOOK_BYTES // 2**20)
    else:
        yield str(file), rel, file.read_bytes(), modified, None


def collect(inputs, notebook_stem, pattern=None, roster=None):
    """All submissions found in `inputs`, one per student, and warnings for the instructor.

    When a student handed in several notebooks, the most recently modified one is graded (a Colab
    re-download is usually the later copy), and the choice is noted.
    `roster` maps student ids to names; a path that names a student by full name (Moodle) is matched to
    the roster by that name when its id is unknown.
    """
    warnings = []
    by_student = {}
    names_to_ids = {}
    if roster:
        names_to_ids = {_name_key(name): sid for sid, name in roster.items() if name}
    for input_path in inputs:
        for origin, rel, data, modified, problem in _candidates(input_path):
            student_id, name = student_from_path(rel, notebook_stem, pattern)
            if roster is not None and student_id not in roster and _name_key(name) in names_to_ids:
                student_id = names_to_ids[_name_key(name)]
            if not student_id:
                warnings.append(t("no_student_id", origin=origin))
                continue
            if roster is not None and student_id not in roster:
                warnings.append(t("not_in_roster", origin=origin, student=student_id))
            if roster and not name:
                name = roster.get(student_id, "")
            submission = Submission(student_id, origin, data, name, modified, problem)
            by_student.setdefault(student_id, []).append(submission)
    chosen = []
    for student_id, found in sorted(by_student.items()):
        found.sort(key=lambda s: (s.modified or datetime.min, s.origin))
        latest = found[-1]
        if len(found) > 1:
            latest.notes.append(t("several_files", n=len(found), origin=latest.origin))
        chosen.append(latest)
    return chosen, warnings


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
