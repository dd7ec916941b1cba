import { call } from "./api.js";
import { t, setUpLanguageSwitch } from "./i18n.js";
import { beijing } from "./time.js";

// Campaigns grouped by where they are in their life: live first, then upcoming, then ended.
const groups = [["group_live", ["live"]], ["group_draft", ["draft"]], ["group_ended", ["closed", "finalized"]]];

async function render() {
  const box = document.getElementById("campaigns");
  const { ok, data } = await call("/api/campaigns");
  box.replaceChildren();
  if (!ok || data.length === 0) { box.textContent = t("noCampaigns"); return; }
  for (const [title, statuses] of groups) {
    const members = data.filter(c => statuses.includes(c.status));
    if (members.length === 0) continue;
    const section = document.createElement("section"); section.className = `group group-${title}`;
    const h = document.createElement("h2"); h.textContent = t(title); section.append(h);
    for (const c of members) {
      const card = document.createElement("div"); card.className = "card";
      const name = document.createElement("h3"); const a = document.createElement("a");
      a.href = `/c/${encodeURIComponent(c.id)}`; a.textContent = c.name; name.append(a);
      const p = document.createElement("p"); p.className = "muted";
      p.textContent = `${t("status_" + c.status)} · ${beijing(c.startsAt)} – ${beijing(c.endsAt)}`;
      const live = document.createElement("a"); live.href = `/c/${encodeURIComponent(c.id)}/live`;
      live.textContent = ["closed", "finalized"].includes(c.status) ? t("finalResults") : t("openLive");
      card.append(name, p, live); section.append(card);
    }
    box.append(section);
  }
}
setUpLanguageSwitch(render);
render();
