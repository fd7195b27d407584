// Node driver: the official socket.io / socket.io-client (`--lib reference`) or the sio Node
// addon (`--lib sio`, bindings/node, the same API), as server or client (`--role`).
//   node driver.js --lib reference|sio --role server|client
// options.parser "msgpack" (of listen / connect): socket.io-msgpack-parser, for both libraries.
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { out, enc, dec, sorted, splitAck, serve, within } from "../common.js";

const argv = process.argv.slice(2);
const opt = (name, def) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : def);
const libName = opt("--lib", "reference");
const role = opt("--role", "server");
const require = createRequire(import.meta.url);

let lib;
if (libName === "sio") {
  lib = require("../../../../bindings/node");
} else if (role === "server") {
  lib = await import("socket.io");
} else {
  lib = await import("socket.io-client");
}

/**
 * The `parser` option for the runner's `--parser` (`options.parser`: "default" or "msgpack"):
 * socket.io-msgpack-parser's module, given as is to socket.io, socket.io-client and the addon
 * alike (the addon recognises the module). undefined: the default parser.
 */
function parserOption(name) {
  if (name === undefined || name === "default") return undefined;
  if (name === "msgpack") return require("socket.io-msgpack-parser");
  throw new Error(`unknown parser ${name}`);
}

// ------------------------------------------------------------------ server
function serverDriver() {
  let io = null;
  let httpServer = null;
  const sockets = new Map(); // id -> socket
  const acks = new Map();
  let ackSeq = 0;
  const sock = (id) => {
    const s = sockets.get(id);
    if (!s) throw new Error(`no connected socket ${id}`);
    return s;
  };

  function onConnection(socket, events) {
    const ns = socket.nsp.name;
    const id = socket.id;
    sockets.set(id, socket);
    out({ ev: "connection", ns, id, conn: socket.conn.id, transport: socket.conn.transport.name, recovered: !!socket.recovered,
      auth: enc(socket.handshake.auth ?? {}), rooms: sorted(socket.rooms) });
    socket.on("disconnecting", (reason) => out({ ev: "disconnecting", ns, id, reason, rooms: sorted(socket.rooms) }));
    socket.on("disconnect", (reason) => {
      if (sockets.get(id) === socket) sockets.delete(id);
      out({ ev: "disconnect", ns, id, reason });
    });
    for (const name of events) {
      socket.on(name, (...raw) => {
        const [args, ack] = splitAck(raw);
        let key = null;
        if (ack) {
          key = `k${++ackSeq}`;
          acks.set(key, ack);
        }
        out({ ev: "event", ns, id, name, args: enc(args), ack: key });
      });
    }
  }

  return {
    async listen({ options = {}, namespaces = {}, events = [] }) {
      const opts = { cors: { origin: "*" } };
      for (const k of ["pingInterval", "pingTimeout", "connectTimeout", "transports"]) if (options[k] !== undefined) opts[k] = options[k];
      const parser = parserOption(options.parser);
      if (parser) opts.parser = parser;
      if (options.recovery) opts.connectionStateRecovery = { maxDisconnectionDuration: options.recovery.maxDisconnectionDuration ?? 60000, skipMiddlewares: true };
      let port;
      if (libName === "sio") {
        io = new lib.Server(opts);
        io.listen(0);
        port = io.httpServer.address().port;
      } else {
        httpServer = createServer();
        io = new lib.Server(httpServer, opts);
        await new Promise((resolve, reject) => {
          httpServer.once("error", reject);
          httpServer.listen(0, "127.0.0.1", resolve);
        });
        port = httpServer.address().port;
      }
      io.engine.on("connection", (conn) => {
        conn.on("upgrade", (t) => out({ ev: "upgrade", conn: conn.id, transport: t.name }));
      });
      for (const name of ["/", ...Object.keys(namespaces)]) {
        const nsp = io.of(name);
        const refuse = namespaces[name]?.refuse;
        if (refuse) {
          nsp.use((_socket, next) => {
            const err = new Error(refuse.message);
            if (refuse.data !== undefined) err.data = dec(refuse.data);
            next(err);
          });
        }
        nsp.on("connection", (s) => onConnection(s, events));
      }
      return { port };
    },
    async close() {
      if (io) {
        const srv = io;
        io = null;
        await within(srv.close(), 5000, "io.close()").catch(() => {});
      }
      sockets.clear();
      acks.clear();
    },
    emit({ ns = "/", socket, from, rooms, except, event, args = [], ackTag, ackTimeout }) {
      const a = dec(args);
      if (ackTag !== undefined) {
        const s = sock(socket);
        const cb = (err, ...res) => out(err ? { ev: "ack", tag: ackTag, error: err.message } : { ev: "ack", tag: ackTag, args: enc(res) });
        s.timeout(ackTimeout ?? 5000).emit(event, ...a, cb);
        return;
      }
      let target;
      if (socket !== undefined) target = sock(socket);
      else if (from !== undefined) target = rooms?.length ? sock(from).to(rooms) : sock(from).broadcast;
      else {
        target = io.of(ns);
        if (rooms?.length) target = target.to(rooms);
      }
      if (except?.length) target = target.except(except);
      target.emit(event, ...a);
    },
    ack({ ack, args = [] }) {
      const fn = acks.get(ack);
      if (!fn) throw new Error(`no pending ack ${ack}`);
      acks.delete(ack);
      fn(...dec(args));
    },
    join({ socket, rooms }) {
      sock(socket).join(rooms);
    },
    leave({ socket, room }) {
      sock(socket).leave(room);
    },
    rooms({ socket }) {
      return { rooms: sorted(sock(socket).rooms) };
    },
    setData({ socket, data }) {
      sock(socket).data = dec(data);
    },
    async fetchSockets({ ns = "/" }) {
      const list = await io.of(ns).fetchSockets();
      return { sockets: list.map((r) => ({ id: r.id, rooms: sorted(r.rooms), data: enc(r.data ?? null) })).sort((x, y) => (x.id < y.id ? -1 : 1)) };
    },
    disconnect({ socket, close = false }) {
      sock(socket).disconnect(close);
    },
    transport({ socket }) {
      return { transport: sock(socket).conn.transport.name };
    },
  };
}

// ------------------------------------------------------------------ client
function clientDriver() {
  const managers = new Map(); // name -> { manager, sockets: [] }
  const sockets = new Map(); // client name -> socket
  const acks = new Map();
  let ackSeq = 0;
  let closed = new WeakSet();
  const sock = (name) => {
    const s = sockets.get(name);
    if (!s) throw new Error(`no client ${name}`);
    return s;
  };
  return {
    connect({ manager: mname, url, options = {}, sockets: list, events = [] }) {
      const mopts = { autoConnect: false };
      for (const k of ["transports", "upgrade", "reconnection", "reconnectionAttempts", "reconnectionDelay", "reconnectionDelayMax", "randomizationFactor", "timeout"]) {
        if (options[k] !== undefined) mopts[k] = options[k];
      }
      const parser = parserOption(options.parser);
      if (parser) mopts.parser = parser;
      const manager = new lib.Manager(url, mopts);
      const entry = { manager, sockets: [] };
      managers.set(mname, entry);
      const live = () => !closed.has(manager);
      manager.on("reconnect_attempt", (n) => live() && out({ ev: "reconnect_attempt", client: mname, attempt: n }));
      manager.on("reconnect", (n) => live() && out({ ev: "reconnect", client: mname, attempt: n }));
      manager.on("reconnect_error", (e) => live() && out({ ev: "reconnect_error", client: mname, message: e?.message ?? String(e) }));
      manager.on("reconnect_failed", () => live() && out({ ev: "reconnect_failed", client: mname }));
      manager.on("open", () => {
        const engine = manager.engine;
        if (engine && typeof engine.on === "function") {
          engine.on("upgrade", (t) => live() && out({ ev: "upgrade", client: mname, transport: t.name }));
        }
      });
      for (const { client, ns, auth } of list) {
        const s = manager.socket(ns, auth !== undefined ? { auth: dec(auth) } : {});
        entry.sockets.push(s);
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
      for (const s of entry.sockets) s.connect();
    },
    emit({ client, event, args = [], ackTag, ackTimeout }) {
      const s = sock(client);
      const a = dec(args);
      if (ackTag === undefined) {
        s.emit(event, ...a);
      } else if (ackTimeout !== undefined) {
        s.timeout(ackTimeout).emit(event, ...a, (err, ...res) => out(err ? { ev: "ack", client, tag: ackTag, error: err.message } : { ev: "ack", client, tag: ackTag, args: enc(res) }));
      } else {
        s.emit(event, ...a, (...res) => out({ ev: "ack", client, tag: ackTag, args: enc(res) }));
      }
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
      const engine = sock(client).io.engine;
      if (!engine || !engine.transport) throw new Error("this client does not expose its transport");
      return { transport: engine.transport.name };
    },
    close() {
      for (const { manager, sockets: list } of managers.values()) {
        closed.add(manager);
        for (const s of list) {
          try { s.disconnect(); } catch { /* already closed */ }
        }
      }
      managers.clear();
      sockets.clear();
      acks.clear();
    },
  };
}

const driver = role === "server" ? serverDriver() : clientDriver();
serve(driver, async () => {
  if (role === "server") await driver.close();
  else driver.close();
});
out({ ev: "ready", lib: libName, role });
