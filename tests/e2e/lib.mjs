// Shared helpers of the Playwright drivers: launch Debian's Chromium offline, headless.
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

// Records what the widget tells the host page (its public DOM events) in window.__seen.
export function recordEvents() {
  window.__seen = { awards: [], tracks: [], ready: 0, errors: [] };
  addEventListener("cairn:award", (e) => window.__seen.awards.push(e.detail));
  addEventListener("cairn:track", (e) => window.__seen.tracks.push(e.detail));
  addEventListener("cairn:ready", () => window.__seen.ready++);
  addEventListener("cairn:error", (e) => window.__seen.errors.push(e.detail));
}

// Count of painted pixels on the widget's confetti canvas (inside its shadow root), or 0 while
// fewer than `min` are painted (so it can be awaited with page.waitForFunction).
export function confettiPixels(min = 1) {
  const host = document.querySelector("cairn-layer");
  const canvas = host && host.shadowRoot && host.shadowRoot.querySelector("canvas.confetti");
  if (!canvas || !canvas.width) return 0;
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 16) if (data[i] > 0) n++;
  return n >= min ? n : 0;
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
