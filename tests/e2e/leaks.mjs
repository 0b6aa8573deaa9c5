// Single-page-app hygiene, counted by the DevTools protocol after forced garbage collection:
// 1,000 placements added to and removed from the document leave no DOM node, event listener or
// JS heap behind, and `cairn('shutdown')` removes every listener the widget added to the host
// page's window and document.
import { launch, base, recordEvents, report } from "./lib.mjs";

// The listeners on window and on document whose function comes from the widget's scripts (the
// loader or the wasm-bindgen glue, where every Rust closure handed to the DOM is made), as
// "target:type" (DOMDebugger.getEventListeners; script URLs from Debugger.scriptParsed).
async function widgetListeners(cdp, scripts) {
  const out = [];
  for (const name of ["window", "document"]) {
    const { result } = await cdp.send("Runtime.evaluate", { expression: name });
    const { listeners } = await cdp.send("DOMDebugger.getEventListeners", { objectId: result.objectId });
    for (const l of listeners) {
      const url = scripts.get(l.scriptId) ?? "";
      if (/\/cairn\.js|\/assets\/cairn-widget\./.test(url)) out.push(`${name}:${l.type}`);
    }
  }
  return out.sort();
}

// DOM nodes, JS event listeners and JS heap, after collecting garbage.
async function metrics(cdp) {
  await cdp.send("HeapProfiler.collectGarbage");
  const { metrics } = await cdp.send("Performance.getMetrics");
  const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
  return { nodes: m.Nodes, listeners: m.JSEventListeners, heap: m.JSHeapUsedSize };
}

// Adds and removes `n` placements (ladder, badge and shelf in turn), one at a time: each must
// be mounted once in the document and unmounted once it left (the widget's own marks).
function cycle(n) {
  return (async () => {
    const main = document.querySelector("main");
    let mounted = 0, unmounted = 0;
    for (let i = 0; i < n; i++) {
      const el = document.createElement("div");
      el.dataset.cairn = ["ladder", "badge", "shelf"][i % 3];
      el.dataset.metric = "project_created";
      el.dataset.milestone = "projects.1";
      main.append(el);
      // The observer's callback is a microtask queued by the mutation: it has run after this.
      await Promise.resolve();
      if (el.hasAttribute("data-cairn-mounted") && el.shadowRoot?.querySelector(".inline *")) mounted++;
      el.remove();
      await Promise.resolve();
      if (!el.hasAttribute("data-cairn-mounted") && el.shadowRoot.childElementCount === 0) unmounted++;
    }
    return { mounted, unmounted };
  })();
}

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });

  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => (m.type() === "error" || m.type() === "warning") && errors.push(m.text()));
  await page.addInitScript(recordEvents);
  await page.addInitScript(() => addEventListener("cairn:connected", () => (window.__seen.connected = 1)));
  await page.addInitScript(() => addEventListener("cairn:shutdown", () => (window.__seen.shutdown = 1)));
  const cdp = await context.newCDPSession(page);
  const scripts = new Map();
  cdp.on("Debugger.scriptParsed", (e) => scripts.set(e.scriptId, e.url));
  await cdp.send("Debugger.enable");
  await page.goto(base + "/");
  await page.waitForFunction(() => window.__seen.ready === 1 && window.__seen.connected === 1, null, { timeout: 15000 });
  // The page's own placements have rendered (/me answered).
  await page.waitForFunction(() => !!document.querySelector("[data-cairn=ladder]").shadowRoot?.querySelector(".ladder"), null, { timeout: 10000 });
  await cdp.send("Performance.enable");

  const warm = await page.evaluate(cycle, 100);
  const before = await metrics(cdp);
  const run = await page.evaluate(cycle, 1000);
  const after = await metrics(cdp);
  const running = await widgetListeners(cdp, scripts);

  await page.evaluate(() => cairn("shutdown"));
  await page.waitForFunction(() => window.__seen.shutdown === 1);
  const stopped = await widgetListeners(cdp, scripts);
  const afterShutdown = await metrics(cdp);
  const placementsAfterShutdown = await page.evaluate(() =>
    [...document.querySelectorAll("[data-cairn]")].map((el) => ({ mounted: el.hasAttribute("data-cairn-mounted"), children: el.shadowRoot?.childElementCount ?? 0 })));
  // After shutdown the observer is gone: a new placement stays unrendered.
  const lateMounted = await page.evaluate(async () => {
    const el = document.createElement("div");
    el.dataset.cairn = "shelf";
    document.querySelector("main").append(el);
    await Promise.resolve();
    return el.hasAttribute("data-cairn-mounted") || !!el.shadowRoot;
  });

  report({ warm, run, before, after, afterShutdown, running, stopped, placementsAfterShutdown, lateMounted, errors });
} finally {
  await browser.close();
}
