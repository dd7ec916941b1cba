import { call } from "./api.js";
import { t, setUpLanguageSwitch } from "./i18n.js";
import { yuan, parseYuan } from "./money.js";

const keyInput = document.getElementById("key");
const campaignInput = document.getElementById("campaign");
const status = document.getElementById("status");
const definition = document.getElementById("definition");
// The key lives only in this tab's session storage.
keyInput.value = sessionStorage.getItem("givingday.key") ?? "";
campaignInput.value = sessionStorage.getItem("givingday.campaign") ?? "";
keyInput.addEventListener("change", () => sessionStorage.setItem("givingday.key", keyInput.value));
campaignInput.addEventListener("change", () => sessionStorage.setItem("givingday.campaign", campaignInput.value));

const key = () => keyInput.value;
const cid = () => encodeURIComponent(campaignInput.value.trim());

function say(text, bad = false) { status.className = bad ? "status bad" : "status"; status.textContent = text; }

function problem(r) {
  if (r.status === 401) return t("unauthorized");
  const errors = Object.entries(r.data?.errors ?? {}).map(([f, m]) => `${f}: ${m.join(" ")}`).join("\n");
  return `${r.data?.title ?? r.status}: ${errors || (r.data?.detail ?? "")}`;
}

const hours = n => new Date(Date.now() + n * 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
definition.value = JSON.stringify({
  name: "南通市红十字会 5·8 人道公益日", event: "5.8", startsAt: hours(0), endsAt: hours(72),
  projects: [{ id: "zaochan", name: "守护早产小天使", goal: 20000000 }, { id: "weixinyuan", name: "红十字微心愿", goal: 5000000 }],
  matchingFunds: [{ id: "aixin-qiye", sponsor: "爱心企业配捐", ratio: 1, pool: 1000000, perPledgeCap: 10000 }],
}, null, 2);

// The form: organisers think in Beijing time (UTC+8) and in yuan; the definition is in ISO times with offset and fen.
const beijing = value => value ? `${value.length === 16 ? value + ":00" : value}+08:00` : null;
function rows(text, min, max, make) {
  return text.split("\n").map(l => l.trim()).filter(Boolean).map((line, i) => {
    const cells = line.split(/[,，]/).map(c => c.trim());
    if (cells.length < min || cells.length > max) throw new Error(t("badLine", { n: i + 1, line }));
    return make(cells);
  });
}
// Amounts the form cannot read go to the server as they are, so its answer names the field.
const fen = text => text === undefined || text === "" ? undefined : (parseYuan(text) ?? text);
document.getElementById("campaign-form").addEventListener("submit", async e => {
  e.preventDefault();
  let body;
  try {
    body = {
      name: document.getElementById("f-name").value,
      event: document.getElementById("f-event").value,
      startsAt: beijing(document.getElementById("f-starts").value),
      endsAt: beijing(document.getElementById("f-ends").value),
      projects: rows(document.getElementById("f-projects").value, 3, 3, ([id, name, goal]) => ({ id, name, goal: fen(goal) })),
      matchingFunds: rows(document.getElementById("f-funds").value, 4, 6, ([id, sponsor, ratio, pool, perPledge, perDonor]) =>
        ({ id, sponsor, ratio: Number(ratio), pool: fen(pool), perPledgeCap: fen(perPledge), perDonorCap: fen(perDonor) })),
    };
  } catch (error) { say(error.message, true); return; }
  definition.value = JSON.stringify(body, null, 2);
  const r = await call(`/api/organiser/campaigns/${cid()}`, { method: "PUT", body, key: key() });
  if (r.ok) { say(`${t("saved")} ${r.data.name}`); listSnapshots(); } else say(problem(r), true);
});

document.getElementById("def-file").addEventListener("change", async e => {
  const file = e.target.files[0]; if (file) definition.value = await file.text();
});

document.getElementById("load-current").addEventListener("click", async () => {
  const r = await call(`/api/campaigns/${cid()}`);
  if (!r.ok) { say(problem(r), true); return; }
  const c = r.data;
  definition.value = JSON.stringify({
    name: c.name, event: c.event, startsAt: c.startsAt, endsAt: c.endsAt, minPledge: c.minPledge, maxPledge: c.maxPledge,
    projects: c.projects, matchingFunds: c.matchingFunds.map(({ remaining, ...f }) => f),
  }, null, 2);
});

document.getElementById("save").addEventListener("click", async () => {
  let body;
  try { body = JSON.parse(definition.value); } catch (e) { say(`JSON: ${e.message}`, true); return; }
  const r = await call(`/api/organiser/campaigns/${cid()}`, { method: "PUT", body, key: key() });
  if (r.ok) { say(`${t("saved")} ${r.data.name}`); listSnapshots(); } else say(problem(r), true);
});

document.getElementById("upload").addEventListener("click", async () => {
  const file = document.getElementById("offline-file").files[0];
  if (!file) return;
  const r = await call(`/api/organiser/campaigns/${cid()}/offline-pledges`, { method: "POST", body: await file.text(), headers: { "Content-Type": "text/csv" }, key: key() });
  if (r.ok) say(r.data.alreadyImported ? t("alreadyImported") : t("imported", { n: r.data.imported, amount: yuan(r.data.raised) })); else say(problem(r), true);
});

document.getElementById("close").addEventListener("click", async () => {
  if (!confirm(t("confirmClose"))) return;
  const r = await call(`/api/organiser/campaigns/${cid()}/close`, { method: "POST", key: key() });
  if (r.ok) { say(t("closing")); setTimeout(listSnapshots, 4000); } else say(problem(r), true);
});

async function download(path, filename) {
  const r = await call(path, { key: key(), raw: true });
  if (!r.ok) { say(problem(r), true); return; }
  const blob = r.data;
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob); a.download = filename; document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
document.getElementById("download-json").addEventListener("click", () => download(`/api/organiser/campaigns/${cid()}/snapshots/final`, `${campaignInput.value}-final.json`));
document.getElementById("download-csv").addEventListener("click", () => download(`/api/organiser/campaigns/${cid()}/snapshots/final?format=csv`, `${campaignInput.value}-ledger.csv`));
document.getElementById("refresh").addEventListener("click", () => listSnapshots());

async function listSnapshots() {
  if (!campaignInput.value || !key()) return;
  const r = await call(`/api/organiser/campaigns/${cid()}/snapshots`, { key: key() });
  const body = document.getElementById("snapshots");
  if (!r.ok) { say(problem(r), true); return; }
  body.replaceChildren(...r.data.map(s => {
    const tr = document.createElement("tr");
    for (const [text, cls] of [[new Date(s.takenAt).toLocaleString(), ""], [t("kind_" + s.kind), ""], [s.size, "num"], [s.sha256.slice(0, 12) + "…", ""]]) {
      const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.append(td);
    }
    return tr;
  }));
  const progress = r.data.filter(s => s.kind === "progress").slice(0, 60).reverse();
  const points = [];
  for (const s of progress) {
    const p = await call(`/api/organiser/campaigns/${cid()}/snapshots/${encodeURIComponent(s.name)}`, { key: key() });
    if (p.ok) points.push({ at: Date.parse(p.data.asOf), total: p.data.totals.total });
  }
  drawChart(points);
}

// A small hand-drawn SVG line chart: total over time. No library needed for one line.
function drawChart(points) {
  const box = document.getElementById("chart");
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

setUpLanguageSwitch();
listSnapshots();
