// Where the official npm packages live (tests/node_modules of the repository, or
// SIO_NODE_MODULES), and the JSON-lines plumbing the peers share.
const path = require("node:path");

const nodeModules = process.env.SIO_NODE_MODULES || path.join(__dirname, "../../../../tests/node_modules");
const load = (name) => require(path.join(nodeModules, name));

/** Buffers become {"$bin":"hex"} so the C side can compare them as text. */
function enc(v) {
  if (Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
    return { $bin: Buffer.from(v instanceof ArrayBuffer ? new Uint8Array(v) : v).toString("hex") };
  }
  if (Array.isArray(v)) return v.map(enc);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, enc(x)]));
  return v;
}

/** The inverse of `enc`, for commands sent by the C test. */
function dec(v) {
  if (Array.isArray(v)) return v.map(dec);
  if (v && typeof v === "object") {
    if (typeof v.$bin === "string") return Buffer.from(v.$bin, "hex");
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, dec(x)]));
  }
  return v;
}

const out = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

/** Calls `onCommand(obj)` for each JSON line on stdin; exits when stdin closes. */
function commands(onCommand, onEnd = () => process.exit(0)) {
  let buf = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) onCommand(JSON.parse(line));
    }
  });
  process.stdin.on("end", onEnd);
}

module.exports = { load, enc, dec, out, commands };
