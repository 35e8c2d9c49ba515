"""The `{abc}` directive: an ABC tune drawn as sheet music by abcjs and playable from the site itself.

    ```{abc}
    :caption: Приклад
    :audio: false
    X:1
    ...
    ```

or, for a tune kept in a file (the generated examples of benchmarks/results/), `:file: path` with an
empty body: relative to the page, or to the book's root when it starts with `/`.

Why it is built this way:
- The notes are drawn in the reader's browser by abcjs (npm package, copied at build time from
  node_modules into the site's `_static/`) with the HTML and script of `abcrnn.score.score_html`,
  the very code of `abcrnn.show_score` in Colab. The ABC text stays in a <pre> under the score:
  readers without JavaScript still see it.
- The sound is rendered at build time by the same code as the notebooks' players (`abcrnn.playback`: an MP3,
  cut at its MAX_SECONDS) into a file served by the site and played by a plain <audio controls> element:
  no soundfont or CDN is fetched, so the page works offline.
- Rendering is cached by a hash of the ABC text and of the sound code itself (`_build/.abc_audio/`), so a
  rebuild does not synthesize again, and a change to the synthesizer renders every tune anew.
  Broken ABC fails the build (a warning, and the book is built with -W).
- Pages that show sheet music (this directive, or `abcrnn.show_score` output of an executed cell)
  load the local abcjs in <head>, synchronously, before the body's scripts run: score_html's inline
  script then finds `window.ABCJS` and never reaches for its CDN fallback.
"""

import hashlib
import html
import shutil
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective
from sphinx.util.osutil import relative_uri

from npm_assets import copy_into_static, package_dir, require_files

AUDIO_DIR = "_audio"  # in the site: _build/html/_audio/<hash>.mp3
ABCJS_FILES = ("abcjs-basic-min.js", "abcjs-basic-min.js.LICENSE")
STATIC_DIR = Path(__file__).resolve().parent.parent / "_static"


class abc_tune(nodes.General, nodes.Element):
    """One tune: attributes abc (text), caption (str or ''), audio_file (name in _audio/ or None)."""


def _audio_flag(argument):
    value = directives.choice((argument or "").strip().lower(), ("true", "false", "yes", "no", "так", "ні"))
    return value in ("true", "yes", "так")


class AbcDirective(SphinxDirective):
    has_content = True
    required_arguments = 0
    option_spec = {"caption": directives.unchanged, "audio": _audio_flag, "file": directives.path}

    def run(self):
        abc = self._read_file() if "file" in self.options else "\n".join(self.content).strip()
        if not abc:
            raise self.error("Директива {abc} порожня: запишіть мелодію в нотації ABC у її тілі.")
        abcrnn = _abcrnn()
        try:
            abcrnn.parse_abc(abc)
        except ValueError as error:  # AbcError is a ValueError
            raise self.error(f"Мелодію ABC не вдалося прочитати: {error}") from error
        self.env.note_dependency(abcrnn.score.__file__)  # the score's HTML comes from there: a change rewrites the page
        audio_file = None
        if self.options.get("audio", True):
            for path in sound_code_files():  # a change to the synthesizer re-reads this page, with new sound
                self.env.note_dependency(str(path))
            try:
                audio_file = render_audio(abc, audio_cache_dir(self.env.app))
            except ValueError as error:
                raise self.error(f"Мелодію ABC не вдалося озвучити: {error}") from error
        node = abc_tune(abc=abc, caption=self.options.get("caption", "").strip(), audio_file=audio_file)
        self.set_source_info(node)
        return [node]

    def _read_file(self):
        if self.content:
            raise self.error("Директива {abc} з параметром :file: має бути без тіла.")
        relative, absolute = self.env.relfn2path(self.options["file"])
        self.env.note_dependency(relative)  # a new result file rebuilds the page
        try:
            return Path(absolute).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise self.error(f"Не вдалося прочитати файл мелодії {relative}: {error}") from error


def audio_cache_dir(app):
    # Next to the doctrees, inside _build/, so `make clean` also clears it.
    return Path(app.doctreedir).parent / ".abc_audio"


def sound_code_files():
    """The package files that turn ABC into sound."""
    abcrnn = _abcrnn()
    return [Path(module.__file__) for module in (abcrnn.synth, abcrnn.playback, abcrnn.abc_parse)]


def _sound_code_hash():
    """A hash of the code that turns ABC into sound: the cache key changes whenever the code does."""
    digest = hashlib.sha256()
    for path in sound_code_files():
        digest.update(path.read_bytes())
    return digest.hexdigest()


def audio_name(abc):
    key = f"{_sound_code_hash()}|{abc}".encode("utf-8")
    return hashlib.sha256(key).hexdigest()[:20] + ".mp3"


def _abcrnn():
    try:
        import abcrnn
    except ImportError as error:
        raise ExtensionError(
            "Директиві {abc} потрібен пакет курсу abcrnn: встановіть його командою `pip install -e .` "
            f"у корені репозиторію ({error})."
        ) from error
    return abcrnn


def render_audio(abc, cache_dir):
    """Render `abc` into cache_dir/<hash>.mp3 unless it is already there; return the file name."""
    from abcrnn.playback import tune_mp3

    name = audio_name(abc)
    path = Path(cache_dir) / name
    if not path.is_file():
        mp3, _, _ = tune_mp3(abc)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")  # an interrupted build leaves no truncated file behind
        partial.write_bytes(mp3)
        partial.replace(path)
    return name


def visit_abc_tune_html(translator, node):
    builder = translator.builder
    page_uri = builder.get_target_uri(builder.current_docname)
    # Ids numbered per page, not random: a rebuild writes the same HTML.
    translator.abcrnn_tunes = getattr(translator, "abcrnn_tunes", 0) + 1
    score = _abcrnn().score_html(
        node["abc"],
        abcjs_src=relative_uri(page_uri, f"_static/{ABCJS_FILES[0]}"),  # loaded in <head>: never fetched again
        keep_text=True,
        element_id=f"abcrnn-score-{translator.abcrnn_tunes}",
    )
    parts = ['<figure class="abcrnn-score-figure">', score]
    if node["audio_file"]:
        _publish_audio(builder.app, node["audio_file"], node["abc"])
        src = relative_uri(page_uri, f"{AUDIO_DIR}/{node['audio_file']}")
        label = html.escape(f"Звучання: {node['caption']}" if node["caption"] else "Звучання мелодії")
        parts.append(
            f'<audio class="abcrnn-score-audio" controls preload="none" src="{html.escape(src)}" aria-label="{label}">'
            "Ваш браузер не відтворює звук.</audio>"
        )
    if node["caption"]:
        parts.append(f'<figcaption class="abcrnn-score-caption">{html.escape(node["caption"])}</figcaption>')
    parts.append("</figure>")
    translator.body.append("\n".join(parts))
    raise nodes.SkipNode


def _publish_audio(app, name, abc):
    """Copy the cached WAV into the site (render it again if the cache was cleared meanwhile)."""
    target = Path(app.outdir) / AUDIO_DIR / name
    if target.is_file():
        return
    cache_dir = audio_cache_dir(app)
    render_audio(abc, cache_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cache_dir / name, target)


def visit_abc_tune_text(translator, node):
    raise nodes.SkipNode  # other builders (latex, text) get nothing: a tune needs a browser


def _node_has_scores(app, pagename, doctree):
    if doctree is None:
        return False
    if any(True for _ in doctree.findall(abc_tune)):
        return True
    # Outputs of executed cells that called abcrnn.show_score carry this class in their raw HTML.
    return any("abcrnn-score" in raw.astext() for raw in doctree.findall(nodes.raw))


def add_page_assets(app, pagename, templatename, context, doctree):
    if _node_has_scores(app, pagename, doctree):
        # No defer/async: abcjs must be defined before the inline scripts of score_html run.
        app.add_js_file(ABCJS_FILES[0], priority=200)


def static_fingerprint():
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.iterdir()):
        digest.update(path.name.encode("utf-8") + path.read_bytes())
    return digest.hexdigest()


def outdated_when_static_changed(app, env, added, changed, removed):
    """Sphinx copies static files only when it writes a page: after an edit of book/_static alone,
    re-read one page so that the build writes it and refreshes the static files."""
    fingerprint = static_fingerprint()
    if getattr(env, "abcrnn_static_fingerprint", None) == fingerprint:
        return []
    env.abcrnn_static_fingerprint = fingerprint
    return sorted(env.found_docs)[:1]


def add_static_path(app):
    app.config.html_static_path.append(str(STATIC_DIR))
    if app.builder.format == "html":
        check_abcjs(app)


def abcjs_dir(app):
    return package_dir(app, "abcjs", "dist")


def check_abcjs(app):
    require_files([abcjs_dir(app) / name for name in ABCJS_FILES], "бібліотеку abcjs")


def copy_abcjs(app, exception):
    copy_into_static(app, exception, abcjs_dir(app), ABCJS_FILES)


def setup(app):
    app.add_node(
        abc_tune,
        html=(visit_abc_tune_html, None),
        latex=(visit_abc_tune_text, None),
        text=(visit_abc_tune_text, None),
        man=(visit_abc_tune_text, None),
        texinfo=(visit_abc_tune_text, None),
    )
    app.add_directive("abc", AbcDirective)
    app.add_css_file("abc-tunes.css")
    app.connect("builder-inited", add_static_path)
    app.connect("html-page-context", add_page_assets)
    app.connect("env-get-outdated", outdated_when_static_changed)
    app.connect("build-finished", copy_abcjs)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
