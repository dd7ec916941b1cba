import { call, campaignIdFromPath } from "./api.js";
import { t, setUpLanguageSwitch } from "./i18n.js";
import { yuan, percent } from "./money.js";
import { beijing } from "./time.js";

const id = campaignIdFromPath();
let by = new URLSearchParams(location.search).get("by") === "donors" ? "donors" : "total";
let etag = null, board = null, timer = null, campaign = null;

function render() {
  if (!board) return;
  const tot = board.totals;
  document.getElementById("totals").textContent =
    `${t("total")} ${yuan(tot.total)} · ${t("raised")} ${yuan(tot.raised)} · ${t("matched")} ${yuan(tot.matched)} · ${t("donors")} ${tot.donors} · ${t("pledges")} ${tot.pledges}`;
  const body = document.getElementById("ranking");
  body.replaceChildren(...board.projects.map(p => {
    const tr = document.createElement("tr");
    const rank = document.createElement("td"); rank.className = "rank"; rank.textContent = p.rank;
    const main = document.createElement("td");
    const name = document.createElement("div"); name.textContent = p.name;
    const bar = document.createElement("div"); bar.className = "bar";
    const fill = document.createElement("span"); fill.style.width = `${percent(p.total, p.goal)}%`; bar.append(fill);
    const line = document.createElement("div"); line.className = "muted";
    line.textContent = `${yuan(p.total)} / ${yuan(p.goal)} · ${t("donors")} ${p.donors}`;
    main.append(name, bar, line);
    tr.append(rank, main); return tr;
  }));
  document.getElementById("funds").replaceChildren(...board.funds.map(f => {
    const p = document.createElement("p");
    p.textContent = `${f.sponsor}: ${t("remaining")} ${yuan(f.remaining)} / ${yuan(f.pool)}`;
    return p;
  }));
  document.getElementById("recent").replaceChildren(...(board.recent ?? []).map(g => {
    const li = document.createElement("li");
    const project = board.projects.find(p => p.projectId === g.projectId)?.name ?? g.projectId;
    li.textContent = `${g.name ?? t("anonymousDonor")} → ${project} ${yuan(g.amount)}${g.message ? " · " + g.message : ""}`;
    return li;
  }));
  // A finished campaign's board is its final result, with the time it ended.
  const ended = campaign && ["closed", "finalized"].includes(campaign.status);
  document.getElementById("board-title").textContent = ended ? t("finalResults") : t("leaderboard");
  document.getElementById("updated").textContent = campaign?.finalizedAt ? t("finalizedAt", { t: beijing(campaign.finalizedAt) })
    : campaign?.closedAt ? t("closedAt", { t: beijing(campaign.closedAt) })
    : t("updated", { t: beijing(board.asOf, { date: false }) });
  renderLedger();
  document.getElementById("by-total").setAttribute("aria-pressed", String(by === "total"));
  document.getElementById("by-donors").setAttribute("aria-pressed", String(by === "donors"));
}

async function poll() {
  const headers = etag ? { "If-None-Match": etag } : {};
  try {
    const r = await fetch(`${(window.GIVINGDAY_CONFIG?.apiBase ?? "").replace(/\/$/, "")}/api/campaigns/${encodeURIComponent(id)}/leaderboard?by=${by}`, { headers });
    if (r.status === 200) {
      etag = r.headers.get("ETag"); board = await r.json();
      if (Date.now() - campaignReadAt > 30_000) await readCampaign();
      render();
    }
  } catch { /* next poll */ }
  schedule();
}

function schedule() {
  clearTimeout(timer);
  // No polling while the tab is hidden: thousands of idle screens cost nothing.
  if (!document.hidden) timer = setTimeout(poll, 2000);
}

document.addEventListener("visibilitychange", () => { if (document.hidden) clearTimeout(timer); else poll(); });
for (const [button, value] of [["by-total", "total"], ["by-donors", "donors"]])
  document.getElementById(button).addEventListener("click", () => {
    by = value; etag = null;
    history.replaceState(null, "", `?by=${value}`);
    poll();
  });

// The campaign (name, and whether it has ended) is read at start and again at most every 30 s while figures change.
let campaignReadAt = 0;
function renderLedger() {
  const cp = campaign?.ledger, line = document.getElementById("ledger-line");
  line.hidden = !cp;
  if (!cp) return;
  document.getElementById("ledger-text").textContent = t("ledgerLine", { size: cp.treeSize, root: cp.rootHash.slice(0, 12), t: beijing(cp.timestamp) });
  document.getElementById("ledger-verify").href = `/c/${encodeURIComponent(id)}#verify`;
}

async function readCampaign() {
  campaignReadAt = Date.now();
  const c = await call(`/api/campaigns/${encodeURIComponent(id)}`);
  if (c.ok) campaign = c.data;
  document.getElementById("title").textContent = campaign?.name ?? id;
}

(async () => { await readCampaign(); poll(); })();
setUpLanguageSwitch(render);
