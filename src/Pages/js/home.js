import { call } from "./api.js";
import { t, setUpLanguageSwitch } from "./i18n.js";

async function render() {
  const box = document.getElementById("campaigns");
  const { ok, data } = await call("/api/campaigns");
  box.replaceChildren();
  if (!ok || data.length === 0) { box.textContent = t("noCampaigns"); return; }
  for (const c of data) {
    const card = document.createElement("div"); card.className = "card";
    const h = document.createElement("h2"); const a = document.createElement("a");
    a.href = `/c/${encodeURIComponent(c.id)}`; a.textContent = c.name; h.append(a);
    const p = document.createElement("p"); p.className = "muted";
    p.textContent = `${t("status_" + c.status)} · ${new Date(c.startsAt).toLocaleString()} – ${new Date(c.endsAt).toLocaleString()}`;
    const live = document.createElement("a"); live.href = `/c/${encodeURIComponent(c.id)}/live`; live.textContent = t("openLive");
    card.append(h, p, live); box.append(card);
  }
}
setUpLanguageSwitch(render);
render();
