// The live wall: the newest photos in turn, new arrivals first; the list is asked for
// again every 10 seconds, so a photo whose face was hidden leaves at the next ask.
(function () {
  "use strict";
  const stage = document.getElementById("wall");
  const image = document.getElementById("wall-photo");
  const waiting = document.getElementById("wall-waiting");
  const stopped = document.getElementById("wall-stopped");
  let photos = [];
  let shown = new Set();
  let queue = [];
  let timer = null;

  async function poll() {
    try {
      const response = await fetch(stage.dataset.photosUrl, { credentials: "same-origin" });
      const data = await response.json();
      if (data.stopped) {
        image.hidden = true;
        waiting.hidden = true;
        stopped.hidden = false;
        clearTimeout(timer);
        return;
      }
      photos = data.photos;
      // New arrivals go to the front of the queue; photos no longer allowed leave it.
      const fresh = photos.filter((url) => !shown.has(url));
      queue = fresh.concat(queue.filter((url) => photos.includes(url) && !fresh.includes(url)));
      if (!image.src || !photos.includes(image.getAttribute("src"))) next();
    } catch (error) { /* a moment offline: keep showing, try again */ }
    setTimeout(poll, 10000);
  }

  function next() {
    clearTimeout(timer);
    if (!queue.length) queue = photos.slice();
    const url = queue.shift();
    waiting.hidden = Boolean(url);
    if (url) {
      image.src = url;
      image.hidden = false;
      shown.add(url);
    } else {
      image.hidden = true;
      image.removeAttribute("src");
    }
    timer = setTimeout(next, Number(stage.dataset.seconds) * 1000);
  }

  poll();
  stage.dataset.ready = "true";
})();
