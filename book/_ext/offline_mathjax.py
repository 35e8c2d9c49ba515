"""Serve MathJax from the site itself instead of a CDN, so formulas render offline.

Sphinx's default `mathjax_path` is a jsDelivr URL. The npm package `mathjax` (version 3, the one
Sphinx 7 is made for) is installed by `npm ci`; here its combined TeX component, the lazily loaded
TeX extensions and the CHTML web fonts are copied into `_static/mathjax/` (about 3 MB of the 24 MB
package) and `mathjax_path` (set in _config.yml) points at the local copy.
"""

import shutil
from pathlib import Path

from sphinx.errors import ExtensionError

MATHJAX_PARTS = ("tex-mml-chtml.js", "input", "output/chtml/fonts/woff-v2")
LOCAL_PATH = "mathjax/tex-mml-chtml.js"  # relative to _static/, as mathjax_path in _config.yml


def mathjax_source(app):
    return Path(app.srcdir) / "node_modules" / "mathjax" / "es5"


def check_mathjax(app):
    if app.builder.format != "html":
        return
    if app.config.mathjax_path != LOCAL_PATH:
        raise ExtensionError(f"У _config.yml має бути mathjax_path: {LOCAL_PATH} (MathJax із самого сайту).")
    if not (mathjax_source(app) / MATHJAX_PARTS[0]).is_file():
        raise ExtensionError(
            f"Не знайдено {mathjax_source(app) / MATHJAX_PARTS[0]}: MathJax встановлює npm. "
            "Виконайте `npm ci` у корені репозиторію (або `make book`)."
        )


def copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        source = mathjax_source(app) / part
        if source.is_dir():
            shutil.copytree(source, target / part, dirs_exist_ok=True)
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target / part)


def setup(app):
    app.connect("builder-inited", check_mathjax)
    app.connect("build-finished", copy_mathjax)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
