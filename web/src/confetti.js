// The compositor half of the confetti (see confetti.rs). Rust computes every particle's flight
// when a burst starts; this builds the burst's elements and gives each two animations through
// the Web Animations API — `transform` (across, the spin and the paper's tilt) with `opacity`,
// and `translate` (the arc) — of a few keyframes whose cubic-bezier easings follow the
// simulated path. Both are animated by the browser's compositor by itself: until the burst
// ends, the main thread does nothing for it. The burst is built in one go: spreading it over
// frames was measured to cost twice as much in all (each frame restyled and re-layered the
// pieces added so far). Styles go through CSSOM properties only: nothing here needs a
// Content-Security-Policy's 'unsafe-inline'.
//
// data: per particle [size px, colour index, shape index, life ms, then X_KEYS × (offset, x,
// angle, opacity, easing a, b), then Y_KEYS × (offset, y, easing a, b)]; kinds: per shape 0 square,
// 1 circle, 2 text (emoji), 3 image, with texts[shape] its text or URL.
const X_KEYS = 4, Y_KEYS = 5;
const STRIDE = 4 + 6 * X_KEYS + 4 * Y_KEYS;

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
  // Every animation of the burst lasts as long as its longest flight (a shorter one holds its
  // last, invisible keyframe): they all finish together, in one main-thread frame, instead of
  // one frame per particle as each finishes.
  let duration = 0;
  for (let i = 3; i < data.length; i += STRIDE) duration = Math.max(duration, data[i]);
  const timing = { duration, fill: "forwards" };
  let last = null;
  for (let n = 0; n < count; n++) {
    const i = n * STRIDE;
    const shape = data[i + 2], life = data[i + 3], part = life / duration;
    const kind = kinds[shape];
    // Pieces are 10 px boxes (the stylesheet's), sized by the animation's scale: no per-piece
    // layout style to set.
    const size = kind === 2 ? "" : ` scale(${data[i] / 10})`;
    const el = document.createElement(kind === 3 ? "img" : "i");
    if (kind === 3) {
      el.src = texts[shape];
      el.alt = "";
    } else if (kind === 2) {
      el.className = "text";
      el.textContent = texts[shape];
    } else {
      el.className = kind === 1 ? "circle" : "square";
      el.style.background = colors[data[i + 1]];
    }
    burst.append(el);
    const x = { transform: [], opacity: [], offset: [], easing: [] };
    for (let k = 0, j = i + 4; k < X_KEYS; k++, j += 6) {
      x.offset.push(data[j] * part);
      x.transform.push(`translateX(${data[j + 1]}px) rotate(${data[j + 2]}rad)${size} scaleY(.6)`);
      x.opacity.push(data[j + 3]);
      x.easing.push(ease(data[j + 4], data[j + 5]));
    }
    const y = { translate: [], offset: [], easing: [] };
    for (let k = 0, j = i + 4 + 6 * X_KEYS; k < Y_KEYS; k++, j += 4) {
      y.offset.push(data[j] * part);
      y.translate.push(`0px ${data[j + 1]}px`);
      y.easing.push(ease(data[j + 2], data[j + 3]));
    }
    if (part < 1) {
      for (const track of [x, y]) {
        for (const key in track) track[key].push(track[key][track[key].length - 1]);
        track.offset[track.offset.length - 1] = 1;
      }
    }
    el.animate(y, timing);
    last = el.animate(x, timing);
  }
  // The burst's end (all its animations end together): its elements go, and the layer leaves
  // the top layer when it was the last.
  const end = () => {
    burst.remove();
    if (!layer.firstElementChild && layer.matches(":popover-open")) layer.hidePopover();
  };
  if (last) last.finished.then(end, end); else end();
}
