// Chromium driver (client role only): the official socket.io-client browser bundle
// (socket.io-client/dist/socket.io.min.js) in headless Chromium through playwright-core.
// A `connect` with `options.parser: "msgpack"` (the runner's --parser msgpack) uses the
// bundle with socket.io-msgpack-parser built in (socket.io.msgpack.min.js) instead, loaded
// into the page the first time it is needed; its binary arguments are ArrayBuffers (notepack's
// browser build writes a Uint8Array as a map, an ArrayBuffer as binary).
// The page is a blank document on its own loopback origin (a tiny static server here), so
// every request it makes to the server under test is a cross-origin one (CORS).
//   node driver.js
import { readFileSync } from "node:fs";
import { launchBrowser, startPageServer, MSGPACK_BUNDLE } from "../../../interop/browser/fixture.js";
import { out, serve } from "../common.js";

const pageServer = await startPageServer();

const browser = await launchBrowser();
const page = await browser.newPage();
page.on("pageerror", (err) => out({ ev: "log", message: `pageerror: ${err.message}` }));
await page.exposeFunction("__out", (obj) => out(obj));
await page.goto(`${pageServer.url}/blank.html`);

// The client driver, in the page: the same commands as drivers/node/driver.js (client role).
await page.evaluate(() => {
  const b64 = (buf) => {
    const bytes = new Uint8Array(buf instanceof ArrayBuffer ? buf : buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    let s = "";
    for (const x of bytes) s += String.fromCharCode(x);
    return btoa(s);
  };
  const isBin = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v) || (typeof Blob !== "undefined" && v instanceof Blob);
  const enc = (v) => {
    if (v === undefined) return null;
    if (v === null || typeof v !== "object") return v;
    if (isBin(v)) return { $bin: b64(v) };
    if (Array.isArray(v)) return v.map(enc);
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = enc(x);
    return o;
  };
  // binary values become Uint8Arrays, or ArrayBuffers for a msgpack client (`buffers`)
  const dec = (v, buffers = false) => {
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map((x) => dec(x, buffers));
    const keys = Object.keys(v);
    if (keys.length === 1 && typeof v.$bin === "string") {
      const s = atob(v.$bin);
      const a = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
      return buffers ? a.buffer : a;
    }
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = dec(x, buffers);
    return o;
  };
  // the default bundle's io, before socket.io.msgpack.min.js (if loaded) replaces window.io
  const ioDefault = window.io;
  const out = (o) => window.__out(o);
  const splitAck = (raw) => {
    const args = [...raw];
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    return [args, ack];
  };
  const managers = new Map();
  const sockets = new Map();
  const msgpackSockets = new WeakSet();
  const acks = new Map();
  let ackSeq = 0;
  const closed = new WeakSet();
  const sock = (name) => {
    const s = sockets.get(name);
    if (!s) throw new Error(`no client ${name}`);
    return s;
  };
  window.__driver = {
    connect({ manager: mname, url, options = {}, sockets: list, events = [] }) {
      const mopts = { autoConnect: false };
      for (const k of ["transports", "upgrade", "reconnection", "reconnectionAttempts", "reconnectionDelay", "reconnectionDelayMax", "randomizationFactor", "timeout"]) {
        if (options[k] !== undefined) mopts[k] = options[k];
      }
      let io = ioDefault;
      if (options.parser === "msgpack") {
        io = window.__ioMsgpack;
        if (!io) throw new Error("socket.io.msgpack.min.js is not loaded");
      } else if (options.parser !== undefined && options.parser !== "default") {
        throw new Error(`unknown parser ${options.parser}`);
      }
      const buffers = io !== ioDefault;
      const manager = new io.Manager(url, mopts);
      managers.set(mname, { manager, sockets: [] });
      const live = () => !closed.has(manager);
      manager.on("reconnect_attempt", (n) => live() && out({ ev: "reconnect_attempt", client: mname, attempt: n }));
      manager.on("reconnect", (n) => live() && out({ ev: "reconnect", client: mname, attempt: n }));
      manager.on("reconnect_error", (e) => live() && out({ ev: "reconnect_error", client: mname, message: e?.message ?? String(e) }));
      manager.on("reconnect_failed", () => live() && out({ ev: "reconnect_failed", client: mname }));
      manager.on("open", () => manager.engine.on("upgrade", (t) => live() && out({ ev: "upgrade", client: mname, transport: t.name })));
      for (const { client, ns, auth } of list) {
        const s = manager.socket(ns, auth !== undefined ? { auth: dec(auth, buffers) } : {});
        if (buffers) msgpackSockets.add(s);
        managers.get(mname).sockets.push(s);
        sockets.set(client, s);
        s.on("connect", () => live() && out({ ev: "connect", client, id: s.id, recovered: !!s.recovered }));
        s.on("connect_error", (err) => live() && out({ ev: "connect_error", client, message: err.message, data: enc(err.data ?? null), active: s.active }));
        s.on("disconnect", (reason) => live() && out({ ev: "disconnect", client, reason, active: s.active }));
        for (const name of events) {
          s.on(name, (...raw) => {
            if (!live()) return;
            const [args, ack] = splitAck(raw);
            let key = null;
            if (ack) {
              key = `k${++ackSeq}`;
              acks.set(key, { fn: ack, buffers });
            }
            out({ ev: "event", client, name, args: enc(args), ack: key });
          });
        }
      }
      for (const s of managers.get(mname).sockets) s.connect();
    },
    emit({ client, event, args = [], ackTag, ackTimeout }) {
      const s = sock(client);
      const a = dec(args, msgpackSockets.has(s));
      if (ackTag === undefined) s.emit(event, ...a);
      else if (ackTimeout !== undefined) {
        s.timeout(ackTimeout).emit(event, ...a, (err, ...res) => out(err ? { ev: "ack", client, tag: ackTag, error: err.message } : { ev: "ack", client, tag: ackTag, args: enc(res) }));
      } else s.emit(event, ...a, (...res) => out({ ev: "ack", client, tag: ackTag, args: enc(res) }));
    },
    ack({ ack, args = [] }) {
      const entry = acks.get(ack);
      if (!entry) throw new Error(`no pending ack ${ack}`);
      acks.delete(ack);
      entry.fn(...dec(args, entry.buffers));
    },
    disconnect({ client }) {
      sock(client).disconnect();
    },
    connectAgain({ client }) {
      sock(client).connect();
    },
    state({ client }) {
      const s = sock(client);
      return { connected: s.connected, active: s.active, id: s.id ?? null, recovered: !!s.recovered };
    },
    transport({ client }) {
      return { transport: sock(client).io.engine.transport.name };
    },
    close() {
      for (const { manager, sockets: list } of managers.values()) {
        closed.add(manager);
        for (const s of list) s.disconnect();
      }
      managers.clear();
      sockets.clear();
      acks.clear();
    },
  };
});

const COMMANDS = ["connect", "emit", "ack", "disconnect", "connectAgain", "state", "transport", "close"];
let msgpackLoaded = false;
const handlers = Object.fromEntries(COMMANDS.map((cmd) => [cmd, async (msg) => {
  if (cmd === "connect" && msg.options?.parser === "msgpack" && !msgpackLoaded) {
    // the msgpack bundle (UMD) sets window.io: keep it aside and put the default one back
    await page.evaluate(() => {
      window.__ioDefault = window.io;
    });
    await page.addScriptTag({ content: readFileSync(MSGPACK_BUNDLE, "utf8") });
    await page.evaluate(() => {
      window.__ioMsgpack = window.io;
      window.io = window.__ioDefault;
    });
    msgpackLoaded = true;
  }
  // page.evaluate rethrows in-page errors with a long prefix; keep the message itself
  const r = await page.evaluate(([c, m]) => {
    try {
      return { ok: true, result: window.__driver[c](m) ?? {} };
    } catch (e) {
      return { ok: false, error: e && e.message ? e.message : String(e) };
    }
  }, [cmd, msg]);
  if (!r.ok) throw new Error(r.error);
  return r.result;
}]));

serve(handlers, async () => {
  await browser.close().catch(() => {});
  await pageServer.close();
});
out({ ev: "ready", lib: "socket.io-client (Chromium)", role: "client" });
