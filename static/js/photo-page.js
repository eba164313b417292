// The organiser's photo page: ← and → (and a swipe on the photo) go to the previous
// and next photo of the album, as in a photo app. Keys typed into a field, or with a
// modifier (browser shortcuts), are left alone.
(function () {
  "use strict";
  const previous = document.getElementById("photo-prev");
  const next = document.getElementById("photo-next");
  function go(link) { if (link) window.location.href = link.href; }

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    if (event.key === "ArrowLeft") go(previous);
    if (event.key === "ArrowRight") go(next);
  });

  const figure = document.getElementById("photo-figure");
  if (!figure) return;
  let startX = null;
  let startY = null;
  figure.addEventListener("touchstart", (event) => {
    startX = event.touches[0].clientX;
    startY = event.touches[0].clientY;
  }, { passive: true });
  figure.addEventListener("touchend", (event) => {
    if (startX === null) return;
    const dx = event.changedTouches[0].clientX - startX;
    const dy = event.changedTouches[0].clientY - startY;
    startX = null;
    // A clear sideways swipe, not a scroll.
    if (Math.abs(dx) > 60 && Math.abs(dx) > 2 * Math.abs(dy)) go(dx < 0 ? next : previous);
  });
  document.body.dataset.photoKeys = "ready";  // lets browser tests wait for the script
})();
