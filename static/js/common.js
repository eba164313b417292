// Small behaviours declared in the markup (no inline handlers: the CSP forbids them).
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  document.querySelectorAll("[data-select-on-click]").forEach((input) => {
    input.addEventListener("click", () => input.select());
  });
  // Filter panels: closed on phones (the results come first), open on wider screens.
  if (window.matchMedia("(min-width: 700px)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach((panel) => { panel.open = true; });
  }
  // "Copy link": the clipboard API where the page is a secure context (HTTPS or
  // localhost), else the older copy command on the selected text; the result is said
  // (in the page's language: data-copied, data-copy-failed).
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    const source = document.getElementById(button.dataset.copy);
    const status = document.getElementById(button.dataset.copyStatus);
    const say = (text) => { if (status) status.textContent = text; };
    button.addEventListener("click", async () => {
      try {
        if (navigator.clipboard && window.isSecureContext) {
          await navigator.clipboard.writeText(source.value);
        } else {
          source.select();
          if (!document.execCommand("copy")) throw new Error("copy refused");
        }
        say(button.dataset.copied || "Link copied.");
      } catch (error) {
        source.select();
        say(button.dataset.copyFailed || "Could not copy: the link is selected, press Ctrl+C (or ⌘C) to copy it.");
      }
    });
  });
})();
