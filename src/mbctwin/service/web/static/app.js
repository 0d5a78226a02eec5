// mbctwin web interface: repeatable form rows, plan tabs, focus on errors. No dependencies.
"use strict";

function renumber(container) {
  container.querySelectorAll(".row-item .row-no").forEach((el, i) => { el.textContent = String(i + 1); });
}

function addRow(kind) {
  const rows = document.getElementById("rows-" + kind);
  const template = document.getElementById("tpl-" + kind);
  if (!rows || !template) return;
  let next = 0;
  rows.querySelectorAll("[name]").forEach((el) => {
    const m = el.name.match(/^[a-z_]+\.(\d+)\./);
    if (m) next = Math.max(next, Number(m[1]) + 1);
  });
  const html = template.innerHTML.replaceAll("__i__", String(next));
  rows.insertAdjacentHTML("beforeend", html);
  renumber(rows);
  const added = rows.lastElementChild;
  const first = added && added.querySelector("select, input");
  if (first) first.focus();
}

document.addEventListener("click", (event) => {
  const add = event.target.closest("[data-add-row]");
  if (add) { addRow(add.dataset.addRow); return; }
  const remove = event.target.closest("[data-remove-row]");
  if (remove) {
    const row = remove.closest(".row-item");
    const rows = row.parentElement;
    const button = rows.parentElement.querySelector("[data-add-row]");
    row.remove();
    renumber(rows);
    if (button) button.focus();
  }
});

function setupTabs() {
  const tabs = Array.from(document.querySelectorAll('[role="tab"]'));
  const select = (tab) => {
    tabs.forEach((t) => {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    });
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (!step) return;
      const next = tabs[(i + step + tabs.length) % tabs.length];
      select(next);
      next.focus();
    });
  });
  if (location.hash === "#patient") select(document.getElementById("tab-patient"));
}

function pollOutlook() {
  // The outlook takes seconds: show its progress and open it when it is ready (the page also refreshes itself).
  const box = document.getElementById("outlook-progress");
  if (!box) return;
  const bar = document.getElementById("outlook-bar");
  const text = document.getElementById("prog-text");
  const tick = () => {
    fetch(box.dataset.status, { credentials: "same-origin", cache: "no-store" })
      .then((r) => r.json())
      .then((s) => {
        if (s.state === "ready") { location.replace(box.dataset.done); return; }
        if (s.state === "failed") { location.reload(); return; }
        if (bar) bar.value = s.progress;
        if (text) text.textContent = Math.round(s.progress * 100) + " % done — this page updates by itself.";
        setTimeout(tick, 400);
      })
      .catch(() => setTimeout(tick, 1500));
  };
  tick();
}

document.addEventListener("DOMContentLoaded", () => {
  setupTabs();
  pollOutlook();
  const summary = document.getElementById("error-summary") || document.getElementById("session-expired");
  if (summary) summary.focus();
  const autostart = document.querySelector("[data-autostart]");
  if (autostart) autostart.click();
});
