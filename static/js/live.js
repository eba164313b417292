// The event page's live figures: polled every 5 seconds while the page is visible.
(function () {
  "use strict";
  const card = document.getElementById("cameras");
  if (!card || !window.fetch) return;
  const state = document.getElementById("live-state");
  const texts = card.dataset;

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, (_, key) => values[key]);
  }

  function show(status) {
    card.querySelectorAll("[data-live]").forEach((cell) => {
      const key = cell.dataset.live;
      if (key === "last_photo_at") {
        cell.textContent = status.last_photo_at
          ? new Date(status.last_photo_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })
          : texts.textNever;
      } else {
        cell.textContent = status[key];
      }
    });
    let message = texts.textKeepingUp;
    if (status.is_behind) {
      // One or several, as the page's language counts them (French: 0 and 1 are one).
      const plural = new Intl.PluralRules(document.documentElement.lang || "en").select(status.waiting);
      message = fill(plural === "one" ? texts.textBehindOne : texts.textBehindOther, status);
    }
    else if (status.waiting && status.minutes_to_catch_up !== null) {
      message = fill(texts.textCatchingUp, { waiting: status.waiting, minutes: Math.max(1, Math.round(status.minutes_to_catch_up)) });
    }
    if (state.textContent !== message) state.textContent = message;
    state.className = status.is_behind ? "warning" : "muted";
  }

  async function poll() {
    if (document.visibilityState === "visible") {
      try {
        const response = await fetch(card.dataset.statusUrl, { headers: { Accept: "application/json" } });
        if (response.ok) show(await response.json());
      } catch (error) { /* offline a moment: the next poll tries again */ }
    }
    setTimeout(poll, 5000);
  }
  setTimeout(poll, 5000);
})();
