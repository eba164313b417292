// Admin review grid: select faces by click or keyboard, hide them in one go.
(function () {
  const select = document.querySelector("[data-submit-on-change]");
  if (select) select.addEventListener("change", () => select.form.submit());
  const grid = document.getElementById("review-grid");
  if (!grid) return;
  const items = Array.from(grid.querySelectorAll("li"));
  const counter = document.getElementById("selected-count");
  function toggle(item) {
    const box = item.querySelector("input");
    box.checked = !box.checked;
    item.classList.toggle("selected", box.checked);
    counter.textContent = grid.querySelectorAll("input:checked").length;
  }
  function columns() {
    return Math.max(1, Math.round(grid.clientWidth / (items[0] ? items[0].offsetWidth + 8 : 120)));
  }
  items.forEach((item, index) => {
    item.addEventListener("click", () => toggle(item));
    item.addEventListener("keydown", (event) => {
      const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns(), ArrowUp: -columns() };
      if (event.key === " " || event.key === "Enter") { event.preventDefault(); toggle(item); }
      else if (moves[event.key] !== undefined) {
        event.preventDefault();
        const next = items[Math.min(items.length - 1, Math.max(0, index + moves[event.key]))];
        next.focus();
      } else if (event.key === "h" || event.key === "H") { document.getElementById("review-form").submit(); }
    });
  });
  if (items[0]) items[0].focus();
})();
