/*! Cairn's confetti painter on the page's own main thread, for a page where no worker can
 * draw (a policy that blocks Cairn's confetti frame, no OffscreenCanvas): the widget imports
 * this module beside the loader, which loads the painter (web/painter) and hands it the canvas
 * (or the canvas's OffscreenCanvas, if the widget's rehearsal handed its drawing over). Resolves
 * to the function that takes the widget's messages; `ended` hears each burst's end. */
export function painter(canvas, ended) {
  var here = import.meta.url;
  return import(new URL("__PAINTER_JS__", here).href).then(function (m) {
    return m.default({ module_or_path: fetch(new URL("__PAINTER_WASM__", here).href, { credentials: "omit" }) })
      .then(function () { return m.confetti_local(canvas, ended); });
  });
}
