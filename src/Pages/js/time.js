import { lang, t } from "./i18n.js";

// People read a campaign's times in China Standard Time, whatever the browser's zone or locale.
export function beijing(iso, { date = true, zone = true } = {}) {
  const format = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", {
    timeZone: "Asia/Shanghai", hour12: false, hour: "2-digit", minute: "2-digit",
    ...(date ? { year: "numeric", month: "2-digit", day: "2-digit" } : { second: "2-digit" }),
  });
  const text = format.format(new Date(iso));
  return zone ? `${text} ${lang === "en" ? "Beijing time" : "北京时间"}` : text;
}

/** Time left as "2 天 03:04:05" (days only when there are any); never negative. */
export function countdown(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400), pad = n => String(n).padStart(2, "0");
  const clock = `${pad(Math.floor(s % 86400 / 3600))}:${pad(Math.floor(s % 3600 / 60))}:${pad(s % 60)}`;
  return d > 0 ? `${t("days", { n: d })} ${clock}` : clock;
}
