import { call } from "./api.js";
import { t, setUpLanguageSwitch } from "./i18n.js";
import { yuan, parseYuan } from "./money.js";
import { beijing } from "./time.js";

const $ = id => document.getElementById(id);
const keyInput = $("key"), picker = $("campaign"), newId = $("new-id"), definition = $("definition");
// The key lives only in this tab's session storage.
keyInput.value = sessionStorage.getItem("givingday.key") ?? "";
newId.value = sessionStorage.getItem("givingday.newId") ?? "";

const key = () => keyInput.value.trim();
const campaignId = () => (picker.value || newId.value).trim();
const cid = () => encodeURIComponent(campaignId());

// ── Messages: each beside the action that caused it ─────────────────────────────────────────────────────────────
function say(box, text, bad = false, lines = []) {
  const el = $(box);
  el.className = bad ? "status bad" : "status";
  delete el.dataset.unauthorized;
  el.replaceChildren(text);
  if (lines.length) {
    const ul = document.createElement("ul");
    ul.append(...lines.map(line => { const li = document.createElement("li"); li.textContent = line; return li; }));
    el.append(ul);
  }
}

// The server's own words (in the page's language, from Accept-Language): its detail, then each bad field. Offline
// import errors are keyed "row N: field", N as Excel numbers the rows (the header is row 1).
function sayProblem(box, r, lead) {
  if (r.status === 401) { say(box, t("unauthorized"), true); $(box).dataset.unauthorized = "true"; return; }
  const lines = Object.entries(r.data?.errors ?? {}).flatMap(([field, messages]) => {
    const row = /^row (\d+)\s*[:.]?\s*(.*)$/i.exec(field);
    const label = row ? `${t("rowN", { n: row[1] })}${row[2] ? " · " + row[2] : ""}` : field;
    return messages.map(m => `${label}：${m}`);
  });
  say(box, lead ?? r.data?.detail ?? r.data?.title ?? String(r.status), true, lines);
}

// ── The key: its state is shown, and follows every organiser answer ─────────────────────────────────────────────
function setKeyState(state) {
  const el = $("key-state");
  el.className = `key-state ${state}`;
  el.textContent = { none: t("keyNone"), checking: t("keyChecking"), ok: t("keyOk"), bad: t("unauthorized") }[state];
  el.dataset.state = state;
  // A correct key takes back every "wrong key" said beside an action.
  if (state === "ok") document.querySelectorAll(".status[data-unauthorized]").forEach(s => { s.replaceChildren(); delete s.dataset.unauthorized; });
}

async function organiser(path, options = {}) {
  const r = await call(path, { ...options, key: key() });
  if (r.status === 401) setKeyState("bad"); else if (r.status < 500) setKeyState("ok");
  return r;
}

async function checkKey() {
  sessionStorage.setItem("givingday.key", keyInput.value);
  if (!key()) { setKeyState("none"); return; }
  setKeyState("checking");
  const r = await organiser("/api/organiser/key");
  if (r.ok) refreshCampaign();
}
keyInput.addEventListener("change", checkKey);
$("check-key").addEventListener("click", checkKey);

// Every organiser action needs a key and a campaign; said beside the action when one is missing.
function ready(box) {
  if (!key()) { say(box, t("needKey"), true); return false; }
  if (!campaignId()) { say(box, t("needCampaign"), true); return false; }
  return true;
}

// ── The campaign picker ─────────────────────────────────────────────────────────────────────────────────────────
async function loadCampaigns(select = sessionStorage.getItem("givingday.campaign") ?? "") {
  const r = await call("/api/campaigns");
  const list = r.ok ? r.data : [];
  picker.replaceChildren(new Option(t("newCampaign"), ""),
    ...list.map(c => new Option(`${c.name}（${c.id} · ${t("status_" + c.status)}）`, c.id)));
  picker.value = list.some(c => c.id === select) ? select : list[0]?.id ?? "";
  pickerChanged();
}

function pickerChanged() {
  sessionStorage.setItem("givingday.campaign", picker.value);
  $("new-id-box").hidden = picker.value !== "";
  for (const box of ["form-preview", "def-preview"]) $(box).hidden = true;
  refreshCampaign();
}
picker.addEventListener("change", pickerChanged);
newId.addEventListener("change", () => { sessionStorage.setItem("givingday.newId", newId.value); refreshCampaign(); });
$("reload-list").addEventListener("click", () => loadCampaigns(picker.value));

// Only with a key known to be right: a wrong one would fill every box with "wrong key".
function refreshCampaign() {
  if ($("key-state").dataset.state !== "ok" || !campaignId()) return;
  listSnapshots();
  listDownloads();
}

// ── Definitions: a dry run shows what would change; only the confirm button saves ──────────────────────────────
const example = (() => {
  const hours = n => new Date(Date.now() + n * 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
  return {
    name: "南通市红十字会 5·8 人道公益日", event: "5.8", startsAt: hours(0), endsAt: hours(72),
    projects: [{ id: "zaochan", name: "守护早产小天使", goal: 20000000 }, { id: "weixinyuan", name: "红十字微心愿", goal: 5000000 }],
    matchingFunds: [{ id: "aixin-qiye", sponsor: "爱心企业配捐", ratio: 1, pool: 1000000, perPledgeCap: 10000 }],
  };
})();
definition.value = JSON.stringify(example, null, 2);

const shown = value => value === undefined || value === null ? t("none") : typeof value === "string" ? value : JSON.stringify(value);

async function review(body, area) {
  const box = `${area}-status`, preview = $(`${area}-preview`);
  preview.hidden = true;
  if (!ready(box)) return;
  const id = campaignId();
  const r = await organiser(`/api/organiser/campaigns/${cid()}?dryRun=true`, { method: "PUT", body });
  if (!r.ok) { sayProblem(box, r); return; }
  // A server that does not know dry runs has saved it already: say so rather than show a preview.
  if (r.data?.dryRun !== true) { say(box, `${t("saved")} ${r.data?.name ?? id}`); return; }
  $(box).replaceChildren();
  const changes = r.data.changes ?? [];
  const title = document.createElement("p");
  title.textContent = `${t("dryRunTitle")} ${r.data.created ? t("willCreate", { id }) : ""} ${changes.length || r.data.created ? t("changesCount", { n: changes.length }) : t("noChanges")}`;
  preview.replaceChildren(title);
  if (changes.length) {
    const table = document.createElement("table"); table.className = "changes";
    const head = table.createTHead().insertRow();
    for (const h of ["field", "from", "to"]) { const th = document.createElement("th"); th.scope = "col"; th.textContent = t(h); head.append(th); }
    const tbody = table.createTBody();
    for (const c of changes) {
      const tr = tbody.insertRow();
      for (const text of [c.path, shown(c.from), shown(c.to)]) { const code = document.createElement("code"); code.textContent = text; tr.insertCell().append(code); }
    }
    preview.append(table);
  }
  const bar = document.createElement("div"); bar.className = "toolbar";
  if (changes.length || r.data.created) {
    const confirm = document.createElement("button"); confirm.type = "button"; confirm.className = "primary"; confirm.id = `${area}-confirm`;
    confirm.textContent = t("confirmSave");
    confirm.addEventListener("click", () => save(body, area, id));
    bar.append(confirm);
  }
  const cancel = document.createElement("button"); cancel.type = "button"; cancel.className = "secondary"; cancel.textContent = t("cancel");
  cancel.addEventListener("click", () => { preview.hidden = true; });
  bar.append(cancel);
  preview.append(bar);
  preview.hidden = false;
}

async function save(body, area, id) {
  const box = `${area}-status`;
  const r = await organiser(`/api/organiser/campaigns/${encodeURIComponent(id)}`, { method: "PUT", body });
  $(`${area}-preview`).hidden = true;
  if (!r.ok) { sayProblem(box, r); return; }
  say(box, `${t("saved")} ${r.data.name}`);
  if (picker.value !== id) await loadCampaigns(id); else refreshCampaign();
}

// The form: organisers think in Beijing time (UTC+8) and in yuan; the definition is in ISO times with offset and fen.
const beijingIso = value => value ? `${value.length === 16 ? value + ":00" : value}+08:00` : null;
function rows(text, min, max, make) {
  return text.split("\n").map(l => l.trim()).filter(Boolean).map((line, i) => {
    const cells = line.split(/[,，]/).map(c => c.trim());
    if (cells.length < min || cells.length > max) throw new Error(t("badLine", { n: i + 1, line }));
    return make(cells);
  });
}
// Amounts the form cannot read go to the server as they are, so its answer names the field.
const fen = text => text === undefined || text === "" ? undefined : (parseYuan(text) ?? text);
$("campaign-form").addEventListener("submit", async e => {
  e.preventDefault();
  let body;
  try {
    body = {
      name: $("f-name").value,
      event: $("f-event").value,
      startsAt: beijingIso($("f-starts").value),
      endsAt: beijingIso($("f-ends").value),
      projects: rows($("f-projects").value, 3, 3, ([id, name, goal]) => ({ id, name, goal: fen(goal) })),
      matchingFunds: rows($("f-funds").value, 4, 6, ([id, sponsor, ratio, pool, perPledge, perDonor]) =>
        ({ id, sponsor, ratio: Number(ratio), pool: fen(pool), perPledgeCap: fen(perPledge), perDonorCap: fen(perDonor) })),
    };
  } catch (error) { say("form-status", error.message, true); return; }
  definition.value = JSON.stringify(body, null, 2);
  await review(body, "form");
});

$("def-file").addEventListener("change", async e => {
  const file = e.target.files[0]; if (file) definition.value = await file.text();
});

$("load-current").addEventListener("click", async () => {
  if (!campaignId()) { say("def-status", t("needCampaign"), true); return; }
  const r = await call(`/api/campaigns/${cid()}`);
  if (!r.ok) { sayProblem("def-status", r); return; }
  const c = r.data;
  definition.value = JSON.stringify({
    name: c.name, event: c.event, startsAt: c.startsAt, endsAt: c.endsAt, minPledge: c.minPledge, maxPledge: c.maxPledge,
    projects: c.projects, matchingFunds: c.matchingFunds.map(({ remaining, ...f }) => f), shards: c.shards,
  }, null, 2);
  $("def-status").replaceChildren();
});

$("save").addEventListener("click", async () => {
  let body;
  try { body = JSON.parse(definition.value); } catch (e) { say("def-status", `JSON: ${e.message}`, true); return; }
  await review(body, "def");
});

// ── Offline gifts ──────────────────────────────────────────────────────────────────────────────────────────────
$("upload").addEventListener("click", async () => {
  const file = $("offline-file").files[0];
  if (!file) { say("upload-status", t("chooseFile"), true); return; }
  if (!ready("upload-status")) return;
  const r = await organiser(`/api/organiser/campaigns/${cid()}/offline-pledges`, { method: "POST", body: await file.text(), headers: { "Content-Type": "text/csv" } });
  if (r.ok) say("upload-status", r.data.alreadyImported ? t("alreadyImported") : t("imported", { n: r.data.imported, amount: yuan(r.data.raised) }));
  else sayProblem("upload-status", r, r.status === 400 ? t("importFailed") : undefined);
});

// ── Close: said beside the button until the final snapshot is there ────────────────────────────────────────────
$("close").addEventListener("click", async () => {
  if (!ready("close-status")) return;
  if (!confirm(t("confirmClose"))) return;
  const r = await organiser(`/api/organiser/campaigns/${cid()}/close`, { method: "POST" });
  if (!r.ok) { sayProblem("close-status", r); return; }
  say("close-status", t("closing"));
  const id = campaignId();
  for (let i = 0; i < 90; i++) {
    await new Promise(resolve => setTimeout(resolve, 2000));
    const c = await call(`/api/campaigns/${encodeURIComponent(id)}`);
    if (c.ok && c.data.status === "finalized") { say("close-status", t("finalized")); await loadCampaigns(id); return; }
  }
  say("close-status", t("stillClosing"));
});

// ── Downloads ──────────────────────────────────────────────────────────────────────────────────────────────────
async function download(box, path, filename, headers = {}) {
  if (!ready(box)) return false;
  const r = await organiser(path, { raw: true, headers });
  if (!r.ok) { sayProblem(box, r); return false; }
  const a = document.createElement("a");
  a.href = URL.createObjectURL(r.data); a.download = filename; document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  say(box, t("downloaded", { file: filename }));
  return true;
}

// The donor list: the staff member's name goes with the request and into the download log. A header carries only
// Latin-1, so the name is percent-encoded (UTF-8); the server decodes it.
async function donors(format) {
  const name = $("staff-name").value.trim();
  if (!name) { say("donors-status", t("needName"), true); $("staff-name").focus(); return; }
  const query = format === "csv" ? "?format=csv" : "";
  const ok = await download("donors-status", `/api/organiser/campaigns/${cid()}/donors${query}`, `${campaignId()}-donors.${format}`,
    { "X-Organiser-Key": key(), "X-Organiser-Name": encodeURIComponent(name) });
  if (ok) { say("donors-status", t("donorsDownloaded", { format: format.toUpperCase() })); listDownloads(); }
}
$("donors-csv").addEventListener("click", () => donors("csv"));
$("donors-json").addEventListener("click", () => donors("json"));

async function listDownloads() {
  const r = await organiser(`/api/organiser/campaigns/${cid()}/donors/downloads`);
  const body = $("donor-log");
  if (!r.ok) { body.replaceChildren(); return; }
  const downloads = r.data.downloads ?? [];
  body.replaceChildren();
  if (downloads.length === 0) { const td = body.insertRow().insertCell(); td.colSpan = 5; td.className = "muted"; td.textContent = t("noDownloads"); return; }
  body.append(...downloads.map(d => {
    const tr = document.createElement("tr");
    for (const [text, cls] of [[d.by, ""], [beijing(d.at), ""], [String(d.format).toUpperCase(), ""], [d.rows, "num"], [d.clientAddress ?? "", ""]]) {
      const td = tr.insertCell(); td.textContent = text; if (cls) td.className = cls;
    }
    return tr;
  }));
}

// ── Snapshots: one "结项快照" row with both formats and the final ledger checkpoint; progress below ─────────────
$("refresh").addEventListener("click", () => { if (ready("snap-status")) listSnapshots(); });

async function listSnapshots() {
  const r = await organiser(`/api/organiser/campaigns/${cid()}/snapshots`);
  if (!r.ok) { sayProblem("snap-status", r); return; }
  $("snap-status").replaceChildren();
  await showFinal(r.data.find(s => s.kind === "final"));
  const progress = r.data.filter(s => s.kind === "progress");
  $("snapshots").replaceChildren(...progress.slice(0, 20).map(s => {
    const tr = document.createElement("tr");
    for (const [text, cls] of [[beijing(s.takenAt), ""], [t("kind_" + s.kind), ""], [s.size, "num"], [s.sha256.slice(0, 12) + "…", ""]]) {
      const td = tr.insertCell(); td.textContent = text; if (cls) td.className = cls;
    }
    return tr;
  }));
  const points = [];
  for (const s of progress.slice(0, 60).reverse()) {
    const p = await organiser(`/api/organiser/campaigns/${cid()}/snapshots/${encodeURIComponent(s.name)}`);
    if (p.ok) points.push({ at: Date.parse(p.data.asOf), total: p.data.totals.total });
  }
  drawChart(points);
}

async function showFinal(final) {
  const box = $("final-box");
  if (!final) { const p = document.createElement("p"); p.className = "muted"; p.textContent = t("noFinal"); box.replaceChildren(p); return; }
  const id = campaignId();
  const line = document.createElement("div"); line.className = "toolbar final-row";
  const label = document.createElement("strong"); label.textContent = t("finalRow");
  const when = document.createElement("span"); when.className = "muted"; when.textContent = t("finalTakenAt", { t: beijing(final.takenAt) });
  const json = document.createElement("button"); json.type = "button"; json.className = "secondary"; json.id = "download-json"; json.textContent = t("downloadJson");
  json.addEventListener("click", () => download("snap-status", `/api/organiser/campaigns/${cid()}/snapshots/final`, `${id}-final.json`));
  const csv = document.createElement("button"); csv.type = "button"; csv.className = "secondary"; csv.id = "download-csv"; csv.textContent = t("downloadCsv");
  csv.addEventListener("click", () => download("snap-status", `/api/organiser/campaigns/${cid()}/snapshots/final?format=csv`, `${id}-ledger.csv`));
  line.append(label, when, json, csv);
  box.replaceChildren(line);
  // The final checkpoint of the public ledger, as final.json records it (or the public route, for an older snapshot).
  const snapshot = await organiser(`/api/organiser/campaigns/${cid()}/snapshots/final`);
  let cp = snapshot.ok ? snapshot.data.checkpoint : null;
  if (!cp) { const c = await call(`/api/campaigns/${cid()}/ledger/checkpoint`); cp = c.ok ? c.data : null; }
  if (!cp) return;
  const title = document.createElement("h4"); title.textContent = t("checkpointTitle");
  const dl = document.createElement("dl"); dl.className = "checkpoint"; dl.id = "final-checkpoint";
  for (const [term, value] of [["treeSize", cp.treeSize], ["rootHash", cp.rootHash], ["checkpointTime", beijing(cp.timestamp)], ["keyId", cp.keyId]]) {
    const dt = document.createElement("dt"); dt.textContent = t(term);
    const dd = document.createElement("dd"); dd.textContent = value; dd.dataset.field = term;
    dl.append(dt, dd);
  }
  box.append(title, dl);
}

// A small hand-drawn SVG line chart: total over time. No library needed for one line.
function drawChart(points) {
  const box = $("chart");
  if (points.length === 0) { box.textContent = t("noSnapshots"); return; }
  const w = 600, h = 200, pad = 36;
  const minT = points[0].at, maxT = Math.max(points.at(-1).at, minT + 1), maxV = Math.max(1, ...points.map(p => p.total));
  const x = at => pad + (at - minT) * (w - 2 * pad) / (maxT - minT);
  const y = v => h - pad + 0 - v * (h - 2 * pad) / maxV;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`); svg.setAttribute("class", "chart"); svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${t("progressChart")}: ${yuan(points.at(-1).total)}`);
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", points.map(p => `${x(p.at)},${y(p.total)}`).join(" "));
  line.setAttribute("fill", "none"); line.setAttribute("stroke", "#b3121b"); line.setAttribute("stroke-width", "2");
  const axis = document.createElementNS(ns, "path");
  axis.setAttribute("d", `M${pad},${pad} V${h - pad} H${w - pad}`); axis.setAttribute("stroke", "#55565b"); axis.setAttribute("fill", "none");
  const label = document.createElementNS(ns, "text");
  label.setAttribute("x", pad + 4); label.setAttribute("y", pad - 8); label.setAttribute("font-size", "12"); label.textContent = yuan(maxV);
  svg.append(axis, line, label);
  box.replaceChildren(svg);
}

setUpLanguageSwitch(() => { setKeyState($("key-state").dataset.state ?? "none"); loadCampaigns(picker.value); });
setKeyState("none");
loadCampaigns().then(() => { if (key()) checkKey(); });
