"""The whole book as one PDF, printed by Chromium from a single-page build of the website.

    python tools/build_pdf.py            # after the README's build: writes _build/html/mlp-course.pdf

It builds the book once more with Sphinx's ``singlehtml`` builder (every page in one HTML file;
the chapters come from the execution cache, nothing is executed again when the website was
built first), serves it on 127.0.0.1, lets MathJax typeset every formula offline (the math
is the site's, from sphinx-mathjax-offline), and prints it with Debian's Chromium driven by
Playwright, A4, each chapter from a new page (the print rules in book/_static/site.css), with
bookmarks from the headings and structure tags for screen readers. The
intro links to the PDF at the top of the site, so run it after the website's build, as .ci/run
does. It stops with an error if a formula failed to typeset or an image failed to load.
"""

import argparse
import functools
import http.server
import re
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SINGLE = ROOT / "_build" / "singlehtml"
PDF = ROOT / "_build" / "html" / "mlp-course.pdf"
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

# page numbers in the footer: Chromium fills the spans with these classes
FOOTER = (
    '<div style="font-size:8px;width:100%;text-align:center;color:#555">'
    'MLPs and backpropagation, verified · <span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)

# what the page must say before it is printed: every formula typeset, every image decoded
READY = """async () => {
  if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
  const images = [...document.images];
  await Promise.all(images.map(img => img.complete ? null : new Promise(r => { img.onload = img.onerror = r; })));
  return {
    formulas: document.querySelectorAll('mjx-container').length,
    untypeset: document.querySelectorAll('.math:not(:has(mjx-container))').length,
    errors: document.querySelectorAll('mjx-merror').length,
    images: images.length,
    broken: images.filter(img => !img.naturalWidth).map(img => img.src),
  };
}"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def serve(directory):
    """An HTTP server for directory on a free port of 127.0.0.1; yields its base URL."""
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def build_single_page():
    command = ["jupyter-book", "build", str(ROOT), "--builder", "singlehtml", "-W", "-n", "--keep-going"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"the single-page build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def print_pdf(single=SINGLE, pdf=PDF):
    """Print the single-page build to pdf; returns what the page reported before printing."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not found: apt-get install chromium (the browser download step is never used)")
    built = next(single.glob("book/*.html"), None) or sys.exit(f"no single-page build in {single}")
    # the single page links _static/ and _images/ as if it sat at the top of the build: put it there
    (single / "book.html").write_bytes(built.read_bytes())
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with serve(single) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.goto(f"{base}/book.html", wait_until="networkidle", timeout=300_000)
        page.emulate_media(media="print")
        report = page.evaluate(READY)
        if report["errors"] or report["untypeset"] or report["broken"]:
            sys.exit(f"not printing: {report}")
        page.pdf(
            path=str(pdf),
            format="A4",
            print_background=True,
            margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
            display_header_footer=True,
            header_template="<span></span>",
            footer_template=FOOTER,
            outline=True,  # bookmarks from the headings
            tagged=True,  # structure tags, for screen readers
        )
        browser.close()
    report["pages"] = count_pages(pdf)
    return report


def count_pages(pdf):
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", Path(pdf).read_bytes()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-build", action="store_true", help="print the single-page build already in _build")
    parser.add_argument("--output", type=Path, default=PDF)
    args = parser.parse_args(argv)
    if not args.no_build:
        build_single_page()
    report = print_pdf(pdf=args.output)
    size = args.output.stat().st_size / 1e6
    print(
        f"{args.output}: {report['pages']} pages, {size:.1f} MB; "
        f"{report['formulas']} formulas typeset, {report['images']} images"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
