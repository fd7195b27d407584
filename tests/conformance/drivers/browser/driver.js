// Chromium driver (client role only): the official socket.io-client browser bundle
// (socket.io-client/dist/socket.io.min.js) in headless Chromium through playwright-core.
// The page is a blank document on its own loopback origin (a tiny static server here), so
// every request it makes to the server under test is a cross-origin one (CORS).
//   node driver.js
import { launchBrowser, startPageServer } from "../../../interop/browser/fixture.js";
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
  const dec = (v) => {
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map(dec);
    const keys = Object.keys(v);
    if (keys.length === 1 && typeof v.$bin === "string") {
      const s = atob(v.$bin);
      const a = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
      return a;
    }
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = dec(x);
    return o;
  };
  const out = (o) => window.__out(o);
  const splitAck = (raw) => {
    const args = [...raw];
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    return [args, ack];
  };
  const managers = new Map();
  const sockets = new Map();
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
      const manager = new window.io.Manager(url, mopts);
      managers.set(mname, { manager, sockets: [] });
      const live = () => !closed.has(manager);
      manager.on("reconnect_attempt", (n) => live() && out({ ev: "reconnect_attempt", client: mname, attempt: n }));
      manager.on("reconnect", (n) => live() && out({ ev: "reconnect", client: mname, attempt: n }));
      manager.on("reconnect_error", (e) => live() && out({ ev: "reconnect_error", client: mname, message: e?.message ?? String(e) }));
      manager.on("reconnect_failed", () => live() && out({ ev: "reconnect_failed", client: mname }));
      manager.on("open", () => manager.engine.on("upgrade", (t) => live() && out({ ev: "upgrade", client: mname, transport: t.name })));
      for (const { client, ns, auth } of list) {
        const s = manager.socket(ns, auth !== undefined ? { auth: dec(auth) } : {});
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
              acks.set(key, ack);
            }
            out({ ev: "event", client, name, args: enc(args), ack: key });
          });
        }
      }
      for (const s of managers.get(mname).sockets) s.connect();
    },
    emit({ client, event, args = [], ackTag, ackTimeout }) {
      const s = sock(client);
      const a = dec(args);
      if (ackTag === undefined) s.emit(event, ...a);
      else if (ackTimeout !== undefined) {
        s.timeout(ackTimeout).emit(event, ...a, (err, ...res) => out(err ? { ev: "ack", client, tag: ackTag, error: err.message } : { ev: "ack", client, tag: ackTag, args: enc(res) }));
      } else s.emit(event, ...a, (...res) => out({ ev: "ack", client, tag: ackTag, args: enc(res) }));
    },
    ack({ ack, args = [] }) {
      const fn = acks.get(ack);
      if (!fn) throw new Error(`no pending ack ${ack}`);
      acks.delete(ack);
      fn(...dec(args));
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
const handlers = Object.fromEntries(COMMANDS.map((cmd) => [cmd, async (msg) => {
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
