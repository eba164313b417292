// People pages: select many faces or people (click, Shift+click for a range, Space on a
// checkbox), a live count of the selection, and one-key answers to "The same person?".
(function () {
  "use strict";

  // Shift+click selects every checkbox between the last one clicked and this one.
  document.querySelectorAll("[data-range-select]").forEach((container) => {
    const boxes = () => Array.from(container.querySelectorAll('input[type="checkbox"]'));
    let last = null;
    container.addEventListener("click", (event) => {
      const box = event.target.closest('input[type="checkbox"]');
      if (!box) return;
      const all = boxes();
      if (event.shiftKey && last && last !== box) {
        const [from, to] = [all.indexOf(last), all.indexOf(box)].sort((a, b) => a - b);
        all.slice(from, to + 1).forEach((other) => { other.checked = box.checked; });
      }
      last = box;
      count();
    });
    container.addEventListener("change", count);
  });

  // "3 selected.", said to screen readers too (role=status on the element).
  function count() {
    const status = document.getElementById("selection-count");
    if (!status) return;
    const chosen = document.querySelectorAll('[data-range-select] input[type="checkbox"]:checked').length;
    status.textContent = chosen ? status.dataset.some.replace("{count}", chosen) : status.dataset.none;
    document.querySelectorAll("[data-range-select] li").forEach((tile) => {
      const box = tile.querySelector('input[type="checkbox"]');
      tile.classList.toggle("selected", Boolean(box && box.checked));
    });
    // The bar with "Merge" or "Move" follows the scroll only once something is
    // selected: before that it would cover a phone's photos for nothing.
    document.querySelectorAll(".sticky-actions").forEach((bar) => {
      bar.classList.toggle("has-selection", chosen > 0);
    });
  }
  count();

  // One key per answer (Y, N, S) on "The same person?", unless typing in a field.
  const keyed = Array.from(document.querySelectorAll("button[data-key]"));
  if (keyed.length) {
    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.target.closest("input, textarea, select")) return;
      const button = keyed.find((candidate) => candidate.dataset.key === event.key.toLowerCase());
      if (button) {
        event.preventDefault();
        button.click();
      }
    });
  }
})();
