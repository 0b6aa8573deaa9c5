// `cargo xtask bench widget`: the widget's timings in real headless Chromium against wrangler dev.
//
// 1. Script tag to first celebration: a page with the queue stub and a queued
//    cairn('celebrate', …) inserts the loader tag; the time from the insertion to the widget's
//    cairn:award event (the toast is in the DOM and the burst started), over N cold loads (a new
//    browser context each: no HTTP or compiled-wasm cache); beside it, the time the same files
//    take to arrive when nothing runs them (the asset server's floor).
// 2. Confetti frame cost, measured from a Chrome trace (not from our own code): per 60 Hz
//    frame of the first 2.5 s of a burst of 150 or 1,000 particles, the busy time of every
//    top-level task (the `toplevel` category: animation frames, style, layout, paint, commit,
//    everything) on the page's main thread, on its workers, and on the compositor and raster
//    threads (the renderer's compositor and tile workers, the GPU process's display
//    compositor), for Cairn embedded from the page's origin (drawn in its worker) and from
//    another origin (drawn in its confetti frame's worker; the frame's threads count as the
//    page's when it shares its renderer, as on loopback, else as workers), and for canvas-confetti drawing on the main thread and in its
//    worker, at 1× and 4× CPU throttling; and the 60 Hz frames with more than 20 ms of
//    main-thread work. 3 bursts each (CAIRN_BENCH_ROUNDS), taking turns.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { launch, base, hostServer } from "./lib.mjs";

const require = createRequire(import.meta.url);
const CONFETTI = readFileSync(require.resolve("canvas-confetti/dist/confetti.browser.js"), "utf8");
const LOADS = Number(process.env.CAIRN_BENCH_LOADS || 15);
const ROUNDS = Number(process.env.CAIRN_BENCH_ROUNDS || 3);
const KEY = "pk_demo_acme_0000000000000000";

const page = (body) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bench</title></head>
<body style="margin:0;height:100vh;background:#fff">${body}</body></html>`;

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))]; };
const round = (x) => Math.round(x * 100) / 100;

// One cold load of `html` (a new browser context: no HTTP or compiled-wasm cache): the ms the
// page prints as "cairn-bench <ms>". The page tells the console, which Playwright hears
// without running anything in the page: waiting with `waitForFunction` would evaluate
// Playwright's own script in the page (20–30 ms of main thread) while the widget loads.
// The page is written into a document of the worker's origin (its 404 for an unknown path),
// not served by `page.route`: with a route, Playwright intercepts every request of the page,
// and each of the widget's files took a detour through its driver (about 20 ms per load,
// measured on both pages). The page's own load leaves a connection to the origin open, as a
// host page served from the widget's origin does.
async function coldLoad(browser, html) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const p = await context.newPage();
  await p.goto(base + "/__bench/first.html");
  const heard = p.waitForEvent("console", { predicate: (m) => m.text().startsWith("cairn-bench "), timeout: 15000 });
  await p.evaluate((h) => { document.open(); document.write(h); document.close(); }, html);
  const ms = Number((await heard).text().split(" ")[1]);
  await context.close();
  return ms;
}

// Script tag to cairn:award, and beside it the floor of the same run: the page fetching the
// same three files (the loader, then the glue and the wasm together, as the loader does) and
// running none of them, which is what wrangler dev's asset server alone costs. Loads of the
// two pages take turns.
async function firstCelebration(browser) {
  const html = page(`<script>
    window.cairn = window.cairn || function () { (cairn.q = cairn.q || []).push(arguments); };
    cairn("celebrate", { title: "First project!" });
    addEventListener("cairn:award", () => console.log("cairn-bench " + (performance.now() - window.__t0)));
    window.__t0 = performance.now();
    const s = document.createElement("script");
    s.async = true; s.src = "/cairn.js"; s.dataset.key = "${KEY}";
    document.head.append(s);
  </script>`);
  const floorHtml = page(`<script>
    const t0 = performance.now();
    const bytes = (u) => fetch(u).then((r) => r.arrayBuffer());
    fetch("/cairn.js").then((r) => r.text()).then((loader) => {
      const names = loader.split('"').filter((x) => x.startsWith("assets/cairn-widget."));
      if (names.length !== 2) throw new Error("the loader names " + names.length + " widget files");
      return Promise.all(names.map((name) => bytes("/" + name)));
    })
      .then(() => console.log("cairn-bench " + (performance.now() - t0)));
  </script>`);
  const times = [], floor = [];
  for (let i = 0; i < LOADS; i++) {
    times.push(await coldLoad(browser, html));
    floor.push(await coldLoad(browser, floorHtml));
  }
  return { loads: LOADS, p50: round(pct(times, 0.5)), p90: round(pct(times, 0.9)), min: round(Math.min(...times)), max: round(Math.max(...times)),
    floorP50: round(pct(floor, 0.5)) };
}

// Seconds of each burst that are measured (every contender animates at least this long).
const WINDOW_S = 2.5;
const FRAME_MS = 1000 / 60;

// `spans` as disjoint stretches: overlapping or nested spans merged.
function merged(spans) {
  const out = [];
  for (const [s, e] of [...spans].sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

// Busy time of a thread: the union of its top-level tasks' spans inside [t0, t1] (µs).
function busy(spans, t0, t1) {
  return merged(spans).reduce((total, [s, e]) => total + Math.max(0, Math.min(e, t1) - Math.max(s, t0)), 0);
}

// The trace's threads by role: the page's renderer main thread, its workers (canvas-confetti's
// worker mode), and the compositor and raster threads (the renderer's compositor and tile
// workers, the display compositor and GPU main thread of the GPU process).
function role(name) {
  if (name === "CrRendererMain") return "main";
  if (/DedicatedWorker/.test(name)) return "worker";
  if (/^Compositor|VizCompositor|CrGpuMain|^Viz|GpuMemory|RasterWorker|TileWorker/.test(name)) return "compositor";
  return null;
}

// One burst in a fresh page, traced (categories toplevel + user timing): per frame of the
// measured window, the busy milliseconds of the page's main thread, of its workers and of the
// compositor and raster threads, and how many 60 Hz frames had more than 20 ms of main-thread
// work.
async function frameCost(browser, who, particles, throttle) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const p = await context.newPage();
  // Cairn embedded from the page's origin (its worker) or from another (its frame's worker):
  // the page is then served by a server of ours on another port.
  const framed = who === "cairn (cross-origin frame)";
  const body = who.startsWith("cairn")
    ? `<script>window.cairn = window.cairn || function () { (cairn.q = cairn.q || []).push(arguments); };
         addEventListener("cairn:ready", () => { window.__ready = 1; });</script>
       <script async src="${base}/cairn.js" data-key="${KEY}"></script>`
    : `<script>${CONFETTI}</script><canvas id="c" style="position:fixed;inset:0;width:100vw;height:100vh;pointer-events:none"></canvas>
       <script>window.__ready = 1;</script>`;
  const host = framed ? await hostServer({ "/__bench/frames.html": { body: page(body), type: "text/html" } }) : null;
  if (!host) await p.route(base + "/__bench/frames.html", (r) => r.fulfill({ body: page(body), contentType: "text/html" }));
  await p.goto((host ? host.origin : base) + "/__bench/frames.html");
  await p.waitForFunction(() => window.__ready, null, { timeout: 15000 });
  // The page settled: it has been idle once since it loaded (an idle callback asked for now
  // runs after those the page asked for, as Cairn's rehearsal).
  await p.evaluate(() => new Promise((r) => requestIdleCallback(() => r())));
  const cdp = await context.newCDPSession(p);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: throttle });
  // Two frames rendered since the page settled.
  await p.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await browser.startTracing(p, { categories: ["toplevel", "blink.user_timing", "__metadata"] });
  // The burst is launched from a task of the page's own (a timer), so that the launch task
  // holds the contender's work only, not the harness's evaluation.
  await p.evaluate(({ who, particles }) => setTimeout(() => {
    performance.mark("cairn-bench-burst");
    // The same burst for all: from the bottom centre, upwards, 70° spread, ~2.8 s.
    if (who.startsWith("cairn")) {
      cairn("configure", { confetti: { particles, origin: { x: 0.5, y: 0.9 } } });
      cairn("celebrate", { title: "Bench", tier: "mid" });
    } else {
      const worker = who === "canvas-confetti (worker)";
      const fire = worker ? confetti : confetti.create(document.getElementById("c"), { resize: true, useWorker: false });
      fire({ particleCount: particles, spread: 70, origin: { x: 0.5, y: 0.9 }, ticks: 200 });
    }
  }, 50), { who, particles });
  // The measured window (the mark is in the trace; the page itself runs nothing meanwhile).
  await new Promise((r) => setTimeout(r, WINDOW_S * 1000 * Math.max(1, throttle / 2) + 300 + 50 * throttle));
  const trace = JSON.parse((await browser.stopTracing()).toString());
  await context.close();
  await host?.close();
  const events = trace.traceEvents || trace;
  const start = events.find((e) => e.name === "cairn-bench-burst" && (e.cat || "").includes("blink.user_timing"));
  if (!start) throw new Error("the burst's mark is not in the trace");
  const names = new Map(events.filter((e) => e.ph === "M" && e.name === "thread_name").map((e) => [`${e.pid}:${e.tid}`, e.args.name]));
  // Renderer processes other than the page's that ran anything in the window: the frame's.
  const frameProcesses = new Set(events.filter((e) => e.ph === "X" && e.pid !== start.pid && e.dur
    && role(names.get(`${e.pid}:${e.tid}`) || "") === "worker").map((e) => e.pid));
  // From the start of the task that launched the burst (the mark is inside it).
  const launch = events.find((e) => e.ph === "X" && e.pid === start.pid && e.tid === start.tid && (e.cat || "").includes("toplevel") && e.ts <= start.ts && e.ts + e.dur >= start.ts);
  const t0 = launch ? launch.ts : start.ts, t1 = t0 + WINDOW_S * 1e6;
  // The burst is "in flight" after its first 250 ms (launch work done).
  const f0 = t0 + 0.25e6;
  const spans = { main: [], worker: [], compositor: new Map() };
  for (const e of events) {
    if (e.ph !== "X" || !e.dur || !(e.cat || "").includes("toplevel")) continue;
    const thread = `${e.pid}:${e.tid}`;
    let r = role(names.get(thread) || "");
    // The page's main thread and workers are in its renderer process; compositing anywhere.
    // Cairn's cross-origin frame runs in a renderer of its own: its main thread and worker
    // count with the workers (work done off the page's main thread, but done).
    if ((r === "main" || r === "worker") && e.pid !== start.pid) {
      if (!framed || !frameProcesses.has(e.pid)) continue;
      r = "worker";
    }
    if (r === "main" || r === "worker") spans[r].push([e.ts, e.ts + e.dur]);
    if (r === "compositor") {
      if (!spans.compositor.has(thread)) spans.compositor.set(thread, []);
      spans.compositor.get(thread).push([e.ts, e.ts + e.dur]);
    }
  }
  const frames = (WINDOW_S * 1000) / FRAME_MS;
  const perFrame = (us) => us / 1000 / frames;
  const compositor = [...spans.compositor.values()].reduce((a, s) => a + busy(s, t0, t1), 0);
  // Main-thread work per 60 Hz frame slot: the thread's busy stretches (top-level events nest,
  // as a task and the message it runs, so they are merged first), each counted whole in the
  // slot it starts in.
  const slots = new Array(Math.ceil(frames)).fill(0);
  for (const [s, e] of merged(spans.main)) {
    if (s < t0 || s >= t1) continue;
    slots[Math.floor((s - t0) / 1000 / FRAME_MS)] += (Math.min(e, t1) - s) / 1000;
  }
  const main = perFrame(busy(spans.main, t0, t1)), worker = perFrame(busy(spans.worker, t0, t1));
  const flightFrames = ((t1 - f0) / 1000) / FRAME_MS;
  const flight = busy(spans.main, f0, t1) / 1000 / flightFrames;
  const startMs = busy(spans.main, t0, f0) / 1000;
  return { main, worker, compositor: perFrame(compositor), flight, startMs, over20: slots.filter((ms) => ms > 20).length, worstMs: Math.max(0, ...slots) };
}

const browser = await launch();
try {
  const first = await firstCelebration(browser);
  const frames = [];
  for (const throttle of [1, 4]) {
    for (const particles of [150, 1000]) {
      // ROUNDS bursts each, the contenders taking turns, so that a slow moment of the
      // machine does not fall on one of them only; frames of all rounds pooled.
      const contenders = ["cairn", "cairn (cross-origin frame)", "canvas-confetti", "canvas-confetti (worker)"];
      const runs = contenders.map(() => []);
      for (let r = 0; r < ROUNDS; r++) {
        for (const [i, who] of contenders.entries()) runs[i].push(await frameCost(browser, who, particles, throttle));
      }
      for (const [i, who] of contenders.entries()) {
        const rs = runs[i];
        const mean = (k) => round(rs.reduce((a, x) => a + x[k], 0) / rs.length);
        const main = mean("main"), worker = mean("worker"), compositor = mean("compositor");
        frames.push({ who, particles, throttle, bursts: rs.length, main, worker, compositor, flight: mean("flight"), startMs: mean("startMs"),
          total: round(main + worker + compositor), over20: rs.reduce((a, x) => a + x.over20, 0),
          worstMs: round(Math.max(...rs.map((x) => x.worstMs))) });
      }
    }
  }
  console.log(JSON.stringify({ first, frames }));
} finally {
  await browser.close();
}
