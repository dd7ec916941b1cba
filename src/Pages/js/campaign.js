import { call, campaignIdFromPath, newKey } from "./api.js";
import { t, setUpLanguageSwitch } from "./i18n.js";
import { yuan, parseYuan, percent } from "./money.js";
import { beijing, countdown } from "./time.js";
import { verifyPledge } from "./verify.js";

const id = campaignIdFromPath();
const form = document.getElementById("pledge");
const status = document.getElementById("status");
const button = document.getElementById("give");
let campaign = null, board = null;
// One key per submission: a double click or a retry of the same form reuses it, so the gift is given once.
let key = newKey();
let sending = false;

document.getElementById("live-link").href = `/c/${encodeURIComponent(id)}/live`;

function renderCampaign() {
  if (!campaign) return;
  document.getElementById("title").textContent = campaign.name;
  document.title = `${campaign.name} · GivingDay`;
  document.getElementById("dates").textContent =
    `${t("status_" + campaign.status)} · ${beijing(campaign.startsAt)} – ${beijing(campaign.endsAt)}`;
  // Only a live campaign takes gifts: otherwise the form is disabled and says why.
  const open = campaign.status === "live";
  for (const control of form.elements) control.disabled = !open;
  const notice = document.getElementById("notice");
  notice.hidden = open;
  notice.textContent = campaign.status === "draft" ? upcomingNotice()
    : campaign.status === "finalized" ? t("finalizedNotice") : open ? "" : t("closedNotice");
  const select = document.getElementById("projectId");
  const chosen = select.value || new URLSearchParams(location.search).get("project");
  select.replaceChildren(...campaign.projects.map(p => new Option(p.name, p.id)));
  if (chosen && campaign.projects.some(p => p.id === chosen)) select.value = chosen;
  renderProjects();
}

// An upcoming campaign counts down to its start, and opens the form when it comes.
const upcomingNotice = () => `${t("notStarted", { t: beijing(campaign.startsAt) })} ${t("startsIn")} ${countdown(Date.parse(campaign.startsAt) - Date.now())}`;
setInterval(() => {
  if (campaign?.status !== "draft") return;
  if (Date.now() >= Date.parse(campaign.startsAt)) load(); else document.getElementById("notice").textContent = upcomingNotice();
}, 1000);

function renderProjects() {
  const box = document.getElementById("projects");
  box.replaceChildren();
  for (const p of campaign.projects) {
    const figures = board?.projects.find(x => x.projectId === p.id) ?? { total: 0, donors: 0 };
    const card = document.createElement("div"); card.className = "card project"; card.id = `project-${p.id}`;
    const h = document.createElement("h3"); h.textContent = p.name;
    if (p.pictureUrl) {
      const img = document.createElement("img"); img.src = p.pictureUrl; img.alt = p.name; img.loading = "lazy"; img.className = "picture";
      card.append(img);
    }
    const bar = document.createElement("div"); bar.className = "bar"; bar.setAttribute("role", "img");
    bar.setAttribute("aria-label", `${percent(figures.total, p.goal)}%`);
    const fill = document.createElement("span"); fill.style.width = `${percent(figures.total, p.goal)}%`; bar.append(fill);
    const line = document.createElement("p"); line.className = "muted";
    line.textContent = `${t("total")} ${yuan(figures.total)} / ${t("goal")} ${yuan(p.goal)} (${percent(figures.total, p.goal)}%) · ${t("donors")} ${figures.donors}`;
    card.append(h, bar, line);
    if (p.story) { const story = document.createElement("p"); story.className = "story"; story.textContent = p.story; card.append(story); }
    // Each project has its own link, to share: it opens this page with the project chosen.
    const share = document.createElement("a"); share.href = `?project=${encodeURIComponent(p.id)}#project-${encodeURIComponent(p.id)}`;
    share.textContent = t("giveTo"); share.addEventListener("click", () => { document.getElementById("projectId").value = p.id; });
    card.append(share); box.append(card);
  }
  const funds = document.getElementById("funds");
  funds.replaceChildren();
  for (const f of campaign.matchingFunds) {
    const live = board?.funds.find(x => x.id === f.id) ?? f;
    const now = Date.now();
    if (now < Date.parse(f.startsAt) || now >= Date.parse(f.endsAt)) continue;
    const p = document.createElement("p"); p.className = "card fund";
    p.textContent = live.remaining > 0
      ? t("fundActive", { sponsor: f.sponsor, ratio: f.ratio, remaining: yuan(live.remaining), pool: yuan(live.pool) })
      : t("fundOut", { sponsor: f.sponsor });
    funds.append(p);
  }
}

async function load() {
  const c = await call(`/api/campaigns/${encodeURIComponent(id)}`);
  if (!c.ok) { document.getElementById("title").textContent = c.data?.detail ?? "404"; return; }
  campaign = c.data;
  const b = await call(`/api/campaigns/${encodeURIComponent(id)}/leaderboard`);
  if (b.ok) board = b.data;
  renderCampaign();
}

function clearErrors() { form.querySelectorAll(".error").forEach(e => { e.textContent = ""; }); form.querySelectorAll("[aria-invalid]").forEach(e => e.removeAttribute("aria-invalid")); }

function showFieldErrors(errors) {
  let shown = false;
  for (const [field, messages] of Object.entries(errors ?? {})) {
    const slot = document.getElementById(`err-${field}`);
    if (!slot) continue;
    slot.textContent = messages.join(" ");
    const input = document.getElementById(field.replace("donor.", ""));
    input?.setAttribute("aria-invalid", "true");
    input?.setAttribute("aria-describedby", slot.id);
    shown = true;
  }
  return shown;
}

form.addEventListener("input", event => {
  // A changed form is a new gift: a new key.
  if (!sending && event.target.id !== "status") key = newKey();
});

document.querySelectorAll(".quick button").forEach(b => b.addEventListener("click", () => {
  document.getElementById("amount").value = b.dataset.yuan;
  document.querySelectorAll(".quick button").forEach(x => x.setAttribute("aria-pressed", String(x === b)));
  key = newKey();
}));

form.addEventListener("submit", async event => {
  event.preventDefault();
  if (sending) return;
  sending = true; button.disabled = true; button.textContent = t("sending");
  clearErrors(); status.className = "status"; status.textContent = "";
  const amountText = document.getElementById("amount").value;
  const parsed = parseYuan(amountText);
  const body = {
    projectId: document.getElementById("projectId").value,
    // An amount that is not yuan with at most two decimals goes as the text, so the server names the field.
    amount: parsed ?? amountText,
    donor: {
      name: document.getElementById("name").value || null,
      anonymous: document.getElementById("anonymous").checked,
      contact: document.getElementById("contact").value || null,
    },
    message: document.getElementById("message").value || null,
  };
  try {
    const r = await call(`/api/campaigns/${encodeURIComponent(id)}/pledges`, { method: "POST", body, headers: { "Idempotency-Key": key } });
    if (r.status === 202) {
      status.textContent = t("accepted", { id: r.data.pledgeId });
      remember(r.data.pledgeId);
      // A second click right after the answer is the same gift (the server replays it); a gift given again on
      // purpose, a few seconds later or with a changed form, gets its own key.
      const given = key;
      setTimeout(() => { if (key === given && !sending) key = newKey(); }, 5000);
      follow(r.data.statusUrl);
    } else if (r.status === 429) {
      status.className = "status bad"; status.textContent = t("tooMany", { s: r.headers.get("Retry-After") ?? "1" });
    } else {
      if (!showFieldErrors(r.data?.errors)) { status.className = "status bad"; status.textContent = t("failed", { detail: r.data?.detail ?? r.status }); }
    }
  } catch {
    status.className = "status bad"; status.textContent = t("network");
  } finally {
    sending = false; button.disabled = false; button.textContent = t("give");
  }
});

async function follow(url) {
  for (let i = 0; i < 60; i++) {
    await new Promise(r => setTimeout(r, 1000));
    const r = await call(url);
    if (r.ok && r.data.status === "counted") {
      status.textContent = r.data.matched > 0 ? t("countedMatched", { amount: yuan(r.data.matched) }) : t("counted");
      load();
      return;
    }
  }
}

setUpLanguageSwitch(renderCampaign);
load();

// The donor's check of the public ledger. Pledge ids given from this browser are remembered, the latest first.
const remembered = `givingday.pledges.${id}`;
function remember(pledgeId) {
  const ids = [pledgeId, ...JSON.parse(localStorage.getItem(remembered) ?? "[]").filter(x => x !== pledgeId)].slice(0, 20);
  localStorage.setItem(remembered, JSON.stringify(ids));
  document.getElementById("verify-id").value = pledgeId;
}
document.getElementById("verify-id").value = JSON.parse(localStorage.getItem(remembered) ?? "[]")[0] ?? "";
document.getElementById("verify-button").addEventListener("click", async () => {
  const out = document.getElementById("verify-result");
  const pledgeId = document.getElementById("verify-id").value.trim();
  if (!pledgeId) return;
  out.className = "status"; out.textContent = t("verifying");
  try {
    const v = await verifyPledge(call, id, pledgeId);
    const project = campaign?.projects.find(p => p.id === v.entry?.projectId)?.name ?? v.entry?.projectId;
    out.className = v.state === "verified" ? "status good" : v.state === "failed" ? "status bad" : "status";
    out.textContent = v.state === "verified"
      ? t("verified", { amount: yuan(v.entry.amount), project, n: v.index + 1, t: beijing(v.checkpoint.timestamp), size: v.checkpoint.treeSize })
      : v.state === "waiting" ? t("verifyWaiting") : v.state === "unknown" ? t("verifyUnknown") : t("verifyFailed", { check: v.check });
  } catch {
    out.className = "status bad"; out.textContent = t("network");
  }
});
