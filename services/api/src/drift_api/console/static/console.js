// The Drift console's only script: searchable JSON, dependent choices, the dev sign-in link,
// an open run's page following its run.
// Every page works without it.
"use strict";

function searchJson(input) {
  const root = document.querySelector(input.dataset.jsonSearch);
  if (!root) return;
  const needle = input.value.trim().toLowerCase();
  root.querySelectorAll(".j-item").forEach((item) => item.classList.remove("hit", "miss"));
  if (!needle) return;
  root.querySelectorAll("details.json").forEach((d) => { d.open = true; });
  const items = Array.from(root.querySelectorAll(".j-item"));
  // A leaf hits on its own text; a branch stays shown when something inside it hits.
  items.reverse().forEach((item) => {
    const own = item.querySelector(":scope > details > summary") || item;
    const hit = own.textContent.toLowerCase().includes(needle);
    const inner = item.querySelector(".j-item.hit, .j-item.keep");
    if (hit) item.classList.add("hit");
    if (hit || inner) {
      item.classList.add("keep");
      const details = item.querySelector(":scope > details");
      if (details) details.open = true;
    } else {
      item.classList.add("miss");
    }
  });
  items.forEach((item) => item.classList.remove("keep"));
}

function followParent(select) {
  const parent = document.getElementsByName(select.dataset.parent);
  const update = () => {
    let chosen = null;
    parent.forEach((p) => {
      if ((p.type === "radio" || p.type === "checkbox") ? p.checked : true) chosen = chosen ?? p.value;
    });
    Array.from(select.options).forEach((option) => {
      if (option.dataset.group === undefined) return;
      const shown = chosen === null || chosen === "" || option.dataset.group === chosen;
      option.hidden = !shown;
      option.disabled = !shown;
      if (!shown && option.selected) option.selected = false;
    });
  };
  parent.forEach((p) => p.addEventListener("change", update));
  update();
}

// An open run's page asks for the run's fingerprint every few seconds and reloads when it
// changed; once the person has typed or chosen something, it keeps the page and says so.
function followRun(marker) {
  let touched = false;
  document.querySelectorAll("main form").forEach((form) => {
    form.addEventListener("input", () => { touched = true; });
    form.addEventListener("submit", () => { touched = true; });
  });
  const moved = document.getElementById("run-moved");
  document.getElementById("run-reload")?.addEventListener("click", () => location.reload());
  const poll = async () => {
    try {
      const answer = await fetch(marker.dataset.poll, { headers: { Accept: "application/json" } });
      if (answer.ok) {
        const now = await answer.json();
        if (now.fingerprint !== marker.dataset.fingerprint) {
          if (!touched) { location.reload(); return; }
          document.getElementById("run-moved-status").textContent = now.status;
          moved.hidden = false;
          if (now.final) return;
          marker.dataset.fingerprint = now.fingerprint;
        }
      }
    } catch (error) {
      // The API is away for a moment: try again at the next tick.
    }
    setTimeout(poll, 2500);
  };
  setTimeout(poll, 2500);
}

document.addEventListener("DOMContentLoaded", () => {
  const marker = document.getElementById("run-live");
  if (marker) followRun(marker);
  document.querySelectorAll("input[data-json-search]").forEach((input) => {
    input.addEventListener("input", () => searchJson(input));
  });
  document.querySelectorAll("select[data-parent]").forEach(followParent);
  // `drift dev` prints /console/sign-in#key=…&tenant=…: the values fill the form and
  // never reach a server log (a fragment is not sent); the person still clicks Sign in.
  const key = document.getElementById("key");
  if (key && location.hash.length > 1) {
    const given = new URLSearchParams(location.hash.slice(1));
    if (given.has("key")) key.value = given.get("key");
    const tenant = document.getElementById("tenant");
    if (tenant && given.has("tenant")) tenant.value = given.get("tenant");
    history.replaceState(null, "", location.pathname + location.search);
  }
});
