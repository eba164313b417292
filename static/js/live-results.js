// A guest's results during a live event. A registered guest's photos are searched
// again with every page load: the page reloads its gallery quietly every 20 seconds
// and says how many new photos of them arrived. An anonymous search (its selfie was
// not kept) is told how many photos arrived since, with a link to search again.
(function () {
  "use strict";
  const live = document.getElementById("live-results");
  if (!live || !window.fetch || !window.DOMParser) return;
  const texts = live.dataset;
  const announce = document.getElementById("live-announce");
  const plurals = new Intl.PluralRules(document.documentElement.lang || "en");
  const EVERY_MS = 20000;

  function say(one, other, count) {
    return (plurals.select(count) === "one" ? one : other).replace("{count}", count);
  }

  function found(root) {
    const photos = Array.from(root.querySelectorAll(".gallery .viewer-link")).map((a) => a.getAttribute("href"));
    const faces = Array.from(root.querySelectorAll(".candidate img")).map((img) => img.getAttribute("src"));
    return { photos: new Set(photos), key: photos.join() + "|" + faces.join() };
  }

  async function refresh() {
    const viewer = document.getElementById("viewer");
    if (viewer && !viewer.hidden) return;  // not under the guest's eyes: after they close it
    const response = await fetch(location.href, { headers: { "X-Live-Refresh": "1" }, credentials: "same-origin" });
    if (!response.ok || response.redirected) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    const before = found(document);
    const after = found(fresh);
    if (before.key === after.key) return;
    const added = Array.from(after.photos).filter((href) => !before.photos.has(href)).length;
    for (const selector of [".pagehead", "#results-body", "#questions"]) {
      const mine = document.querySelector(selector);
      const theirs = fresh.querySelector(selector);
      if (Boolean(mine) !== Boolean(theirs)) {
        location.reload();  // the page changes shape (first photo, last question): reload
        return;
      }
      if (mine) mine.replaceWith(document.importNode(theirs, true));
    }
    if (added) announce.textContent = say(texts.textNewOne, texts.textNewOther, added);
  }

  async function arrivals() {
    const response = await fetch(texts.arrivalsUrl, { credentials: "same-origin" });
    if (!response.ok) return;
    const status = await response.json();
    if (!status.new_photos) return;
    const notice = document.getElementById("arrivals-notice");
    const text = say(texts.textArrivedOne, texts.textArrivedOther, status.new_photos);
    const span = document.getElementById("arrivals-text");
    if (span.textContent !== text) {
      span.textContent = text;
      notice.hidden = false;
      announce.textContent = text;
    }
  }

  async function tick() {
    if (document.visibilityState === "visible") {
      try {
        await (texts.mode === "refresh" ? refresh() : arrivals());
      } catch (error) { /* offline a moment: the next tick tries again */ }
    }
    setTimeout(tick, Number(live.dataset.everyMs || EVERY_MS));
  }
  setTimeout(tick, Number(live.dataset.everyMs || EVERY_MS));
  live.dataset.ready = "true";
})();
