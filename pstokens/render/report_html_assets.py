"""The HTML report's inline style and script (`report_html.py` builds the page).

Apart so the page's markup reads on its own; the page's Content-Security-Policy
allows exactly these two, by their SHA-256.
"""

from __future__ import annotations

STYLE = """
:root { font: 14px/1.4 system-ui, sans-serif; color: #1d232a; }
body { margin: 1.5rem; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
.summary { margin: 0 0 1rem; color: #444; }
[hidden] { display: none !important; }
#filters { display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; align-items: center;
  margin-bottom: .75rem; }
#filters input[type=search], #filters select { font: inherit; padding: .2rem .4rem; }
#shown { color: #555; }
table { border-collapse: collapse; }
th, td { border: 1px solid #d5d9de; padding: .3rem .5rem; vertical-align: top;
  text-align: left; }
thead th { background: #f1f3f5; position: sticky; top: 0; }
tbody th { font-weight: 600; white-space: nowrap; }
tbody th .name { white-space: normal; overflow-wrap: anywhere; display: inline-block;
  max-width: 24rem; }
td.when { white-space: nowrap; }
details.findings { margin-bottom: 1rem; }
code { font-size: .85em; color: #555; }
.a { display: inline-block; margin: 0 .25rem .15rem 0; padding: 0 .3rem;
  border-radius: 3px; background: #e8f0fe; font-size: .85em; }
.a.forbidden { background: #fde2e1; color: #8a1c13; font-weight: 600; }
.a.hit { outline: 2px solid #1a73e8; }
.a.can { outline: 2px solid #188038; }
.a.maybe { outline: 2px dashed #b06000; }
details.ops { font-weight: normal; white-space: normal; max-width: 22rem; }
details.ops summary { color: #555; cursor: pointer; font-size: .85em; }
.ops-list { font-size: .8em; color: #333; margin: .2rem 0 0; }
.findings .e { color: #6a1b9a; }
tr.violation > th { border-left: 4px solid #c5221f; }
tr.stale > th { background: #fff4d6; }
tr.expired { color: #888; }
.findings ul { margin: 0; padding-left: 1rem; }
.findings .v { color: #a50e0e; }
.findings .u { color: #8a5a00; }
.muted { color: #888; }
.legend { margin-top: 1rem; color: #555; }
.legend span { margin-right: 1rem; }
"""

SCRIPT = """
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const rows = [...document.querySelectorAll("#matrix tbody tr")];
  const columns = [...document.querySelectorAll("#matrix [data-col]")];
  const filters = ["f-token", "f-database", "f-access", "f-operation", "f-findings"].map($);
  const opsOf = JSON.parse($("ops-by-access").textContent);
  // What an access the API does not describe may allow, held on the organization or
  // on a database (pstokens fails closed on them, as who-can does).
  const maybeOf = JSON.parse($("maybe-by-access").textContent);
  const ORG = "(organization)";
  const allows = (a, op) => (opsOf[a.textContent] || []).includes(op);
  const level = (a) => a.closest("td").dataset.col === ORG ? "organization" : "database";
  const may = (a, op) => (maybeOf[level(a)][a.textContent] || []).includes(op);
  function apply() {
    const token = $("f-token").value.trim().toLowerCase();
    const database = $("f-database").value;
    const access = $("f-access").value.trim().toLowerCase();
    const findings = $("f-findings").checked;
    const operation = $("f-operation").value.trim().toLowerCase();
    // Who can, on a database: its accesses and the organization's (the scope rule).
    for (const c of columns) {
      c.hidden = database !== "" && c.dataset.col !== database &&
        !(operation && c.dataset.col === ORG);
    }
    let shown = 0;
    let possibly = 0;
    for (const row of rows) {
      let ok = (!token || row.dataset.token.includes(token)) &&
        (!findings || row.dataset.findings === "1");
      const held = [...row.querySelectorAll("td[data-col]")]
        .filter((c) => !c.hidden).flatMap((c) => [...c.querySelectorAll(".a")]);
      const hits = held.filter((a) => !access || a.textContent.includes(access));
      for (const a of held) a.classList.toggle("hit", access !== "" && hits.includes(a));
      if ((database || access) && hits.length === 0) ok = false;
      // The scope rule: the chosen database's accesses and the organization's.
      const scoped = [...row.querySelectorAll("td[data-col]")]
        .filter((c) => !c.hidden || c.dataset.col === ORG)
        .flatMap((c) => [...c.querySelectorAll(".a")]);
      const able = operation ? scoped.filter((a) => allows(a, operation)) : [];
      const maybe = operation && able.length === 0
        ? scoped.filter((a) => may(a, operation)) : [];
      for (const a of row.querySelectorAll(".a")) {
        a.classList.toggle("can", able.includes(a));
        a.classList.toggle("maybe", maybe.includes(a));
      }
      if (operation && able.length === 0 && maybe.length === 0) ok = false;
      row.hidden = !ok;
      row.classList.toggle("possibly", ok && maybe.length > 0);
      if (ok) shown += 1;
      if (ok && maybe.length > 0) possibly += 1;
    }
    $("shown").textContent = shown + " of " + rows.length + " tokens shown" + (possibly
      ? " (" + possibly + " possibly, by an access the API does not describe)" : "");
  }
  const given = new URLSearchParams(location.hash.slice(1));
  if (given.has("token")) $("f-token").value = given.get("token");
  if (given.has("database")) $("f-database").value = given.get("database");
  if (given.has("access")) $("f-access").value = given.get("access");
  if (given.has("operation")) $("f-operation").value = given.get("operation");
  if (given.has("findings")) $("f-findings").checked = true;
  // Filled on the first click (or Enter) on the summary, so a large page stays light.
  for (const d of document.querySelectorAll("details.ops")) {
    d.querySelector("summary").addEventListener("click", () => {
      const list = d.querySelector(".ops-list");
      if (list.textContent) return;
      const ops = new Set();
      for (const a of d.closest("tr").querySelectorAll(".a")) {
        for (const op of opsOf[a.textContent] || []) ops.add(op);
      }
      list.textContent = [...ops].sort().join(", ") || "nothing the API describes";
    });
  }
  for (const f of filters) f.addEventListener("input", apply);
  apply();
})();
"""
