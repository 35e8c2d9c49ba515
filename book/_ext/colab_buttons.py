"""Keep the "launch" (Colab) button only on pages that Colab can really open.

sphinx-book-theme gives a launch button to every page it treats as a notebook, and a chapter written
as a MyST-NB text notebook (`.md` with a kernelspec) counts as one. Its Colab link then points at
`book/<chapter>.ipynb`, a file that does not exist in the repository (Colab cannot open `.md`), so a
reader would land on an error. The chapters' code is short and is shown with its outputs on the page;
the work in Colab happens in the exercise notebooks, whose pages keep the button.

The button is removed on the server side, in the page context, after the theme has added it
(the theme's handler runs at priority 501): no broken link ever reaches the HTML, and nothing depends
on JavaScript.
"""

from pathlib import Path

LAUNCH_GROUP_LABEL = "launch-buttons"


def drop_launch_buttons_on_text_notebooks(app, pagename, templatename, context, doctree):
    if doctree is None or "header_buttons" not in context:
        return
    if Path(app.env.doc2path(pagename)).suffix == ".ipynb":
        return
    context["header_buttons"] = [
        button for button in context["header_buttons"] if button.get("label") != LAUNCH_GROUP_LABEL
    ]


def setup(app):
    app.connect("html-page-context", drop_launch_buttons_on_text_notebooks, priority=600)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
