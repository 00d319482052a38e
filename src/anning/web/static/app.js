// 安宁 anning — progressive enhancement only: every page works without this file.
// No innerHTML with data: text goes in through textContent.
"use strict";

(function () {
  // --- tap a highlight: show its rule(s) and weight in a small popover -------------------------
  let pop = null;

  function closePop() {
    if (pop) { pop.remove(); pop = null; }
    document.querySelectorAll("a.hl.active").forEach(function (a) { a.classList.remove("active"); });
  }

  function line(cls, text) {
    const p = document.createElement("p");
    if (cls) p.className = cls;
    p.textContent = text;
    return p;
  }

  function showPop(mark) {
    closePop();
    const ids = (mark.dataset.signals || "").split(" ").filter(Boolean);
    pop = document.createElement("div");
    pop.className = "pop";
    pop.setAttribute("role", "dialog");
    const weightWord = document.documentElement.lang === "en" ? "weight" : "分值";
    ids.forEach(function (id) {
      const li = document.getElementById("r-" + id);
      if (!li) return;
      pop.appendChild(line("pop-label", li.dataset.label));
      let meta = li.dataset.rule + " · " + weightWord + " " + li.dataset.weight;
      if (li.dataset.flags) meta += " · " + li.dataset.flags;
      pop.appendChild(line("pop-rule", meta));
    });
    document.body.appendChild(pop);
    const r = mark.getBoundingClientRect();
    const width = pop.offsetWidth;
    let left = window.scrollX + r.left;
    left = Math.max(window.scrollX + 8, Math.min(left, window.scrollX + document.documentElement.clientWidth - width - 8));
    pop.style.left = left + "px";
    pop.style.top = (window.scrollY + r.bottom + 6) + "px";
    mark.classList.add("active");
  }

  document.addEventListener("click", function (ev) {
    const mark = ev.target.closest && ev.target.closest("a.hl");
    if (mark) {
      ev.preventDefault();
      if (mark.classList.contains("active")) { closePop(); } else { showPop(mark); }
      return;
    }
    if (pop && !pop.contains(ev.target)) closePop();
  });
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") closePop(); });

  // --- upload with a progress bar -------------------------------------------------------------
  function enhanceUpload(form) {
    const bar = form.querySelector("progress");
    const status = form.querySelector(".upload-status");
    form.addEventListener("submit", function (ev) {
      const input = form.querySelector("input[type=file]");
      if (!input || !input.files.length) return;  // let the server say what is missing
      ev.preventDefault();
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "text/html");
      xhr.setRequestHeader("X-Requested-With", "fetch");
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        bar.hidden = false;
        bar.max = e.total;
        bar.value = e.loaded;
        status.textContent = form.dataset.uploading + " " + Math.round(100 * e.loaded / e.total) + "%";
      });
      xhr.upload.addEventListener("load", function () {
        bar.removeAttribute("value");  // indeterminate while the server imports
        status.textContent = form.dataset.importing;
      });
      xhr.addEventListener("load", function () {
        if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL) {
          window.location.assign(xhr.responseURL);
        } else {
          bar.hidden = true;
          status.textContent = xhr.responseText.slice(0, 300) || ("HTTP " + xhr.status);
          status.classList.add("bad");
          form.querySelector("button").disabled = false;
        }
      });
      xhr.addEventListener("error", function () {
        bar.hidden = true;
        status.textContent = "network error";
        form.querySelector("button").disabled = false;
      });
      form.querySelector("button").disabled = true;
      bar.hidden = false;
      bar.value = 0;
      xhr.send(new FormData(form));
    });
  }

  document.querySelectorAll("form.upload").forEach(enhanceUpload);

})();

// --- import job page: poll the job and show the count, then reload for the summary --------------
(function () {
  const box = document.getElementById("import-job");
  if (!box || box.dataset.done === "true") return;
  const count = document.getElementById("import-count");
  const word = count ? count.textContent.replace(/\s*\d+\s*$/, "") : "";
  function poll() {
    fetch("/evidence/import/" + encodeURIComponent(box.dataset.job) + "/status", {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.done) { window.location.reload(); return; }
        if (count) count.textContent = word + " " + s.processed;
        setTimeout(poll, 400);
      })
      .catch(function () { setTimeout(poll, 1500); });
  }
  setTimeout(poll, 300);
})();
