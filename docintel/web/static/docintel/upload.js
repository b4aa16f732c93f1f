// Upload many files through the REST API (session cookie + CSRF header), one progress bar per file,
// then poll each document's status until it settles. Three uploads run at a time.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const api = form.dataset.api;
  const maxBytes = Number(form.dataset.maxMb) * 1024 * 1024;
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const input = document.getElementById("files");
  const zone = document.getElementById("drop-zone");
  const button = document.getElementById("upload-button");
  const selection = document.getElementById("selection");
  const tbody = document.querySelector("#uploads tbody");
  const LABELS = { queued: "waiting", running: "working", done: "done", failed: "failed", skipped: "not needed" };
  let chosen = [];

  function choose(files) {
    chosen = Array.from(files);
    button.disabled = chosen.length === 0;
    selection.textContent = chosen.length ? chosen.length + " file" + (chosen.length > 1 ? "s" : "") + " chosen: " +
      chosen.slice(0, 3).map(f => f.name).join(", ") + (chosen.length > 3 ? "…" : "") : "No files chosen.";
  }
  input.addEventListener("change", () => choose(input.files));
  ["dragenter", "dragover"].forEach(type => zone.addEventListener(type, e => { e.preventDefault(); zone.classList.add("dragging"); }));
  ["dragleave", "drop"].forEach(type => zone.addEventListener(type, e => { e.preventDefault(); zone.classList.remove("dragging"); }));
  zone.addEventListener("drop", e => choose(e.dataTransfer.files));

  function row(file) {
    document.getElementById("nothing-yet").hidden = true;
    const tr = document.createElement("tr");
    const name = document.createElement("td");
    name.textContent = file.name;
    const up = document.createElement("td");
    const bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    const note = document.createElement("span");
    note.className = "muted";
    up.append(bar, note);
    const processing = document.createElement("td");
    processing.textContent = "–";
    tr.append(name, up, processing);
    tbody.append(tr);
    return { tr, name, bar, note, processing };
  }

  function send(file, view) {
    return new Promise(resolve => {
      if (file.size > maxBytes) { view.note.textContent = " too large (limit " + form.dataset.maxMb + " MB)"; return resolve(null); }
      const data = new FormData();
      data.append("file", file);
      data.append("kind", document.getElementById("kind").value);
      data.append("schema", document.getElementById("schema").value);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", api);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", e => { if (e.lengthComputable) view.bar.value = Math.round(100 * e.loaded / e.total); });
      xhr.addEventListener("load", () => {
        let body = {};
        try { body = JSON.parse(xhr.responseText); } catch (err) { /* not JSON */ }
        if (xhr.status === 202) {
          view.bar.value = 100;
          view.note.textContent = body.created === false ? " already uploaded earlier" : " uploaded";
          const link = document.createElement("a");
          link.href = "/documents/" + body.id + "/";
          link.textContent = file.name;
          view.name.replaceChildren(link);
          resolve(body);
        } else {
          view.note.textContent = " " + ((body.error && body.error.message) || ("failed (HTTP " + xhr.status + ")"));
          view.tr.classList.add("failed");
          resolve(null);
        }
      });
      xhr.addEventListener("error", () => { view.note.textContent = " connection lost"; resolve(null); });
      xhr.send(data);
    });
  }

  function showStages(view, doc) {
    const chips = document.createElement("span");
    chips.className = "stage-chips";
    Object.entries(doc.stages || {}).forEach(([name, stage]) => {
      const chip = document.createElement("span");
      chip.className = "chip " + stage.status;
      chip.textContent = name + ": " + (LABELS[stage.status] || stage.status);
      if (stage.reason) chip.title = stage.reason;
      chips.append(chip);
    });
    view.processing.replaceChildren(chips);
  }

  function poll(view, accepted) {
    fetch(accepted.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(r => r.ok ? r.json() : Promise.reject(r.status))
      .then(doc => {
        showStages(view, doc);
        if (doc.status !== "done" && doc.status !== "failed") setTimeout(() => poll(view, accepted), 2000);
      })
      .catch(() => setTimeout(() => poll(view, accepted), 5000));
  }

  form.addEventListener("submit", async e => {
    e.preventDefault();
    const queue = chosen.map(file => ({ file, view: row(file) }));
    choose([]);
    input.value = "";
    const worker = async () => {
      while (queue.length) {
        const { file, view } = queue.shift();
        const accepted = await send(file, view);
        if (accepted) poll(view, accepted);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  });
})();
