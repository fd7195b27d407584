// Reference implementation of tests/interop/CONTRACT.md with the official `socket.io` npm server.
//
// It is NOT the server under test. It exists so the interop suite can be validated against the
// reference behaviour:  SIO_INTEROP_SERVER=tests/interop/node/reference-server.js node --test tests/interop/node/
// (fixture.js runs a path ending in `.js` with the current node binary).
//
// Same command line and stdout format as `target/debug/examples/interop-server`.
import { createServer } from "node:http";
import { Server } from "socket.io";

const argv = process.argv.slice(2);
const opts = {
  port: 0,
  recovery: false,
  pingInterval: 25000,
  pingTimeout: 20000,
  connectTimeout: 45000,
  transports: ["polling", "websocket"],
};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const next = () => argv[++i];
  switch (a) {
    case "--port": opts.port = Number(next()); break;
    case "--recovery": opts.recovery = true; break;
    case "--ping-interval": opts.pingInterval = Number(next()); break;
    case "--ping-timeout": opts.pingTimeout = Number(next()); break;
    case "--connect-timeout": opts.connectTimeout = Number(next()); break;
    case "--transports": opts.transports = next().split(","); break;
    default:
      process.stderr.write(`unknown argument ${a}\n`);
      process.exit(2);
  }
}

const log = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

const httpServer = createServer();
const io = new Server(httpServer, {
  pingInterval: opts.pingInterval,
  pingTimeout: opts.pingTimeout,
  connectTimeout: opts.connectTimeout,
  transports: opts.transports,
  cors: { origin: true, credentials: true },
  connectionStateRecovery: opts.recovery
    ? { maxDisconnectionDuration: 60000, skipMiddlewares: true }
    : undefined,
});

io.engine.on("connection", (conn) => {
  conn.on("upgrade", (transport) => log({ ev: "upgrade", id: conn.id, transport: transport.name }));
});

const reasons = [];
const sorted = (set) => [...set].sort();

function setup(socket) {
  const nsp = socket.nsp;
  const ns = nsp.name;
  log({ ev: "connection", ns, id: socket.id, transport: socket.conn.transport.name, recovered: socket.recovered });

  socket.use(([event], next) => {
    if (event === "forbidden") return next(new Error("unauthorized event"));
    next();
  });
  socket.on("error", (err) => {
    log({ ev: "error", ns, id: socket.id, message: err.message });
    socket.emit("error-seen", err.message);
  });

  let roomsAtDisconnecting = [];
  socket.on("disconnecting", (reason) => {
    roomsAtDisconnecting = sorted(socket.rooms);
    log({ ev: "disconnecting", ns, id: socket.id, reason, rooms: roomsAtDisconnecting });
  });
  socket.on("disconnect", (reason) => {
    reasons.push({ id: socket.id, ns, reason, rooms_at_disconnecting: roomsAtDisconnecting });
    log({ ev: "disconnect", ns, id: socket.id, reason });
  });

  socket.emit("welcome", {
    id: socket.id,
    ns,
    auth: socket.handshake.auth ?? {},
    recovered: socket.recovered,
    transport: socket.conn.transport.name,
    query: socket.handshake.query,
  });

  socket.on("echo", (...args) => {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    socket.emit("echo", ...args);
    if (ack) ack(...args);
  });
  socket.on("join", (room, ack) => { socket.join(room); ack(sorted(socket.rooms)); });
  socket.on("leave", (room, ack) => { socket.leave(room); ack(sorted(socket.rooms)); });
  socket.on("to-room", (room, event, ...args) => nsp.to(room).emit(event, ...args));
  socket.on("broadcast", (event, ...args) => socket.broadcast.emit(event, ...args));
  socket.on("broadcast-room", (room, event, ...args) => socket.to(room).emit(event, ...args));
  socket.on("except-room", (room, event, ...args) => nsp.except(room).emit(event, ...args));
  socket.on("ask", (event, arg, ack) => {
    socket.timeout(2000).emit(event, arg, (err, ...reply) => (err ? ack("timeout", null) : ack(null, reply)));
  });
  socket.on("ask-all", (event, arg, ack) => {
    // per-socket emits so that each reply keeps all of its arguments
    const targets = [...nsp.sockets.values()];
    const replies = [];
    let pending = targets.length;
    let done = false;
    const timer = setTimeout(() => { done = true; ack("timeout", replies); }, 2000);
    for (const s of targets) {
      s.emit(event, arg, (...reply) => {
        if (done) return;
        replies.push(reply);
        if (--pending === 0) { done = true; clearTimeout(timer); ack(null, replies); }
      });
    }
  });
  socket.on("volatile", (event, ...args) => socket.volatile.emit(event, ...args));
  socket.on("set-data", (value, ack) => { socket.data = value; ack(true); });
  socket.on("fetch", async (ack) => {
    const list = await nsp.fetchSockets();
    ack(list.map((s) => ({ id: s.id, rooms: sorted(s.rooms), data: s.data }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  });
  socket.on("fetch-join", async (room, ack) => {
    for (const s of await nsp.fetchSockets()) s.join(room);
    ack(true);
  });
  socket.on("sockets-join", (room, ack) => { nsp.socketsJoin(room); ack(true); });
  socket.on("handshake", (ack) => ack(socket.handshake));
  socket.on("transport", (ack) => ack(socket.conn.transport.name));
  socket.on("emit-reserved", (name, ack) => {
    try { socket.emit(name); ack(null); } catch (e) { ack(e.message); }
  });
  socket.on("disconnect-me", () => socket.disconnect(false));
  socket.on("close-me", () => socket.disconnect(true));
  socket.on("disconnect-all", (ack) => { if (typeof ack === "function") ack(true); nsp.disconnectSockets(false); });
  socket.on("server-emit", (event, ...args) => { log({ ev: "server-emit", event, args }); io.serverSideEmit(event, ...args); });
  socket.on("reasons", (ack) => ack(reasons));
  socket.on("shutdown", async () => {
    await io.close();
    process.stdout.write("", () => process.exit(0));
  });
  socket.onAny((event) => { /* recorded (nothing to do in the reference) */ void event; });
}

io.of("/").on("connection", setup);
io.of(/^\/dyn-\d+$/).on("connection", setup);
const admin = io.of("/admin");
admin.use((socket, next) => {
  if (socket.handshake.auth && socket.handshake.auth.token === "secret") return next();
  const err = new Error("unauthorized");
  err.data = { reason: "bad token" };
  next(err);
});
admin.on("connection", setup);

httpServer.listen(opts.port, () => {
  process.stdout.write(`listening on ${httpServer.address().port}\n`);
});
