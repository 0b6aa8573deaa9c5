/*! Cairn's confetti worker: Cairn's painter module (web/painter), drawing the page's bursts on
 * the canvas it hands over (web/src/confetti.rs). Started by the widget from its own origin, or
 * by Cairn's confetti frame. Messages that come before the module is ready wait for it. */
(function (w) {
  var q = [], here = w.location.href;
  w.onmessage = function (e) { q.push(e.data); };
  import(new URL("__PAINTER_JS__", here).href)
    .then(function (m) {
      return m.default({ module_or_path: fetch(new URL("__PAINTER_WASM__", here).href, { credentials: "omit" }) })
        .then(function () { m.confetti_worker(q); });
    })
    .catch(function (e) { w.postMessage(String(e)); });
})(self);
