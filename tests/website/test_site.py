"""The built website in a real browser (headless Chromium driven by Playwright).

Run after the book is built: ``python -m pytest -m browser tests/website``.
The README's default test command leaves these out (they need Chromium and a
built site); ``.ci/run`` installs Debian's chromium and runs them explicitly.
Screenshots of the home page and a chapter, in the light and the dark theme,
go to ``_build/screenshots/``.
"""

import functools
import http.server
import re
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from mlpcourse.release import toc_entries

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
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


def open_page(browser, url, offline=False, mode=None):
    """A new page at ``url``; returns (page, problems) with console errors and failed requests."""
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
    page.goto(url, wait_until="networkidle")
    page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
    return page, problems, outside


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_errors(site, browser, path):
    page, problems, _ = open_page(browser, f"{site}/{path}")
    assert page.title(), f"{path}: no title"
    assert not problems, f"{path}: {problems}"
    page.context.close()


@pytest.mark.parametrize("path", PAGES)
def test_math_and_figures_render_offline(site, browser, path):
    page, problems, outside = open_page(browser, f"{site}/{path}", offline=True)
    assert not outside, f"{path} asked for other hosts: {outside}"
    math = page.locator(".math").count()
    typeset = page.locator(".math mjx-container").count()
    raw = page.evaluate("() => [...document.querySelectorAll('.math')].filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 60))")
    assert typeset >= math and not raw, f"{path}: {math} math elements, {typeset} typeset; untypeset: {raw[:3]}"
    broken = page.evaluate("() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
    assert not broken, f"{path}: images that did not load: {broken}"
    assert not problems, f"{path}: {problems}"
    page.context.close()


def test_chapters_have_math_and_figures(site, browser):
    page, _, _ = open_page(browser, f"{site}/{CHAPTER}", offline=True)
    assert page.locator(".math mjx-container").count() > 100
    assert page.evaluate("() => [...document.images].filter(i => i.naturalWidth > 100).length") >= 2
    page.context.close()


def test_solution_dropdown_opens_and_shows_the_code(site, browser):
    page, problems, _ = open_page(browser, f"{site}/{CHAPTER}")
    solution = page.locator("div.solution.dropdown").first
    code = solution.locator("pre").first
    assert not code.is_visible(), "the solution is visible before it is clicked"
    solution.locator("button").first.click()
    code.wait_for(state="visible", timeout=5000)
    assert "BEGIN SOLUTION" in code.inner_text()
    assert not problems
    page.context.close()


def test_search_finds_backpropagation(site, browser):
    page, problems, _ = open_page(browser, f"{site}/search.html?q=backpropagation")
    results = page.locator("#search-results li")
    results.first.wait_for(timeout=15000)
    assert results.count() >= 3
    assert not problems
    page.context.close()


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


def test_external_links_are_listed():
    """Every external link of the site is in tests/website/external_links.txt or built from the
    repository URL of _config.yml; none is fetched."""
    import yaml

    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].rstrip("/")
    slug = repo.split("github.com/", 1)[1]
    allowed = [line.strip() for line in (ROOT / "tests" / "website" / "external_links.txt").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    allowed += [repo, f"https://colab.research.google.com/github/{slug}/", f"https://mybinder.org/v2/gh/{slug}/"]
    found = {u for page in SITE.glob("**/*.html") for u in re.findall(r'href="(https?://[^"]+)"', page.read_text())}
    unlisted = sorted(u for u in found if not any(u.startswith(prefix) for prefix in allowed))
    assert found and not unlisted, f"external links not listed in tests/website/external_links.txt: {unlisted}"
