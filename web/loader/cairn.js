/*! Cairn embed loader: <script async src="https://HOST/cairn.js" data-key="pk_..."></script>
 * Public contract (see README, "Embedding"): reads data-key (and the optional data-api,
 * data-theme, data-corner, data-locale, data-share-url) from its own tag, derives the API origin
 * from its own src, keeps cairn(...) calls made before load in window.cairn.q and hands them to
 * the widget, which then owns window.cairn. A visit from a shared badge page (?cairn_ref=sh_...)
 * is remembered on this site (localStorage "cairn:ref", 30 days) so the widget can report the
 * signup it leads to. */
(function (w, d) {
  var s = d.currentScript;
  if (!s || w.__cairnLoader) return;
  w.__cairnLoader = 1;
  var src = s.src;
  var c = w.cairn = w.cairn || function () { (c.q = c.q || []).push(arguments); };
  function u(p) { return new URL(p, src).href; }
  try {
    var r = new URLSearchParams(w.location.search).get("cairn_ref");
    if (r && /^sh_[0-9a-f]{32}$/.test(r)) w.localStorage.setItem("cairn:ref", r + "|" + (Date.now() + 2592e6));
  } catch (e) { /* storage may be off: then no attribution */ }
  // The wasm is fetched while the JS glue loads, not after it; the glue's `instantiateStreaming`
  // compiles it as it streams. (Compiling it here instead, with `WebAssembly.compileStreaming`,
  // so that the compile need not wait for the glue, was measured: no difference beyond this
  // host's noise on loopback, 3 × 15 cold loads each, for 21 more bytes of loader.)
  var wasm = fetch(u("__CAIRN_WASM__"), { credentials: "omit" });
  import(u("__CAIRN_JS__"))
    .then(function (m) {
      return m.default({ module_or_path: wasm }).then(function () {
        // The script's own URL: confetti is drawn in a worker started from it (or, from another
        // origin than the page's, in the confetti frame beside it).
        m.start(s.getAttribute("data-key") || "", s.getAttribute("data-api") || new URL(src).origin, c.q || [], s.dataset, src);
      });
    })
    .catch(function (e) { console.error("cairn: could not load the widget", e); });
})(window, document);
