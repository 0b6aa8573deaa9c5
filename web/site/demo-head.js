// The demo app's head script (before the Cairn loader).
// Cairn's queue stub: calls made before the widget loads are kept and replayed.
window.cairn = window.cairn || function () { (cairn.q = cairn.q || []).push(arguments); };
// The product's backend signs a user token for the signed-in user; this demo asks Cairn's
// development-only token endpoint instead (never enabled on a deployment).
var uid = localStorage.getItem("acme:user") || "demo-" + crypto.randomUUID();
localStorage.setItem("acme:user", uid);
// ?locale=fr or ?locale=ar signs the demo user's token with that locale (traits.locale).
var locale = new URLSearchParams(location.search).get("locale");
fetch("/v1/demo/token?key=pk_demo_acme_0000000000000000&user=" + encodeURIComponent(uid) +
  (locale ? "&locale=" + encodeURIComponent(locale) : ""))
  .then(function (r) { return r.json(); })
  .then(function (t) { cairn("identify", { token: t.token }); });
