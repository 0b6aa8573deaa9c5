// Shared helpers of the Playwright drivers: launch Debian's Chromium offline, headless.
import { createServer } from "node:http";
import { chromium } from "playwright-core";

export const base = process.env.CAIRN_BASE;
export const artifacts = process.env.CAIRN_ARTIFACTS;

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

// Another origin's web server on 127.0.0.1 (a host page embedding Cairn from wrangler dev's
// origin, as a product does): `pages` maps a path to {body, type, headers}. Loopback, so
// Chromium's local-network rules see a loopback page calling a loopback API.
export async function hostServer(pages) {
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    // The browser's own favicon request is not the page's.
    if (path === "/favicon.ico") return void res.writeHead(204).end();
    const page = pages[path];
    if (!page) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": page.type, ...(page.headers ?? {}) }).end(page.body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }) };
}

// Records what the widget tells the host page (its public DOM events) in window.__seen.
export function recordEvents() {
  window.__seen = { awards: [], tracks: [], ready: 0, errors: [] };
  addEventListener("cairn:award", (e) => window.__seen.awards.push(e.detail));
  addEventListener("cairn:track", (e) => window.__seen.tracks.push(e.detail));
  addEventListener("cairn:ready", () => window.__seen.ready++);
  addEventListener("cairn:error", (e) => window.__seen.errors.push(e.detail));
}

// Painted confetti, read from real screenshots (the canvas may be drawn by a worker, which the
// page cannot read back). Screenshots alternate: confetti hidden, shown, hidden again. A pixel
// counts (every 4th is sampled) when it is the same in the hidden shots on either side (so the
// host page did not change there meanwhile: a shelf re-rendering, a ladder filling) and differs in
// the shown one; the toasts, which move on their own, are left out.
function sampler(page) {
  // Hides (`value` "hidden") or shows (null) the confetti layers; says whether there are any and
  // whether one is in the top layer (a burst runs: the widget shows it until its painter says the
  // last burst ended).
  const visibility = (value) => page.evaluate((value) => {
    const layers = [...(document.querySelector("cairn-layer")?.shadowRoot?.querySelectorAll(".confetti") ?? [])];
    for (const l of layers) if (value) l.style.visibility = value; else l.style.removeProperty("visibility");
    return { any: layers.length > 0, open: layers.some((l) => l.matches(":popover-open")) };
  }, value);
  const shot = async () => (await page.screenshot()).toString("base64");
  let hidden = null;
  // One sample: the painted pixels and whether a burst was running; a hidden shot is shared with
  // the next sample, so a sample costs two screenshots.
  return async () => {
    const state = await visibility("hidden");
    if (!state.any) {
      hidden = null;
      return { pixels: 0, open: false };
    }
    const toasts = await page.evaluate(() => [...(document.querySelector("cairn-layer")?.shadowRoot?.querySelectorAll(".toast") ?? [])]
      .map((t) => { const r = t.getBoundingClientRect(); return [r.left - 16, r.top - 16, r.right + 16, r.bottom + 16]; }));
    const before = hidden ?? (await shot());
    await visibility(null);
    const shown = await shot();
    await visibility("hidden");
    const after = await shot();
    await visibility(null);
    hidden = after;
    const pixels = await page.evaluate(async ({ before, shown, after, toasts }) => {
      const pixels = async (b64) => {
        const img = new Image(); img.src = "data:image/png;base64," + b64; await img.decode();
        const c = new OffscreenCanvas(img.width, img.height); const g = c.getContext("2d"); g.drawImage(img, 0, 0);
        return { w: img.width, d: g.getImageData(0, 0, img.width, img.height).data };
      };
      const [a, b, h] = await Promise.all([pixels(shown), pixels(before), pixels(after)]);
      const apart = (x, y, i) => Math.abs(x.d[i] - y.d[i]) + Math.abs(x.d[i + 1] - y.d[i + 1]) + Math.abs(x.d[i + 2] - y.d[i + 2]) > 60;
      let n = 0;
      for (let i = 0; i < a.d.length; i += 16) {
        const x = (i / 4) % a.w, y = Math.floor(i / 4 / a.w);
        if (toasts.some(([l, t, r, btm]) => x >= l && x <= r && y >= t && y <= btm)) continue;
        if (!apart(b, h, i) && apart(a, b, i)) n++;
      }
      return n;
    }, { before, shown, after, toasts });
    return { pixels, open: state.open };
  };
}

// The confetti pixels painted now (see sampler); 0 with no confetti layer.
export async function confettiPixels(page) {
  return (await sampler(page)()).pixels;
}

// Samples the confetti until at least `min` pixels were painted and gives the count, or the most
// seen once the burst is over (its layer left the top layer after having been in it) or, if it
// never began, when `timeout` ms have passed. A burst's whole run is sampled however slowly
// screenshots come on a loaded machine; one that never ends is given up after a minute.
export async function waitForConfetti(page, min, timeout = 10000) {
  const sample = sampler(page);
  let most = 0, began = false;
  for (const start = Date.now(); most < min && Date.now() - start < 60000;) {
    const { pixels, open } = await sample();
    most = Math.max(most, pixels);
    if (open) began = true;
    else if (began || Date.now() - start >= timeout) break;
  }
  return most;
}

// Titles of the toasts on screen.
export function toastTitles() {
  const host = document.querySelector("cairn-layer");
  if (!host || !host.shadowRoot) return [];
  return [...host.shadowRoot.querySelectorAll(".toast .title")].map((e) => e.textContent);
}

export function report(result) {
  console.log(JSON.stringify(result));
}
