import { call, campaignIdFromPath } from "./api.js";
import { t, setUpLanguageSwitch } from "./i18n.js";
import { yuan, percent } from "./money.js";
import { beijing, countdown } from "./time.js";

// The board for a screen on a wall: one big total that counts up to each new figure, both rankings side by side,
// the latest gifts and the time left. It polls the leaderboard (ETag, 304) every 2 s while the tab is visible.
const id = campaignIdFromPath();
let etag = null, board = null, timer = null, campaign = null, campaignReadAt = 0;
const $ = name => document.getElementById(name);

// The big figure counts from what it shows to the new total; a reader who asked for less motion gets it at once.
let shown = null, frame = 0;
function showTotal(target) {
  const el = $("big-total");
  cancelAnimationFrame(frame);
  if (shown === null && target === 0 || matchMedia("(prefers-reduced-motion: reduce)").matches) { shown = target; el.textContent = yuan(target); return; }
  const from = shown ?? 0, start = performance.now(), duration = 1200;
  const step = now => {
    const k = Math.min(1, (now - start) / duration);
    shown = Math.round(from + (target - from) * (1 - (1 - k) ** 3));
    el.textContent = yuan(shown);
    if (k < 1) frame = requestAnimationFrame(step);
  };
  frame = requestAnimationFrame(step);
}

const cell = (text, className) => { const td = document.createElement("td"); td.textContent = text; if (className) td.className = className; return td; };

function rankingRows(projects, value, detail) {
  return projects.map((p, i) => {
    const tr = document.createElement("tr");
    const main = document.createElement("td");
    const name = document.createElement("div"); name.className = "project-name"; name.textContent = p.name;
    const bar = document.createElement("div"); bar.className = "bar";
    const fill = document.createElement("span"); fill.style.width = `${percent(p.total, p.goal)}%`; bar.append(fill);
    const line = document.createElement("div"); line.className = "muted"; line.textContent = detail(p);
    main.append(name, bar, line);
    tr.append(cell(String(i + 1), "rank"), main, cell(value(p), "num value"));
    return tr;
  });
}

// Ranked by distinct donors as the API ranks them (ties by total, then id), from the same answer as the ranking by amount.
const byDonors = projects => [...projects].sort((a, b) => b.donors - a.donors || b.total - a.total || (a.projectId < b.projectId ? -1 : 1));

function render() {
  if (!board) return;
  const tot = board.totals;
  showTotal(tot.total);
  $("total-said").textContent = `${t("totalRaised")} ${yuan(tot.total)}`;
  $("raised").textContent = yuan(tot.raised);
  $("matched").textContent = yuan(tot.matched);
  $("donor-count").textContent = tot.donors.toLocaleString("en-US");
  $("pledge-count").textContent = tot.pledges.toLocaleString("en-US");
  const goal = board.projects.reduce((sum, p) => sum + p.goal, 0);
  const reached = goal > 0 ? Math.floor(tot.total * 100 / goal) : 0;
  $("goal-bar").setAttribute("aria-valuenow", String(percent(tot.total, goal)));
  $("goal-bar").firstElementChild.style.width = `${percent(tot.total, goal)}%`;
  $("goal-text").textContent = t("goalReached", { p: reached, goal: yuan(goal) });

  $("ranking").replaceChildren(...rankingRows(board.projects, p => yuan(p.total),
    p => `${t("donors")} ${p.donors} · ${t("pledges")} ${p.pledges} · ${percent(p.total, p.goal)}%`));
  $("ranking-donors").replaceChildren(...rankingRows(byDonors(board.projects), p => t("peopleCount", { n: p.donors }),
    p => `${yuan(p.total)} · ${t("pledges")} ${p.pledges}`));

  $("recent").replaceChildren(...(board.recent ?? []).map(g => {
    const li = document.createElement("li");
    const project = board.projects.find(p => p.projectId === g.projectId)?.name ?? g.projectId;
    const who = document.createElement("span"); who.className = "who"; who.textContent = g.name ?? t("anonymousDonor");
    const amount = document.createElement("span"); amount.className = "amount"; amount.textContent = yuan(g.amount);
    const what = document.createElement("span"); what.className = "muted";
    what.textContent = `${project} · ${beijing(g.acceptedAt, { date: false, zone: false })}${g.message ? " · " + g.message : ""}`;
    li.append(who, amount, what);
    return li;
  }));
  if ((board.recent ?? []).length === 0) { const li = document.createElement("li"); li.className = "muted"; li.textContent = t(ended() ? "noGifts" : "noGiftsYet"); $("recent").append(li); }

  const funds = board.funds ?? [];
  $("funds-box").hidden = funds.length === 0;
  $("funds").replaceChildren(...funds.map(f => {
    const p = document.createElement("p");
    p.textContent = `${f.sponsor}: ${t("remaining")} ${yuan(f.remaining)} / ${yuan(f.pool)}`;
    return p;
  }));

  // A finished campaign's board is its final result, with the time of its final snapshot.
  document.getElementById("board-title").textContent = ended() ? t("finalResults") : t("leaderboard");
  $("updated").textContent = campaign?.finalizedAt ? t("finalizedAt", { t: beijing(campaign.finalizedAt) })
    : campaign?.closedAt ? t("closedAt", { t: beijing(campaign.closedAt) })
    : t("updated", { t: beijing(board.asOf, { date: false }) });
  renderLedger();
  tick();
}

const ended = () => campaign && ["closed", "finalized"].includes(campaign.status) || (campaign && Date.now() >= Date.parse(campaign.endsAt));

// The countdown to the start (upcoming), to the end (live), or "已结束" with the final snapshot's time.
function tick() {
  if (!campaign) return;
  const now = Date.now(), starts = Date.parse(campaign.startsAt), ends = Date.parse(campaign.endsAt);
  const label = $("countdown-label"), out = $("countdown");
  if (ended()) {
    label.textContent = t("ended");
    out.textContent = campaign.finalizedAt ? t("finalSnapshotAt", { t: beijing(campaign.finalizedAt) })
      : t("closedAt", { t: beijing(campaign.closedAt ?? campaign.endsAt) });
  } else if (now < starts) {
    label.textContent = t("startsIn"); out.textContent = countdown(starts - now);
  } else {
    label.textContent = t("endsIn"); out.textContent = countdown(ends - now);
  }
}
setInterval(tick, 1000);

async function poll() {
  const headers = etag ? { "If-None-Match": etag } : {};
  try {
    const r = await call(`/api/campaigns/${encodeURIComponent(id)}/leaderboard`, { headers });
    if (r.status === 200) {
      etag = r.headers.get("ETag"); board = r.data;
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

function renderLedger() {
  const cp = campaign?.ledger, line = $("ledger-line");
  line.hidden = !cp;
  if (!cp) return;
  $("ledger-text").textContent = t("ledgerLine", { size: cp.treeSize, root: cp.rootHash.slice(0, 12), t: beijing(cp.timestamp) });
  $("ledger-verify").href = `/c/${encodeURIComponent(id)}#verify`;
}

// The campaign (name, and whether it has ended) is read at start and again at most every 30 s while figures change.
async function readCampaign() {
  campaignReadAt = Date.now();
  const c = await call(`/api/campaigns/${encodeURIComponent(id)}`);
  if (c.ok) campaign = c.data;
  $("title").textContent = campaign?.name ?? c.data?.detail ?? id;
  if (campaign) document.title = `${campaign.name} · GivingDay`;
}

(async () => { await readCampaign(); poll(); })();
setUpLanguageSwitch(render);
