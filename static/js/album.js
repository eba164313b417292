// Album page: parallel uploads with per-file and overall progress, and live
// processing progress (polled) without reloading the page.
(function () {
  "use strict";
  const PARALLEL = 3;
  const uploader = document.getElementById("uploader");
  const CHUNK = Number(uploader.dataset.chunkBytes) || 8 * 1024 * 1024;
  const RETRIES = 8;  // automatic resumes after a dropped connection, before asking
  const progressBox = document.getElementById("progress");
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const list = document.getElementById("upload-list");
  const queue = [];
  let active = 0;
  let totals = { bytes: 0, sent: 0, files: 0, finished: 0, rejected: 0, duplicates: 0, added: 0 };
  // The texts come from the page (data-text-* of the two sections), in its language;
  // {name} in them is replaced by the value of that name.
  const texts = { ...uploader.dataset, ...progressBox.dataset };
  function t(key, values) {
    const text = texts["text" + key.replace(/(^|-)(\w)/g, (m, dash, letter) => letter.toUpperCase())];
    return (text || key).replace(/\{(\w+)\}/g, (m, name) => (values && name in values ? values[name] : m));
  }
  const language = document.documentElement.lang || undefined;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function addFiles(files) {
    for (const file of files) {
      const row = el("li", "upload-row");
      const name = el("span", "name", file.name);
      const bar = el("div", "bar small");
      const fill = el("span");
      bar.appendChild(fill);
      const status = el("span", "status muted", t("waiting"));
      row.append(name, bar, status);
      list.prepend(row);
      const item = { file, row, fill, status, sent: 0 };
      totals.bytes += file.size;
      totals.files += 1;
      queue.push(item);
    }
    document.getElementById("upload-summary").hidden = false;
    updateOverall();
    pump();
  }

  function pump() {
    while (active < PARALLEL && queue.length) {
      active += 1;
      send(queue.shift());
    }
  }

  function send(item) {
    if (item.file.size > CHUNK) return sendInPieces(item);
    const form = new FormData();
    form.append("files", item.file, item.file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", uploader.dataset.uploadUrl);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    item.status.textContent = t("uploading");
    item.row.className = "upload-row uploading";
    xhr.upload.onprogress = (event) => {
      if (!event.lengthComputable) return;
      totals.sent += event.loaded - item.sent;
      item.sent = event.loaded;
      item.fill.style.width = (100 * event.loaded / event.total).toFixed(1) + "%";
      updateOverall();
    };
    xhr.onload = () => finish(item, xhr);
    xhr.onerror = () => fail(item, t("network-error"));
    xhr.ontimeout = () => fail(item, t("timed-out"));
    xhr.send(form);
  }

  function finish(item, xhr) {
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
    if (xhr.status !== 200 || !body || !body.results) {
      const reason = body && body.error ? body.error : t("server-answered", { status: xhr.status });
      return fail(item, reason);
    }
    done(item, body.results);
  }

  // --- big files: resumable, piece by piece (photos/chunked.py) ----------------
  // The file is declared once (its token is kept in this browser, so choosing the
  // same file again after a reload resumes it), then sent in pieces; after a dropped
  // connection the server says how much it has and only the rest is sent.
  function resumeKey(file) {
    return ["upload", uploader.dataset.uploadUrl, file.name, file.size, file.lastModified].join(":");
  }

  function request(method, url, body, headers, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      for (const [name, value] of Object.entries(headers || {})) xhr.setRequestHeader(name, value);
      if (onProgress) xhr.upload.onprogress = (event) => onProgress(event.loaded);
      xhr.onload = () => {
        let json = null;
        try { json = JSON.parse(xhr.responseText); } catch (e) { json = null; }
        resolve({ status: xhr.status, body: json || {} });
      };
      xhr.onerror = () => reject(new Error("network"));
      xhr.ontimeout = () => reject(new Error("timeout"));
      xhr.send(body);
    });
  }

  async function startPieces(item) {
    const saved = localStorage.getItem(resumeKey(item.file));
    if (saved) {
      const answer = await request("GET", `/uploads/${saved}/`);
      if (answer.status === 200) return { token: saved, ...answer.body };
    }
    const form = new FormData();
    form.append("name", item.file.name);
    form.append("size", item.file.size);
    const answer = await request("POST", uploader.dataset.chunkedUrl, form);
    if (answer.status !== 201) throw new Error(answer.body.error || t("server-answered", { status: answer.status }));
    localStorage.setItem(resumeKey(item.file), answer.body.token);
    return answer.body;
  }

  function setSent(item, bytes) {
    totals.sent += bytes - item.sent;
    item.sent = bytes;
    item.fill.style.width = (100 * bytes / item.file.size).toFixed(1) + "%";
    updateOverall();
  }

  async function sendInPieces(item, attempt = 0) {
    item.status.textContent = attempt ? t("resuming", { attempt: attempt + 1 }) : t("uploading");
    item.row.className = "upload-row uploading";
    let state;
    try {
      state = await startPieces(item);
    } catch (error) {
      if (error.message === "network") return retryPieces(item, attempt);
      return fail(item, error.message === "timeout" ? t("timed-out") : error.message);
    }
    if (state.mode === "s3") return sendToBucket(item, state, attempt);
    let received = state.received;
    setSent(item, received);
    while (true) {
      const piece = item.file.slice(received, received + CHUNK);
      let answer;
      try {
        answer = await request("POST", `/uploads/${state.token}/`, piece,
          { "Upload-Offset": String(received), "Content-Type": "application/octet-stream" },
          (loaded) => setSent(item, received + loaded));
      } catch (error) {
        setSent(item, received);
        return retryPieces(item, attempt);
      }
      if (answer.status === 409) { received = answer.body.received; setSent(item, received); continue; }
      if (answer.status !== 200) {
        localStorage.removeItem(resumeKey(item.file));
        return fail(item, answer.body.error || t("server-answered", { status: answer.status }));
      }
      received = answer.body.received;
      setSent(item, received);
      if (answer.body.results) {
        localStorage.removeItem(resumeKey(item.file));
        return done(item, answer.body.results);
      }
    }
  }

  // --- with S3 storage: the parts go straight to the bucket (photos/direct_uploads.py) ---
  // Each part is PUT to a short-lived URL the server signs; after a dropped connection
  // the server's status lists the parts the bucket has, and only the others are sent.
  // The server completes the upload from the bucket's own list of parts.
  async function sendToBucket(item, state, attempt) {
    const count = Math.max(1, Math.ceil(item.file.size / state.part_size));
    const have = new Set(state.parts);
    let stored = state.received;  // the bytes of the parts the bucket has
    setSent(item, stored);
    for (let number = 1; number <= count; number++) {
      if (have.has(number)) continue;
      const start = (number - 1) * state.part_size;
      const piece = item.file.slice(start, start + state.part_size);
      try {
        const signed = await request("POST", `/uploads/${state.token}/parts/${number}/`);
        if (signed.status !== 200) return giveUp(item, state.token, signed);
        await putPart(signed.body.url, piece, (loaded) => setSent(item, stored + loaded));
      } catch (error) {
        // A drop, or the bucket refused (an expired URL): resume from its list of parts.
        setSent(item, stored);
        return retryPieces(item, attempt);
      }
      stored += piece.size;
      setSent(item, stored);
    }
    let answer;
    try {
      answer = await request("POST", `/uploads/${state.token}/complete/`);
    } catch (error) {
      return retryPieces(item, attempt);
    }
    if (answer.status === 409) return retryPieces(item, attempt);  // parts missing: resend them
    if (answer.status === 503) return fail(item, answer.body.error);  // kept: "Retry" resumes
    localStorage.removeItem(resumeKey(item.file));
    if (answer.status !== 200) return fail(item, answer.body.error || t("server-answered", { status: answer.status }));
    return done(item, answer.body.results);
  }

  function putPart(url, piece, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", url);  // no cookie, no CSRF header: the signature is the permission
      xhr.upload.onprogress = (event) => onProgress(event.loaded);
      xhr.onload = () => (xhr.status === 200 ? resolve() : reject(new Error("bucket " + xhr.status)));
      xhr.onerror = () => reject(new Error("network"));
      xhr.ontimeout = () => reject(new Error("timeout"));
      xhr.send(piece);
    });
  }

  // The server refused this upload for good: the parts in the bucket are deleted.
  function giveUp(item, token, answer) {
    localStorage.removeItem(resumeKey(item.file));
    request("POST", `/uploads/${token}/cancel/`).catch(() => {});  // else the daily clean-up
    return fail(item, answer.body.error || t("server-answered", { status: answer.status }));
  }

  function retryPieces(item, attempt) {
    if (attempt + 1 >= RETRIES) return fail(item, t("keeps-dropping"));
    item.status.textContent = t("connection-lost");
    setTimeout(() => sendInPieces(item, attempt + 1), Math.min(30000, 1000 * 2 ** attempt));
  }

  function done(item, results) {
    active -= 1;
    totals.finished += 1;
    totals.sent += item.file.size - item.sent;  // the last bytes may not report progress
    item.sent = item.file.size;
    item.fill.style.width = "100%";
    const rejected = results.filter((r) => r.status === "rejected");
    const duplicates = results.filter((r) => r.status === "duplicate");
    const added = results.filter((r) => r.status === "added");
    totals.rejected += rejected.length;
    totals.duplicates += duplicates.length;
    totals.added += added.length;
    if (results.length === 1 && results[0].status === "unpacking") {
      item.row.className = "upload-row added";
      item.status.textContent = t("unpacking-below", { reason: results[0].reason });
    } else if (results.length === 1) {
      const result = results[0];
      item.row.className = "upload-row " + result.status;
      item.status.textContent = result.status === "added"
        ? t("uploaded")
        : t("result", { status: t("status-" + result.status), reason: result.reason });
    } else {
      item.row.className = "upload-row " + (rejected.length ? "partial" : "added");
      item.status.textContent = t("file-counts", {
        added: added.length, duplicates: duplicates.length, rejected: rejected.length,
      });
      if (rejected.length) {
        const details = el("ul", "reasons");
        for (const r of rejected) details.appendChild(el("li", "", r.name + ": " + r.reason));
        item.row.appendChild(details);
      }
    }
    updateOverall();
    pollSoon();
    pump();
  }

  function fail(item, reason) {
    active -= 1;
    totals.sent -= item.sent;
    item.sent = 0;
    item.row.className = "upload-row failed";
    item.status.textContent = t("failed", { reason }) + " ";
    const retry = el("button", "link", t("retry"));
    retry.type = "button";
    retry.onclick = () => {
      retry.remove();
      item.status.textContent = t("waiting");
      queue.push(item);
      pump();
    };
    item.status.appendChild(retry);
    updateOverall();
    pump();
  }

  function updateOverall() {
    const percent = totals.bytes ? (100 * totals.sent / totals.bytes) : 0;
    document.getElementById("overall-bar").style.width = percent.toFixed(1) + "%";
    document.getElementById("overall-text").textContent = t("overall", totals);
  }

  // --- drag and drop --------------------------------------------------------
  const dropzone = document.getElementById("dropzone");
  const input = document.getElementById("file-input");
  input.addEventListener("change", () => { addFiles(input.files); input.value = ""; });
  // Files chosen while this script was still loading (slow phones) fired their
  // change event before the listener existed: pick them up now.
  if (input.files.length) { addFiles(input.files); input.value = ""; }
  ["dragenter", "dragover"].forEach((name) => dropzone.addEventListener(name, (event) => {
    event.preventDefault();
    dropzone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((name) => dropzone.addEventListener(name, (event) => {
    event.preventDefault();
    dropzone.classList.remove("over");
  }));
  dropzone.addEventListener("drop", (event) => {
    // A dropped folder arrives as an entry to walk; plain files as a list.
    const entries = Array.from(event.dataTransfer.items || [])
      .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null))
      .filter(Boolean);
    if (entries.some((entry) => entry.isDirectory)) {
      filesIn(entries).then(addFiles);
    } else {
      addFiles(event.dataTransfer.files);
    }
  });

  // --- folders: every photo and zip inside, at any depth (hidden files skipped) ----
  const folderInput = document.getElementById("folder-input");
  if (folderInput) {
    folderInput.addEventListener("change", () => {
      addFiles(Array.from(folderInput.files).filter(wanted));
      folderInput.value = "";
    });
  }

  function wanted(file) {
    const name = (file.webkitRelativePath || file.name).split("/").pop();
    return !name.startsWith(".");
  }

  async function filesIn(entries) {
    const files = [];
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      if (entry.isFile) {
        files.push(await new Promise((resolve, reject) => entry.file(resolve, reject)));
      } else if (entry.isDirectory) {
        files.push(...(await filesIn(await allEntries(entry.createReader()))));
      }
    }
    return files;
  }

  async function allEntries(reader) {
    // readEntries answers in batches (about 100): read until it answers none.
    const all = [];
    while (true) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) return all;
      all.push(...batch);
    }
  }

  // --- processing progress --------------------------------------------------
  let lastDone = null;
  let timer = null;

  function formatEta(seconds) {
    if (seconds === null || seconds === undefined) return t("estimating");
    if (seconds === 0) return t("eta-done");
    if (seconds < 60) return t("under-a-minute");
    const minutes = Math.round(seconds / 60);
    if (minutes < 90) return t("minutes", { minutes });
    const hours = (minutes / 60).toLocaleString(language, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    return t("hours", { hours });
  }

  function render(data) {
    const waiting = data.pending + data.processing;
    document.getElementById("stat-total").textContent = data.total;
    document.getElementById("stat-done").textContent = data.done;
    document.getElementById("stat-waiting").textContent = waiting;
    // What other apps count in photos (faces found...): photos.extensions.
    for (const [name, value] of Object.entries(data.counts || {})) {
      const figure = document.getElementById("stat-" + name);
      if (figure) figure.textContent = value;
    }
    document.getElementById("stat-failed").textContent = data.failed;
    document.getElementById("stat-eta").textContent = data.total ? formatEta(data.eta_seconds) : "–";
    const finished = data.done + data.failed;
    document.getElementById("processing-bar").style.width =
      (data.total ? 100 * finished / data.total : 0).toFixed(1) + "%";
    const failedList = document.getElementById("failed-list");
    failedList.replaceChildren();
    for (const photo of data.failed_photos) {
      const row = el("li", "", photo.name + ": " + photo.error + " ");
      const retry = el("button", "link", t("retry"));
      retry.type = "button";
      retry.onclick = () => retryPhoto(photo.id, retry);
      row.appendChild(retry);
      failedList.appendChild(row);
    }
    document.getElementById("failed-box").hidden = data.failed === 0;
    const unpacking = renderImports(data.imports || []);
    if (finished !== lastDone) {
      lastDone = finished;
      refreshGrid();
    }
    return waiting > 0 || unpacking || active > 0 || queue.length > 0;
  }

  // Zip archives being unpacked by the workers: one line each, with what was left out.
  function renderImports(imports) {
    const box = document.getElementById("import-list");
    box.replaceChildren();
    let unpacking = false;
    for (const job of imports) {
      const running = job.status === "waiting" || job.status === "unpacking";
      unpacking = unpacking || running;
      const state = running
        ? t("import-unpacking", { done: job.done, total: job.total })
        : job.status === "done" ? t("import-done") : t("import-stopped", { error: job.error });
      const row = el("li", "import " + job.status, t("import", { ...job, state }));
      if (job.problems.length) {
        const details = el("ul", "reasons");
        for (const p of job.problems) details.appendChild(el("li", "", p.name + ": " + p.reason));
        row.appendChild(details);
      }
      box.appendChild(row);
    }
    box.hidden = imports.length === 0;
    return unpacking;
  }

  function retryPhoto(id, button) {
    button.disabled = true;
    fetch(`/photos/${id}/retry/`, {
      method: "POST", headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
    }).then(pollSoon);
  }

  function refreshGrid() {
    fetch(progressBox.dataset.gridUrl + window.location.search).then((r) => r.text()).then((html) => {
      document.getElementById("grid-holder").innerHTML = html;
    });
  }

  function poll() {
    timer = null;
    fetch(progressBox.dataset.progressUrl, { headers: { "Accept": "application/json" } })
      .then((r) => r.json())
      .then((data) => { if (render(data)) schedule(2000); })
      .catch(() => schedule(5000));
  }

  function schedule(ms) {
    if (timer === null) timer = setTimeout(poll, ms);
  }

  function pollSoon() {
    if (timer !== null) { clearTimeout(timer); timer = null; }
    schedule(300);
  }

  poll();
  uploader.dataset.ready = "true";  // lets browser tests wait for the script
})();
