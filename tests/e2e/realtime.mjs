// Real time in a real browser: a server-side event celebrates on the open page without a reload,
// once across two tabs; reduced motion draws no particles; cairn('on') and cairn('celebrate').
import { launch, base, artifacts, recordEvents, confettiPixels, toastTitles, report } from "./lib.mjs";

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

async function openTab(context) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.addInitScript(recordEvents);
  await page.addInitScript(() => addEventListener("cairn:connected", () => (window.__seen.connected = (window.__seen.connected || 0) + 1)));
  await page.goto(base + "/");
  await page.waitForFunction(() => window.__seen.ready === 1 && window.__seen.connected >= 1, null, { timeout: 15000 });
  return { page, errors };
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
  const pixels = await first.page.waitForFunction(confettiPixels, 50, { timeout: 3000 }).then((h) => h.jsonValue(), () => 0);
  const toasts = await first.page.evaluate(toastTitles);
  await first.page.screenshot({ path: `${artifacts}/server-side-award.png` });
  await a.page.waitForTimeout(1500); // a second celebration, in either tab, would show up by now
  const counts = [await a.page.evaluate(() => window.__seen.awards.length), await b.page.evaluate(() => window.__seen.awards.length)];
  // The celebration was acknowledged: /me reports it seen (so other devices skip it).
  const seen = await first.page.evaluate(async (id) => {
    for (let i = 0; i < 20; i++) {
      const t = await (await fetch("/v1/demo/token?key=pk_demo_acme_0000000000000000&user=" + encodeURIComponent(localStorage.getItem("acme:user")))).json();
      const me = await (await fetch("/v1/client/me", { headers: { "x-cairn-key": "pk_demo_acme_0000000000000000", authorization: "Bearer " + t.token } })).json();
      const award = me.awards.find((x) => x.id === id);
      if (award && award.seen) return true;
      await new Promise((r) => setTimeout(r, 250));
    }
    return false;
  }, awardId);

  // cairn('on', 'award', fn) and a manual preview with cairn('celebrate', …).
  const preview = await a.page.evaluate(async () => {
    const heard = [];
    cairn("on", "award", (award) => heard.push(award.title));
    cairn("celebrate", { title: "Preview!", description: "Just a preview" });
    await new Promise((r) => setTimeout(r, 300));
    const host = document.querySelector("cairn-layer");
    return { heard, toasts: [...host.shadowRoot.querySelectorAll(".toast .title")].map((e) => e.textContent) };
  });

  // Reduced motion (a new user in a fresh profile): the toast shows, no particle is drawn.
  const calm = await browser.newContext({ viewport: { width: 1000, height: 700 }, reducedMotion: "reduce" });
  const c = await openTab(calm);
  const calmUser = await c.page.evaluate(() => localStorage.getItem("acme:user"));
  await serverEvent(calmUser);
  await c.page.waitForFunction(() => window.__seen.awards.length > 0, null, { timeout: 5000 });
  await c.page.waitForTimeout(600);
  const calmPixels = await c.page.evaluate(confettiPixels);
  const calmToasts = await c.page.evaluate(toastTitles);
  await c.page.screenshot({ path: `${artifacts}/reduced-motion.png` });

  // Shutdown removes the layer and closes the stream.
  const afterShutdown = await a.page.evaluate(async () => {
    cairn("shutdown");
    await new Promise((r) => setTimeout(r, 100));
    return { layer: !!document.querySelector("cairn-layer"), cairn: typeof window.cairn };
  });

  report({
    latencyMs, counts, pixels, toasts, seen, preview,
    calm: { pixels: calmPixels, toasts: calmToasts },
    afterShutdown,
    errors: [...a.errors, ...b.errors, ...c.errors],
  });
} finally {
  await browser.close();
}
