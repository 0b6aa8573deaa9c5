/*! Cairn's confetti frame. A page embedding Cairn from another origin cannot start a worker
 * from Cairn's URL, so the widget puts this frame (Cairn's origin) over the page, click-through
 * and transparent: the frame starts the confetti worker (confetti-worker.js) and hands it its
 * canvas. The page posts bursts and image bitmaps here; the worker answers each burst's end with
 * its number, passed back to the page. The frame draws nothing on the page's main thread, and
 * takes messages from the page that framed it only. */
(function () {
  var canvas = document.querySelector("canvas");
  var worker = new Worker("confetti-worker.js");
  var offscreen = canvas.transferControlToOffscreen();
  worker.postMessage({ canvas: offscreen }, [offscreen]);
  worker.onmessage = function (e) { parent.postMessage(e.data, "*"); };
  worker.onerror = function (e) { parent.postMessage("the confetti worker failed: " + e.message, "*"); };
  addEventListener("message", function (e) {
    if (e.source !== parent) return;
    var bitmap = e.data && e.data.bitmap;
    worker.postMessage(e.data, bitmap ? [bitmap] : []);
  });
  parent.postMessage("ready", "*");
})();
