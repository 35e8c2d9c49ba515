"""abcrnn.score_html / show_score: sheet music where JavaScript runs, the ABC text where it does not."""

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from abcrnn import AbcError, score_html, show_score
from abcrnn import score
from conftest import npm_abcjs

TUNE = "X:1\nT:Test\nM:4/4\nL:1/8\nK:G\n|:GABc dedB|dedB dedB:|\n"
# Characters that would break out of HTML or of a JavaScript string if not escaped.
NASTY = 'X:1\nT:A <b>&amp; "quoted" \'tune\' </script><!-- \\ \u2028\nM:4/4\nL:1/8\nK:C\nCDEF|\n'


class Elements(HTMLParser):
    """Records every start tag with its attributes, and the text inside <pre> and <script>."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.pre_text, self.scripts, self._inside = [], "", [], None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("pre", "script"):
            self._inside = tag
            if tag == "script":
                self.scripts.append("")

    def handle_endtag(self, tag):
        self._inside = None

    def handle_data(self, data):
        if self._inside == "pre":
            self.pre_text += data
        elif self._inside == "script":
            self.scripts[-1] += data


def embedded_abc(script):
    """The value the render script assigns to `abc`, decoded as JSON (which the \\u escapes are)."""
    match = re.search(r"var abc = (\".*?(?<!\\)\");", script, flags=re.DOTALL)
    return json.loads(match.group(1))


def test_html_has_a_uniquely_named_div_with_the_abc_text_and_a_render_script():
    first, second = Elements(score_html(TUNE)), Elements(score_html(TUNE))
    ids = [attrs["id"] for tag, attrs in first.tags + second.tags if tag == "div" and "id" in attrs]
    assert len(ids) == 2 and ids[0] != ids[1]
    assert first.pre_text == TUNE  # the fallback shows the tune itself
    assert len(first.scripts) == 1
    assert json.dumps(ids[0]) in first.scripts[0]  # the script draws into its own div, not another score's
    assert "renderAbc" in first.scripts[0]


def test_special_characters_are_escaped_for_html_and_for_javascript():
    text = score_html(NASTY)
    elements = Elements(text)
    assert elements.pre_text == NASTY
    assert [tag for tag, _ in elements.tags].count("script") == 1  # no <script> smuggled in by the title
    assert "<b>" not in text and "<!--" not in text
    assert text.count("</script>") == 1
    assert embedded_abc(elements.scripts[0]) == NASTY
    assert "\u2028" not in elements.scripts[0]  # a raw line separator ends a JavaScript string in old browsers


def test_default_source_is_the_pinned_cdn_copy():
    script = Elements(score_html(TUNE)).scripts[-1]
    assert score.ABCJS_CDN_URL.startswith("https://cdn.jsdelivr.net/npm/abcjs@6.")
    assert json.dumps(score.ABCJS_CDN_URL) in script


def test_a_url_source_is_loaded_from_that_url():
    script = Elements(score_html(TUNE, abcjs_src="../_static/abcjs-basic-min.js")).scripts[-1]
    assert '"../_static/abcjs-basic-min.js"' in script
    assert "cdn.jsdelivr" not in script


@pytest.mark.parametrize("as_path", [True, False])
def test_a_local_file_is_embedded_and_nothing_is_fetched(tmp_path, as_path):
    local = tmp_path / "abcjs-basic-min.js"
    local.write_text('window.ABCJS = {renderAbc: function () {}}; var s = "</script>";', encoding="utf-8")
    text = score_html(TUNE, abcjs_src=local if as_path else str(local))
    scripts = Elements(text).scripts
    assert len(scripts) == 2
    assert "window.ABCJS = {renderAbc" in scripts[0] and '"<\\/script>"' in scripts[0]
    assert "var scriptUrl = null;" in scripts[1]
    assert "cdn.jsdelivr" not in text


def test_missing_local_file_and_bad_source_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="abcjs"):
        score_html(TUNE, abcjs_src=tmp_path / "nowhere.js")
    for bad in (123, "", ["a.js"]):
        with pytest.raises(ValueError, match="abcjs_src"):
            score_html(TUNE, abcjs_src=bad)


@pytest.mark.parametrize("bad", ["", "  \n ", None, 42, "X:1\nK:C\n" + "C" * 300_000])
def test_bad_abc_is_a_ukrainian_abc_error(bad):
    with pytest.raises(AbcError, match="[а-яіїєґ]"):
        score_html(bad)


def test_broken_but_nonempty_abc_still_gets_a_page_showing_its_text():
    # abcjs draws what it can of a broken tune; the text is there in any case.
    broken = "X:1\nM:4/4\nL:1/8\nK:C\n[CEG|\n"
    assert Elements(score_html(broken)).pre_text == broken


def test_show_score_displays_the_html(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    assert show_score(TUNE) is None
    assert len(shown) == 1
    elements = Elements(shown[0].data)
    assert elements.pre_text == TUNE and "renderAbc" in elements.scripts[-1]


# --- In a real browser (headless Chromium), with the abcjs the website build installs from npm ---

@pytest.fixture
def local_abcjs():
    """The copy the website build installs from npm; ABCRNN_TEST_ABCJS may name another one."""
    other = os.environ.get("ABCRNN_TEST_ABCJS")
    return Path(other) if other else npm_abcjs()


def open_page(browser, body, javascript=True):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    # Nothing outside is reachable from CI: requests to the network fail at once instead of hanging.
    page.route(re.compile(r"^https?://"), lambda route: route.abort())
    page.set_content(f"<!doctype html><html><head><meta charset='utf-8'></head><body>{body}</body></html>")
    return context, page


def test_browser_draws_svg_and_hides_the_text_with_embedded_abcjs(chromium, local_abcjs):
    context, page = open_page(chromium, score_html(TUNE, abcjs_src=local_abcjs) + score_html(NASTY, abcjs_src=local_abcjs))
    try:
        page.wait_for_function("document.querySelectorAll('.abcrnn-score-paper svg').length === 2", timeout=10_000)
        assert page.locator(".abcrnn-score-text").evaluate_all("els => els.map(e => e.style.display)") == ["none", "none"]
        assert page.locator(".abcrnn-score-paper svg .abcjs-note, .abcrnn-score-paper svg path").count() > 10
    finally:
        context.close()


def test_browser_keeps_the_abc_text_when_abcjs_cannot_load(chromium):
    context, page = open_page(chromium, score_html(TUNE))  # the CDN is unreachable here
    try:
        page.wait_for_timeout(500)
        assert page.locator(".abcrnn-score-text").is_visible()
        assert page.locator(".abcrnn-score-text").inner_text().rstrip("\n") == TUNE.rstrip("\n")
        assert page.locator(".abcrnn-score-paper svg").count() == 0
    finally:
        context.close()


def test_browser_without_javascript_shows_the_abc_text(chromium, local_abcjs):
    context, page = open_page(chromium, score_html(TUNE, abcjs_src=local_abcjs), javascript=False)
    try:
        assert page.locator(".abcrnn-score-text").is_visible()
        assert page.locator(".abcrnn-score-paper svg").count() == 0
    finally:
        context.close()


FAKE_REQUIREJS = """<script>
// Stands in for the classic Notebook's require.js: records the configuration and hands over a fake abcjs.
window.requirejs = function (modules, onLoad) {
  window.requested = modules;
  onLoad({renderAbc: function (element, abc) { element.innerHTML = "<svg></svg>"; window.drawnAbc = abc; }});
};
window.requirejs.config = function (config) { window.requireConfig = config; };
</script>"""


def test_browser_with_require_js_loads_abcjs_through_it(chromium):
    # In the classic Notebook a UMD bundle added by a <script> tag would register with require.js
    # instead of setting window.ABCJS, so the score must ask require.js for it.
    context, page = open_page(chromium, FAKE_REQUIREJS + score_html(TUNE))
    try:
        page.wait_for_function("window.drawnAbc !== undefined", timeout=5_000)
        assert page.evaluate("window.drawnAbc") == TUNE
        paths = page.evaluate("window.requireConfig.paths")
        assert paths == {"abcrnn_abcjs": score.ABCJS_CDN_URL[: -len(".js")]}
        assert page.evaluate("window.requested") == ["abcrnn_abcjs"]
        assert not page.locator(".abcrnn-score-text").is_visible()
    finally:
        context.close()
