// The results page shows the selfie with the face that was used boxed, from the copy
// this browser kept (selfie.js, sessionStorage of this tab): the server keeps none.
(function () {
  "use strict";
  const card = document.getElementById("used-face");
  const forget = document.querySelector("form[data-forget-selfie]");
  const key = (token) => "selfie:" + token;
  if (forget) {
    forget.addEventListener("submit", () => {
      const token = card ? card.dataset.token : "";
      try { sessionStorage.removeItem(key(token)); } catch (error) { /* storage off */ }
    });
  }
  if (!card) return;
  let copy = null;
  try { copy = sessionStorage.getItem(key(card.dataset.token)); } catch (error) { return; }
  if (!copy) return;  // another tab or browser: the text alone
  const [left, top, width, height] = card.dataset.box.split(",").map(Number);
  const box = card.querySelector(".used-face-box");
  Object.assign(box.style, { left: left + "%", top: top + "%", width: width + "%", height: height + "%" });
  document.getElementById("used-face-img").src = copy;
  card.hidden = false;
})();
