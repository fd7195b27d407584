#!/usr/bin/env node
// The interop server contract (tests/interop/CONTRACT.md) implemented with the official
// `socket.io@4` npm server. It is the control: the Rust `interop-server` example
// (core/examples/interop_server.rs) implements the same contract, and every interop suite
// must pass against this script too.
//
//   node tests/interop/reference-server.js --port P [--recovery] [--ping-interval MS]
//        [--ping-timeout MS] [--connect-timeout MS] [--transports polling,websocket]
//        [--tls-cert PEM --tls-key PEM] [--parser msgpack] [--allow-eio3] [--no-http-compression]
//        [--per-message-deflate[=THRESHOLD]]
//
//   SIO_INTEROP_SERVER=$PWD/tests/interop/reference-server.js node --test tests/interop/node/
//   SIO_INTEROP_SERVER=$PWD/tests/interop/reference-server.js python3 -m pytest -q tests/interop/python
//
// stdout: `listening on P` once accepting, then one JSON line per server-side event, with the
// same shapes (and key order) as the Rust example.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { Server } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";

// ---------------------------------------------------------------- command line (as the Rust `arg`)
const argv = process.argv.slice(2);
/** Value following `name`, parsed; undefined when absent or unparsable (the Rust example ignores it then). */
function arg(name, parse) {
  const i = argv.indexOf(name);
  if (i < 0 || i + 1 >= argv.length) return undefined;
  return parse(argv[i + 1]);
}
const int = (s) => (/^\d+$/.test(s) ? Number(s) : undefined);
const port = arg("--port", int) ?? 3000;
const pingInterval = arg("--ping-interval", int) ?? 25000;
const pingTimeout = arg("--ping-timeout", int) ?? 20000;
const connectTimeout = arg("--connect-timeout", int) ?? 45000;
const transports = arg("--transports", (s) => s.split(",").filter((t) => t === "polling" || t === "websocket"))
  ?? ["polling", "websocket"];
const recovery = argv.includes("--recovery");
const parser = arg("--parser", String) === "msgpack" ? { parser: msgpackParser } : {};

// ---------------------------------------------------------------- helpers
const log = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const sorted = (rooms) => [...rooms].sort();
const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const errorMessage = (e) => (e && typeof e.message === "string" ? e.message : String(e));

/** Splits the handler arguments into (args, ack) like the Rust API (ack = trailing callback, if any). */
function split(raw) {
  const args = [...raw];
  const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
  return [args, ack];
}
/** `first_str` of the Rust example: removes the first argument, as a string. */
function firstStr(args) {
  if (args.length === 0) return "";
  const v = args.shift();
  return typeof v === "string" ? v : JSON.stringify(v ?? null);
}
/** Acks when the client asked for one (like the Rust `reply`). */
function reply(ack, ...args) {
  if (ack) ack(...args);
}

// ---------------------------------------------------------------- server
// `--tls-cert PEM --tls-key PEM` serve https/wss (for the clients' TLS tests).
const tlsCert = arg("--tls-cert", String);
const tlsKey = arg("--tls-key", String);
const httpServer = tlsCert && tlsKey
  ? createTlsServer({ cert: readFileSync(tlsCert), key: readFileSync(tlsKey) })
  : createServer();
// `--per-message-deflate` (ws's threshold, 1024) or `--per-message-deflate=N`.
function perMessageDeflate() {
  const flag = argv.find((a) => a.startsWith("--per-message-deflate"));
  if (!flag) return {};
  const [, n] = flag.split("=");
  return { perMessageDeflate: n === undefined ? true : { threshold: Number(n) } };
}
const io = new Server(httpServer, {
  pingInterval,
  pingTimeout,
  connectTimeout,
  transports,
  // The admin UI connects from its own origin with `withCredentials: true`.
  cors: argv.includes("--admin-ui") ? { origin: true, credentials: true } : { origin: "*" },
  ...parser,
  allowEIO3: argv.includes("--allow-eio3"),
  ...(argv.includes("--no-http-compression") ? { httpCompression: false } : {}),
  ...perMessageDeflate(),
  ...(recovery ? { connectionStateRecovery: { maxDisconnectionDuration: 60000, skipMiddlewares: true } } : {}),
});

const reasons = [];

// Every upgrade of every connection, also one that completes before the first namespace CONNECT
// (python-engineio upgrades right after the polling handshake). `id` is the Engine.IO id: the
// upgrade belongs to the connection, not to a namespace socket.
io.engine.on("connection", (conn) => {
  conn.on("upgrade", (t) => log({ ev: "upgrade", id: conn.id, transport: t.name }));
});

function onConnection(socket) {
  const nsp = socket.nsp;
  const ns = nsp.name;
  const transport = socket.conn.transport.name;
  log({ ev: "connection", ns, id: socket.id, transport, recovered: socket.recovered });
  socket.emit("welcome", {
    id: socket.id,
    ns,
    auth: socket.handshake.auth ?? {},
    recovered: socket.recovered,
    transport,
    query: socket.handshake.query,
  });

  let roomsAtDisconnecting = [];
  socket.on("disconnecting", (reason) => {
    roomsAtDisconnecting = sorted(socket.rooms);
    log({ ev: "disconnecting", ns, id: socket.id, reason, rooms: roomsAtDisconnecting });
  });
  socket.on("disconnect", (reason) => {
    log({ ev: "disconnect", ns, id: socket.id, reason });
    reasons.push({ id: socket.id, ns, reason, rooms_at_disconnecting: roomsAtDisconnecting });
  });

  socket.use(([event], next) => (event === "forbidden" ? next(new Error("unauthorized event")) : next()));
  socket.on("error", (err) => {
    const message = errorMessage(err);
    log({ ev: "error", ns, id: socket.id, message });
    socket.emit("error-seen", message);
  });
  socket.onAny((event) => log({ ev: "any", id: socket.id, event: typeof event === "string" ? event : String(event) }));

  /** Registers `name` with a (args, ack) handler; a throwing handler never takes the process down. */
  const on = (name, handler) =>
    socket.on(name, (...raw) => {
      const [args, ack] = split(raw);
      try {
        const p = handler(args, ack);
        if (p && typeof p.catch === "function") p.catch((e) => process.stderr.write(`${name}: ${e.stack ?? e}\n`));
      } catch (e) {
        process.stderr.write(`${name}: ${e.stack ?? e}\n`);
      }
    });

  on("echo", (args, ack) => {
    socket.emit("echo", ...args);
    reply(ack, ...args);
  });
  on("join", (args, ack) => {
    socket.join(firstStr(args));
    reply(ack, sorted(socket.rooms));
  });
  on("leave", (args, ack) => {
    socket.leave(firstStr(args));
    reply(ack, sorted(socket.rooms));
  });
  on("to-room", (args) => {
    const room = firstStr(args);
    const event = firstStr(args);
    io.of(ns).to(room).emit(event, ...args);
  });
  on("broadcast", (args) => {
    const event = firstStr(args);
    socket.broadcast.emit(event, ...args);
  });
  on("broadcast-room", (args) => {
    const room = firstStr(args);
    const event = firstStr(args);
    socket.to(room).emit(event, ...args);
  });
  on("except-room", (args) => {
    const room = firstStr(args);
    const event = firstStr(args);
    io.of(ns).except(room).emit(event, ...args);
  });
  on("ask", (args, ack) => {
    const event = firstStr(args);
    socket.timeout(2000).emit(event, ...args, (err, ...replyArgs) => {
      if (!err) reply(ack, null, replyArgs);
      else if (err.message === "operation has timed out") reply(ack, "timeout", null);
      else reply(ack, errorMessage(err), null);
    });
  });
  on("ask-all", (args, ack) => {
    // io.of(ns).timeout(2000).emit(event, ..., cb) hands out only the first argument of each
    // reply; the contract keeps every reply's full argument list, so: one acked emit per socket
    // of the namespace (at this moment), one shared 2000 ms deadline, replies in arrival order.
    const event = firstStr(args);
    const targets = [...io.of(ns).sockets.values()];
    const replies = [];
    let pending = targets.length;
    let done = false;
    const finish = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reply(ack, err, replies);
    };
    const timer = setTimeout(() => finish("timeout"), 2000);
    if (pending === 0) return finish(null);
    for (const s of targets) {
      s.emit(event, ...args, (...replyArgs) => {
        if (done) return;
        replies.push(replyArgs);
        if (--pending === 0) finish(null);
      });
    }
  });
  on("uncompressed", (args) => {
    const event = firstStr(args);
    socket.compress(false).emit(event, ...args);
  });
  on("broadcast-uncompressed", (args) => {
    const event = firstStr(args);
    nsp.compress(false).emit(event, ...args);
  });
  on("volatile", (args) => {
    const event = firstStr(args);
    socket.volatile.emit(event, ...args);
  });
  on("set-data", (args, ack) => {
    socket.data = args.length === 0 ? null : args[0];
    reply(ack, true);
  });
  on("fetch", async (_args, ack) => {
    const list = await io.of(ns).fetchSockets();
    reply(ack, list.map((r) => ({ id: r.id, rooms: sorted(r.rooms), data: r.data })).sort(byId));
  });
  on("fetch-join", async (args, ack) => {
    const room = firstStr(args);
    for (const r of await io.of(ns).fetchSockets()) r.join(room);
    reply(ack, true);
  });
  on("sockets-join", (args, ack) => {
    io.of(ns).socketsJoin(firstStr(args));
    reply(ack, true);
  });
  on("handshake", (_args, ack) => reply(ack, socket.handshake));
  on("transport", (_args, ack) => reply(ack, socket.conn.transport.name));
  on("emit-reserved", (args, ack) => {
    const name = firstStr(args);
    let res = null;
    try {
      socket.emit(name);
    } catch (e) {
      res = errorMessage(e);
    }
    reply(ack, res);
  });
  on("disconnect-me", () => socket.disconnect(false));
  on("close-me", () => socket.disconnect(true));
  on("disconnect-all", (_args, ack) => {
    reply(ack, true);
    io.of(ns).disconnectSockets(false);
  });
  on("server-emit", (args) => {
    const event = firstStr(args);
    // `reached`: how many other servers got it (Rust: Ok(0) with one node, null when refused)
    let reached = null;
    try {
      io.serverSideEmit(event, ...args);
      reached = 0;
    } catch {
      reached = null;
    }
    log({ ev: "server-emit", event, reached });
  });
  on("reasons", (_args, ack) => reply(ack, reasons));
  on("shutdown", async () => {
    const closed = io.close(); // every socket: "server shutting down"
    // give the transports a moment to flush (the Rust example waits up to 1 s for the sessions)
    await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
    log({ ev: "shutdown" });
    process.stdout.write("", () => process.exit(0));
  });
}

io.of("/").on("connection", onConnection);
io.of(/^\/dyn-\d+$/).on("connection", onConnection);
const admin = io.of("/admin");
admin.use((socket, next) => {
  if (socket.handshake.auth && socket.handshake.auth.token === "secret") return next();
  const err = new Error("unauthorized");
  err.data = { reason: "bad token" };
  next(err);
});
admin.on("connection", onConnection);

// `--admin-ui`: @socket.io/admin-ui's instrumentation on `/ui-admin` (`/admin` is the contract's).
if (argv.includes("--admin-ui")) {
  const { instrument } = (await import("@socket.io/admin-ui")).default;
  const pair = arg("--admin-ui-auth", String);
  let auth = false;
  if (pair) {
    const i = pair.indexOf(":");
    const bcrypt = (await import("bcryptjs")).default;
    auth = { type: "basic", username: pair.slice(0, i), password: bcrypt.hashSync(pair.slice(i + 1), 4) };
  }
  instrument(io, {
    auth,
    namespaceName: "/ui-admin",
    readonly: argv.includes("--admin-ui-readonly"),
    serverId: arg("--admin-ui-server-id", String),
    mode: arg("--admin-ui-mode", String) ?? "development",
  });
}

httpServer.on("error", (e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exit(1);
});
httpServer.listen(port, "127.0.0.1", () => {
  process.stdout.write(`listening on ${httpServer.address().port}\n`);
});
