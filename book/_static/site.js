// The website's script fixes, added to every page (after the theme's and the extensions' scripts)
// by book/_ext/site_fixes.py. tests/website/test_site.py checks each of them in Chromium.
(() => {
  "use strict";

  // 1. Solution dropdowns: a click anywhere in the title opens the solution.
  // sphinx-togglebutton 0.4.5 (togglebutton.js, toggleClickHandler) finds the button from the
  // click's target only when the target is the title itself, the button or the button's icon. The
  // title of a sphinx-exercise solution holds a link back to its exercise ("Solution to Exercise
  // 3 (...)"), and a click on that link (or on math or emphasis in the title) leaves the handler's
  // undeclared `button` unset: "ReferenceError: button is not defined" (or, once another dropdown
  // has been clicked, that other dropdown toggles), and the link jumps back to the exercise. Such
  // clicks are taken here, before togglebutton.js sees them, and passed to the title's button.
  document.addEventListener(
    "click",
    (event) => {
      const title = event.target.closest(".admonition.toggle > .admonition-title");
      if (!title) return;
      const button = title.querySelector(":scope > .toggle-button");
      if (!button || event.target === title || event.target === button) return;
      event.preventDefault();
      event.stopPropagation();
      button.click();
    },
    true,
  );

  // 2. Inline formulas wider than their line scroll sideways (site.css: span.math.math-wide);
  // the others are left unclipped. Measured after MathJax has typeset the page, again when the
  // window is resized, and when a dropdown opens (its formulas had no width while it was closed).
  const markWideMath = () => {
    const spans = [...document.querySelectorAll("span.math")];
    const widths = spans.map((span) => {
      const math = span.querySelector("mjx-container");
      if (!math) return null;
      let block = span.parentElement;
      while (block && getComputedStyle(block).display.startsWith("inline")) block = block.parentElement;
      if (!block) return null;
      const style = getComputedStyle(block);
      const room = block.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return [math.getBoundingClientRect().width, room];
    });
    spans.forEach((span, i) => {
      if (widths[i] && widths[i][0] > 0) span.classList.toggle("math-wide", widths[i][0] > widths[i][1] + 0.5);
    });
  };

  // 3. Code blocks that scroll sideways get a tab stop, so that a keyboard can scroll them.
  // pydata-sphinx-theme 0.17 sets these tab stops once, at load and on resize; a code block inside
  // a closed dropdown has no width then, and keeps tabindex="-1" once opened.
  const updateTabStops = () => {
    for (const pre of document.querySelectorAll("pre")) {
      if (pre.scrollWidth > pre.clientWidth || pre.scrollHeight > pre.clientHeight) pre.tabIndex = 0;
    }
  };

  // 6. A display formula wider than the column scrolls (site.css), and nothing showed that it goes
  // on: on a phone, (B1) of chapter 6 simply stopped at the edge. The side where more of it lies
  // fades out (site.css: math-more-left, math-more-right), updated as it is scrolled.
  const DISPLAY_MATH = 'div.math mjx-container[jax="CHTML"][display="true"]';
  const markMore = (math) => {
    const hidden = math.scrollWidth - math.clientWidth;
    math.classList.toggle("math-more-left", hidden > 1 && math.scrollLeft > 1);
    math.classList.toggle("math-more-right", hidden > 1 && math.scrollLeft < hidden - 1);
  };
  const markScrollingMath = () => document.querySelectorAll(DISPLAY_MATH).forEach(markMore);
  document.addEventListener(
    "scroll",
    (event) => {
      if (event.target instanceof Element && event.target.matches(DISPLAY_MATH)) markMore(event.target);
    },
    true,
  );

  let pending = null;
  const remeasure = () => {
    if (pending) return;
    pending = requestAnimationFrame(() => {
      pending = null;
      markWideMath();
      markScrollingMath();
      updateTabStops();
    });
  };

  // 4. MyST-NB's "Show code cell source" toggles carry aria-label="Toggle hidden content", which
  // differs from the visible text that names them (axe-core: label-content-name-mismatch).
  const nameToggles = () => {
    document.querySelectorAll('summary[aria-label="Toggle hidden content"]').forEach((summary) => {
      if (summary.textContent.trim()) summary.removeAttribute("aria-label");
    });
  };

  // 5. Search results: the snippets are the pages' text, in which a formula is its TeX source
  // (searchtools.js, Search.htmlToText); each formula is given as plain text instead.
  const SYMBOLS = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε", zeta: "ζ", eta: "η",
    theta: "θ", iota: "ι", kappa: "κ", lambda: "λ", mu: "μ", nu: "ν", xi: "ξ", pi: "π", rho: "ρ",
    sigma: "σ", tau: "τ", phi: "φ", varphi: "φ", chi: "χ", psi: "ψ", omega: "ω", Gamma: "Γ",
    Delta: "Δ", Theta: "Θ", Lambda: "Λ", Xi: "Ξ", Pi: "Π", Sigma: "Σ", Phi: "Φ", Psi: "Ψ", Omega: "Ω",
    partial: "∂", nabla: "∇", sum: "∑", prod: "∏", int: "∫", infty: "∞", cdot: "·", times: "×",
    odot: "⊙", circ: "∘", le: "≤", leq: "≤", ge: "≥", geq: "≥", ne: "≠", neq: "≠", approx: "≈",
    to: "→", rightarrow: "→", leftarrow: "←", mapsto: "↦", in: "∈", pm: "±", top: "ᵀ", ell: "ℓ",
    ldots: "…", dots: "…", cdots: "⋯", sqrt: "√", log: "log", exp: "exp", max: "max", min: "min",
    tanh: "tanh", sin: "sin", cos: "cos",
  };
  const texToText = (tex) =>
    tex
      .replace(/^\s*(\\\(|\\\[|\$\$?)|(\\\)|\\\]|\$\$?)\s*$/g, "")
      .replace(/\\(mathcal|mathbb|mathbf|mathrm|boldsymbol|text|textrm|operatorname|hat|tilde|bar|vec)\s*\{([^{}]*)\}/g, "$2")
      .replace(/\\mathcal\s*L/g, "ℒ")
      .replace(/\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, "($1)/($2)")
      .replace(/\\[dt]?frac\s*(\w)\s*(\w)/g, "$1/$2")
      .replace(/\\(left|right|big|Big|bigg|Bigg)\b/g, "")
      .replace(/\\tag\{([^{}]*)\}/g, " ($1)")
      .replace(/\\([A-Za-z]+)/g, (all, name) => (name in SYMBOLS ? SYMBOLS[name] : ""))
      .replace(/\\[,;:! ]|\\\\|&/g, " ")
      .replace(/[{}]/g, "")
      .replace(/\s+/g, " ")
      .trim();
  const plainSearchSnippets = () => {
    if (typeof Search === "undefined" || !Search.htmlToText || Search.htmlToText.plainMath) return;
    const htmlToText = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      // a formula that math_breaks.py cut into parts joined by <wbr>: a space after each part
      doc.querySelectorAll(".math").forEach((math) => {
        const cut = math.nextSibling && math.nextSibling.nodeName === "WBR";
        math.textContent = texToText(math.textContent) + (cut ? " " : "");
      });
      return htmlToText(doc.documentElement.outerHTML, anchor);
    };
    Search.htmlToText.plainMath = true;
  };

  const ready = () => {
    nameToggles();
    plainSearchSnippets();
    updateTabStops();
    const typeset = window.MathJax && MathJax.startup && MathJax.startup.promise;
    if (typeset) typeset.then(remeasure);
    window.addEventListener("resize", remeasure);
    // a dropdown opened: togglebutton's admonitions and MyST-NB's <details>
    document.addEventListener("click", (event) => {
      if (event.target.closest(".admonition.toggle, details")) remeasure();
    });
    document.addEventListener("toggle", remeasure, true);
    if (document.fonts) document.fonts.ready.then(remeasure);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
