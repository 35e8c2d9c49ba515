"""The built website in a real browser (Debian's Chromium, headless, driven by Playwright).

The site (`_build/html`, made by `make book`) is served on localhost by http.server in a thread.
Every request to another host is blocked and recorded: the site must work offline.
Without a built site or without Chromium the tests skip with a Ukrainian message, except in CI
(env CI set), where they fail instead: there `make test` always builds the book first.
Screenshots of key pages are kept in test-artifacts/ (git-ignored).
"""

import functools
import re
import threading
import urllib.parse
import urllib.request

from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from abcrnn.playback import MAX_SECONDS
from autograder import edition
from conftest import EXERCISE_PAGES, MP3_PADDING_SECONDS, REPO, SITE, built_site, mp3_seconds, toc_files

ARTIFACTS = REPO / "test-artifacts"
COLAB_PREFIX = edition.read().colab_url("")
# Interface strings the themes would show in English if the Ukrainian translation broke.
ENGLISH_UI = (
    "Search this book",
    "previous page",
    "next page",
    "Color mode",
    "Launch on",
    "Launch interactive content",
    "Show code cell",
    "Hide code cell",
    "Fullscreen mode",
    "Download this page",
    "Download source file",
    "Download notebook file",
    "Open an issue",
    "Open issue",
    "Source repositor",
    "Toggle primary sidebar",
    "Toggle secondary sidebar",
    "Back to top",
    "Skip to main content",
    "On this page",
    "Link to this heading",
    "System Settings",
    "Print to PDF",
    "Search Results",
    "Відкрийте випуск",
    "Toggle hidden content",
)
TIMEOUT_MS = 20_000


def built_pages():
    """Site-relative paths of the pages to visit: every toc page plus search and index pages."""
    return [f"{name}.html" for name in toc_files()] + ["search.html", "genindex.html"]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep pytest's output readable
        pass


@pytest.fixture(scope="module")
def site_url():
    handler = functools.partial(_QuietHandler, directory=str(built_site()))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


class PageVisit:
    """One browser tab that blocks and records requests to other hosts and collects JS errors."""

    def __init__(self, browser, site_url):
        self.site_url = site_url
        self.origin = urllib.parse.urlsplit(site_url).netloc
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
        self.page = self.context.new_page()
        self.external_requests = []
        self.errors = []
        self.context.route("**/*", self._route)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _route(self, route):
        url = route.request.url
        parts = urllib.parse.urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc != self.origin:
            self.external_requests.append(url)
            route.abort()
        else:
            route.continue_()

    def _console(self, message):
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def open(self, relative_url):
        self.page.goto(self.site_url + relative_url, wait_until="load", timeout=TIMEOUT_MS)
        return self.page

    def close(self):
        self.context.close()


@pytest.fixture
def visit(site_url, chromium):
    visits = []

    def open_visit():
        visits.append(PageVisit(chromium, site_url))
        return visits[-1]

    yield open_visit
    for opened in visits:
        opened.close()


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


@pytest.mark.parametrize("relative_url", built_pages())
def test_page_loads_without_errors_or_other_hosts(visit, relative_url):
    tab = visit()
    page = tab.open(relative_url)
    page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
    assert not tab.external_requests, (
        f"Сторінка {relative_url} звертається до інших серверів (сайт має працювати без мережі): "
        f"{tab.external_requests}"
    )
    assert not tab.errors, f"На сторінці {relative_url} є помилки JavaScript: {tab.errors}"
    assert page.locator("main, article").count() > 0, f"Сторінка {relative_url} порожня"


def _interface_texts(page):
    """Visible text of the page plus every label-like attribute (tooltips, aria labels, placeholders)."""
    return page.evaluate(
        """() => {
            const names = ["title", "aria-label", "placeholder", "data-bs-title", "data-bs-original-title", "alt"];
            const values = [];
            document.querySelectorAll("*").forEach((element) => {
                names.forEach((name) => { if (element.hasAttribute(name)) values.push(element.getAttribute(name)); });
            });
            return [document.body.innerText, ...values].join("\\n");
        }"""
    )


@pytest.mark.parametrize("relative_url", [f"{toc_files()[0]}.html", f"{EXERCISE_PAGES[0]}.html", "book/02_tensors.html",
                                          "book/06_rnn.html", "search.html"])
def test_interface_is_ukrainian(visit, relative_url):
    page = visit().open(relative_url)
    assert page.get_attribute("html", "lang") == "uk", f'{relative_url}: немає <html lang="uk">'
    placeholders = page.eval_on_selector_all("input[type=search]", "inputs => inputs.map(i => i.placeholder)")
    assert placeholders, f"{relative_url}: немає поля пошуку"
    for placeholder in placeholders:
        assert re.search("[а-яіїєґ]", placeholder.lower()), f"{relative_url}: підказка поля пошуку не українською: {placeholder!r}"
    texts = _interface_texts(page)
    leftovers = [phrase for phrase in ENGLISH_UI if phrase.lower() in texts.lower()]
    assert not leftovers, f"{relative_url}: в інтерфейсі лишилися англійські або хибні написи: {leftovers}"
    if relative_url.startswith("exercises/"):
        screenshot(page, "exercise-page")
    elif relative_url == f"{toc_files()[0]}.html":
        screenshot(page, "intro-page")


def pages_with(css_class):
    return [
        str(path.relative_to(SITE))
        for path in sorted(SITE.rglob("*.html"))
        if "_sources" not in path.parts and f'class="{css_class}' in path.read_text(encoding="utf-8")
    ]


def test_abc_tunes_draw_scores_and_play_from_the_site(visit, site_url):
    tune_pages = pages_with("abcrnn-score-figure")
    assert "book/07_abc_notation.html" in tune_pages, "Розділ про нотацію ABC має показувати мелодії директивою {abc}"
    for relative_url in tune_pages:
        tab = visit()
        page = tab.open(relative_url)
        figures = page.locator("figure.abcrnn-score-figure")
        count = figures.count()
        assert count > 0
        page.wait_for_function(
            "n => document.querySelectorAll('figure.abcrnn-score-figure .abcrnn-score-paper svg').length === n",
            arg=count,
            timeout=TIMEOUT_MS,
        )
        for index in range(count):
            figure = figures.nth(index)
            assert figure.locator(".abcrnn-score-paper svg .abcjs-note").count() > 0, (
                f"{relative_url}: мелодія №{index + 1} намальована без нот"
            )
            # Not is_visible(): a tune may sit in a closed dropdown of a solution.
            text_display = figure.locator(".abcrnn-score-text").evaluate("element => getComputedStyle(element).display")
            assert text_display != "none", f"{relative_url}: під нотами мелодії №{index + 1} сховано текст ABC"
            audio = figure.locator("audio.abcrnn-score-audio")
            if audio.count() == 0:
                continue  # `:audio: false`
            src = audio.evaluate("element => element.currentSrc || element.src")
            assert src.startswith(site_url), f"{relative_url}: звук мелодії №{index + 1} не з самого сайту: {src}"
            with urllib.request.urlopen(src, timeout=10) as response:
                assert response.status == 200
                data = response.read()
            seconds = mp3_seconds(data)
            assert 1.0 <= seconds <= MAX_SECONDS + MP3_PADDING_SECONDS, f"{src}: неправдоподібна тривалість {seconds:.1f} с"
            # The browser itself must be able to decode it: load the metadata and compare durations.
            browser_seconds = audio.evaluate(
                """element => new Promise((resolve, reject) => {
                    element.addEventListener("loadedmetadata", () => resolve(element.duration), { once: true });
                    element.addEventListener("error", () => reject(new Error("audio error")), { once: true });
                    element.load();
                })"""
            )
            # MP3 frames pad the end a little, and browsers estimate a constant-rate file's length from its size.
            assert abs(browser_seconds - seconds) < 0.4, f"{src}: браузер бачить {browser_seconds} с замість {seconds:.2f} с"
        assert not tab.external_requests, f"{relative_url}: запити до інших серверів: {tab.external_requests}"
        assert not tab.errors, f"{relative_url}: помилки JavaScript: {tab.errors}"
        if relative_url == "book/07_abc_notation.html":
            figures.first.scroll_into_view_if_needed()
            screenshot(page, "abc-tune")


def test_show_score_outputs_draw_with_the_local_abcjs(visit):
    score_pages = pages_with("abcrnn-score")
    if not score_pages:
        pytest.skip("Жоден розділ не показує ноти через abcrnn.show_score у виконаній комірці.")
    for relative_url in score_pages:
        tab = visit()
        page = tab.open(relative_url)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.abcrnn-score')].every(s => s.querySelector('svg'))",
            timeout=TIMEOUT_MS,
        )
        assert not tab.external_requests, f"{relative_url}: abcjs завантажено не з сайту: {tab.external_requests}"


def test_score_html_uses_the_site_abcjs_instead_of_the_cdn(visit, site_url):
    """What a page with an abcrnn.show_score output gets: the site's abcjs in <head>, then the output.

    The page is served at a made-up address of the site itself (intercepted by the test), with the
    same <script> tag that book/_ext/abc_directive.py puts into such pages.
    """
    abcrnn = pytest.importorskip("abcrnn")
    tune = "X:1\nT:Перевірка\nM:6/8\nL:1/8\nK:G\nGFG GAB|c2B A2G|\n"
    document = (
        '<!DOCTYPE html><html lang="uk"><head><meta charset="utf-8">'
        '<script src="../_static/abcjs-basic-min.js"></script></head>'
        f"<body>{abcrnn.score_html(tune)}</body></html>"
    )
    tab = visit()
    tab.context.route(
        f"{site_url}book/__score_check.html",
        lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=document),
    )
    page = tab.open("book/__score_check.html")
    page.wait_for_selector(".abcrnn-score svg", timeout=TIMEOUT_MS)
    assert not tab.external_requests, f"score_html звернувся до CDN, хоча abcjs уже є на сторінці: {tab.external_requests}"
    assert not tab.errors, f"Помилки JavaScript: {tab.errors}"


@pytest.mark.parametrize("notebook", EXERCISE_PAGES)
def test_exercise_pages_offer_colab(visit, notebook):
    page = visit().open(f"{notebook}.html")
    links = page.eval_on_selector_all(
        "a[href*='colab.research.google.com']", "links => links.map(link => link.href)"
    )
    assert f"{COLAB_PREFIX}{notebook}.ipynb" in links, f"{notebook}: немає кнопки «Colab» з правильною адресою, є {links}"


class _MainText(HTMLParser):
    """Text of the page's <main> element, without scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth, self.skip, self.parts = 0, 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "main" or self.depth:
            self.depth += 1
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)


def page_words(relative_url):
    parser = _MainText()
    parser.feed((SITE / relative_url).read_text(encoding="utf-8"))
    return set(re.findall(r"[а-яіїєґ']+", " ".join(parser.parts).lower()))


def test_search_finds_other_forms_of_a_ukrainian_word(visit):
    query = "мережі"
    other_forms = {}
    for relative_url in built_pages():
        words = page_words(relative_url)
        forms = {word for word in words if word.startswith("мереж") and word != query}
        if forms and query not in words:
            other_forms[relative_url] = forms
    assert other_forms, "Немає сторінки з іншою формою слова «мережа», щоб перевірити пошук"
    tab = visit()
    page = tab.open(f"search.html?q={urllib.parse.quote(query)}")
    page.wait_for_selector("#search-results ul.search li", timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => !document.querySelector('#search-progress') || !document.querySelector('#search-progress').innerText.includes('…')",
        timeout=TIMEOUT_MS,
    )
    results = page.eval_on_selector_all("#search-results ul.search li a", "links => links.map(link => link.href)")
    found = {urllib.parse.urlsplit(url).path.lstrip("/") for url in results}
    assert set(other_forms) & found, (
        f"Пошук «{query}» не знайшов жодної сторінки лише з іншими формами слова "
        f"({ {page: sorted(forms) for page, forms in other_forms.items()} }); знайдено: {sorted(found)}"
    )
    screenshot(page, "search-word-forms")
    assert not tab.errors, f"Помилки JavaScript на сторінці пошуку: {tab.errors}"


@pytest.mark.parametrize("relative_url", ["book/02_tensors.html", "book/06_rnn.html", "book/09_experiments.html"])
def test_exercise_solutions_stay_collapsed_until_opened(visit, relative_url):
    tab = visit()
    page = tab.open(relative_url)
    solutions = page.locator("div.solution.dropdown")
    count = solutions.count()
    assert count >= 3, f"{relative_url}: замало вправ з розв'язками ({count})"
    page.wait_for_selector("div.solution.dropdown button.toggle-button", timeout=TIMEOUT_MS)
    for index in range(count):
        body = solutions.nth(index).locator("section").first
        assert not body.is_visible(), f"{relative_url}: розв'язок №{index + 1} видно одразу, а має бути сховано"
    first = solutions.first
    first.locator("button.toggle-button").click()
    first.locator("section").first.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert not solutions.nth(1).locator("section").first.is_visible(), "Розгорнувся не той розв'язок"
    label = first.locator("button.toggle-button").get_attribute("aria-label")
    assert label and re.search("[а-яіїєґ]", label.lower()), f"Кнопка розв'язку має український напис, а не {label!r}"
    assert not tab.errors, f"{relative_url}: помилки JavaScript: {tab.errors}"
    if relative_url == "book/06_rnn.html":
        first.scroll_into_view_if_needed()
        screenshot(page, "exercise-solution-open")


def test_what_the_network_learned_shows_its_figures(visit):
    tab = visit()
    page = tab.open("book/08_music_generation.html")
    section = page.locator("#what-the-network-learned")
    assert section.count() == 1, "Немає підрозділу «Що навчилася мережа»"
    images = section.locator("img")
    assert images.count() >= 2, "Підрозділ «Що навчилася мережа» має показувати графіки"
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle(),
                               timeout=TIMEOUT_MS)
    shading = section.locator("div.learned-shading")
    assert shading.count() >= 3, "Бракує пофарбованих мелодій"
    assert shading.first.locator("span[title]").count() > 100, "Символи мелодії мають підказки з числом втрат"
    section.scroll_into_view_if_needed()
    screenshot(page, "what-the-network-learned")
    assert not tab.errors, f"Помилки JavaScript: {tab.errors}"
