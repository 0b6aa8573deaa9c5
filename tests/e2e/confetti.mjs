// Where confetti is drawn, by how the widget is embedded (web/src/confetti.rs), in real
// Chromium against wrangler dev:
// 1. Cross-origin embed under a strict policy that names the Cairn origin: a host page on
//    another origin (a server of the test's on 127.0.0.1, another port) loads the widget from
//    wrangler dev's; the burst is drawn in Cairn's confetti frame (its worker), and
//    the frame leaves the top layer when the worker says the burst ended; zero violations.
// 2. The same page under a policy whose frame-src leaves Cairn out: one violation (the frame),
//    a warning naming frame-src, and the burst drawn on the page's main thread all the same.
// In both, the toast's Share opens the share card, whose module is loaded from Cairn's origin.
// 3. Served from Cairn's own origin under the README's minimal policy, once the page has been
//    idle: the rehearsal has handed the canvas's drawing over and started no worker; the burst
//    then starts the confetti worker beside the loader, which draws it; zero violations.
import { launch, base, artifacts, recordEvents, waitForConfetti, hostServer, report } from "./lib.mjs";

const cairn = new URL(base).origin;
const KEY = "pk_demo_acme_0000000000000000";
const strict = `default-src 'self' ${cairn}; script-src 'self' ${cairn} 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: https:; connect-src 'self' ${cairn} ws: wss:`;
const noFrames = `${strict}; frame-src 'none'`;

const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head>
<body><h1>Another origin's app</h1><script src="/host.js"></script><script async src="${cairn}/cairn.js" data-key="${KEY}"></script></body></html>`;
// The host's own script (no inline script under its policy): the queue stub and the listeners.
const hostJs = `window.cairn = window.cairn || function () { (cairn.q = cairn.q || []).push(arguments); };
window.__csp = [];
addEventListener("securitypolicyviolation", (e) => window.__csp.push({ directive: e.effectiveDirective, blocked: e.blockedURI }));`;

// What holds the burst in the top layer: "canvas", "iframe" (Cairn's frame) or null.
function watchConfetti() {
  window.__shownConfetti = () => {
    const root = document.querySelector("cairn-layer")?.shadowRoot;
    const shown = [...(root?.querySelectorAll(".confetti") ?? [])].find((e) => e.matches(":popover-open"));
    return shown ? shown.tagName.toLowerCase() : null;
  };
}

// A fresh page that records the widget's events, where the burst is shown, and the console's
// errors and warnings.
async function openPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await context.newPage();
  const messages = [];
  page.on("console", (m) => (m.type() === "error" || m.type() === "warning") && messages.push(m.text()));
  page.on("pageerror", (e) => messages.push(String(e)));
  await page.addInitScript(recordEvents);
  await page.addInitScript(watchConfetti);
  return { context, page, messages };
}

async function embed(browser, policy, name) {
  const host = await hostServer({
    "/host.html": { body: html, type: "text/html", headers: { "content-security-policy": policy } },
    "/host.js": { body: hostJs, type: "text/javascript" },
  });
  const { context, page, messages } = await openPage(browser);
  await page.goto(`${host.origin}/host.html`);
  await page.waitForFunction(() => window.__seen.ready === 1, null, { timeout: 15000 })
    .catch((e) => { throw new Error(`the widget did not start on ${name}: ${messages.join(" | ")}`, { cause: e }); });
  await page.evaluate(() => {
    cairn("configure", { confetti: { origin: { x: 0.5, y: 0.6 }, particles: 200 } });
    cairn("celebrate", { title: "From afar", tier: "mid" });
  });
  const pixels = await waitForConfetti(page, 200);
  const drawnBy = await page.evaluate(() => window.__shownConfetti());
  await page.screenshot({ path: `${artifacts}/confetti-${name}.png` });
  // The share card's module comes from Cairn's origin too, under the same policy.
  await page.evaluate(() => document.querySelector("cairn-layer").shadowRoot.querySelector(".toast .share").click());
  const shareCard = await page
    .waitForFunction(() => document.querySelector("cairn-layer").shadowRoot.querySelector("dialog.share-card")?.open, null, { timeout: 10000 })
    .then(() => true, () => false);
  // The burst's end came back from where it was drawn: nothing is left in the top layer.
  await page.waitForFunction(() => window.__shownConfetti() === null, null, { timeout: 10000 }).catch(() => {});
  const after = await page.evaluate(() => window.__shownConfetti());
  const frame = await page.evaluate(() => document.querySelector("cairn-layer").shadowRoot.querySelector("iframe.confetti")?.src ?? null);
  const violations = await page.evaluate(() => window.__csp);
  await context.close();
  await host.close();
  return { host: host.origin, pixels, drawnBy, after, frame, shareCard, violations, messages };
}

// 3: the page is the worker's origin's (routed here), as the demo and a product's own domain.
const minimal = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: https:; connect-src 'self' ws: wss:";
async function sameOrigin(browser) {
  const { context, page, messages } = await openPage(browser);
  const workers = [];
  page.on("worker", (w) => workers.push(new URL(w.url()).pathname));
  const body = html.replace(`${cairn}/cairn.js`, "/cairn.js").replace("/host.js", "/__e2e/host.js");
  await page.route(`${base}/__e2e/same-origin.html`, (r) => r.fulfill({ body, contentType: "text/html", headers: { "content-security-policy": minimal } }));
  await page.route(`${base}/__e2e/host.js`, (r) => r.fulfill({ body: hostJs, contentType: "text/javascript" }));
  await page.goto(`${base}/__e2e/same-origin.html`);
  await page.waitForFunction(() => window.__seen.ready === 1, null, { timeout: 15000 })
    .catch((e) => { throw new Error(`the widget did not start on its own origin: ${messages.join(" | ")}`, { cause: e }); });
  // The widget asked for its rehearsal when it started: an idle callback asked for now runs
  // after it.
  await page.evaluate(() => new Promise((r) => requestIdleCallback(() => r())));
  // A canvas whose drawing was handed over cannot be resized from the page (the probe leaves
  // one that was not as it was: no context is taken).
  const handedOver = await page.evaluate(() => {
    const canvas = document.querySelector("cairn-layer").shadowRoot.querySelector("canvas.confetti");
    try { canvas.width = canvas.width; return false; } catch (e) { return e.name; }
  });
  const workersBefore = workers.length;
  await page.evaluate(() => {
    cairn("configure", { confetti: { origin: { x: 0.5, y: 0.6 }, particles: 200 } });
    cairn("celebrate", { title: "At home", tier: "mid" });
  });
  const pixels = await waitForConfetti(page, 200);
  const drawnBy = await page.evaluate(() => window.__shownConfetti());
  await page.screenshot({ path: `${artifacts}/confetti-same-origin.png` });
  await page.waitForFunction(() => window.__seen.awards.length === 1);
  await page.waitForFunction(() => window.__shownConfetti() === null, null, { timeout: 10000 }).catch(() => {});
  const after = await page.evaluate(() => window.__shownConfetti());
  const violations = await page.evaluate(() => window.__csp);
  await context.close();
  return { handedOver, workersBefore, workers, pixels, drawnBy, after, violations, messages };
}

const browser = await launch();
try {
  const framed = await embed(browser, strict, "cross-origin-frame");
  const blocked = await embed(browser, noFrames, "frame-blocked");
  const same = await sameOrigin(browser);
  report({ cairn, framed, blocked, same });
} finally {
  await browser.close();
}
