// The compositor half of the confetti (see confetti.rs). Rust computes every particle's flight
// when a burst starts; this builds the burst's elements and gives each its keyframes through
// the Web Animations API (transform and opacity only, which the browser's compositor runs by
// itself). Until the burst ends, the main thread does nothing for it. Styles go through CSSOM
// properties only: nothing here is blocked by a Content-Security-Policy without 'unsafe-inline'.
//
// meta: per particle [size px, colour index, shape index, life ms, keyframe count];
// frames: per keyframe [offset, x px, y px, angle rad, opacity]; kinds: per shape 0 square,
// 1 circle, 2 text (emoji), 3 image, with texts[shape] its text or URL.
export function fly(layer, meta, frames, colors, kinds, texts, most) {
  const count = meta.length / 5;
  // Bursts beyond `most` particles in flight: the oldest go first.
  let flying = 0;
  for (const b of layer.children) flying += b.childElementCount;
  while (flying + count > most && layer.firstElementChild) {
    flying -= layer.firstElementChild.childElementCount;
    layer.firstElementChild.remove();
  }
  const burst = document.createElement("div");
  burst.className = "burst";
  const animations = [];
  let at = 0, longest = 0, last = null;
  for (let i = 0; i < meta.length; i += 5) {
    const size = meta[i], shape = meta[i + 2], life = meta[i + 3], n = meta[i + 4];
    const kind = kinds[shape];
    const el = document.createElement(kind === 3 ? "img" : "i");
    const s = el.style;
    if (kind === 3) {
      el.src = texts[shape];
      el.alt = "";
      s.width = s.height = size * 1.6 + "px";
      s.left = s.top = -size * 0.8 + "px";
    } else if (kind === 2) {
      el.className = "text";
      el.textContent = texts[shape];
    } else {
      el.className = kind === 1 ? "circle" : "square";
      s.width = s.height = size + "px";
      s.left = s.top = -size / 2 + "px";
      s.background = colors[meta[i + 1]];
    }
    const keyframes = new Array(n);
    for (let k = 0; k < n; k++, at += 5) {
      keyframes[k] = {
        offset: frames[at],
        opacity: frames[at + 4],
        transform: `translate(${frames[at + 1]}px,${frames[at + 2]}px) rotate(${frames[at + 3]}rad) scaleY(.6)`,
      };
    }
    burst.append(el);
    animations.push([el, keyframes, life]);
  }
  layer.append(burst);
  for (const [el, keyframes, life] of animations) {
    const a = el.animate(keyframes, { duration: life, fill: "forwards" });
    if (life >= longest) { longest = life; last = a; }
  }
  // The burst's end: its elements go, and the layer leaves the top layer when it was the last.
  const end = () => {
    burst.remove();
    if (!layer.firstElementChild && layer.matches(":popover-open")) layer.hidePopover();
  };
  if (last) last.finished.then(end, end); else end();
}
