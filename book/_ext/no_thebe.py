"""Leave Thebe (live code in the page) out of the website.

Jupyter Book always loads sphinx-thebe, which puts a script pointing at unpkg.com on every page,
and in this build it is added twice, so the browser reports "Identifier 'THEBE_JS_URL' has already
been declared". Live code could not help here anyway: Thebe needs a Jupyter server (Binder) or
Pyodide, which has no PyTorch; students run code in Colab. So its scripts and style sheet are
dropped from every page, and the site makes no request to another host.
"""

THEBE_FILES = ("sphinx-thebe.js", "sphinx-thebe.css")


def _is_thebe(asset):
    name = str(getattr(asset, "filename", asset) or "")
    body = str(getattr(asset, "attributes", {}).get("body", "")) if hasattr(asset, "attributes") else ""
    return any(name.split("?")[0].endswith(file) for file in THEBE_FILES) or "THEBE_JS_URL" in body or "thebe@" in name


def drop_thebe_assets(app, pagename, templatename, context, doctree):
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key] if not _is_thebe(asset)]


def setup(app):
    app.connect("html-page-context", drop_thebe_assets, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
