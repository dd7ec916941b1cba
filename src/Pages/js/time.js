import { lang } from "./i18n.js";

// People read a campaign's times in China Standard Time, whatever the browser's zone or locale.
export function beijing(iso, { date = true } = {}) {
  const format = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", {
    timeZone: "Asia/Shanghai", hour12: false, hour: "2-digit", minute: "2-digit",
    ...(date ? { year: "numeric", month: "2-digit", day: "2-digit" } : { second: "2-digit" }),
  });
  return `${format.format(new Date(iso))} ${lang === "en" ? "Beijing time" : "北京时间"}`;
}
