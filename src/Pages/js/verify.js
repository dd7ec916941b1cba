// The donor's own check of the public ledger (docs/ledger.md), done in the browser with Web Crypto: the entry's leaf
// hash (RFC 6962: SHA-256(0x00 ‖ canonical entry)), its inclusion proof up to the checkpoint's root (RFC 9162
// §2.1.3.2), and the checkpoint's ECDSA P-256 signature under the published key. Nothing here trusts the server's word.
const enc = new TextEncoder();
const unb64 = s => Uint8Array.from(atob(s), c => c.charCodeAt(0));
const b64 = bytes => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const concat = (...parts) => { const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0)); let i = 0; for (const p of parts) { out.set(p, i); i += p.length; } return out; };
const sha256 = async bytes => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));

export function canonical(e) {
  return JSON.stringify({ pledgeId: e.pledgeId, projectId: e.projectId, amount: e.amount, matched: e.matched, fundId: e.fundId ?? null,
    channel: e.channel, maskedName: e.maskedName ?? null, acceptedAt: e.acceptedAt });
}

export const leafHash = async entry => sha256(concat(new Uint8Array([0]), enc.encode(canonical(entry))));

export async function rootFromInclusion(leafIndex, treeSize, leaf, path) {
  if (leafIndex >= treeSize) return null;
  let fn = leafIndex, sn = treeSize - 1, r = leaf;
  for (const p of path.map(unb64)) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(concat(new Uint8Array([1]), p, r));
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await sha256(concat(new Uint8Array([1]), r, p));
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

export async function signatureHolds(checkpoint, key) {
  const der = unb64(key.publicKeyPem.replace(/-----[^-]+-----|\s/g, ""));
  const pub = await crypto.subtle.importKey("spki", der, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  const id = Array.from((await sha256(der)).slice(0, 8), b => b.toString(16).padStart(2, "0")).join("");
  if (id !== key.keyId || checkpoint.keyId !== key.keyId) return false;
  const text = `givingday-checkpoint/v1\n${checkpoint.campaignId}\n${checkpoint.treeSize}\n${checkpoint.rootHash}\n${checkpoint.timestamp}\n`;
  return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, pub, unb64(checkpoint.signature), enc.encode(text));
}

/** Checks one pledge end to end. Returns { state: "verified" | "waiting" | "unknown" | "failed", ... }. */
export async function verifyPledge(call, campaignId, pledgeId) {
  const c = encodeURIComponent(campaignId), p = encodeURIComponent(pledgeId);
  const status = await call(`/api/campaigns/${c}/pledges/${p}`);
  if (status.status === 404) return { state: "unknown" };
  if (!status.ok) return { state: "failed", check: "status" };
  if (!status.data.ledger) return { state: "waiting", counted: status.data.status === "counted" };
  const cp = await call(`/api/campaigns/${c}/ledger/checkpoint`);
  if (!cp.ok) return { state: "waiting", counted: true };
  const proof = await call(`/api/campaigns/${c}/ledger/proof?pledgeId=${p}&treeSize=${cp.data.treeSize}`);
  if (!proof.ok) return { state: "waiting", counted: true };
  const i = proof.data.leafIndex;
  const page = await call(`/api/campaigns/${c}/ledger/entries?start=${i}&end=${i + 1}`);
  const key = await call(`/api/ledger/public-key`);
  const item = page.data?.entries?.[0];
  if (!item || item.entry.pledgeId !== pledgeId) return { state: "failed", check: "entry" };
  const leaf = await leafHash(item.entry);
  if (b64(leaf) !== item.leafHash) return { state: "failed", check: "leaf" };
  const root = await rootFromInclusion(i, cp.data.treeSize, leaf, proof.data.auditPath);
  if (!root || b64(root) !== cp.data.rootHash) return { state: "failed", check: "inclusion" };
  if (!key.ok || !(await signatureHolds(cp.data, key.data))) return { state: "failed", check: "signature" };
  return { state: "verified", index: i, entry: item.entry, checkpoint: cp.data };
}
