// Share → visit → signup in two browser contexts against the demo product: the sharer earns a
// badge, makes it public from the share card (the consent step), a visitor opens the public
// page twice and follows its call to action to the product, where the widget's loader keeps the
// reference and the widget reports the new user's signup; the sharer opening their own link
// counts nothing; the sharer then makes the badge private from the shelf.
import { launch, base, artifacts, recordEvents } from "./lib.mjs";

// Headless Chromium says so in its user agent, and the page does not count headless visitors
// (bots): the visitor presents itself as a desktop browser.
const UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
const layer = () => document.querySelector("cairn-layer").shadowRoot;

async function product(context, path = "/") {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.addInitScript(recordEvents);
  await page.addInitScript(() => addEventListener("cairn:connected", () => (window.__seen.connected = 1)));
  const attribution = page.waitForResponse((r) => r.url().endsWith("/v1/client/attribution"), { timeout: 15000 }).catch(() => null);
  await page.goto(base + path);
  await page.waitForFunction(() => window.__seen.ready === 1 && window.__seen.connected === 1, null, { timeout: 15000 });
  return { page, errors, attribution };
}

const browser = await launch();
const out = {};
try {
  // The sharer.
  const a = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const sharer = await product(a);
  await sharer.page.click("#create");
  await sharer.page.waitForFunction(() => !!document.querySelector("cairn-layer").shadowRoot.querySelector(".toast .share"), null, { timeout: 15000 });
  await sharer.page.evaluate(() => document.querySelector("cairn-layer").shadowRoot.querySelector(".toast .share").click());
  await sharer.page.waitForFunction(() => document.querySelector("cairn-layer").shadowRoot.querySelector("dialog.share-card")?.open);
  out.beforeConsent = await sharer.page.evaluate(() => {
    const d = document.querySelector("cairn-layer").shadowRoot.querySelector("dialog.share-card");
    return { publishVisible: !d.querySelector(".publish").hidden, publicVisible: !d.querySelector(".published").hidden };
  });
  const name = sharer.page.locator("cairn-layer >> [part=share-name]");
  await name.fill("Ada L.");
  const created = sharer.page.waitForResponse((r) => r.url().endsWith("/v1/client/shares") && r.request().method() === "POST");
  await sharer.page.locator("cairn-layer >> [part=share-publish]").click();
  out.created = await (await created).json();
  await sharer.page.waitForFunction(() => {
    const i = document.querySelector("cairn-layer").shadowRoot.querySelector("[part=share-public-url]");
    return i && i.value.includes("/s/sh_");
  }, null, { timeout: 10000 });
  out.card = await sharer.page.evaluate(() => {
    const d = document.querySelector("cairn-layer").shadowRoot.querySelector("dialog.share-card");
    return {
      url: d.querySelector("[part=share-public-url]").value,
      addToProfile: d.querySelector("[part=share-linkedin-add]").href,
      x: d.querySelector("[part=share-x]").href,
      linkedin: d.querySelector("[part=share-linkedin]").href,
      publishVisible: !d.querySelector(".publish").hidden,
    };
  });
  await sharer.page.screenshot({ path: `${artifacts}/share-card-public.png` });
  out.sharerErrors = sharer.errors;

  // The visitor: the page twice (one visit), then its call to action to the product.
  const b = await browser.newContext({ userAgent: UA, viewport: { width: 1000, height: 900 } });
  const visitor = await b.newPage();
  const pageErrors = [];
  visitor.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));
  await visitor.goto(out.card.url);
  await visitor.reload();
  out.pageTitle = await visitor.title();
  const cta = await visitor.locator("a.cta").getAttribute("href");
  out.cta = cta;
  await visitor.addInitScript(recordEvents);
  await visitor.addInitScript(() => addEventListener("cairn:connected", () => (window.__seen.connected = 1)));
  const signup = visitor.waitForResponse((r) => r.url().endsWith("/v1/client/attribution"), { timeout: 15000 });
  await visitor.locator("a.cta").click();
  out.signup = await (await signup).json();
  await visitor.waitForFunction(() => window.__seen && window.__seen.connected === 1, null, { timeout: 15000 });
  out.refAfter = await visitor.evaluate(() => localStorage.getItem("cairn:ref"));
  out.visitorUser = await visitor.evaluate(() => localStorage.getItem("acme:user"));
  out.pageErrors = pageErrors;

  // The sharer opening their own link: not a signup.
  const id = out.created.share_id;
  const self = await product(a, `/?cairn_ref=${id}`);
  out.selfReferral = await (await self.attribution).json();

  // The sharer makes it private again from the shelf.
  await self.page.evaluate(() => cairn("open", "shelf"));
  await self.page.waitForFunction(() => !!document.querySelector("cairn-layer").shadowRoot.querySelector("dialog.shelf [part=share-unpublish]"), null, { timeout: 10000 });
  const revoked = self.page.waitForResponse((r) => r.request().method() === "DELETE");
  await self.page.locator("cairn-layer >> dialog.shelf [part=share-unpublish]").click();
  out.revokeStatus = (await revoked).status();
  await self.page.waitForFunction(() => !document.querySelector("cairn-layer").shadowRoot.querySelector("dialog.shelf [part=share-unpublish]"), null, { timeout: 10000 });
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
