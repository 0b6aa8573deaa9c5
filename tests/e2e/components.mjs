// Every component and placement of the widget in real Chromium against real workerd: toast (CTA,
// share, keyboard, pause on hover and focus), share card, shelf dialog (focus trap, Escape,
// focus return), ladder / badge / shelf placements updating live, dark theme, right-to-left
// Arabic, confetti above the host's open <dialog>, a hostile host stylesheet, and an axe-core
// scan of each state. Screenshots go to the test's directory.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { launch, base, artifacts, recordEvents, waitForConfetti, report } from "./lib.mjs";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

// A hostile host stylesheet: it must not reach inside the widget.
const HOSTILE = `
    * { color: rgb(255, 0, 0) !important; font-family: "Comic Sans MS", cursive !important; font-size: 31px !important; letter-spacing: 5px !important; }
    div, section, article, span, button, dialog, canvas, strong, p, ol, li { background: rgb(0, 255, 0) !important; padding: 40px !important; margin: 30px !important; }
    .toast, .title, .ladder, .bar, .fill, .badge, .toasts, .confetti { display: none !important; visibility: hidden !important; }
    button { all: unset !important; }
    :root { --_surface: rgb(0, 255, 0); --_text: rgb(255, 0, 0); }`;

// In the page: helpers to look inside the widget's shadow roots.
function helpers() {
  window.__cairn = {
    layer: () => document.querySelector("cairn-layer").shadowRoot,
    placement: (kind) => document.querySelector(`[data-cairn="${kind}"]`).shadowRoot,
    // The focused element, through shadow roots: a short description.
    focused() {
      let el = document.activeElement;
      while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
      if (!el) return null;
      const root = el.getRootNode();
      return {
        tag: el.tagName.toLowerCase(), id: el.id || null, cls: el.className || null,
        text: (el.textContent || "").trim().slice(0, 40),
        inShelf: !!el.closest("dialog.shelf"), inShare: !!el.closest("dialog.share-card"),
        inToast: !!el.closest(".toast"), inWidget: root !== document,
      };
    },
    style: (el, prop) => getComputedStyle(el).getPropertyValue(prop),
  };
  window.__shares = []; window.__ctas = [];
  addEventListener("cairn:share", (e) => window.__shares.push(e.detail.channel));
  addEventListener("cairn:cta", (e) => { window.__ctas.push(e.detail.cta.label); e.preventDefault(); });
}

// Every Content-Security-Policy violation the page reports (the demo app is served with the
// strict policy of the README; the widget must raise none).
function recordViolations() {
  window.__csp = [];
  addEventListener("securitypolicyviolation", (e) => window.__csp.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample }), true);
}

// The violations so far, after a control that must raise exactly one: an inline <style> the
// policy blocks (so a listener that hears nothing cannot pass the test).
async function violations(page) {
  page.__controls = (page.__controls ?? 0) + 1;
  return page.evaluate(async () => {
    const before = window.__csp.length;
    const control = document.createElement("style");
    control.textContent = "#nothing { color: red }";
    const heard = new Promise((resolve) => addEventListener("securitypolicyviolation", resolve, { once: true }));
    document.head.append(control);
    await heard;
    control.remove();
    return { widget: window.__csp.slice(0, before), control: window.__csp.length - before };
  });
}

async function open(context, path = "/", { clock = false } = {}) {
  const page = await context.newPage();
  // The share card is a module of its own (web/share-card): what of it the page requested.
  const cardFiles = page.__cardFiles = [];
  page.on("request", (r) => { if (/share-card/.test(r.url())) cardFiles.push(new URL(r.url()).pathname.replace(/\.[0-9a-f]{10}\./, ".")); });
  // Playwright's clock (flowing in real time) lets the toast timers be fast-forwarded instead
  // of slept through.
  if (clock) await page.clock.install();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // The console's report of each control violation (see `violations`) is expected, once each.
  page.__controls = 0;
  page.on("console", (m) => {
    if (page.__controls > 0 && /(Refused to apply|Applying) inline style/.test(m.text())) return void page.__controls--;
    // Chromium's advice on the test's own pixel counting (getImageData) is not the widget's.
    if (m.text().startsWith("Canvas2D: Multiple readback operations")) return;
    (m.type() === "error" || m.type() === "warning") && errors.push(m.text());
  });
  await page.addInitScript(recordEvents);
  await page.addInitScript(helpers);
  await page.addInitScript(recordViolations);
  await page.addInitScript(() => addEventListener("cairn:connected", () => (window.__seen.connected = 1)));
  const response = await page.goto(base + path);
  page.__policy = response.headers()["content-security-policy"] ?? null;
  await page.waitForFunction(() => window.__seen.ready === 1 && window.__seen.connected === 1, null, { timeout: 15000 });
  // The placements render once /me answered.
  await page.waitForFunction(() => !!window.__cairn.placement("ladder").querySelector(".ladder"), null, { timeout: 10000 });
  return { page, errors };
}

// axe-core over the page, its open shadow roots included: serious and critical violations.
async function axe(page, name) {
  // Evaluated through the DevTools protocol: an inline <script> would break the page's CSP.
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 3) }));
  });
  return { state: name, serious: result.filter((v) => v.impact === "serious" || v.impact === "critical"), all: result.length };
}

const ladderState = () => {
  const r = window.__cairn.placement("ladder");
  const bar = r.querySelector("[role=progressbar]");
  return {
    count: r.querySelector(".count").textContent, more: r.querySelector(".more").textContent,
    now: bar.getAttribute("aria-valuenow"), max: bar.getAttribute("aria-valuemax"), text: bar.getAttribute("aria-valuetext"),
    label: bar.getAttribute("aria-labelledby") && r.getElementById(bar.getAttribute("aria-labelledby")).textContent,
  };
};
// The burst has ended: the confetti layer left the top layer.
const burstOver = () => !window.__cairn.layer().querySelector(".confetti")?.matches(":popover-open");
const badgeState = () => window.__cairn.placement("badge").querySelector("figure")?.dataset.state ?? null;
const toastTitles = () => [...window.__cairn.layer().querySelectorAll(".toast .title")].map((e) => e.textContent);

const browser = await launch();
const out = { axe: [] };
try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const { page, errors } = await open(context, "/", { clock: true });
  out.policy = page.__policy;

  // Placements before anything happened.
  out.before = { ladder: await page.evaluate(ladderState), badge: await page.evaluate(badgeState),
    shelfEmpty: await page.evaluate(() => window.__cairn.placement("shelf").querySelector(".empty")?.textContent ?? null) };

  // A tracked event: toast, live ladder, badge earned.
  await page.click("#create");
  await page.waitForFunction(() => window.__seen.awards.length === 1, null, { timeout: 5000 });
  await page.waitForFunction(() => window.__cairn.placement("badge").querySelector("figure[data-state=earned]"), null, { timeout: 5000 });
  out.after = { ladder: await page.evaluate(ladderState), badge: await page.evaluate(badgeState),
    shelfEarned: await page.evaluate(() => [...window.__cairn.placement("shelf").querySelectorAll("[part~=shelf-earned] .name")].map((e) => e.textContent)) };
  out.toast = await page.evaluate(() => {
    const t = window.__cairn.layer().querySelector(".toast");
    return { title: t.querySelector(".title").textContent, caption: t.querySelector(".caption").textContent,
      cta: t.querySelector(".cta")?.textContent ?? null, share: t.querySelector(".share").textContent,
      dismissLabel: t.querySelector(".dismiss").getAttribute("aria-label"),
      announced: window.__cairn.layer().querySelector("[aria-live]").textContent,
      topLayer: window.__cairn.layer().querySelector(".toasts").matches(":popover-open") };
  });
  await page.screenshot({ path: `${artifacts}/toast-and-placements.png` });
  out.axe.push(await axe(page, "toast and placements"));
  // A celebration alone (toast, placements, confetti) loads nothing of the share card. (Later
  // steps hover and focus the toasts, which may load it early: that is what pointing at Share
  // is for.)
  const cardBefore = [...page.__cardFiles];

  // Keyboard only: Tab from the page's button reaches the toast's actions.
  await page.focus("#create");
  let presses = 0;
  for (; presses < 30; presses++) {
    const f = await page.evaluate(() => window.__cairn.focused());
    if (f && f.inToast) break;
    await page.keyboard.press("Tab");
  }
  out.keyboard = { presses, focused: await page.evaluate(() => window.__cairn.focused()) };
  // Focus pauses the auto-hide (6 s); a hovered preview toast pauses too.
  await page.evaluate(() => cairn("celebrate", { title: "Hovered preview", tier: "early" }));
  await page.waitForFunction(() => window.__cairn.layer().querySelectorAll(".toast").length === 2);
  const box = await page.evaluate(() => {
    const r = [...window.__cairn.layer().querySelectorAll(".toast")].find((t) => t.textContent.includes("Hovered")).getBoundingClientRect();
    return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
  });
  await page.mouse.move(box.x, box.y);
  // 7 s on the page's clock: past the 6 s auto-hide of both toasts, neither of which leaves.
  await page.clock.fastForward(7000);
  out.paused = await page.evaluate(toastTitles);
  await page.mouse.move(5, 5);
  // Once the pointer leaves, the hovered toast's remaining time runs out.
  await page.clock.fastForward(7000);
  await page.waitForFunction(() => ![...window.__cairn.layer().querySelectorAll(".toast .title")].some((e) => e.textContent === "Hovered preview"), null, { timeout: 8000 });
  out.afterHover = await page.evaluate(toastTitles);

  // The share card, by keyboard from the toast.
  const onShare = await page.evaluate(() => {
    const b = window.__cairn.layer().querySelector(".toast .share"); b.focus(); return window.__cairn.focused();
  });
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => window.__cairn.layer().querySelector("dialog.share-card")?.open);
  out.share = await page.evaluate(() => {
    const d = window.__cairn.layer().querySelector("dialog.share-card");
    return { focusedInside: window.__cairn.focused().inShare, message: d.querySelector("textarea").value,
      award: d.querySelector(".card-award").textContent };
  });
  await page.evaluate(() => { const t = window.__cairn.layer().querySelector("dialog.share-card textarea"); t.focus(); t.select(); });
  await page.keyboard.type("Ten more to go!");
  await page.evaluate(() => window.__cairn.layer().querySelector("[part=share-copy]").click());
  out.share.x = await page.evaluate(() => window.__cairn.layer().querySelector("[part=share-x]").href);
  out.share.linkedin = await page.evaluate(() => window.__cairn.layer().querySelector("[part=share-linkedin]").href);
  out.share.copied = await page.evaluate(() => window.__cairn.layer().querySelector("[part=share-copy]").textContent);
  out.share.events = await page.evaluate(() => window.__shares);
  await page.screenshot({ path: `${artifacts}/share-card.png` });
  out.axe.push(await axe(page, "share card"));
  await page.keyboard.press("Escape");
  await page.waitForFunction(() => !window.__cairn.layer().querySelector("dialog.share-card").open);
  out.share.focusBack = await page.evaluate(() => window.__cairn.focused());
  out.share.opener = onShare;
  out.share.cardBefore = cardBefore;
  out.share.cardAfter = [...page.__cardFiles];

  // The CTA tells the host (which handles it here: no navigation).
  await page.evaluate(() => cairn("celebrate", { title: "CTA preview", cta: { label: "Invite a teammate", url: "/invite" } }));
  await page.waitForFunction(() => window.__cairn.layer().querySelector(".toast .cta"));
  await page.evaluate(() => [...window.__cairn.layer().querySelectorAll(".toast")].find((t) => t.textContent.includes("CTA preview")).querySelector(".cta").click());
  out.cta = { events: await page.evaluate(() => window.__ctas), path: new URL(page.url()).pathname };

  // The shelf dialog, keyboard only: opened from the host's button, focus trapped, Escape,
  // focus back on the button.
  await page.focus("#badges");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => window.__cairn.layer().querySelector("dialog.shelf").open);
  await page.waitForFunction(() => window.__cairn.layer().querySelectorAll("dialog.shelf [part~=shelf-earned] .item").length >= 1);
  const trapped = [];
  for (let i = 0; i < 6; i++) {
    trapped.push(await page.evaluate(() => window.__cairn.focused()?.inShelf ?? false));
    await page.keyboard.press("Tab");
  }
  out.shelf = { trapped, earned: await page.evaluate(() => [...window.__cairn.layer().querySelectorAll("dialog.shelf [part~=shelf-earned] .name")].map((e) => e.textContent)),
    locked: await page.evaluate(() => window.__cairn.layer().querySelectorAll("dialog.shelf [part~=locked]").length),
    criteria: await page.evaluate(() => window.__cairn.layer().querySelector("dialog.shelf [part~=locked] .criteria")?.textContent) };
  await page.screenshot({ path: `${artifacts}/shelf.png` });
  out.axe.push(await axe(page, "shelf dialog"));
  await page.keyboard.press("Escape");
  await page.waitForFunction(() => !window.__cairn.layer().querySelector("dialog.shelf").open);
  out.shelf.focusBack = await page.evaluate(() => window.__cairn.focused());

  // Confetti above the host's open modal <dialog>: count confetti-coloured pixels inside the
  // dialog's box in real screenshots, before and during a burst.
  await page.evaluate(() => document.getElementById("settings-dialog").showModal());
  const rect = await page.evaluate(() => { const r = document.getElementById("settings-dialog").getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; });
  const colourful = async () => {
    const png = (await page.screenshot({ clip: rect })).toString("base64");
    return page.evaluate(async (b64) => {
      const img = new Image(); img.src = "data:image/png;base64," + b64; await img.decode();
      const c = new OffscreenCanvas(img.width, img.height); const g = c.getContext("2d"); g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, img.width, img.height).data; let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 90) n++;
      return n;
    }, png);
  };
  const beforeBurst = await colourful();
  // Launched from the middle of the viewport (the dialog's box), through cairn('configure').
  await page.evaluate(() => cairn("configure", { confetti: { origin: { x: 0.5, y: 0.5 }, particles: 300 } }));
  await page.evaluate(() => cairn("celebrate", { title: "Above the modal", tier: "mid" }));
  // The most confetti seen in the dialog's box while the burst runs (however slowly screenshots
  // come on a loaded machine), or once it is well past what is asked.
  let duringBurst = 0;
  await page.waitForFunction(() => !!window.__cairn.layer().querySelector(".confetti")?.matches(":popover-open"), null, { timeout: 10000 });
  do duringBurst = Math.max(duringBurst, await colourful());
  while (duringBurst < 5000 && !(await page.evaluate(burstOver)));
  await page.screenshot({ path: `${artifacts}/confetti-above-dialog.png` });
  out.dialog = { beforeBurst, duringBurst, hostDialogOpen: await page.evaluate(() => document.getElementById("settings-dialog").open) };
  await page.evaluate(() => document.getElementById("settings-dialog").close());
  await page.evaluate(() => cairn("configure", { confetti: { origin: { x: 0.5, y: 0.9 }, particles: 150 } }));
  await page.waitForFunction(burstOver, null, { timeout: 10000 });

  // Emoji/text and image particles (cairn('configure', {confetti: {shapes}})).
  await page.evaluate(() => {
    const svg = "<svg xmlns='http://www.w3.org/2000/svg' width='16' height='16'><circle cx='8' cy='8' r='8' fill='#e91e63'/></svg>";
    cairn("configure", { confetti: { shapes: ["★", "data:image/svg+xml," + encodeURIComponent(svg)] } });
    cairn("celebrate", { title: "Shapes", tier: "mid" });
  });
  out.shapes = await waitForConfetti(page, 50);
  await page.screenshot({ path: `${artifacts}/emoji-and-image-particles.png` });
  await page.evaluate(() => cairn("configure", { confetti: { shapes: ["square", "circle"] } }));
  await page.waitForFunction(burstOver, null, { timeout: 10000 });

  // Dark theme.
  await page.evaluate(() => cairn("configure", { theme: "dark" }));
  await page.evaluate(() => cairn("celebrate", { title: "Dark", tier: "early" }));
  await page.waitForFunction(() => window.__cairn.layer().querySelector(".toast"));
  out.dark = await page.evaluate(() => ({
    toast: window.__cairn.style([...window.__cairn.layer().querySelectorAll(".toast")].pop(), "background-color"),
    ladder: window.__cairn.style(window.__cairn.placement("ladder").querySelector(".inline") || window.__cairn.placement("ladder").firstElementChild.nextElementSibling, "background-color"),
  }));
  await page.screenshot({ path: `${artifacts}/dark-theme.png` });
  out.axe.push(await axe(page, "dark theme"));
  out.csp = { app: await violations(page) };
  errors.length && (out.errors = errors.slice());

  // The theming playground: changing a custom property restyles the widget live.
  const play = await context.newPage();
  await play.addInitScript(helpers);
  await play.addInitScript(recordEvents);
  await play.goto(base + "/playground.html");
  await play.waitForFunction(() => window.__seen.ready === 1);
  await play.click("#preview");
  await play.waitForFunction(() => window.__cairn.layer().querySelector(".toast"));
  const accentBefore = await play.evaluate(() => window.__cairn.style(window.__cairn.layer().querySelector(".toast"), "border-inline-start-color"));
  await play.fill("input[name='--cairn-accent']", "#00aa55");
  await play.fill("input[name='--cairn-radius']", "2");
  await play.waitForFunction(() => window.__cairn.style(window.__cairn.layer().querySelector(".toast"), "border-top-left-radius") === "2px");
  out.playground = await play.evaluate(() => {
    const t = window.__cairn.layer().querySelector(".toast");
    return { css: document.getElementById("css").textContent, accent: window.__cairn.style(t, "border-inline-start-color"),
      radius: window.__cairn.style(t, "border-top-left-radius") };
  });
  out.playground.accentBefore = accentBefore;
  await play.screenshot({ path: `${artifacts}/theming-playground.png` });
  await play.close();

  // A hostile host stylesheet: nothing of it reaches inside, nothing of ours leaks out.
  const hostile = await context.newPage();
  await hostile.addInitScript(helpers);
  await hostile.addInitScript(recordEvents);
  await hostile.addInitScript(recordViolations);
  await hostile.goto(base + "/");
  await hostile.waitForFunction(() => window.__seen.ready === 1);
  // A stylesheet of the host's own origin (the page's CSP allows 'self', not inline styles).
  await hostile.route(base + "/hostile.css", (route) => route.fulfill({ contentType: "text/css", body: HOSTILE }));
  await hostile.addStyleTag({ url: base + "/hostile.css" });
  await hostile.waitForFunction(() => getComputedStyle(document.body).color === "rgb(255, 0, 0)");
  await hostile.evaluate(() => {
    const probe = document.createElement("div"); probe.id = "probe"; probe.className = "toast title badge ladder"; probe.textContent = "probe";
    document.querySelector("main").append(probe);
    cairn("celebrate", { title: "Hostile", description: "still ours" });
  });
  await hostile.waitForFunction(() => window.__cairn.layer().querySelector(".toast"));
  await hostile.waitForFunction(() => !!window.__cairn.placement("ladder").querySelector(".ladder"), null, { timeout: 10000 });
  out.hostile = await hostile.evaluate(() => {
    const t = window.__cairn.layer().querySelector(".toast");
    const title = t.querySelector(".title");
    const bar = window.__cairn.placement("ladder").querySelector(".bar");
    const probe = document.getElementById("probe");
    const s = window.__cairn.style;
    return {
      toastDisplay: s(t, "display"), toastBackground: s(t, "background-color"), toastPadding: s(t, "padding-top"),
      titleColor: s(title, "color"), titleSize: s(title, "font-size"), titleSpacing: s(title, "letter-spacing"),
      dismissCursor: s(t.querySelector(".dismiss"), "cursor"), barDisplay: s(bar, "display"), barHeight: s(bar, "height"),
      probeRadius: s(probe, "border-radius"), probeShadow: s(probe, "box-shadow"), probeBorder: s(probe, "border-left-width"),
    };
  });
  await hostile.screenshot({ path: `${artifacts}/hostile-stylesheet.png` });
  out.csp.hostile = await violations(hostile);

  // Arabic, right to left (the token carries traits.locale = ar; titles come localized).
  const rtl = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const ar = await open(rtl, "/?locale=ar");
  await ar.page.click("#create");
  await ar.page.waitForFunction(() => window.__seen.awards.length === 1, null, { timeout: 5000 });
  // The award may come by the stream before the tracked total reaches the ladder: wait for the
  // ladder's new total (1, so 9 left to 10), not only for the award; if it never comes, the
  // assertions on what it shows say so.
  await ar.page.waitForFunction(() => /^1\D/.test(window.__cairn.placement("ladder").querySelector(".count").textContent), null, { timeout: 10000 })
    .catch(() => {});
  out.rtl = await ar.page.evaluate(() => {
    const layer = window.__cairn.layer();
    const t = layer.querySelector(".toast");
    const r = t.getBoundingClientRect();
    return { dir: layer.querySelector(".layer").getAttribute("dir"), lang: layer.querySelector(".layer").getAttribute("lang"),
      direction: getComputedStyle(t).direction, title: t.querySelector(".title").textContent,
      share: t.querySelector(".share").textContent, left: Math.round(r.left), right: Math.round(innerWidth - r.right),
      ladder: window.__cairn.placement("ladder").querySelector(".more").textContent,
      ladderDir: window.__cairn.placement("ladder").querySelector(".inline").getAttribute("dir"),
      ladderLabel: window.__cairn.placement("ladder").querySelector(".label").textContent,
      badgeAlt: t.querySelector(".badge").getAttribute("aria-label") || t.querySelector(".badge").getAttribute("alt"),
      cta: t.querySelector(".cta")?.textContent ?? null,
      criteria: [...window.__cairn.placement("shelf").querySelectorAll(".item.locked .criteria")].map((c) => c.textContent) };
  });
  await ar.page.screenshot({ path: `${artifacts}/rtl-arabic.png` });
  out.axe.push(await axe(ar.page, "arabic rtl"));
  out.csp.rtl = await violations(ar.page);
  out.errors = [...(out.errors || []), ...errors.filter((e) => !out.errors?.includes(e)), ...ar.errors];
  report(out);
} finally {
  await browser.close();
}
