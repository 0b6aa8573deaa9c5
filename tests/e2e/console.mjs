// The console in real Chromium against real workerd: a CSM signs in by link, reads the feed,
// filters it, records a celebration; a viewer sees the button disabled and the server refuses
// the same call; a replayed link is refused; the impact page shows its charts with their data
// tables; axe-core finds nothing serious on any page; the strict CSP sees no violation.
// Links come from the Rust test (CSM_LINK, VIEWER_LINK). Screenshots go to the test's directory.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { launch, base, artifacts, report } from "./lib.mjs";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

async function axe(page, name) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 3) }));
  });
  return { state: name, serious: result.filter((v) => v.impact === "serious" || v.impact === "critical"), all: result.length };
}

// Opens `url` in a fresh context, recording CSP violations and page errors.
async function open(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  // Bounds, not waits: generous for a machine that is also building (two cores).
  page.setDefaultTimeout(90_000);
  page.setDefaultNavigationTimeout(90_000);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const response = await page.goto(url);
  return { context, page, errors, csp: response.headers()["content-security-policy"] ?? "" };
}

const rows = (page) => page.$$eval("table.feed tbody tr:not(.detail)", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));

const browser = await launch();
const out = { axe: [] };
try {
  // The CSM.
  const csm = await open(browser, process.env.CSM_LINK);
  const { page } = csm;
  out.csp = csm.csp;
  await page.getByText("cass@example.com · csm").waitFor();
  out.address = page.url();
  await page.waitForFunction(() => document.querySelectorAll("table.feed tbody tr").length >= 3);
  out.rows = await rows(page);
  out.axe.push(await axe(page, "feed"));

  // Filter: accounts only, then back.
  await page.locator("#filter-who").selectOption("account");
  await page.waitForFunction(() => [...document.querySelectorAll("table.feed tbody tr:not(.detail) td:nth-child(2)")].every((td) => td.textContent.startsWith("account ")));
  out.accountRows = await rows(page);
  await page.locator("#filter-who").selectOption("user");
  await page.waitForFunction(() => [...document.querySelectorAll("table.feed tbody tr:not(.detail) td:nth-child(2)")].every((td) => td.textContent.startsWith("user ")));
  out.userRows = await rows(page);

  // Record how the newest user milestone was celebrated, with the suggestions beside the form.
  const first = page.locator("table.feed tbody tr:not(.detail)").filter({ has: page.locator("button", { hasText: "Mark celebrated" }) }).first();
  out.celebratedWho = (await first.locator("td").nth(1).textContent()).trim();
  out.celebratedWhat = (await first.locator("td strong").textContent()).trim();
  await first.locator("button", { hasText: "Mark celebrated" }).click();
  await page.getByRole("heading", { name: "Suggested recognition" }).waitFor();
  out.suggestions = await page.$$eval(".suggestions li", (lis) => lis.map((li) => li.textContent));
  out.axe.push(await axe(page, "feed, celebrating"));
  await page.screenshot({ path: `${artifacts}/console-celebrate.png`, fullPage: true });
  const form = page.locator("form.celebrate");
  await form.locator("select").selectOption("gift");
  await form.locator("textarea").fill("Sent a hoodie");
  await form.getByRole("button", { name: "Record", exact: true }).click();
  await page.waitForFunction(() => [...document.querySelectorAll(".celebrated")].some((e) => e.textContent.includes("gift · console:cass@example.com")));
  await page.screenshot({ path: `${artifacts}/console-feed.png` });
  out.celebrated = await page.$$eval(".celebrated", (es) => es.map((e) => e.textContent));

  // Case studies: record that the best candidate agreed, then export the list.
  await page.getByRole("link", { name: "Case studies" }).click();
  await page.getByRole("heading", { name: "Case-study candidates" }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll("table.candidates tbody tr").length > 0);
  const best = page.locator("table.candidates tbody tr").first();
  await best.locator("select").selectOption("agreed");
  await page.waitForFunction(() => document.querySelector("table.candidates tbody tr td:last-child .meta")?.textContent.includes("console:cass@example.com"));
  await best.locator("summary").click();
  await best.locator(".history li").first().waitFor();
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export CSV" }).click();
  const file = await (await download).path();
  out.caseStudies = {
    rows: await page.locator("table.candidates tbody tr").count(),
    status: await best.locator("td:last-child").textContent(),
    history: await best.locator(".history li").count(),
    csv: readFileSync(file, "utf8"),
  };
  await page.screenshot({ path: `${artifacts}/console-case-studies.png` });
  out.axe.push(await axe(page, "case studies"));

  // Impact.
  await page.getByRole("link", { name: "Impact" }).click();
  await page.getByRole("heading", { name: "Do celebrations retain users?" }).waitFor();
  await page.waitForFunction(() => document.querySelector("section.impact, p.empty"));
  await page.getByRole("heading", { name: "Progression through tiers" }).waitFor();
  out.impact = await page.evaluate(() => ({
    sections: [...document.querySelectorAll("section.impact h2")].map((h) => h.textContent),
    charts: [...document.querySelectorAll("svg[role=img]")].map((s) => ({ title: s.querySelector("title")?.textContent ?? "", labelled: !!document.getElementById(s.getAttribute("aria-labelledby") ?? "") })),
    tables: document.querySelectorAll("table.numbers").length,
    verdicts: [...document.querySelectorAll(".verdicts li")].map((li) => li.textContent).slice(0, 3),
    current: document.querySelector("nav a[aria-current=page]")?.textContent,
  }));
  out.engagement = await page.evaluate(() =>
    [...document.querySelectorAll("table.wide tbody tr")].map((tr) => [...tr.children].map((c) => c.textContent)));
  await page.screenshot({ path: `${artifacts}/console-impact.png`, fullPage: true });
  out.axe.push(await axe(page, "impact"));

  // Ladder tuning: the live thresholds simulated, then others typed in, then the suggested.
  await page.getByRole("link", { name: "Ladder" }).click();
  await page.getByRole("heading", { name: "Tune the ladder" }).waitFor();
  await page.locator("#simulation tbody tr").first().waitFor();
  const simulation = () =>
    page.evaluate(() => [...document.querySelectorAll("#simulation tbody tr")].map((tr) => [...tr.children].map((c) => c.textContent)));
  out.ladder = { live: await simulation(), input: await page.locator("input[name=thresholds]").inputValue() };
  await page.locator("input[name=thresholds]").fill("1, 3, 11");
  await page.getByRole("button", { name: "Simulate" }).click();
  await page.waitForFunction(() => document.querySelectorAll("#simulation tbody tr").length === 3);
  out.ladder.typed = await simulation();
  out.ladder.suggested = await page.locator("strong.suggested").textContent();
  out.ladder.charts = await page.evaluate(() => [...document.querySelectorAll("svg[role=img]")].map((s) => s.querySelector("title")?.textContent ?? ""));
  await page.screenshot({ path: `${artifacts}/console-ladder.png`, fullPage: true });
  out.axe.push(await axe(page, "ladder"));
  await page.getByRole("button", { name: "Use these" }).click();
  out.ladder.used = await page.locator("input[name=thresholds]").inputValue();
  out.csmViolations = await page.evaluate(() => window.__violations);
  out.csmErrors = csm.errors;

  // Sign out: the signed-out page, and the session is gone on the server.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Cairn console" }).waitFor();
  out.afterSignOut = await page.evaluate(async () => (await fetch("/v1/console/session")).status);
  out.axe.push(await axe(page, "signed out"));
  await csm.context.close();

  // The same link again: refused, in words.
  const replay = await open(browser, process.env.CSM_LINK);
  await replay.page.getByRole("alert").waitFor();
  out.replay = await replay.page.getByRole("alert").textContent();
  await replay.context.close();

  // The owner edits cairn.toml: live validation by the engine in wasm, the changes, publish,
  // and a past version made live again.
  const owner = await open(browser, process.env.OWNER_LINK);
  {
    const p = owner.page;
    await p.getByText("own@example.com · owner").waitFor();
    await p.getByRole("link", { name: "Definitions" }).click();
    await p.locator(".check .valid").waitFor();
    const text = await p.locator("#definitions-text").inputValue();
    const invalid = text.replace(/\[holdout\]\npercent = \d+/, "[holdout]\npercent = 80");
    await p.locator("#definitions-text").fill(invalid);
    await p.locator(".check .problems li").first().waitFor();
    const problems = await p.$$eval(".check .problems li", (lis) => lis.map((li) => li.textContent));
    const publishDisabled = await p.getByRole("button", { name: "Publish", exact: true }).isDisabled();
    const changed = text.replace("thresholds = [1, 10, 50, 100, 500, 1000]", "thresholds = [1, 5, 10, 50, 100, 500, 1000]");
    await p.locator("#definitions-text").fill(changed);
    await p.locator(".check .valid").waitFor();
    await p.getByRole("button", { name: "Show changes" }).click();
    const diff = await p.locator("pre.diff").textContent();
    await p.screenshot({ path: `${artifacts}/console-definitions.png`, fullPage: true });
    out.axe.push(await axe(p, "definitions"));
    await p.getByRole("button", { name: "Publish", exact: true }).click();
    await p.getByText(/Published version \d+\./).waitFor();
    const published = await p.locator(".message").textContent();
    await p.getByRole("button", { name: "Make version 1 live again" }).click();
    await p.getByText(/Version 1 is live again/).waitFor();
    const rolledBack = await p.locator(".message").textContent();
    await p.waitForFunction(() => [...document.querySelectorAll(".versions th")].some((th) => th.textContent === "3 (live)"));
    out.definitions = { problems, publishDisabled, diff, published, rolledBack, text: invalid, validatorLoaded: true };
    out.ownerViolations = await p.evaluate(() => window.__violations);
    out.ownerErrors = owner.errors;
    await owner.context.close();
  }

  // The viewer: the button is there but disabled, and the server refuses the call anyway.
  const viewer = await open(browser, process.env.VIEWER_LINK);
  await viewer.page.getByText("vic@example.com · viewer").waitFor();
  await viewer.page.waitForFunction(() => document.querySelectorAll("table.feed tbody tr").length >= 3);
  out.viewerDisabled = await viewer.page.$$eval("table.feed button", (bs) => bs.length > 0 && bs.every((b) => b.disabled));
  out.viewerCall = await viewer.page.evaluate(async () => {
    const id = document.querySelector("table.feed tbody tr td:nth-child(1)") && (await (await fetch("/v1/console/feed?limit=1")).json()).items[0].id;
    const r = await fetch(`/v1/milestones/${id}/celebrated`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ celebration_type: "email" }) });
    return { status: r.status, message: (await r.json()).error.message };
  });
  out.axe.push(await axe(viewer.page, "feed (viewer)"));
  out.viewerViolations = await viewer.page.evaluate(() => window.__violations);
  out.viewerErrors = viewer.errors;
  await viewer.context.close();
} finally {
  await browser.close();
}
report(out);
