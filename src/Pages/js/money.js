// Money is integer fen. Shown as ¥1,234.56; typed in yuan and parsed exactly, without floating point.
export function yuan(fen) {
  const negative = fen < 0; fen = Math.abs(Math.trunc(fen));
  const whole = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${negative ? "-" : ""}¥${whole}.${String(fen % 100).padStart(2, "0")}`;
}

/** "50" → 5000, "12.3" → 1230, "0.05" → 5; anything else → null (the server names the problem). */
export function parseYuan(text) {
  const m = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text ?? "");
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
}

export function percent(part, whole) { return whole > 0 ? Math.min(100, Math.round(part * 100 / whole)) : 0; }
