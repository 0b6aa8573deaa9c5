// Walking skeleton in a real browser: click "Create project" 10 times on the demo site and
// observe every celebration; then reload and observe again.
import { launch, base, artifacts, recordEvents, confettiPixels, waitForConfetti, toastTitles, report } from "./lib.mjs";

const browser = await launch();
try {
  const page = await (await browser.newContext({ viewport: { width: 1200, height: 800 } })).newPage();
  const consoleErrors = [];
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.addInitScript(recordEvents);
  await page.goto(base + "/");
  await page.waitForFunction(() => window.__seen.ready === 1, null, { timeout: 15000 });

  const celebrations = [];
  for (let i = 1; i <= 10; i++) {
    await page.click("#create");
    await page.waitForFunction((n) => window.__seen.tracks.length >= n, i, { timeout: 10000 });
    // The server's answer names the awards this click earned; the widget celebrates each once
    // it holds the tab's celebration lock, which may be after it told the page of the event.
    const earned = await page.evaluate((n) => window.__seen.tracks[n - 1].awards.map((a) => a.title), i);
    if (earned.length > 0) {
      await page.waitForFunction((n) => window.__seen.awards.length >= n, celebrations.length + 1, { timeout: 10000 });
      // A celebration began: the canvas must actually draw and the toast must show.
      const pixels = await waitForConfetti(page, 200);
      await page.waitForFunction((title) => [...(document.querySelector("cairn-layer")?.shadowRoot?.querySelectorAll(".toast .title") ?? [])]
        .some((e) => e.textContent === title), earned[0], { timeout: 5000 }).catch(() => {});
      const toasts = await page.evaluate(toastTitles);
      await page.screenshot({ path: `${artifacts}/celebration-${i}.png` });
      celebrations.push({ click: i, pixels, toasts });
      // The burst runs out before the next clicks, so each celebration's pixels are its own.
      await page.waitForFunction(() => ![...(document.querySelector("cairn-layer")?.shadowRoot?.querySelectorAll(".confetti") ?? [])]
        .some((l) => l.matches(":popover-open")), null, { timeout: 30000 });
    }
  }
  const first = await page.evaluate(() => ({
    awards: window.__seen.awards,
    totals: window.__seen.tracks.map((t) => t.total),
    errors: window.__seen.errors,
  }));
  const user = await page.evaluate(() => localStorage.getItem("acme:user"));

  await page.reload();
  await page.waitForFunction(() => window.__seen.ready === 1, null, { timeout: 15000 });
  const afterReload = await page.evaluate(() => ({ awards: window.__seen.awards.length, toasts: [] }));
  afterReload.toasts = await page.evaluate(toastTitles);
  afterReload.pixels = await confettiPixels(page);

  report({ user, celebrations, ...first, afterReload, consoleErrors });
} finally {
  await browser.close();
}
