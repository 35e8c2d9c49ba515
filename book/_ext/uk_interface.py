"""Ukrainian interface of the website where `language: uk` alone leaves English or poor strings.

Four gaps, each closed here:
1. Sphinx keeps its own Ukrainian catalog under `uk_UA`, which gettext never finds for the
   language code `uk`: it is added as a fallback behind our `locales/uk/LC_MESSAGES/sphinx.po`
   (which Sphinx loads first through `locale_dirs`).
2. sphinx-book-theme translates its buttons through its own catalog `booktheme`, with machine
   translations such as "Відкрийте випуск"; `locales/uk/LC_MESSAGES/booktheme.po` is put in front.
   The same is done for sphinx-exercise's catalog `exercise`, which lacks "Solution".
3. The search page translates its messages in JavaScript from `_static/translations.js`, which
   Sphinx only copies for a language it ships: we write one from the same catalogs.
4. A few labels are written into the theme's templates without gettext (`aria-label="Main"`,
   `title="Toggle primary sidebar"`, ...). They are replaced in the written pages, attribute by
   attribute (HARD_CODED_LABELS), at the end of the build. sphinx-togglebutton's script writes one
   into every solution's button (`aria-label="Toggle hidden content"`): the copied script is patched
   the same way (HARD_CODED_SCRIPT_LABELS).
"""

import gettext
import json
from pathlib import Path

import sphinx
from babel.messages.pofile import read_po
from sphinx import locale as sphinx_locale

LANGUAGE = "uk"
SPHINX_UK_DIR = Path(sphinx.__file__).parent / "locale"  # holds uk_UA/LC_MESSAGES/sphinx.mo
# Extensions' catalogs that our .po files of the same name override (message by message).
OVERRIDDEN_CATALOGS = ("booktheme", "exercise")

# Exact attribute texts of the theme templates that bypass gettext, with their Ukrainian versions.
HARD_CODED_LABELS = {
    'aria-label="Main"': 'aria-label="Зміст підручника"',
    'aria-label="Page"': 'aria-label="Сторінка"',
    'title="Toggle primary sidebar"': 'title="Показати чи сховати зміст підручника"',
    'aria-label="Toggle primary sidebar"': 'aria-label="Показати чи сховати зміст підручника"',
    'title="Toggle secondary sidebar"': 'title="Показати чи сховати зміст сторінки"',
    'aria-label="Toggle secondary sidebar"': 'aria-label="Показати чи сховати зміст сторінки"',
    'alt="Colab logo"': 'alt="Логотип Colab"',
    'alt="Binder logo"': 'alt="Логотип Binder"',
}


# The same for scripts copied into _static/: {file name: {English text: Ukrainian text}}.
HARD_CODED_SCRIPT_LABELS = {
    "togglebutton.js": {'aria-label="Toggle hidden content"': 'aria-label="Показати чи сховати вміст"'},
}


class CatalogTranslations(gettext.NullTranslations):
    """Translations from a dict (read from a .po file), falling back to the catalog it replaces."""

    def __init__(self, messages):
        super().__init__()
        self.messages = messages

    def gettext(self, message):
        if self.messages.get(message):
            return self.messages[message]
        return self._fallback.gettext(message) if self._fallback else message

    def ngettext(self, singular, plural, n):
        if n == 1 and self.messages.get(singular):
            return self.messages[singular]
        return self._fallback.ngettext(singular, plural, n) if self._fallback else (singular if n == 1 else plural)


def read_catalog(path):
    """{msgid: msgstr} of the translated, singular messages of a .po file."""
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale=None)
    return {
        message.id: message.string
        for message in catalog
        if message.id and isinstance(message.id, str) and message.string
    }


def locales_dir(app):
    return Path(app.srcdir) / "locales" / LANGUAGE / "LC_MESSAGES"


def install_catalogs(app):
    if app.config.language != LANGUAGE:
        return
    # 1. Sphinx's own uk_UA catalog, behind ours (locale.init adds it as a fallback).
    sphinx_locale.init([str(SPHINX_UK_DIR)], "uk_UA")
    # 2. Ours in front of the theme's and the extensions' catalogs.
    for catalog in OVERRIDDEN_CATALOGS:
        ours = CatalogTranslations(read_catalog(locales_dir(app) / f"{catalog}.po"))
        theirs = sphinx_locale.translators.get(("general", catalog))
        if theirs is not None:
            ours.add_fallback(theirs)
        sphinx_locale.translators["general", catalog] = ours
    # 3. The search page's strings: Sphinx links translations.js only for languages it ships.
    find_shipped = getattr(app.builder, "_get_translations_js", lambda: "")
    if app.builder.format == "html" and not find_shipped():
        app.add_js_file("translations.js", priority=250)  # after doctools.js (200), which defines Documentation


def js_messages(app):
    """Sphinx's uk_UA messages overridden by ours, for translations.js."""
    messages = {}
    sphinx_uk_po = SPHINX_UK_DIR / "uk_UA" / "LC_MESSAGES" / "sphinx.po"
    if sphinx_uk_po.is_file():
        messages.update(read_catalog(sphinx_uk_po))
    messages.update(read_catalog(locales_dir(app) / "sphinx.po"))
    return messages


def write_translations_js(app, exception):
    if exception is not None or app.builder.format != "html" or app.config.language != LANGUAGE:
        return
    data = {
        "locale": LANGUAGE,
        "messages": js_messages(app),
        "plural_expr": "(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)",
    }
    target = Path(app.outdir) / "_static" / "translations.js"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(f"Documentation.addTranslations({json.dumps(data, ensure_ascii=False)});\n", encoding="utf-8")


def _translate_file(path, labels):
    text = path.read_text(encoding="utf-8")
    new_text = text
    for english, ukrainian in labels.items():
        new_text = new_text.replace(english, ukrainian)
    if new_text != text:
        path.write_text(new_text, encoding="utf-8")


def translate_hard_coded_labels(app, exception):
    if exception is not None or app.builder.format != "html" or app.config.language != LANGUAGE:
        return
    for page in Path(app.outdir).rglob("*.html"):
        _translate_file(page, HARD_CODED_LABELS)
    for name, labels in HARD_CODED_SCRIPT_LABELS.items():
        script = Path(app.outdir) / "_static" / name
        if script.is_file():
            _translate_file(script, labels)


def setup(app):
    app.connect("builder-inited", install_catalogs)
    app.connect("build-finished", write_translations_js)
    app.connect("build-finished", translate_hard_coded_labels)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
