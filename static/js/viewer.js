// Full-size viewer for a gallery: click a photo, arrows or swipe to move, Esc to close.
// A modal dialog for keyboards and screen readers too: focus moves into it, Tab stays
// inside it, and closing returns focus to the photo it was opened from.
(function () {
  "use strict";
  const viewer = document.getElementById("viewer");
  if (!viewer) return;
  // Read at each opening: a live results page replaces its gallery as photos arrive.
  let links = [];
  const image = viewer.querySelector("img");
  const caption = viewer.querySelector(".viewer-caption");
  const download = viewer.querySelector("a[download]");
  let index = 0;
  let opener = null;

  function open(i) {
    opener = document.activeElement;
    show(i);
    viewer.querySelector(".viewer-close").focus();
  }

  function show(i) {
    index = (i + links.length) % links.length;
    const link = links[index];
    image.src = link.href;
    const marked = link.dataset.you ? " · " + (viewer.dataset.youText || "") : "";
    caption.textContent = `${index + 1} / ${links.length} · ${link.dataset.caption}${marked}`;
    download.href = link.dataset.download;
    markYou(link.dataset.you);
    viewer.hidden = false;
    document.body.classList.add("no-scroll");
  }

  // The attendee's own face, pointed out (results pages give its place in percent).
  const you = viewer.querySelector(".viewer-you");
  function markYou(box) {
    if (!you) return;
    you.hidden = !box;
    if (!box) return;
    const [left, top, width, height] = box.split(",").map(Number);
    Object.assign(you.style, { left: left + "%", top: top + "%", width: width + "%", height: height + "%" });
  }

  function close() {
    viewer.hidden = true;
    image.removeAttribute("src");
    document.body.classList.remove("no-scroll");
    if (opener && opener.focus) opener.focus();
  }

  function keepFocusInside(event) {
    const stops = Array.from(viewer.querySelectorAll("button, a[href]"));
    const first = stops[0];
    const last = stops[stops.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    } else if (!viewer.contains(document.activeElement)) {
      event.preventDefault();
      first.focus();
    }
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest(".viewer-link");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    links = Array.from(document.querySelectorAll(".viewer-link"));
    open(links.indexOf(link));
  });
  viewer.querySelector(".viewer-close").addEventListener("click", close);
  viewer.querySelector(".viewer-prev").addEventListener("click", () => show(index - 1));
  viewer.querySelector(".viewer-next").addEventListener("click", () => show(index + 1));
  viewer.addEventListener("click", (event) => { if (event.target === viewer) close(); });
  document.addEventListener("keydown", (event) => {
    if (viewer.hidden) return;
    if (event.key === "Escape") close();
    if (event.key === "Tab") keepFocusInside(event);
    if (event.key === "ArrowLeft") show(index - 1);
    if (event.key === "ArrowRight") show(index + 1);
  });
  let touchX = null;
  viewer.addEventListener("touchstart", (event) => { touchX = event.touches[0].clientX; });
  viewer.addEventListener("touchend", (event) => {
    if (touchX === null) return;
    const dx = event.changedTouches[0].clientX - touchX;
    if (Math.abs(dx) > 50) show(index + (dx < 0 ? 1 : -1));
    touchX = null;
  });
})();
