/*! Cairn's share card, a module of its own (web/share-card): the widget imports this module
 * beside the loader the first time a user shows they may share, which loads the card and builds
 * it in the widget's layer. Resolves to the function that tells the card what to show. */
export function card(root, shareUrl, publish, close) {
  var here = import.meta.url;
  return import(new URL("__CARD_JS__", here).href).then(function (m) {
    return m.default({ module_or_path: fetch(new URL("__CARD_WASM__", here).href, { credentials: "omit" }) })
      .then(function () { return m.card(root, shareUrl, publish, close); });
  });
}
