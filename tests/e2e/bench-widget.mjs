// `cargo xtask bench widget`: the widget's timings in real headless Chromium against wrangler dev.
//
// 1. Script tag to first celebration: a page with the queue stub and a queued
//    cairn('celebrate', …) inserts the loader tag; the time from the insertion to the widget's
//    cairn:award event (the toast is in the DOM and the burst started), over N cold loads (a new
//    browser context each: no HTTP or compiled-wasm cache).
// 2. Confetti main-thread frame cost, measured from a Chrome trace (not from our own code):
//    the mean and p95 duration of the animation-frame tasks (FireAnimationFrame) of the page's
//    threads while a burst of 150 or 1,000 particles runs, for Cairn and for canvas-confetti
//    (same page, same canvas size; canvas-confetti drawing on the main thread, and with its
//    default worker where the worker's frames are counted too), also under 4× CPU throttling;
//    3 bursts each (CAIRN_BENCH_ROUNDS), taking turns, frames pooled.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { launch, base } from "./lib.mjs";

const require = createRequire(import.meta.url);
const CONFETTI = readFileSync(require.resolve("canvas-confetti/dist/confetti.browser.js"), "utf8");
const LOADS = Number(process.env.CAIRN_BENCH_LOADS || 15);
const ROUNDS = Number(process.env.CAIRN_BENCH_ROUNDS || 3);
const KEY = "pk_demo_acme_0000000000000000";

const page = (body) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bench</title></head>
<body style="margin:0;height:100vh;background:#fff">${body}</body></html>`;

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))]; };
const round = (x) => Math.round(x * 100) / 100;

async function firstCelebration(browser) {
  const html = page(`<script>
    window.cairn = window.cairn || function () { (cairn.q = cairn.q || []).push(arguments); };
    cairn("celebrate", { title: "First project!" });
    addEventListener("cairn:award", () => { window.__t1 = performance.now(); });
    window.__t0 = performance.now();
    const s = document.createElement("script");
    s.async = true; s.src = "/cairn.js"; s.dataset.key = "${KEY}";
    document.head.append(s);
  </script>`);
  const times = [];
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const p = await context.newPage();
    await p.route(base + "/__bench/first.html", (r) => r.fulfill({ body: html, contentType: "text/html" }));
    await p.goto(base + "/__bench/first.html");
    await p.waitForFunction(() => window.__t1, null, { timeout: 15000 });
    times.push(await p.evaluate(() => window.__t1 - window.__t0));
    await context.close();
  }
  return { loads: LOADS, p50: round(pct(times, 0.5)), p90: round(pct(times, 0.9)), min: round(Math.min(...times)), max: round(Math.max(...times)) };
}

// One burst in a fresh page; returns the FireAnimationFrame durations (ms) of the trace.
async function frameCost(browser, who, particles, throttle) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const p = await context.newPage();
  const body = who === "cairn"
    ? `<script>window.cairn = window.cairn || function () { (cairn.q = cairn.q || []).push(arguments); };
         addEventListener("cairn:ready", () => { window.__ready = 1; });</script>
       <script async src="/cairn.js" data-key="${KEY}"></script>`
    : `<script>${CONFETTI}</script><canvas id="c" style="position:fixed;inset:0;width:100vw;height:100vh;pointer-events:none"></canvas>
       <script>window.__ready = 1;</script>`;
  await p.route(base + "/__bench/frames.html", (r) => r.fulfill({ body: page(body), contentType: "text/html" }));
  await p.goto(base + "/__bench/frames.html");
  await p.waitForFunction(() => window.__ready, null, { timeout: 15000 });
  const cdp = await context.newCDPSession(p);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: throttle });
  await p.waitForTimeout(300);
  await browser.startTracing(p, { categories: ["devtools.timeline", "disabled-by-default-devtools.timeline"] });
  await p.evaluate(({ who, particles }) => {
    // The same burst for both: from the bottom centre, upwards, 70° spread, ~2.8 s.
    if (who === "cairn") {
      cairn("configure", { confetti: { particles, origin: { x: 0.5, y: 0.9 } } });
      cairn("celebrate", { title: "Bench", tier: "mid" });
    } else {
      const worker = who === "canvas-confetti (worker)";
      const fire = worker ? confetti : confetti.create(document.getElementById("c"), { resize: true, useWorker: false });
      fire({ particleCount: particles, spread: 70, origin: { x: 0.5, y: 0.9 }, ticks: 200 });
    }
  }, { who, particles });
  await p.waitForTimeout(2500 * Math.min(throttle, 2));
  const trace = JSON.parse((await browser.stopTracing()).toString());
  await context.close();
  const events = trace.traceEvents || trace;
  const frames = events.filter((e) => e.name === "FireAnimationFrame" && e.ph === "X" && e.dur);
  return frames.map((e) => e.dur / 1000);
}

const browser = await launch();
try {
  const first = await firstCelebration(browser);
  const frames = [];
  for (const throttle of [1, 4]) {
    for (const particles of [150, 1000]) {
      // ROUNDS bursts each, the three contenders taking turns, so that a slow moment of the
      // machine does not fall on one of them only; frames of all rounds pooled.
      const who3 = ["cairn", "canvas-confetti", "canvas-confetti (worker)"];
      const pooled = who3.map(() => []);
      for (let r = 0; r < ROUNDS; r++) {
        for (const [i, who] of who3.entries()) pooled[i].push(...await frameCost(browser, who, particles, throttle));
      }
      for (const [i, who] of who3.entries()) {
        const d = pooled[i];
        const mean = d.length ? d.reduce((a, b) => a + b, 0) / d.length : 0;
        frames.push({ who, particles, throttle, frames: d.length, mean: round(mean), p95: round(d.length ? pct(d, 0.95) : 0) });
      }
    }
  }
  console.log(JSON.stringify({ first, frames }));
} finally {
  await browser.close();
}
