// Measurements of a built page, run in the browser by tests/website/test_site.py
// (page.evaluate of this file's text defines window.siteProbe). Every measure returns plain JSON.
window.siteProbe = (() => {
  const MARKER = /^[ \t]*#+[ \t]*(BEGIN|END)[ \t]+(SOLUTION|HIDDEN TESTS)\b.*$/m;

  // the TeX source of each typeset formula, for the messages
  function sources() {
    const map = new Map();
    const doc = window.MathJax && MathJax.startup && MathJax.startup.document;
    if (doc && doc.math) for (const item of doc.math) map.set(item.typesetRoot, item.math);
    return map;
  }

  // the horizontal extent of everything a formula draws (its tag included)
  function extent(container) {
    let left = Infinity, right = -Infinity;
    const parts = container.querySelectorAll("mjx-math, mjx-labels, mjx-mtd, mjx-c, svg");
    for (const part of parts) {
      const r = part.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      left = Math.min(left, r.left);
      right = Math.max(right, r.right);
    }
    return [left, right];
  }

  // how many pixels of [left, right], drawn inside el, a reader cannot bring into view: cut by el
  // or an ancestor that hides its overflow, left of the scroll origin of one that scrolls, or
  // outside the viewport (the page itself is not meant to be panned sideways: see pageOverflow)
  function unreachable(el, left, right) {
    let lost = 0;
    for (let a = el; a && a !== document.body && a !== document.documentElement; a = a.parentElement) {
      const overflow = getComputedStyle(a).overflowX;
      if (overflow === "visible") continue;
      const r = a.getBoundingClientRect();
      const boxLeft = r.left + a.clientLeft, boxRight = boxLeft + a.clientWidth;
      if (overflow === "auto" || overflow === "scroll") {
        lost += Math.max(0, boxLeft - a.scrollLeft - left);
      } else {
        lost += Math.max(0, boxLeft - left) + Math.max(0, right - boxRight);
      }
      left = Math.max(left, boxLeft);
      right = Math.min(right, boxRight);
      if (right <= left) return lost;
    }
    const width = document.documentElement.clientWidth;
    return lost + Math.max(0, -left) + Math.max(0, right - width);
  }

  function visible(el) {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
  }

  function rgba(text) {
    const v = (text.match(/[\d.]+/g) || []).map(Number);
    return v.length >= 3 ? [v[0], v[1], v[2], v.length > 3 ? v[3] : 1] : [0, 0, 0, 0];
  }

  function luminance([r, g, b]) {
    const f = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  }

  // the colour behind el: the backgrounds of el and its ancestors composited over the page's
  function background(el) {
    const layers = [];
    for (let a = el; a; a = a.parentElement) {
      const c = rgba(getComputedStyle(a).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let rgb = layers.length && layers[layers.length - 1][3] >= 1 ? layers.pop().slice(0, 3) : [255, 255, 255];
    while (layers.length) {
      const [r, g, b, a] = layers.pop();
      rgb = [r * a + rgb[0] * (1 - a), g * a + rgb[1] * (1 - a), b * a + rgb[2] * (1 - a)];
    }
    return rgb;
  }

  function contrast(el) {
    const fg = rgba(getComputedStyle(el).color), bg = background(el);
    const text = fg.slice(0, 3).map((c, i) => c * fg[3] + bg[i] * (1 - fg[3]));
    const [lo, hi] = [luminance(text), luminance(bg)].sort((x, y) => x - y);
    return (hi + 0.05) / (lo + 0.05);
  }

  return {
    // open every dropdown (solutions included) as a reader would, by its button or summary, so
    // that what they hold is measured too
    openAll() {
      document.querySelectorAll(".admonition.toggle.toggle-hidden > .admonition-title > .toggle-button")
        .forEach((button) => button.click());
      document.querySelectorAll("details:not([open]) > summary").forEach((summary) => summary.click());
      return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    },

    // formulas that are not wholly visible or scrollable into view: [{tex, display, lost}]
    clippedMath() {
      const tex = sources();
      const out = [];
      for (const c of document.querySelectorAll("mjx-container")) {
        if (!visible(c)) continue;
        const [left, right] = extent(c);
        if (!(right > left)) continue;
        const lost = unreachable(c, left, right);
        if (lost > 1) out.push({ tex: (tex.get(c) || c.textContent).trim().slice(0, 90),
                                 display: c.getAttribute("display") === "true", lost: Math.round(lost) });
      }
      return out;
    },

    // inline formulas wider than their line, which scroll sideways in it instead of breaking
    // across lines (book/_ext/math_breaks.py cuts long ones; site.js marks the rest math-wide)
    scrollingInlineMath() {
      const tex = sources();
      return [...document.querySelectorAll("span.math.math-wide mjx-container")]
        .filter((c) => visible(c))
        .map((c) => (tex.get(c) || c.textContent).trim().slice(0, 90));
    },

    // how far the page can be scrolled sideways
    pageOverflow() {
      return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)
        - document.documentElement.clientWidth;
    },

    // content images whose alt text is missing, empty, or a file path
    undescribedFigures() {
      const out = [];
      for (const img of document.querySelectorAll(".bd-article img, article img")) {
        const alt = (img.getAttribute("alt") || "").trim();
        const path = /^[\w./\\-]+\.(png|jpe?g|gif|svg|webp)$/i.test(alt) || alt.includes("_images/");
        if (!alt || path) out.push(img.getAttribute("src"));
      }
      return [...new Set(out)];
    },

    // links in exercise and solution boxes below 4.5:1 against the box (axe-core checks only
    // what is in the viewport): [{text, ratio}]
    lowContrastLinks() {
      const out = [];
      for (const a of document.querySelectorAll(".exercise a, .solution a, .admonition a")) {
        if (!visible(a) || a.classList.contains("headerlink")) continue;
        const ratio = contrast(a);
        if (ratio < 4.5) out.push({ text: a.textContent.trim().slice(0, 60), ratio: Math.round(ratio * 100) / 100,
                                    color: getComputedStyle(a).color, background: background(a).map(Math.round).join(",") });
      }
      return out;
    },

    // table header cells with no text
    emptyHeaders() {
      return [...document.querySelectorAll(".bd-article th, article th")]
        .filter((th) => !th.textContent.trim() && !th.querySelector("img[alt]:not([alt=''])"))
        .map((th) => th.closest("table").textContent.trim().replace(/\s+/g, " ").slice(0, 60));
    },

    // code cells (their source or their printed output) wider than their box: they scroll sideways
    wideCode() {
      return [...document.querySelectorAll("div.cell_input pre, div.cell_output pre")]
        .filter((pre) => visible(pre) && pre.scrollWidth > pre.clientWidth + 1)
        .map((pre) => ({ px: pre.scrollWidth - pre.clientWidth,
                         line: pre.textContent.split("\n").reduce((a, b) => (b.length > a.length ? b : a), "").slice(0, 90) }));
    },

    // nbgrader marker lines in rendered code
    markers() {
      const out = [];
      for (const pre of document.querySelectorAll("pre")) {
        for (const line of pre.textContent.split("\n")) if (MARKER.test(line)) out.push(line.trim());
      }
      return out;
    },
  };
})();
