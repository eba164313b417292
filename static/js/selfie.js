// Selfie by file or by the device camera (front camera, preview, retake).
// The picture only goes into the form's file input; nothing is sent until submit.
(function () {
  "use strict";
  const input = document.getElementById("id_selfie");
  if (!input) return;
  const nameLabel = document.getElementById("selfie-name");
  const camera = document.getElementById("camera");
  const video = document.getElementById("camera-video");
  const canvas = document.getElementById("camera-canvas");
  const still = document.getElementById("camera-still");
  const shoot = document.getElementById("camera-shoot");
  const retake = document.getElementById("camera-retake");
  const openButton = document.getElementById("camera-open");
  const picker = document.getElementById("picker-buttons");
  // Events that ask for camera selfies: the page's ticket goes only with a picture
  // taken here (faces/camera.py), never with a chosen file.
  const ticket = document.getElementById("capture-ticket");
  let stream = null;

  // A small copy of the chosen selfie stays in this tab only (sessionStorage), for the
  // results page to show which face was used (used-face.js); it is never uploaded
  // apart from the selfie itself, and "Forget my search" or closing the tab drops it.
  const token = (location.pathname.match(/\/e\/([^/]+)\//) || [])[1] || "";
  function keepCopy(file) {
    if (!window.createImageBitmap || !file) return;
    createImageBitmap(file).then((bitmap) => {
      const side = 320 / Math.max(bitmap.width, bitmap.height);
      const scale = Math.min(1, side);
      const small = document.createElement("canvas");
      small.width = Math.round(bitmap.width * scale);
      small.height = Math.round(bitmap.height * scale);
      small.getContext("2d").drawImage(bitmap, 0, 0, small.width, small.height);
      try {
        sessionStorage.setItem("selfie:" + token, small.toDataURL("image/jpeg", 0.8));
      } catch (error) { /* storage full or off: the results page shows the text alone */ }
    }).catch(() => {});
  }

  input.addEventListener("change", () => {
    // Only a person choosing a file fires this (the camera sets the files in code).
    nameLabel.textContent = input.files.length ? nameLabel.dataset.selected + " " + input.files[0].name : "";
    if (ticket) ticket.value = "";
    keepCopy(input.files[0]);
  });

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    openButton.hidden = true;  // no camera API (or not https): file upload still works
    const noCamera = document.getElementById("no-camera");
    if (noCamera) noCamera.hidden = false;  // ...unless the event takes camera selfies only
  }

  function stop() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
  }

  openButton.addEventListener("click", async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 960 } }, audio: false,
      });
    } catch (error) {
      nameLabel.textContent = nameLabel.dataset.noCamera;
      return;
    }
    shoot.disabled = true;  // until the first frame arrives
    video.srcObject = stream;
    camera.hidden = false;
    picker.hidden = true;  // on a phone they would sit under the open camera
    video.hidden = false;
    still.hidden = true;
    shoot.hidden = false;
    retake.hidden = true;
  });

  video.addEventListener("loadeddata", () => { shoot.disabled = false; });

  shoot.addEventListener("click", () => {
    if (!video.videoWidth) return;
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob((blob) => {
      const file = new File([blob], "selfie.jpg", { type: "image/jpeg" });
      const transfer = new DataTransfer();
      transfer.items.add(file);
      input.files = transfer.files;
      keepCopy(file);
      if (ticket) ticket.value = ticket.dataset.ticket;
      still.src = URL.createObjectURL(blob);
      still.hidden = false;
      video.hidden = true;
      shoot.hidden = true;
      retake.hidden = false;
      nameLabel.textContent = nameLabel.dataset.taken;
      stop();
    }, "image/jpeg", 0.92);
  });

  retake.addEventListener("click", () => openButton.click());
  document.getElementById("camera-close").addEventListener("click", () => {
    stop();
    camera.hidden = true;
    picker.hidden = false;
    openButton.focus();
  });

  const consent = document.getElementById("id_consent");
  const consentError = document.getElementById("consent-error");
  if (consent && consentError) {
    consent.addEventListener("change", () => {
      if (!consent.checked) return;
      consentError.hidden = true;
      consent.removeAttribute("aria-invalid");
    });
  }

  document.getElementById("selfie-form").addEventListener("submit", (event) => {
    // An unticked consent box is answered here, not by the server: the page it would
    // send back cannot hold the chosen or taken selfie, and the guest would start over.
    if (consent && consentError && !consent.checked) {
      event.preventDefault();
      consentError.textContent = consentError.dataset.message;
      consentError.hidden = false;
      consent.setAttribute("aria-invalid", "true");
      consent.focus();
      return;
    }
    const button = document.getElementById("search-button");
    button.disabled = true;
    button.textContent = button.dataset.searching;
  });
  input.form.dataset.ready = "true";  // lets browser tests wait for the script
})();
