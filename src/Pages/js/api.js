import { lang } from "./i18n.js";

// The API base comes from /config.js, so the pages also work as static files on another host.
const base = (window.GIVINGDAY_CONFIG?.apiBase ?? "").replace(/\/$/, "");

export const campaignIdFromPath = () => decodeURIComponent(location.pathname.split("/")[2] ?? "");

export async function call(path, { method = "GET", body, headers = {}, key, raw = false } = {}) {
  // The server words its errors (problem+json) in the page's language.
  const h = { "Accept-Language": lang === "en" ? "en" : "zh-CN", ...headers };
  if (key) h.Authorization = `Bearer ${key}`;
  if (body !== undefined && !(body instanceof Blob) && typeof body !== "string") { h["Content-Type"] = "application/json"; body = JSON.stringify(body); }
  const response = await fetch(base + path, { method, headers: h, body });
  const type = response.headers.get("Content-Type") ?? "";
  // raw: the bytes as served (a downloaded CSV keeps its BOM, which response.text() would drop).
  const data = raw && response.ok ? await response.blob() : type.includes("json") ? await response.json() : type.startsWith("text/") ? await response.text() : await response.blob();
  return { status: response.status, ok: response.ok, data, headers: response.headers };
}

export function newKey() {
  return (crypto.randomUUID?.() ?? `${Date.now()}-${Math.random()}`).replace(/[^A-Za-z0-9]/g, "").slice(0, 32);
}
