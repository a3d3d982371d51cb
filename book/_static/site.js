// The website's scripts, added to every page (after the theme's and the extensions' scripts) by
// book/_ext/site_fixes.py; tests/website/test_site.py checks each in Chromium. In this order:
//   Solution titles      a click anywhere in a solution's title opens it (sphinx-togglebutton 0.4.5)
//   Wide inline math     an inline formula wider than its line scrolls (with site.css)
//   Scrolling display    a display formula that scrolls fades where more of it lies (with site.css)
//   Code tab stops       a code block that scrolls can be scrolled by keyboard (pydata-sphinx-theme 0.17.1)
//   Cell toggle names    "Show code cell source" is also the toggle's accessible name (MyST-NB 1.4.0)
//   Search snippets      a formula in a search result's snippet is shown as its TeX between $ signs
//   Sidebar buttons      the header's sidebar buttons open their drawers on a phone (sphinx-book-theme 1.3.0)
// A workaround names the upstream version it works around and when it can be deleted.
(() => {
  "use strict";

  // Solution titles: a click anywhere in the title opens the solution.
  // sphinx-togglebutton 0.4.5 (togglebutton.js, toggleClickHandler) finds the button from the
  // click's target only when the target is the title itself, the button or the button's icon. The
  // title of a sphinx-exercise solution holds a link back to its exercise ("Solution to Exercise
  // 3 (...)"), and a click on that link (or on math or emphasis in the title) leaves the handler's
  // undeclared `button` unset: "ReferenceError: button is not defined" (or, if another dropdown
  // was clicked before, that other dropdown toggles), and the link jumps back to the exercise. Such
  // clicks are taken here, before togglebutton.js sees them, and passed to the title's button.
  // Delete when togglebutton.js finds the button from any click inside the title:
  // test_solutions_open_from_their_title (it clicks each title's link) then passes without it.
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

  // Wide inline math: inline formulas wider than their line scroll sideways (site.css:
  // span.math.math-wide); the others are left unclipped (site.css undoes pydata-sphinx-theme
  // 0.17.1's overflow: hidden on span.math, which cuts them off). Measured after MathJax has typeset
  // the page, again when the window is resized, and when a dropdown opens (a formula in a closed
  // dropdown has no width). It goes with site.css's span.math rules, and when they can go.
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

  // Scrolling display: a display formula wider than the column scrolls (site.css), and its edge
  // would look like the formula's end. The side where more of it lies fades out (site.css:
  // math-more-left, math-more-right), updated as it is scrolled.
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

  // Code tab stops: code blocks that scroll sideways get a tab stop, so that a keyboard can scroll
  // them. pydata-sphinx-theme 0.17.1 (addTabStopsToScrollableElements) sets these tab stops at load,
  // on resize and when nodes are added to the page; a code block inside a closed dropdown has no
  // width then, and keeps tabindex="-1" once opened. Delete when the theme updates its tab stops as
  // a dropdown opens.
  const updateTabStops = () => {
    for (const pre of document.querySelectorAll("pre")) {
      if (pre.scrollWidth > pre.clientWidth || pre.scrollHeight > pre.clientHeight) pre.tabIndex = 0;
    }
  };

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

  // Cell toggle names: MyST-NB 1.4.0's "Show code cell source" toggles carry aria-label="Toggle
  // hidden content" (myst_nb/sphinx_.py, visit_HideCellInput), which differs from the visible text
  // that names them (axe-core: label-content-name-mismatch); without the label, the text is the
  // name. Delete when MyST-NB's summary has no aria-label, or one that contains its visible text.
  const nameToggles = () => {
    document.querySelectorAll('summary[aria-label="Toggle hidden content"]').forEach((summary) => {
      if (summary.textContent.trim()) summary.removeAttribute("aria-label");
    });
  };

  // Search snippets: a snippet is the page's text (Sphinx 7.4.7's searchtools.js,
  // Search.htmlToText), in which a formula is its TeX between MathJax's delimiters, \( \) or \[ \],
  // and a long inline formula is the parts that book/_ext/math_breaks.py cut it into, each but the
  // last ending in "{}" and a <wbr> between them. Each formula is shown as one piece of TeX between
  // $ signs ($$ for a display formula), which reads like the chapters' own source; no converter
  // from TeX to text, which could only cover the symbols it lists.
  const texInSnippets = () => {
    if (typeof Search === "undefined" || !Search.htmlToText || Search.htmlToText.texInSnippets) return;
    const htmlToText = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      // the parts of a cut formula, joined into the last one (which may sit in a span.math-nowrap)
      for (const wbr of doc.querySelectorAll("span.math + wbr")) {
        const part = wbr.previousElementSibling;
        let next = wbr.nextElementSibling;
        if (next && !next.matches("span.math")) next = next.querySelector(":scope > span.math");
        if (!next) continue;
        next.textContent = part.textContent.replace(/\{\}\\\)\s*$/, " ") + next.textContent.replace(/^\s*\\\(/, "");
        part.remove();
        wbr.remove();
      }
      for (const math of doc.querySelectorAll("span.math, div.math")) {
        for (const text of math.childNodes) {
          if (text.nodeType !== Node.TEXT_NODE) continue;  // a display formula's number, (1)
          text.textContent = text.textContent
            .replace(/^\s*\\\(|\\\)\s*$/g, () => "$")
            .replace(/^\s*\\\[|\\\]\s*$/g, () => "$$");
        }
      }
      return htmlToText(doc.documentElement.outerHTML, anchor);
    };
    Search.htmlToText.texInSnippets = true;
  };

  // Sidebar buttons: on a narrow screen, sphinx-book-theme 1.3.0 shows its own header buttons for the
  // two sidebars (the table of contents and "On this page", class primary-toggle and
  // secondary-toggle), while pydata-sphinx-theme 0.17.1 opens a sidebar's drawer only from the
  // first element of that class on the page (document.querySelector), its own header's button,
  // which is hidden there: a tap on the visible "On this page" button did nothing. A click on any
  // other button of the class is passed to the first. Delete when the theme binds every button of
  // the class: test_on_a_phone_the_page_contents_open_and_their_formulas_fit then passes without it.
  const forwardSidebarButtons = () => {
    for (const selector of [".primary-toggle", ".secondary-toggle"]) {
      const [first, ...others] = document.querySelectorAll(selector);
      for (const button of others) {
        button.addEventListener("click", (event) => {
          event.preventDefault();
          event.stopPropagation();
          first.click();
        });
      }
    }
  };

  const ready = () => {
    forwardSidebarButtons();
    nameToggles();
    texInSnippets();
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
