/* Accessibility fixes for every page of the book (html_js_files in _config.yml), where the theme's or the
 * toolchain's markup falls short of WCAG 2.1 AA and CSS alone cannot help (widgets.css does the rest). Each fix is
 * checked by tests/browser (test_axe.py: axe-core on every page; test_barriers.py: what axe cannot see).
 *
 * 1. Formulas are not tab stops: MathJax 3 puts every formula in the tab order (for its menu), which gives a
 *    keyboard user dozens of stops that do nothing visible; screen readers still read each formula's MathML.
 * 2. A wide table in a cell output, or an explorer's pane on a phone, scrolls sideways inside a region that a
 *    keyboard can reach (tabindex) and that has a name, only while it overflows.
 * 3. The theme's header buttons: a button's accessible name contains its visible text (WCAG 2.5.3, Label in
 *    Name).
 * 4. myst-nb's "Show code cell source" toggles (<summary aria-label="Toggle hidden content">) are named by what
 *    they show, as 2.5.3 asks.
 * 5. The references page: docutils marks the list of citations role="list" and each entry
 *    role="doc-biblioentry", a deprecated role that is no list item; each entry becomes a list item.
 */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("rxt-a11y");

  // 1. Formulas out of the tab order, except a displayed formula too wide for the screen: it scrolls sideways,
  //    so it is a named region the keyboard can reach (and it shows focus, a11y.css).
  function untabMath(scope) {
    scope.querySelectorAll("mjx-container[tabindex]").forEach(function (m) {
      var scrolls = m.getAttribute("display") === "true" && m.offsetParent !== null && m.scrollWidth > m.clientWidth + 1;
      if (scrolls) {
        if (m.getAttribute("tabindex") !== "0") m.setAttribute("tabindex", "0");
        if (m.getAttribute("role") !== "region") m.setAttribute("role", "region");
        if (m.getAttribute("aria-label") !== "Formula (scrolls sideways)") {
          m.setAttribute("aria-label", "Formula (scrolls sideways)");
        }
      } else {
        if (m.getAttribute("tabindex") !== "-1") m.setAttribute("tabindex", "-1");
        if (m.getAttribute("role") === "region") { m.removeAttribute("role"); m.removeAttribute("aria-label"); }
      }
    });
  }

  // 2. Scrolling regions. A wide table in an output is wrapped in <div class="rxt-scroll">, which scrolls; an
  //    explorer's pane scrolls itself (widgets.css). Either becomes a named, focusable region while it overflows.
  function wrapTables(scope) {
    scope.querySelectorAll(".bd-article .cell_output table").forEach(function (table) {
      var parent = table.parentElement;
      if (!parent || parent.classList.contains("rxt-scroll") || table.closest(".rxt-pane")) return;
      var wrap = document.createElement("div");
      wrap.className = "rxt-scroll";
      parent.insertBefore(wrap, table);
      wrap.appendChild(table);
    });
  }
  function markScrollers() {
    document.querySelectorAll(".bd-article .rxt-scroll, .bd-article .rxt-explorer .rxt-pane").forEach(function (el) {
      var pane = el.classList.contains("rxt-pane");
      var overflows = el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1;
      if (!pane) el.classList.toggle("rxt-overflowing", overflows);  // shows the visible cue (a11y.css)
      if (overflows) {
        var box = pane && el.closest(".rxt-explorer");
        var title = box && box.querySelector(".widget-html-content b");
        var name = pane ? (title ? title.textContent.trim() + ": " : "") + "the result (scrolls sideways)"
                        : "Table (scrolls sideways)";
        if (el.getAttribute("tabindex") !== "0") el.setAttribute("tabindex", "0");
        if (el.getAttribute("role") !== "region") el.setAttribute("role", "region");
        if (el.getAttribute("aria-label") !== name) el.setAttribute("aria-label", name);
      } else if (el.getAttribute("tabindex") === "0") {
        el.removeAttribute("tabindex");
        el.removeAttribute("role");
        el.removeAttribute("aria-label");
      }
    });
  }

  // 3. The theme's header. The search field's button says "Search Ctrl+K" but was named "Search": its name now
  //    comes from what it shows. The colour-mode button shows one icon whose tooltip text ("Light") was part of
  //    its visible content but not of its name ("Color mode"): the icons are hidden from assistive technology
  //    and the name says the current mode ("Color mode: light"), kept up to date as the mode changes.
  function fixHeader() {
    document.querySelectorAll(".search-button-field[aria-label]").forEach(function (b) {
      if (b.textContent.trim()) b.removeAttribute("aria-label");
    });
    document.querySelectorAll(".theme-switch-button").forEach(function (b) {
      b.querySelectorAll("i").forEach(function (icon) {
        if (icon.hasAttribute("title")) {
          icon.dataset.rxtTitle = icon.getAttribute("title");
          icon.removeAttribute("title");
        }
        if (icon.getAttribute("aria-hidden") !== "true") icon.setAttribute("aria-hidden", "true");
      });
      var name = "Color mode: " + (root.dataset.mode || root.dataset.theme || "light");
      if (b.getAttribute("aria-label") !== name) b.setAttribute("aria-label", name);
    });
  }

  // 4. Toggles named by what they show.
  function fixToggles() {
    document.querySelectorAll("details > summary[aria-label]").forEach(function (summary) {
      if (summary.textContent.trim()) summary.removeAttribute("aria-label");
    });
  }

  // 5. Citations as list items.
  function fixCitations() {
    document.querySelectorAll('[role="list"] > [role="doc-biblioentry"]').forEach(function (entry) {
      entry.setAttribute("role", "listitem");
    });
  }

  function fixAll() {
    untabMath(document);
    wrapTables(document);
    markScrollers();
    fixHeader();
    fixToggles();
    fixCitations();
  }
  var scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    window.requestAnimationFrame(function () { scheduled = false; fixAll(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    fixAll();
    new MutationObserver(schedule).observe(document.body, {
      subtree: true, childList: true, attributes: true, attributeFilter: ["tabindex", "class", "style"],
    });
    new MutationObserver(schedule).observe(root, { attributes: true, attributeFilter: ["data-mode"] });
  });
  window.addEventListener("load", schedule);
  window.addEventListener("resize", schedule);
})();
