// Document page: select a field to highlight where its value comes from; switch original/redacted
// text; while processing, poll the status and reload when it changes.
(function () {
  "use strict";
  const article = document.getElementById("document");
  if (!article) return;

  function select(fieldId) {
    document.querySelectorAll(".mark.active").forEach(m => m.classList.remove("active"));
    document.querySelectorAll(".field.active").forEach(f => f.classList.remove("active"));
    if (!fieldId) return;
    const marks = document.querySelectorAll('.mark[data-fields~="' + fieldId + '"]');
    marks.forEach(m => m.classList.add("active"));
    const item = document.querySelector('.field[data-field="' + fieldId + '"]');
    if (item) item.classList.add("active");
    return marks;
  }
  document.querySelectorAll(".field-show").forEach(button => {
    const id = button.dataset.field;
    button.addEventListener("mouseenter", () => select(id));
    button.addEventListener("focus", () => select(id));
    button.addEventListener("click", () => {
      showTab("original");
      const marks = select(id);
      if (marks && marks.length) marks[0].scrollIntoView({ block: "center", behavior: "smooth" });
    });
  });
  document.querySelectorAll(".mark.grounding").forEach(mark => mark.addEventListener("click", () => {
    const id = mark.dataset.fields.split(" ")[0];
    select(id);
    const item = document.querySelector('.field[data-field="' + id + '"]');
    if (item) item.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }));

  const tabs = Array.from(document.querySelectorAll("[role=tab]"));
  function showTab(which) {
    tabs.forEach(tab => {
      const on = tab.id === "tab-" + which;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      document.getElementById(tab.getAttribute("aria-controls")).hidden = !on;
    });
  }
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => showTab(tab.id.replace("tab-", "")));
    tab.addEventListener("keydown", e => {
      if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
      const next = tabs[(i + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
      if (!next.disabled) { next.focus(); next.click(); }
    });
  });

  if (article.dataset.poll) {
    const seen = article.dataset.status;
    const stagesSeen = JSON.stringify(Array.from(document.querySelectorAll(".stage")).map(s => s.className));
    const tick = () => fetch(article.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(r => r.json())
      .then(doc => {
        const now = JSON.stringify(Object.values(doc.stages).map(s => "stage " + s.status));
        if (doc.status !== seen || now !== stagesSeen) { window.location.reload(); return; }
        setTimeout(tick, 2000);
      })
      .catch(() => setTimeout(tick, 5000));
    setTimeout(tick, 2000);
  }
})();
