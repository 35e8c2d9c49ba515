"""Show an ABC tune as sheet music in Jupyter and Colab, drawn in the browser by abcjs.

The HTML holds the ABC text in a <pre> that stays visible wherever no JavaScript runs (an untrusted
notebook, a static HTML export, GitHub's viewer); when abcjs loads, the sheet music replaces it
(or, with keep_text, stands above it).
abcjs is fetched by the student's browser from a CDN, or passed in as a local file and embedded in
the page (for the offline website build), never downloaded by Python.

This is the only sheet-music renderer of the course: the website's `{abc}` directive
(book/_ext/abc_directive.py) wraps the same HTML in its <figure>, with keep_text=True.
"""

import html
import json
import re
import uuid
from pathlib import Path

from .abc_parse import check_abc_text

# Pinned so that every student sees the same engraving; it is loaded by the browser, not at build time.
ABCJS_VERSION = "6.7.2"
ABCJS_CDN_URL = f"https://cdn.jsdelivr.net/npm/abcjs@{ABCJS_VERSION}/dist/abcjs-basic-min.js"


def show_score(abc, abcjs_src=None):
    """Display one ABC tune as sheet music in the notebook (see score_html for `abcjs_src`)."""
    from IPython.display import HTML, display

    display(HTML(score_html(abc, abcjs_src=abcjs_src)))


def score_html(abc, abcjs_src=None, *, keep_text=False, element_id=None):
    """Return HTML that draws `abc` as sheet music with abcjs and shows the ABC text where it cannot.

    abcjs_src: None for the CDN copy (ABCJS_CDN_URL); a URL string (absolute or relative) for a script
    the browser should load instead; or a pathlib.Path (or a string naming an existing file) of a local
    `abcjs-basic-min.js`, whose code is then embedded in the HTML so that nothing is fetched.
    The script does not load abcjs at all when the page already has it (`window.ABCJS`).
    keep_text: leave the ABC text under the drawn score (the root gets the class `abcrnn-score-drawn`
    either way, for a stylesheet to style it) instead of hiding it.
    element_id: the id of the root <div>, unique in the page; a random one by default.
    Raises AbcError for text that is not a string, is empty, or is far too long for one tune.
    """
    check_abc_text(abc)
    if element_id is None:
        element_id = f"abcrnn-score-{uuid.uuid4().hex}"  # unique even across kernel restarts in one page
    inline_code, script_url = _abcjs_source(abcjs_src)
    parts = [
        f'<div class="abcrnn-score" id="{html.escape(element_id)}">',
        '<div class="abcrnn-score-paper" aria-hidden="true"></div>',
        f'<pre class="abcrnn-score-text" style="white-space: pre-wrap">{html.escape(abc)}</pre>',
        "</div>",
    ]
    if inline_code is not None:
        # `define`, `module` and `exports` are hidden so that the UMD bundle sets window.ABCJS even
        # in the classic Notebook, where require.js would otherwise capture it as an anonymous module.
        parts.append(
            "<script>(function (define, module, exports) {\n"
            + _script_safe(inline_code)
            + "\n}).call(window);</script>"
        )
    parts.append(_render_script(element_id, abc, script_url, keep_text))
    return "\n".join(parts)


def _abcjs_source(abcjs_src):
    """(code to embed or None, URL to load or None) for the score_html parameter `abcjs_src`."""
    if abcjs_src is None:
        return None, ABCJS_CDN_URL
    if isinstance(abcjs_src, Path) or (isinstance(abcjs_src, str) and _is_existing_file(abcjs_src)):
        path = Path(abcjs_src)
        if not path.is_file():
            raise FileNotFoundError(f"Файл abcjs не знайдено: {path}. Встановіть його командою `npm install abcjs`.")
        return path.read_text(encoding="utf-8"), None
    if isinstance(abcjs_src, str) and abcjs_src.strip():
        return None, abcjs_src.strip()
    raise ValueError(
        "abcjs_src має бути None (CDN), адресою скрипту abcjs (рядок) або шляхом до файлу "
        f"abcjs-basic-min.js, а не {abcjs_src!r}."
    )


def _is_existing_file(text):
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # names too long or with NUL bytes cannot be files
        return False


def _script_safe(code):
    """Keep embedded JavaScript from ending its <script> element early (`</script>` inside the code).

    Only `</script` is touched: escaping every `</` would corrupt regular expressions such as /</g.
    """
    return re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE)


def _js_string(value):
    """A JavaScript string literal that is also safe inside an HTML <script> element.

    json.dumps escapes quotes, backslashes, newlines and (with ensure_ascii) U+2028/2029; escaping
    < > & as \\u sequences stops `</script>` or `<!--` in a tune from breaking out of the script.
    """
    text = json.dumps(value, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _render_script(element_id, abc, script_url, keep_text):
    return f"""<script>
(function () {{
  var root = document.getElementById({_js_string(element_id)});
  if (!root) return;
  var abc = {_js_string(abc)};
  var scriptUrl = {_js_string(script_url) if script_url is not None else "null"};
  var keepText = {"true" if keep_text else "false"};
  function render(ABCJS) {{
    var paper = root.querySelector(".abcrnn-score-paper");
    try {{
      ABCJS.renderAbc(paper, abc, {{ responsive: "resize", add_classes: true }});
    }} catch (error) {{
      console.warn("abcrnn: abcjs could not draw the tune", error);  // the ABC text stays visible
      return;
    }}
    if (!paper.querySelector("svg")) return;
    paper.removeAttribute("aria-hidden");
    root.classList.add("abcrnn-score-drawn");
    if (!keepText) root.querySelector(".abcrnn-score-text").style.display = "none";
  }}
  if (window.ABCJS && window.ABCJS.renderAbc) {{ render(window.ABCJS); return; }}
  if (!scriptUrl) return;
  if (typeof window.requirejs === "function" && window.requirejs.config) {{
    // Classic Jupyter Notebook: require.js is on the page, so a UMD bundle must be loaded through it.
    window.requirejs.config({{ paths: {{ abcrnn_abcjs: scriptUrl.replace(/\\.js$/, "") }} }});
    window.requirejs(["abcrnn_abcjs"], render, function () {{}});
    return;
  }}
  // One download per page, however many scores it shows.
  if (!window.abcrnnAbcjsLoading) {{
    window.abcrnnAbcjsLoading = new Promise(function (resolve, reject) {{
      var script = document.createElement("script");
      script.src = scriptUrl;
      script.onload = function () {{ resolve(window.ABCJS); }};
      script.onerror = reject;
      document.head.appendChild(script);
    }});
  }}
  window.abcrnnAbcjsLoading.then(render, function () {{ window.abcrnnAbcjsLoading = null; }});
}})();
</script>"""
