// The line protocol as seen from a JavaScript driver: read commands, write replies and
// observations, convert binary values to and from `{"$bin": "<base64>"}`.
import { createInterface } from "node:readline";

export const out = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

const isBinary = (v) => Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v);

/** JS value → line protocol value (binary → {$bin}). */
export function enc(v) {
  if (v === undefined) return null;
  if (v === null || typeof v !== "object") return v;
  if (isBinary(v)) {
    const b = Buffer.isBuffer(v) ? v : v instanceof ArrayBuffer ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    return { $bin: b.toString("base64") };
  }
  if (Array.isArray(v)) return v.map(enc);
  const o = {};
  for (const [k, x] of Object.entries(v)) o[k] = enc(x);
  return o;
}

/** Line protocol value → JS value ({$bin} → Buffer). */
export function dec(v) {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(dec);
  const keys = Object.keys(v);
  if (keys.length === 1 && typeof v.$bin === "string") return Buffer.from(v.$bin, "base64");
  const o = {};
  for (const [k, x] of Object.entries(v)) o[k] = dec(x);
  return o;
}

export const sorted = (rooms) => [...rooms].map(String).sort();

/** Splits handler arguments into (args, ack). */
export function splitAck(raw) {
  const args = [...raw];
  const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
  return [args, ack];
}

/**
 * Reads commands from stdin and answers each with `{"re": id, "ok": true, ...result}` or
 * `{"re": id, "ok": false, "error": message}`. `handlers[cmd](msg)` may be async. Exits when
 * stdin closes (after `onEnd`).
 */
export function serve(handlers, onEnd = async () => {}) {
  const rl = createInterface({ input: process.stdin });
  rl.on("line", async (line) => {
    if (!line.trim()) return;
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    const h = handlers[msg.cmd];
    try {
      if (!h) throw new Error(`unknown command ${msg.cmd}`);
      const result = await h(msg);
      out({ re: msg.id, ok: true, ...(result ?? {}) });
    } catch (err) {
      out({ re: msg.id, ok: false, error: err && err.message ? err.message : String(err) });
    }
  });
  rl.on("close", async () => {
    try { await onEnd(); } catch { /* exiting anyway */ }
    process.exit(0);
  });
}

/** Rejects after `ms`. */
export function within(promise, ms, what) {
  let t;
  return Promise.race([promise, new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`${what}: no answer within ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(t));
}
