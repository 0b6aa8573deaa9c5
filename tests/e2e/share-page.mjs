// The public badge page in real Chromium: its strict CSP raises no violation (the page has no
// script; a violation shows as a console error), a screenshot is saved, and axe-core (injected
// in a second context that bypasses CSP, since the page itself forbids scripts) finds no
// serious or critical violation. Reads the page path from CAIRN_SHARE_PATH.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { launch, base, artifacts } from "./lib.mjs";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const path = process.env.CAIRN_SHARE_PATH;
const browser = await launch();
const out = {};
try {
  const strict = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await strict.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  const response = await page.goto(base + path);
  out.status = response.status();
  out.csp = response.headers()["content-security-policy"];
  await page.waitForLoadState("load");
  out.title = await page.title();
  out.h1 = await page.locator("h1").innerText();
  out.message = await page.locator(".message p").innerText();
  out.dir = await page.evaluate(() => document.documentElement.dir);
  // The style sheet applied (the hash matched): the medal has the accent colour.
  out.medalBackground = await page.evaluate(() => getComputedStyle(document.querySelector(".medal")).backgroundColor);
  out.scripts = await page.evaluate(() => document.scripts.length);
  await page.screenshot({ path: `${artifacts}/share-page.png`, fullPage: true });
  out.consoleErrors = errors;

  const scan = await browser.newContext({ bypassCSP: true, viewport: { width: 1000, height: 900 } });
  const p2 = await scan.newPage();
  await p2.goto(base + path);
  await p2.addScriptTag({ content: AXE });
  const violations = await p2.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 3) }));
  });
  out.serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  out.violations = violations.length;
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
