/* Set-up for the live explorers of the static book: loaded on widget pages after require.js and before the
 * ipywidgets HTML manager (embed-amd.js), all three served from this site (see _config.yml, nb_ipywidgets_js).
 *
 * 1. RequireJS paths: embed-amd.js defines its modules by name; mapping each name to that file's URL lets the
 *    manager (webpack) find its fonts and icons next to it instead of on a CDN.
 * 2. MathJax 2's Hub.Queue, which widget labels call; Sphinx loads MathJax 3, which has no Hub.
 * 3. Each explorer is printed as its default pane, <div class="rxt-static" data-rxt-model="...">: before the
 *    manager renders (on "load"), a widget view for that model is placed beside it, so the live explorer appears
 *    there and the default pane is hidden (widgets.css) once it is up: the reader sees the explorer once.
 * 4. Each widget output is marked pending, then live, or failed (the note in widgets.css says why), and the
 *    controls get accessible names: sliders and button rows are labelled by their description.
 * 5. What a screen reader needs beyond names: a slider's readout (ipywidgets makes it an editable field, which
 *    desyncs it from the slider) becomes plain text hidden from assistive technology, since the slider's handle
 *    says its value (aria-valuetext); and each explorer gets a polite live region holding the first sentence of
 *    the pane on show, so moving a control announces its result.
 */
(function () {
  "use strict";
  var VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]';
  var here = (document.currentScript && document.currentScript.src) || document.baseURI;
  var dist = new URL("vendor/html-manager/dist/", here).href;
  var root = document.documentElement;
  root.classList.add("rxt-js");

  // 1. Where the HTML manager's modules and assets are.
  if (typeof window.requirejs === "function") {
    var paths = {};
    ["@jupyter-widgets/base", "@jupyter-widgets/base7", "@jupyter-widgets/controls",
     "@jupyter-widgets/controls7", "@jupyter-widgets/html-manager",
     "@jupyter-widgets/html-manager/dist/libembed-amd"].forEach(function (name) {
      paths[name] = dist + "embed-amd";
    });
    window.requirejs.config({ paths: paths });
  }
  window.__jupyter_widgets_assets_path__ = dist;

  // 2. MathJax 2's Hub.Queue(["Typeset", MathJax.Hub, element]) for MathJax 3. window.MathJax is first
  //    Sphinx's configuration object, then MathJax 3 itself; each gets the stand-in when it is assigned.
  //    Typesetting waits for MathJax's start-up and runs one batch at a time.
  var pending = [];
  var chain = Promise.resolve();
  function typesetPending() {
    var mj = window.MathJax;
    if (!pending.length || !mj || !mj.startup || !mj.startup.promise) return;
    var elements = pending.splice(0);
    chain = chain
      .then(function () { return mj.startup.promise; })
      .then(function () {
        elements = elements.filter(function (el) { return el.isConnected; });
        return mj.typesetPromise && elements.length ? mj.typesetPromise(elements) : null;
      })
      .catch(function (err) { console.warn("MathJax could not typeset a widget label:", err); });
  }
  var hub = {
    Queue: function () {
      Array.prototype.forEach.call(arguments, function (job) {
        if (Array.isArray(job) && job[0] === "Typeset") pending.push(job[2] || document.body);
        else if (typeof job === "function") job();
      });
      typesetPending();
    },
  };
  function addHub(mj) {
    if (mj && typeof mj === "object" && !mj.Hub) {
      Object.defineProperty(mj, "Hub", { value: hub, enumerable: false, configurable: true });
    }
    return mj;
  }
  var mathjax = addHub(window.MathJax);
  try {
    Object.defineProperty(window, "MathJax", {
      configurable: true,
      enumerable: true,
      get: function () { return mathjax; },
      set: function (value) { mathjax = addHub(value); },
    });
  } catch (err) { /* leave MathJax alone if it cannot be wrapped */ }
  window.addEventListener("load", typesetPending);

  // 3 and 4. Where each explorer's live widget goes; the status of each widget output, and accessible names for the controls.
  var failed = false;
  var uid = 0;
  function outputs() {
    return Array.prototype.map.call(document.querySelectorAll(VIEW), function (s) { return s.parentElement; });
  }
  function idFor(el) {
    if (!el.id) el.id = "rxt-widget-label-" + (++uid);
    return el.id;
  }
  function labelControls(scope) {
    // ipywidgets writes an unset tooltip as title="null"
    scope.querySelectorAll('[title="null"]').forEach(function (el) { el.removeAttribute("title"); });
    scope.querySelectorAll(".widget-slider").forEach(function (slider) {
      var label = slider.querySelector(":scope > .widget-label");
      var readout = slider.querySelector(".widget-readout");
      if (readout) quietReadout(readout);
      slider.querySelectorAll(".noUi-handle").forEach(function (handle) {
        if (label && label.textContent.trim() && handle.getAttribute("aria-labelledby") !== idFor(label)) {
          handle.setAttribute("aria-labelledby", label.id);
        }
        var text = readout && readout.textContent.trim();
        if (text && handle.getAttribute("aria-valuetext") !== text) handle.setAttribute("aria-valuetext", text);
      });
    });
    scope.querySelectorAll(".widget-toggle-buttons").forEach(function (row) {
      var label = row.querySelector(":scope > .widget-label");
      var group = row.querySelector(".btn-group") || row;
      if (group.getAttribute("role") !== "group") group.setAttribute("role", "group");
      if (label && label.textContent.trim() && group.getAttribute("aria-labelledby") !== idFor(label)) {
        group.setAttribute("aria-labelledby", label.id);
      }
      row.querySelectorAll("button").forEach(function (button) {
        var pressed = button.classList.contains("mod-active") ? "true" : "false";
        if (button.getAttribute("aria-pressed") !== pressed) button.setAttribute("aria-pressed", pressed);
      });
    });
  }
  // ipywidgets sets contentEditable="true" on a slider's readout at every update: text typed there changed the
  // readout but not the slider, and the handle then announced the typed text. It is the slider's echo: plain,
  // read-only text, out of the tab order and hidden from assistive technology (the handle's aria-valuetext says it).
  function quietReadout(readout) {
    if (readout.getAttribute("contenteditable") !== "false") readout.setAttribute("contenteditable", "false");
    if (readout.getAttribute("aria-hidden") !== "true") readout.setAttribute("aria-hidden", "true");
    if (readout.getAttribute("tabindex") !== "-1") readout.setAttribute("tabindex", "-1");
  }
  // The first sentence of a pane as it reads: its rendered text (innerText, of a copy laid out off screen, since
  // the pane may be hidden at that moment) without the pictures (each has its own text alternative), up to the
  // first . ! or ? followed by a capital letter (not the point of "3.5" or "Eq. 4"), at most 300 characters.
  function firstSentence(pane) {
    var copy = pane.cloneNode(true);
    copy.querySelectorAll("svg, img, style, script").forEach(function (el) { el.remove(); });
    var holder = document.createElement("div");
    holder.style.cssText = "position:absolute; left:-9999px; top:0; width:2000px";
    holder.appendChild(copy);
    document.body.appendChild(holder);
    var text = copy.innerText.replace(/\s+/g, " ").trim();
    holder.remove();
    var end = text.search(/[.!?](\s+[A-Z]|$)/);
    if (end >= 0 && end < 300) return text.slice(0, end + 1);
    return text.length <= 300 ? text : text.slice(0, text.lastIndexOf(" ", 300)) + "\u2026";
  }
  function announce(box) {
    var region = box.querySelector(":scope > .rxt-announce");
    if (!region) {
      region = document.createElement("div");
      region.className = "rxt-announce visually-hidden";
      region.setAttribute("role", "status");
      region.setAttribute("aria-live", "polite");
      region.setAttribute("aria-atomic", "true");
      box.appendChild(region);
    }
    var shown = Array.prototype.filter.call(box.querySelectorAll(".rxt-pane"), function (p) {
      return p.checkVisibility ? p.checkVisibility() : p.offsetParent !== null;
    });
    if (shown.length !== 1 || region.rxtPane === shown[0]) return;
    region.rxtPane = shown[0];
    var text = firstSentence(shown[0]);
    if (text && region.textContent !== text) region.textContent = text;
  }
  function update() {
    outputs().forEach(function (out) {
      var area = out.querySelector(":scope > .widget-subarea");
      var live = area && area.childElementCount > 0;
      out.classList.toggle("rxt-widget-live", !!live);
      out.classList.toggle("rxt-widget-pending", !live && !failed);
      out.classList.toggle("rxt-widget-failed", !live && failed);
      if (live) {
        labelControls(area);
        area.querySelectorAll(".rxt-explorer").forEach(announce);
      }
    });
  }
  var scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    window.requestAnimationFrame(function () { scheduled = false; update(); });
  }
  function fail(reason) {
    if (!failed) console.warn("The interactive explorers could not start: " + reason);
    failed = true;
    update();
  }
  if (typeof window.requirejs !== "function") failed = true;
  // A widget script that does not load (missing file, blocked) fails at once; a render that never finishes
  // fails after a while.
  window.addEventListener("error", function (event) {
    var t = event.target;
    if (t && t.tagName === "SCRIPT" && /\/rxt\/vendor\//.test(t.src || "")) fail("cannot load " + t.src);
  }, true);
  window.addEventListener("load", function () {
    window.setTimeout(function () {
      if (outputs().some(function (out) { return !out.classList.contains("rxt-widget-live"); })) {
        fail("a widget did not render");
      }
    }, 20000);
  });
  function placeViews() {
    document.querySelectorAll(".rxt-static[data-rxt-model]").forEach(function (pane) {
      var next = pane.nextElementSibling;
      if (next && next.matches(VIEW)) return;
      var view = document.createElement("script");
      view.type = "application/vnd.jupyter.widget-view+json";
      view.textContent = JSON.stringify({ version_major: 2, version_minor: 0, model_id: pane.dataset.rxtModel });
      pane.after(view);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    placeViews();
    update();
    new MutationObserver(schedule).observe(document.body, {
      subtree: true, childList: true, characterData: true, attributes: true,
      attributeFilter: ["class", "style", "contenteditable"],
    });
  });
})();
