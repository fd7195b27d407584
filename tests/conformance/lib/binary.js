// Binary values on the line protocol are `{"$bin": "<base64>"}`. A driver declared with
// `"binary": "placeholder"` (the C driver) speaks socket.io's own form instead: each `args`
// array carries `{"_placeholder": true, "num": N}` and the message a `bufs` list of base64
// strings; these helpers convert at the runner's side of the pipe.

const isBin = (v) => v !== null && typeof v === "object" && !Array.isArray(v) &&
  Object.keys(v).length === 1 && typeof v.$bin === "string";

function deconstruct(v, bufs) {
  if (isBin(v)) {
    bufs.push(v.$bin);
    return { _placeholder: true, num: bufs.length - 1 };
  }
  if (Array.isArray(v)) return v.map((x) => deconstruct(x, bufs));
  if (v !== null && typeof v === "object") {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = deconstruct(x, bufs);
    return out;
  }
  return v;
}

function reconstruct(v, bufs) {
  if (v !== null && typeof v === "object" && !Array.isArray(v) && v._placeholder === true && typeof v.num === "number") {
    return { $bin: bufs[v.num] ?? "" };
  }
  if (Array.isArray(v)) return v.map((x) => reconstruct(x, bufs));
  if (v !== null && typeof v === "object") {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = reconstruct(x, bufs);
    return out;
  }
  return v;
}

/** Outgoing command: `args` → placeholders + `bufs`. */
export function toPlaceholders(msg) {
  if (!Array.isArray(msg.args)) return msg;
  const bufs = [];
  return { ...msg, args: deconstruct(msg.args, bufs), bufs };
}

/** Incoming reply or observation: `args` + `bufs` → `$bin` values. */
export function fromPlaceholders(msg) {
  if (!Array.isArray(msg.args)) return msg;
  const { bufs = [], ...rest } = msg;
  return { ...rest, args: reconstruct(msg.args, bufs) };
}
