"""The student edition's address and release: read from `_config.yml`, the one place they are written.

`repository.url` is the PUBLIC repository students are sent to (the website's repository and Colab
buttons, the install cell of Part 2); `repository.branch` is the release tag they get (`vX.Y.Z`): the
Colab buttons open the notebooks of that tag, the install cell installs the package of that tag, and the
published package carries the version X.Y.Z. A later release (a fix in mid-semester) is a new tag: whoever
opened a notebook of an earlier release keeps installing exactly what that notebook was written for.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .course import REPOSITORY_ROOT

CONFIG = REPOSITORY_ROOT / "_config.yml"
# The address this repository ships with: no real repository, so `publish` refuses it outside a dry run.
PLACEHOLDER_URL = "https://github.com/abcrnn-course/abcrnn"
_GITHUB = re.compile(r"^https://github\.com/(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/"
                     r"(?P<name>[A-Za-z0-9._-]+)$")
_TAG = re.compile(r"^v(?P<version>\d+\.\d+\.\d+)$")
# The one line of Part 2 that installs the package, and the notebooks' links to the book's chapters: both
# found and rewritten by `release`, so that they follow _config.yml.
INSTALL_LINE = re.compile(r'^(?P<indent>[ \t]*)%pip install -q "git\+[^"\n]*"[ \t]*$', re.MULTILINE)
SITE_LINK = re.compile(r"https://[A-Za-z0-9-]+\.github\.io/[A-Za-z0-9._-]+/(?=book/)")


class EditionError(ValueError):
    """The address or the tag in _config.yml cannot be used (the message is Ukrainian)."""


@dataclass(frozen=True)
class Edition:
    url: str
    tag: str

    @property
    def owner(self):
        return _GITHUB.match(self.url).group("owner")

    @property
    def name(self):
        return _GITHUB.match(self.url).group("name")

    @property
    def version(self):
        return _TAG.match(self.tag).group("version")

    @property
    def is_placeholder(self):
        return self.url.rstrip("/") == PLACEHOLDER_URL

    @property
    def install_spec(self):
        return f"git+{self.url}@{self.tag}"

    @property
    def site_url(self):
        """Where GitHub Pages serves the site of this repository."""
        return f"https://{self.owner.lower()}.github.io/{self.name}/"

    def colab_url(self, path):
        """The address at which Colab opens the notebook `path` (relative to the repository) of this release."""
        return f"https://colab.research.google.com/github/{self.owner}/{self.name}/blob/{self.tag}/{path}"

    def install_line(self, indent=""):
        return f'{indent}%pip install -q "{self.install_spec}"'


def read(config_path=None):
    """The Edition written in `_config.yml`; EditionError when the address or the tag is malformed."""
    config_path = config_path or CONFIG
    with open(config_path, encoding="utf-8") as handle:
        repository = (yaml.safe_load(handle) or {}).get("repository") or {}
    url = str(repository.get("url", "")).strip().rstrip("/")
    tag = str(repository.get("branch", "")).strip()
    if not _GITHUB.match(url):
        raise EditionError(f"repository.url у {Path(config_path).name} має бути адресою репозиторію на GitHub "
                           f"(https://github.com/ВЛАСНИК/НАЗВА), а не {url!r}: лише такі відкриває Colab.")
    if not _TAG.match(tag):
        raise EditionError(f"repository.branch у {Path(config_path).name} має бути тегом випуску на кшталт v1.0.0, "
                           f"а не {tag!r}.")
    return Edition(url, tag)


def with_edition(source, edition):
    """A cell's text with its install line and its links to the book pointing at this edition's release and site."""
    source = INSTALL_LINE.sub(lambda match: edition.install_line(match.group("indent")), source)
    return SITE_LINK.sub(edition.site_url, source)
