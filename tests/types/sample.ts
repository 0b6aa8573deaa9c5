// A host page's use of every command and event of the embed, type-checked against
// web/loader/cairn.d.ts by `tsc --noEmit` (tests/it/types.rs).

window.cairn = window.cairn || function () {
  // The queue stub of the README.
  (window.cairn.q = window.cairn.q || []).push(arguments);
};

cairn("identify", { token: "eyJ…" });
cairn("track", "project_created");
cairn("track", "invoice_paid", { value: 3 });
cairn("on", "award", (award) => {
  const title: string = award.title;
  const tier: Cairn.Tier = award.tier;
  const alt: string = award.badge.alt;
  const cta: string | undefined = award.cta?.label;
  console.log(title, tier, alt, cta, award.achieved_at, award.value, award.celebrate);
});
cairn("open", "shelf");
cairn("close");
cairn("configure", {
  theme: "dark",
  corner: "top-start",
  confetti: { particles: 300, spread: 90, velocity: 900, gravity: 1200, decay: 0.9, duration: 3, colors: ["#6d4aff"], shapes: ["square", "★"], origin: { x: 0.5, y: 0.9 } },
});
cairn("celebrate", { title: "Preview", description: "Just a preview", tier: "advanced", icon: "trophy", image: "/badge.png", alt: "A trophy", cta: { label: "Invite a teammate", url: "/invite" } });
cairn("shutdown");

addEventListener("cairn:ready", () => console.log("ready"));
addEventListener("cairn:connected", () => console.log("live"));
addEventListener("cairn:track", (e) => {
  const total: number = e.detail.total;
  const awards: Cairn.Award[] = e.detail.awards;
  console.log(e.detail.metric, total, e.detail.duplicate, awards.length);
});
addEventListener("cairn:award", (e) => console.log(e.detail.milestone, e.detail.scope, e.detail.kind));
addEventListener("cairn:share", (e) => {
  const channel: "native" | "copy" | "x" | "linkedin" = e.detail.channel;
  console.log(channel, e.detail.message, e.detail.award.id);
});
addEventListener("cairn:cta", (e) => {
  if (e.detail.cta.kind === "upgrade") e.preventDefault();
});
addEventListener("cairn:error", (e) => console.warn(e.detail.toUpperCase()));
addEventListener("cairn:shutdown", () => console.log("stopped"));
