"""Files the website takes from npm packages: node_modules/ (installed by `npm ci`) into the site's _static/.

Used by the extensions that serve a library from the site itself (abc_directive: abcjs; offline_mathjax:
MathJax), so that the book works offline and never reaches for a CDN.
"""

import shutil
from pathlib import Path

from sphinx.errors import ExtensionError


def package_dir(app, *parts):
    """A folder of an installed npm package, e.g. package_dir(app, "abcjs", "dist")."""
    return Path(app.srcdir, "node_modules", *parts)


def require_files(paths, library):
    """Fail at the start of the build, not after minutes of work, when npm has not installed `library`."""
    for path in paths:
        if not Path(path).is_file():
            raise ExtensionError(
                f"Не знайдено {path}: {library} встановлює npm. Виконайте `npm ci` у корені репозиторію (або `make book`)."
            )


def copy_into_static(app, exception, source, parts, subfolder=""):
    """After a successful HTML build, copy each of `parts` (files or folders under `source`) into _static/<subfolder>."""
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / subfolder
    for part in parts:
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part, dirs_exist_ok=True)
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / part, target / part)
