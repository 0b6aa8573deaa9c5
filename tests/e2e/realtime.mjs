// Real time in a real browser: a server-side event celebrates on the open page without a reload,
// once across two tabs; reduced motion draws no particles; cairn('on') and cairn('celebrate').
import { launch, base, artifacts, recordEvents, confettiPixels, waitForConfetti, toastTitles, report } from "./lib.mjs";

const SECRET_KEY = "sk_demo_acme_dev_only_0000000000000000"; // the local demo's, dev only

async function serverEvent(user, event = "project_created") {
  const r = await fetch(base + "/v1/events", {
    method: "POST",
    headers: { authorization: "Bearer " + SECRET_KEY, "content-type": "application/json" },
    body: JSON.stringify({ user_id: user, event }),
  });
  if (r.status !== 200) throw new Error("POST /v1/events answered " + r.status + ": " + (await r.text()));
  return r.json();
}

// `promise`, or an error naming `what` after 5 s (a bound on a wait, never a pause).
async function within(promise, what) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 5000); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function openTab(context) {
  const page = await context.newPage();
  const errors = [];
  // Award messages the page's stream received (the WebSocket frames, seen by Playwright), and
  // who waits for which.
  const frames = { ids: [], waiting: [] };
  page.on("websocket", (ws) => ws.on("framereceived", (f) => {
    if (typeof f.payload !== "string" || !f.payload.includes('"type":"award"')) return;
    const id = JSON.parse(f.payload).award.id;
    frames.ids.push(id);
    for (const w of frames.waiting.filter((w) => w.id === id)) w.resolve();
  }));
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.addInitScript(recordEvents);
  await page.addInitScript(() => addEventListener("cairn:connected", () => (window.__seen.connected = (window.__seen.connected || 0) + 1)));
  await page.goto(base + "/");
  await page.waitForFunction(() => window.__seen.ready === 1 && window.__seen.connected >= 1, null, { timeout: 15000 });
  // The acknowledgements the widget sent (POST /v1/client/awards/{id}/seen), once answered.
  const acks = new Map();
  const ack = (id) => { if (!acks.has(id)) { let resolve; acks.set(id, { done: new Promise((r) => (resolve = r)), resolve }); } return acks.get(id); };
  page.on("response", (r) => {
    const m = /\/v1\/client\/awards\/([^/]+)\/seen$/.exec(new URL(r.url()).pathname);
    if (m && r.request().method() === "POST" && r.ok()) ack(decodeURIComponent(m[1])).resolve();
  });
  const acked = (id) => ack(id).done;
  return { page, errors, frames, acked };
}

// Waits until `tab` has settled award `id`: its stream delivered it, and the Web Lock request
// the widget made for it on arrival has been answered (a later request on the same lock,
// from the same page, is answered after it).
async function settled(tab, user, id) {
  if (!tab.frames.ids.includes(id)) {
    await within(new Promise((resolve) => tab.frames.waiting.push({ id, resolve })), `award ${id} reaching a tab's stream`);
  }
  await tab.page.evaluate((name) => navigator.locks.request(name, { ifAvailable: true }, () => {}), `cairn:celebrated:pk_demo_acme_0000000000000000:${user}:${id}`);
}

const browser = await launch();
try {
  // Two tabs of the same signed-in user (one browser profile: shared localStorage).
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const a = await openTab(context);
  const b = await openTab(context);
  const user = await a.page.evaluate(() => localStorage.getItem("acme:user"));
  const sent = Date.now();
  const answer = await serverEvent(user);
  const awardId = answer.results[0].awards[0]?.id;
  const waitAward = (t) => t.page.waitForFunction(() => window.__seen.awards.length > 0, null, { timeout: 5000 }).then(() => t);
  const first = await Promise.any([waitAward(a), waitAward(b)]);
  const latencyMs = Date.now() - sent;
  // Headless Chromium animates the front tab only.
  await first.page.bringToFront();
  const pixels = await waitForConfetti(first.page, 50);
  const toasts = await first.page.evaluate(toastTitles);
  await first.page.screenshot({ path: `${artifacts}/server-side-award.png` });
  // Both tabs have had the award and decided (the one that celebrated holds its lock).
  await settled(a, user, awardId);
  await settled(b, user, awardId);
  const counts = [await a.page.evaluate(() => window.__seen.awards.length), await b.page.evaluate(() => window.__seen.awards.length)];
  // The celebration was acknowledged (the widget's POST …/seen answered): /me reports it seen
  // (so other devices skip it).
  await within(first.acked(awardId), "the award's acknowledgement");
  const seen = await first.page.evaluate(async (id) => {
    const t = await (await fetch("/v1/demo/token?key=pk_demo_acme_0000000000000000&user=" + encodeURIComponent(localStorage.getItem("acme:user")))).json();
    const me = await (await fetch("/v1/client/me", { headers: { "x-cairn-key": "pk_demo_acme_0000000000000000", authorization: "Bearer " + t.token } })).json();
    return !!me.awards.find((x) => x.id === id)?.seen;
  }, awardId);

  // cairn('on', 'award', fn) and a manual preview with cairn('celebrate', …).
  await a.page.evaluate(() => {
    window.__heard = [];
    cairn("on", "award", (award) => window.__heard.push(award.title));
    cairn("celebrate", { title: "Preview!", description: "Just a preview" });
  });
  // The listener is called during the call; the toast renders on the next microtasks.
  await a.page.waitForFunction(() => [...document.querySelector("cairn-layer").shadowRoot.querySelectorAll(".toast .title")].some((e) => e.textContent === "Preview!"));
  const preview = await a.page.evaluate(() => ({ heard: window.__heard,
    toasts: [...document.querySelector("cairn-layer").shadowRoot.querySelectorAll(".toast .title")].map((e) => e.textContent) }));

  // Reduced motion (a new user in a fresh profile): the toast shows, no particle is drawn.
  const calm = await browser.newContext({ viewport: { width: 1000, height: 700 }, reducedMotion: "reduce" });
  const c = await openTab(calm);
  const calmUser = await c.page.evaluate(() => localStorage.getItem("acme:user"));
  await serverEvent(calmUser);
  // The toast and the burst start in the same call, and the canvas draws a burst's first frame
  // on the next animation frame: once the toast is on screen and two frames have rendered
  // since, a burst would show.
  await c.page.waitForFunction(() => window.__seen.awards.length > 0, null, { timeout: 5000 });
  await c.page.waitForFunction(() => document.querySelector("cairn-layer").shadowRoot.querySelector(".toast"));
  await c.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const calmPixels = await confettiPixels(c.page);
  const calmToasts = await c.page.evaluate(toastTitles);
  // No burst was sent, so no confetti worker was started.
  const calmWorkers = c.page.workers().length;
  await c.page.screenshot({ path: `${artifacts}/reduced-motion.png` });

  // Shutdown removes the layer and closes the stream.
  // The preview's burst is drawn in the confetti worker, started from beside the loader
  // (the demo serves the widget from its origin); shutdown terminates it.
  const workers = a.page.workers().map((w) => new URL(w.url()).pathname);
  const closed = Promise.all(a.page.workers().map((w) => new Promise((r) => w.once("close", r))));
  // `shutdown` is synchronous; cairn:shutdown is its last step.
  const afterShutdown = await a.page.evaluate(() => {
    let told = false;
    addEventListener("cairn:shutdown", () => { told = true; }, { once: true });
    cairn("shutdown");
    return { told, layer: !!document.querySelector("cairn-layer"), cairn: typeof window.cairn };
  });
  await within(closed, "the confetti worker's end");
  afterShutdown.workers = a.page.workers().length;

  report({
    latencyMs, counts, pixels, toasts, seen, preview,
    calm: { pixels: calmPixels, toasts: calmToasts, workers: calmWorkers },
    afterShutdown, workers,
    errors: [...a.errors, ...b.errors, ...c.errors],
  });
} finally {
  await browser.close();
}
