"""The built website in a real browser (headless Chromium driven by Playwright).

Run after the book is built: ``python -m pytest -m browser tests/website``.
The README's default test command leaves these out (they need Chromium and a
built site); ``.ci/run`` installs Debian's chromium and runs them explicitly.
Screenshots of the home page and a chapter, in the light and the dark theme,
go to ``_build/screenshots/``, with what the survey of every page measured
(``site-survey.json``) and the theme-only axe-core findings (``axe-theme-only.txt``).
"""

import functools
import html.parser
import http.server
import json
import os
import queue
import re
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from mlpcourse.release import toc_entries

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
# the built site, and where screenshots go; SITE_HTML points them at a build elsewhere
SITE = Path(os.environ.get("SITE_HTML", ROOT / "_build" / "html"))
SHOTS = SITE.parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
PAGES = [f"{entry}.html" for entry in toc_entries(ROOT)]
CHAPTER = "book/03_activation_functions.html"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    if not (SITE / "index.html").is_file():
        pytest.fail("no built site in _build/html: build the book first (the README's first command)")
    handler = functools.partial(_Quiet, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install chromium (the browser download step is never used)")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def open_page(browser, url, offline=False, mode=None, wait_until="networkidle"):
    """A new page at ``url``, in a context of its own at 1280 px; returns (page, problems,
    outside): console errors and failed requests, and the requests to other hosts (blocked with
    ``offline``)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if mode:
        context.add_init_script(f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');")
    problems, outside = [], []
    if offline:  # block every request to another host
        def route(r):
            if urlparse(r.request.url).hostname != "127.0.0.1":
                outside.append(r.request.url)
                return r.abort()
            return r.continue_()
        context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(url, wait_until=wait_until)
    page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
    return page, problems, outside


# ---- every page as its readers meet it: 1280 and 390 px wide, light and dark ---------------------
#
# Each page is loaded once, with every other host blocked, and measured in four configurations
# (the mode switched on the page, the window resized): math cut off, the page scrolling sideways,
# figures without a description, nbgrader markers, tables with empty header cells, links in
# exercise boxes under 4.5:1, and each solution's dropdown opened by a click on its title. axe-core
# (vendored: tests/website/vendor) runs at 1280 px in the light mode and at 390 px in the dark one,
# each width and each mode once (it takes ~10 s on a chapter); its serious and critical findings
# fail the test unless THEME_ONLY lists them. The measurements are in tests/website/probe.js; all
# of them are written to _build/screenshots/site-survey.json.

CONFIGS = [(1280, "light"), (1280, "dark"), (390, "dark"), (390, "light")]
AXE_AT = {(1280, "light"), (390, "dark")}
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_VERSION = "4.14.1"
PROBE = (Path(__file__).parent / "probe.js").read_text()

# axe-core findings that come from the theme's own page furniture, not from the book, with the
# reason each is left: (rule, a CSS class on the node, reason)
THEME_ONLY = [
    ("label-content-name-mismatch", "search-button-field",
     "pydata-sphinx-theme 0.17's search button: aria-label 'Search', visible text 'Search Ctrl+K' (the "
     "label is a prefix of the text, which speech input still matches)"),
]

_SURVEYS = {}


def _theme_only(rule, html):
    return next((reason for r, cls, reason in THEME_ONLY if r == rule and cls in html), None)


def _settle(page, resized=False):
    if resized:
        page.wait_for_timeout(350)  # the theme's debounced resize handler (300 ms)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def _survey_page(browser, site, path):
    page, problems, outside = open_page(browser, f"{site}/{path}", offline=True, mode="light", wait_until="load")
    page.evaluate(PROBE)
    report = {"load": {
        "title": page.title(),
        "problems": list(problems),
        "outside": list(outside),
        "math": page.locator(".math").count(),
        "typeset": page.locator(".math mjx-container").count(),
        "untypeset": page.evaluate("() => [...document.querySelectorAll('.math')].filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 60))"),
        "broken_images": page.evaluate("() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"),
    }}

    # each solution opened by a real click on the link in its title: open, no error, no jump
    titles = page.locator(".admonition.toggle > .admonition-title a")
    dropdowns = []
    for i in range(titles.count()):
        link, before, url = titles.nth(i), len(problems), page.url
        link.click()
        opened = link.evaluate("a => !a.closest('.admonition.toggle').classList.contains('toggle-hidden')")
        dropdowns.append({"title": link.inner_text().strip()[:60], "opened": opened, "jumped": page.url != url,
                          "errors": problems[before:]})
    page.evaluate("() => siteProbe.openAll()")
    page.mouse.move(0, 0)

    for width, mode in CONFIGS:
        resized = page.viewport_size["width"] != width
        if resized:
            page.set_viewport_size({"width": width, "height": 900})
        page.evaluate(f"() => {{ document.documentElement.dataset.theme = '{mode}'; document.documentElement.dataset.mode = '{mode}'; }}")
        _settle(page, resized)
        before = len(problems)
        if dropdowns:  # close and reopen the first solution from its title at this size
            link = titles.first
            states = []
            for _ in range(2):
                link.click()
                states.append(link.evaluate("a => !a.closest('.admonition.toggle').classList.contains('toggle-hidden')"))
            if states != [False, True]:
                dropdowns.append({"title": f"{link.inner_text().strip()[:60]} at {width} px, {mode}",
                                  "opened": False, "jumped": False, "errors": [f"open after two clicks: {states}"]})
            page.mouse.move(0, 0)
            _settle(page)
        measured = page.evaluate("""() => ({
            math: siteProbe.clippedMath(), overflow: siteProbe.pageOverflow(),
            figures: siteProbe.undescribedFigures(), markers: siteProbe.markers(),
            headers: siteProbe.emptyHeaders(), contrast: siteProbe.lowContrastLinks(),
            code: siteProbe.wideCode(), scrolling: siteProbe.scrollingInlineMath()})""")
        measured["problems"] = problems[before:]
        if (width, mode) in AXE_AT:
            if not page.evaluate("() => !!window.axe"):
                page.add_script_tag(path=str(AXE))
            measured["axe"] = page.evaluate("""() => axe.run(document, {resultTypes: ['violations']}).then(r =>
                r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').flatMap(v =>
                    v.nodes.map(n => ({rule: v.id, impact: v.impact, help: v.help,
                                       target: n.target.join(' '), html: n.html.slice(0, 200)}))))""")
        report[f"{width}-{mode}"] = measured
    report["dropdowns"] = dropdowns
    page.context.close()
    return report


def _survey_pages(site, paths, workers):
    """Survey `paths` in `workers` threads, each with its own Playwright and Chromium (Playwright's
    objects belong to the thread that made them)."""
    playwright = pytest.importorskip("playwright.sync_api")
    todo = queue.SimpleQueue()
    for path in paths:
        todo.put(path)
    failures = []

    def work():
        try:
            with playwright.sync_playwright() as p:
                chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                while True:
                    try:
                        path = todo.get_nowait()
                    except queue.Empty:
                        break
                    _SURVEYS[path] = _survey_page(chromium, site, path)
                chromium.close()
        except Exception as error:  # reported below, in the main thread
            failures.append(error)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]


@pytest.fixture(scope="module")
def survey(request, site, browser):
    """survey(path): what _survey_page measured on the page. The pages that this run's tests ask
    for are surveyed together the first time, two or three at once."""
    wanted = [item.callspec.params["path"] for item in request.session.items
              if "survey" in getattr(item, "fixturenames", ()) and hasattr(item, "callspec")
              and "path" in item.callspec.params]
    wanted = [p for p in dict.fromkeys(wanted) if p not in _SURVEYS] or [p for p in PAGES if p not in _SURVEYS]

    def get(path):
        if path not in _SURVEYS:
            _survey_pages(site, list(dict.fromkeys([path, *wanted])), workers=min(3, max(2, os.cpu_count() or 2)))
            SHOTS.mkdir(parents=True, exist_ok=True)
            (SHOTS / "site-survey.json").write_text(json.dumps(_SURVEYS, indent=1))
        return _SURVEYS[path]
    return get


def _each(report, key):
    """[(config, item)] for every item of measurement `key` in every configuration."""
    return [(config, item) for config, m in report.items() if config not in ("load", "dropdowns")
            for item in (m.get(key) or [])]


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_errors(survey, path):
    load = survey(path)["load"]
    assert load["title"], f"{path}: no title"
    assert not load["problems"], f"{path}: {load['problems']}"


@pytest.mark.parametrize("path", PAGES)
def test_math_and_figures_render_offline(survey, path):
    load = survey(path)["load"]
    assert not load["outside"], f"{path} asked for other hosts: {load['outside']}"
    assert load["typeset"] >= load["math"] and not load["untypeset"], (
        f"{path}: {load['math']} math elements, {load['typeset']} typeset; untypeset: {load['untypeset'][:3]}")
    assert not load["broken_images"], f"{path}: images that did not load: {load['broken_images']}"


@pytest.mark.parametrize("path", PAGES)
def test_display_math_fits_or_scrolls(survey, path):
    cut = [(c, m["lost"], m["tex"]) for c, m in _each(survey(path), "math") if m["display"]]
    assert not cut, f"{path}: {len(cut)} display formulas cut off (config, px out of reach, TeX): {cut[:6]}"


@pytest.mark.parametrize("path", PAGES)
def test_inline_math_fits_or_scrolls(survey, path):
    cut = [(c, m["lost"], m["tex"]) for c, m in _each(survey(path), "math") if not m["display"]]
    assert not cut, f"{path}: {len(cut)} inline formulas cut off (config, px out of reach, TeX): {cut[:6]}"


@pytest.mark.parametrize("path", PAGES)
def test_long_inline_math_breaks_across_lines(survey, path):
    """A long inline formula wraps (after a relation or an operator, as TeX breaks it; see
    book/_ext/math_breaks.py) rather than scrolling within its line, on a phone too."""
    scrolling = _each(survey(path), "scrolling")
    assert not scrolling, f"{path}: {len(scrolling)} inline formulas wider than their line (config, TeX): {scrolling[:6]}"


@pytest.mark.parametrize("path", PAGES)
def test_page_does_not_scroll_sideways(survey, path):
    wide = {c: m["overflow"] for c, m in survey(path).items() if c not in ("load", "dropdowns") and m["overflow"] > 0}
    assert not wide, f"{path}: the page scrolls sideways by (px): {wide}"


@pytest.mark.parametrize("path", PAGES)
def test_code_fits_on_a_desktop(survey, path):
    """At 1280 px no code cell and no printed output scrolls sideways: the code is formatted to
    book/ruff.toml's line length, and a longer printed line wraps (book/_static/site.css). On a
    phone they scroll, which is what a block of 80 columns must do there."""
    wide = [(c, w) for c, w in _each(survey(path), "code") if c.startswith("1280")]
    assert not wide, f"{path}: {len(wide)} code blocks scroll sideways at 1280 px (config, px, longest line): {wide[:6]}"


@pytest.mark.parametrize("path", PAGES)
def test_figures_have_descriptions(survey, path):
    """Every content image has alt text that describes it (not empty, not its file's path)."""
    bare = sorted({src for _, src in _each(survey(path), "figures")})
    assert not bare, f"{path}: {len(bare)} figures without a description: {bare}"


@pytest.mark.parametrize("path", PAGES)
def test_no_nbgrader_markers_are_shown(survey, path):
    shown = sorted({line for _, line in _each(survey(path), "markers")})
    assert not shown, f"{path}: code shows nbgrader markers: {shown}"


@pytest.mark.parametrize("path", PAGES)
def test_table_headers_have_text(survey, path):
    empty = sorted({table for _, table in _each(survey(path), "headers")})
    assert not empty, f"{path}: tables with an empty header cell (their text begins): {empty}"


@pytest.mark.parametrize("path", PAGES)
def test_links_in_boxes_have_contrast(survey, path):
    low = [(c, a["text"], a["ratio"]) for c, a in _each(survey(path), "contrast")]
    assert not low, f"{path}: links under 4.5:1 in exercise and solution boxes: {low[:6]}"


@pytest.mark.parametrize("path", PAGES)
def test_solutions_open_from_their_title(survey, path):
    bad = [d for d in survey(path)["dropdowns"] if not d["opened"] or d["jumped"] or d["errors"]]
    assert not bad, f"{path}: solution titles that did not open their solution: {bad[:4]}"


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_nothing_serious(survey, path):
    """axe-core's serious and critical violations, but for the theme's own listed in THEME_ONLY."""
    found = [(c, v) for c, v in _each(survey(path), "axe") if not _theme_only(v["rule"], v["html"])]
    assert not found, f"{path}: {len(found)} serious or critical axe-core {AXE_VERSION} findings: " + "; ".join(
        f"[{c}] {v['rule']} ({v['impact']}): {v['target']}: {v['html'][:120]}" for c, v in found[:8])


def test_axe_theme_only_findings_are_current(survey):
    """Each THEME_ONLY entry still matches a finding somewhere (run after the pages' tests)."""
    findings = [v for path in PAGES for _, v in _each(survey(path), "axe")]
    SHOTS.mkdir(parents=True, exist_ok=True)
    listing = sorted({f"{v['rule']}: {v['target']}" for v in findings if _theme_only(v["rule"], v["html"])})
    (SHOTS / "axe-theme-only.txt").write_text("\n".join(listing) + "\n")
    stale = [(r, cls) for r, cls, _ in THEME_ONLY if not any(v["rule"] == r and cls in v["html"] for v in findings)]
    assert not stale, f"THEME_ONLY entries that match no finding any more: {stale}"


def test_chapters_have_math_and_figures(site, browser):
    page, _, _ = open_page(browser, f"{site}/{CHAPTER}", offline=True)
    assert page.locator(".math mjx-container").count() > 100
    assert page.evaluate("() => [...document.images].filter(i => i.naturalWidth > 100).length") >= 2
    page.context.close()


def _pdf_outline(data):
    """The bookmark titles of a PDF (literal strings, or UTF-16 in hex)."""
    titles = []
    for literal, hexa in re.findall(rb"/Title\s*(?:\(((?:[^()\\]|\\.)*)\)|<([0-9A-Fa-f]+)>)", data):
        if hexa:
            raw = bytes.fromhex(hexa.decode())
            titles.append(raw[2:].decode("utf-16-be") if raw[:2] == b"\xfe\xff" else raw.decode("latin-1"))
        else:
            titles.append(re.sub(rb"\\(.)", rb"\1", literal).decode("latin-1"))
    return titles


class _Title(html.parser.HTMLParser):
    """The text of the first h1 inside main, without its "#" link; None if it holds a formula."""

    def __init__(self):
        super().__init__()
        self.depth = {"main": 0, "h1": 0, "a": 0}
        self.text, self.math, self.done = [], False, False

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag in self.depth and not self.done and (tag != "h1" or self.depth["main"]):
            self.depth[tag] += tag != "a" or "headerlink" in classes or self.depth["a"] > 0
        if self.depth["h1"] and "math" in classes:
            self.math = True

    def handle_endtag(self, tag):
        if tag in self.depth and self.depth[tag]:
            self.depth[tag] -= 1
            self.done = self.done or tag == "h1" and not self.depth["h1"]

    def handle_data(self, data):
        if self.depth["h1"] and not self.depth["a"] and not self.done:
            self.text.append(data)


def _page_title(text):
    parser = _Title()
    parser.feed(text)
    return None if parser.math else " ".join("".join(parser.text).split()) or None


def test_the_intro_links_the_pdf_of_the_book(site, browser):
    """tools/build_pdf.py printed the book; the intro's link downloads it, with a bookmark per page."""
    page, problems, _ = open_page(browser, f"{site}/book/intro.html")
    link = page.locator("a[href$='mlp-course.pdf']")
    assert link.count() == 1, "the intro has no link to the PDF"
    response = page.request.get(link.evaluate("a => a.href"))
    assert response.ok, f"the intro's PDF link is broken ({response.status}): run python tools/build_pdf.py"
    data = response.body()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    titles = _pdf_outline(data)
    chapters = [p for p in PAGES if re.match(r"book/(\d\d_|appendix)", p)]
    assert pages > 10 * len(chapters), f"{pages} pages for {len(chapters)} chapters"
    for chapter in chapters:  # each page's title, from the HTML the site serves (loading 19 pages took 40 s)
        title = _page_title(page.request.get(f"{site}/{chapter}").text())
        assert title, f"{chapter}: no title (main h1), or a formula in it"
        assert title in titles, f"the PDF has no bookmark for {title!r}"
    assert b"/StructTreeRoot" in data, "the PDF is not tagged (no structure for screen readers)"
    assert not problems
    page.context.close()


# the chapters whose headings hold formulas, which the page-contents drawer lists
HEADING_MATH = ["book/04_forward_pass.html", "book/05_loss_functions.html",
                "book/08_worked_example_2_2_2.html", "book/10_backprop_as_gradient_descent.html"]


@pytest.mark.parametrize("path", HEADING_MATH)
def test_on_a_phone_the_page_contents_open_and_their_formulas_fit(site, browser, path):
    """At 390 px the page contents are a drawer: closed, its formulas (a heading's math) are hidden,
    not off the screen for a reader; a tap on the header's visible button opens it (site.js, Sidebar
    buttons), and every formula in it lies inside the screen."""
    page, problems, _ = open_page(browser, f"{site}/{path}")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(200)
    drawer_math = "#pst-secondary-sidebar mjx-container, #pst-secondary-sidebar-modal mjx-container"
    assert page.locator(drawer_math).count(), f"{path}: no formula in the page contents"
    shown = page.evaluate(f"() => [...document.querySelectorAll('{drawer_math}')].filter(c => getComputedStyle(c).visibility === 'visible').length")
    assert shown == 0, f"{path}: {shown} formulas of the closed page contents are visible"
    page.locator("button.secondary-toggle:visible").first.click()
    page.wait_for_function("() => document.querySelector('#pst-secondary-sidebar-modal').open", timeout=5000)
    boxes = page.evaluate("() => [...document.querySelectorAll('dialog[open] mjx-container')].map(c => { const r = c.getBoundingClientRect(); return [c.textContent, r.left, r.right, r.width]; })")
    assert boxes, f"{path}: the open drawer shows no formula"
    outside = [b for b in boxes if b[3] > 0 and (b[1] < 0 or b[2] > 390)]
    assert not outside, f"{path}: formulas of the open page contents leave the screen: {outside}"
    assert not problems
    page.context.close()


def test_solution_dropdown_opens_and_shows_the_code(site, browser):
    page, problems, _ = open_page(browser, f"{site}/{CHAPTER}")
    solution = page.locator("div.solution.dropdown").first
    code = solution.locator("pre").first
    assert not code.is_visible(), "the solution is visible before it is clicked"
    solution.locator("button").first.click()
    code.wait_for(state="visible", timeout=5000)
    assert "def " in code.inner_text() and "SOLUTION" not in code.inner_text()
    assert not problems
    page.context.close()


def test_search_finds_backpropagation(site, browser):
    page, problems, _ = open_page(browser, f"{site}/search.html?q=backpropagation")
    results = page.locator("#search-results li")
    results.first.wait_for(timeout=15000)
    assert results.count() >= 3
    assert not problems
    page.context.close()


# in a snippet: MathJax's delimiters \( \) \[ \], or the joint of a formula that math_breaks.py cut
# (a part's closing "{}" and the $ after it)
BROKEN_MATH = re.compile(r"\\[()\[\]]|\{\}\$")


def search_snippets(browser, site, query):
    """The texts of the snippets under the search results for ``query``, and the page's problems."""
    page, problems, _ = open_page(browser, f"{site}/search.html?q={query}")
    snippets = page.locator("#search-results p.context")
    snippets.first.wait_for(timeout=15000)
    page.wait_for_load_state("networkidle")  # each result's page, fetched for its snippet
    page.wait_for_timeout(500)
    texts = snippets.all_inner_texts()
    page.context.close()
    return texts, problems


@pytest.mark.parametrize("query", ["chain rule", "multipliers"])
def test_search_snippets_show_formulas_as_tex(site, browser, query):
    """A formula in a snippet is its TeX between $ signs (site.js), without MathJax's delimiters."""
    texts, problems = search_snippets(browser, site, query)
    broken = [t for t in texts if BROKEN_MATH.search(t)]
    assert texts and not broken, f"{len(broken)} of {len(texts)} snippets show broken math markup: {broken[:2]}"
    assert any(re.search(r"\$[^$]+\$", t) for t in texts), texts
    assert not problems


def test_the_search_text_of_every_page_shows_formulas_as_tex(site, browser):
    """What search makes its snippets from (Search.htmlToText, which site.js wraps), for every page:
    no MathJax delimiters and no joints of a cut formula; chapter 6's E = \\frac12 \\sum ..., which
    math_breaks.py cuts after its "=" for phones, reads as one formula."""
    page, problems, _ = open_page(browser, f"{site}/search.html?q=backpropagation")
    texts = dict(page.evaluate("""paths => Promise.all(paths.map(path => fetch(path).then(r => r.text())
        .then(html => [path, [Search.htmlToText(html), html.includes("{}\\\\)</span><wbr>")]])))""", PAGES))
    page.context.close()
    broken = {path: BROKEN_MATH.findall(text)[:3] for path, (text, _) in texts.items() if BROKEN_MATH.search(text)}
    assert not broken, f"search text with broken math markup: {broken}"
    text, cut = texts["book/06_backprop_chain_rule.html"]
    assert cut, "chapter 6 has no formula cut by math_breaks.py: this test needs another one"
    assert r"$E = \frac12 \sum_{i=1}^{n_L} (d_i - x^L_i)^2$" in text
    assert not problems


def _luminance(rgb):
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(int(v)) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("path", ["book/intro.html", CHAPTER])
def test_both_themes_are_readable_and_screenshots(site, browser, mode, path):
    page, problems, _ = open_page(browser, f"{site}/{path}", mode=mode)
    assert page.evaluate("() => document.documentElement.dataset.theme") == mode
    fg, bg = page.evaluate("""() => {
        const p = document.querySelector('article p, main p');
        let e = p, bg = 'rgba(0, 0, 0, 0)';
        while (e && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) { bg = getComputedStyle(e).backgroundColor; e = e.parentElement; }
        if (bg === 'rgba(0, 0, 0, 0)') bg = getComputedStyle(document.body).backgroundColor;
        return [getComputedStyle(p).color, bg];
    }""")
    lum = sorted(_luminance(re.findall(r"[\d.]+", c)[:3]) for c in (fg, bg))
    contrast = (lum[1] + 0.05) / (lum[0] + 0.05)
    assert contrast >= 4.5, f"{path} in {mode}: text {fg} on {bg}, contrast {contrast:.1f}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{Path(path).stem}-{mode}.png"), full_page=False)
    assert not problems
    page.context.close()


def test_a_scrolling_display_formula_fades_where_it_goes_on(site, browser):
    """At 390 px a display formula wider than the column fades at the side where more of it lies
    (site.js, site.css), and the fade follows the scrolling."""
    page, problems, _ = open_page(browser, f"{site}/book/06_backprop_chain_rule.html", mode="light")
    page.set_viewport_size({"width": 390, "height": 844})
    _settle(page, resized=True)
    states = page.evaluate("""async () => {
        const all = [...document.querySelectorAll('div.math mjx-container[display="true"]')];
        const state = (c) => [c.classList.contains('math-more-left'), c.classList.contains('math-more-right')];
        const scrolling = all.filter(c => c.scrollWidth > c.clientWidth + 1);
        const fitting = all.filter(c => c.scrollWidth <= c.clientWidth + 1);
        const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        const c = scrolling[0];
        const start = state(c);
        c.scrollLeft = (c.scrollWidth - c.clientWidth) / 2; await frame();
        const middle = state(c);
        c.scrollLeft = c.scrollWidth; await frame();
        const end = state(c);
        return {n: scrolling.length, start, middle, end,
                unmarked: scrolling.slice(1).filter(c => state(c).join() !== 'false,true').length,
                faded: fitting.filter(c => state(c).some(Boolean)).length};
    }""")
    assert states["n"] >= 3, states  # chapter 6 has display formulas wider than a phone
    assert (states["start"], states["middle"], states["end"]) == ([False, True], [True, True], [True, False]), states
    assert states["unmarked"] == 0 and states["faded"] == 0, states
    assert not problems
    page.context.close()


# what a phone shows of two pages with content wider than its screen: chapter 6's derivation, at its
# first tagged equation (B1), and chapter 14's comparison with scikit-learn (its first table)
PHONE_VIEWS = {
    "06_backprop_chain_rule-B1": ("book/06_backprop_chain_rule.html",
                                  "[...document.querySelectorAll('mjx-container[display=true]')]"
                                  ".find(e => e.textContent.includes('(B1)'))"),
    "14_digits_case_study-table": ("book/14_digits_case_study.html", "document.querySelector('.bd-article table')"),
}


@pytest.mark.parametrize("name", PHONE_VIEWS)
def test_phone_screenshots(site, browser, name):
    """Screenshots at 390 px (in _build/screenshots, to be looked at); what they show must not
    make the page scroll sideways, and the view must hold a formula or a table."""
    path, target = PHONE_VIEWS[name]
    page, problems, _ = open_page(browser, f"{site}/{path}", mode="light")
    page.set_viewport_size({"width": 390, "height": 844})
    _settle(page, resized=True)
    assert page.evaluate(f"() => {{ const e = {target}; if (!e) return false; e.scrollIntoView({{block: 'center'}}); return true; }}")
    _settle(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-390.png"))
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert not problems
    page.context.close()


def test_external_links_are_listed():
    """Every external link of the site is in tests/website/external_links.txt or built from the
    repository URL or the website's own address (html.baseurl: each page's canonical link) of
    _config.yml; none is fetched."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config["repository"]["url"].rstrip("/")
    slug = repo.split("github.com/", 1)[1]
    allowed = [line.strip() for line in (ROOT / "tests" / "website" / "external_links.txt").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    allowed += [repo, f"https://colab.research.google.com/github/{slug}/", f"https://mybinder.org/v2/gh/{slug}/",
                config["html"]["baseurl"]]
    found = {u for page in SITE.glob("**/*.html") for u in re.findall(r'href="(https?://[^"]+)"', page.read_text())}
    unlisted = sorted(u for u in found if not any(u.startswith(prefix) for prefix in allowed))
    assert found and not unlisted, f"external links not listed in tests/website/external_links.txt: {unlisted}"
