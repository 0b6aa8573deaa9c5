// The compositor half of the confetti (see confetti.rs). Rust computes every particle's flight
// when a burst starts; this builds the burst's elements and gives each two animations through
// the Web Animations API — `transform` (across, the spin and the paper's tilt) with `opacity`,
// and `translate` (the arc) — of a few keyframes whose cubic-bezier easings follow the
// simulated path. Both are animated by the browser's compositor by itself: until the burst
// ends, the main thread does nothing for it. Creating the animations is work too, so it is
// spread over frames (at most SLICE_MS per frame), every animation started at the burst's
// start time so the late ones are where they would be. Styles go through CSSOM properties
// only: nothing here needs a Content-Security-Policy's 'unsafe-inline'.
//
// data: per particle [size px, colour index, shape index, life ms, then X_KEYS × (offset, x,
// angle, opacity, easing a, b), then Y_KEYS × (offset, y, easing a, b)]; kinds: per shape 0 square,
// 1 circle, 2 text (emoji), 3 image, with texts[shape] its text or URL.
const X_KEYS = 4, Y_KEYS = 5;
const STRIDE = 4 + 6 * X_KEYS + 4 * Y_KEYS;
const SLICE_MS = 4;

const ease = (a, b) => `cubic-bezier(.3333,${a},.6667,${b})`;

export function fly(layer, data, colors, kinds, texts, most) {
  const count = data.length / STRIDE;
  // Bursts beyond `most` particles in flight: the oldest go first.
  let flying = 0;
  for (const b of layer.children) flying += b.childElementCount;
  while (flying + count > most && layer.firstElementChild) {
    flying -= layer.firstElementChild.childElementCount;
    layer.firstElementChild.remove();
  }
  const burst = document.createElement("div");
  burst.className = "burst";
  layer.append(burst);
  const start = document.timeline.currentTime;
  let longest = 0, last = null, next = 0;
  const slice = () => {
    const until = performance.now() + SLICE_MS;
    for (; next < count && (next % 16 || performance.now() < until); next++) {
      const i = next * STRIDE;
      const size = data[i], shape = data[i + 2], life = data[i + 3];
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
        s.background = colors[data[i + 1]];
      }
      burst.append(el);
      const x = { transform: [], opacity: [], offset: [], easing: [] };
      for (let k = 0, j = i + 4; k < X_KEYS; k++, j += 6) {
        x.offset.push(data[j]);
        x.transform.push(`translateX(${data[j + 1]}px) rotate(${data[j + 2]}rad) scaleY(.6)`);
        x.opacity.push(data[j + 3]);
        x.easing.push(ease(data[j + 4], data[j + 5]));
      }
      const y = { translate: [], offset: [], easing: [] };
      for (let k = 0, j = i + 4 + 6 * X_KEYS; k < Y_KEYS; k++, j += 4) {
        y.offset.push(data[j]);
        y.translate.push(`0px ${data[j + 1]}px`);
        y.easing.push(ease(data[j + 2], data[j + 3]));
      }
      const timing = { duration: life, fill: "forwards" };
      const a = el.animate(x, timing);
      el.animate(y, timing).startTime = start;
      a.startTime = start;
      if (life >= longest) { longest = life; last = a; }
    }
    if (next < count) return requestAnimationFrame(slice);
    // The burst's end: its elements go, and the layer leaves the top layer when it was the last.
    const end = () => {
      burst.remove();
      if (!layer.firstElementChild && layer.matches(":popover-open")) layer.hidePopover();
    };
    if (last) last.finished.then(end, end); else end();
  };
  slice();
}
