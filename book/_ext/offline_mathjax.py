"""Serve MathJax from the site itself instead of a CDN, so formulas render offline.

Sphinx's default `mathjax_path` is a jsDelivr URL. The npm package `mathjax` (version 3, the one
Sphinx 7 is made for) is installed by `npm ci`; here its combined TeX component, the lazily loaded
TeX extensions and the CHTML web fonts are copied into `_static/mathjax/` (about 3 MB of the 24 MB
package) and `mathjax_path` (set in _config.yml) points at the local copy.
"""

from sphinx.errors import ExtensionError

from npm_assets import copy_into_static, package_dir, require_files

MATHJAX_PARTS = ("tex-mml-chtml.js", "input", "output/chtml/fonts/woff-v2")
LOCAL_PATH = "mathjax/tex-mml-chtml.js"  # relative to _static/, as mathjax_path in _config.yml


def mathjax_source(app):
    return package_dir(app, "mathjax", "es5")


def check_mathjax(app):
    if app.builder.format != "html":
        return
    if app.config.mathjax_path != LOCAL_PATH:
        raise ExtensionError(f"У _config.yml має бути mathjax_path: {LOCAL_PATH} (MathJax із самого сайту).")
    require_files([mathjax_source(app) / MATHJAX_PARTS[0]], "MathJax")


def copy_mathjax(app, exception):
    copy_into_static(app, exception, mathjax_source(app), MATHJAX_PARTS, "mathjax")


def setup(app):
    app.connect("builder-inited", check_mathjax)
    app.connect("build-finished", copy_mathjax)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
