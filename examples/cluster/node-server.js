// One Node.js socket.io node of the cluster, with the official @socket.io/redis-adapter:
// the same contract as sio_node.rs (see README.md). Packages come from tests/node_modules
// (`npm install --prefix tests`).
//   node examples/cluster/node-server.js --port 3003 --redis redis://127.0.0.1:6379 --name node
import { createRequire } from "node:module";

const require = createRequire(new URL("../../tests/package.json", import.meta.url));
const { Server } = require("socket.io");
const { createAdapter, createShardedAdapter } = require("@socket.io/redis-adapter");
const { createAdapter: createStreamsAdapter } = require("@socket.io/redis-streams-adapter");
const { createClient } = require("redis");

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const port = Number(arg("--port", "3003"));
const url = arg("--redis", "redis://127.0.0.1:6379");
const name = arg("--name", `node-${port}`);

// The sharded adapter's SSUBSCRIBE promises reject when Redis resets the connection
// (node-redis 4 leaves that rejection unhandled), which would kill this node on a Redis
// restart; node-redis reconnects and subscribes again by itself, so it is only logged.
process.on("unhandledRejection", (e) => console.error("unhandled rejection:", e?.message ?? e));

const pub = createClient({ url });
const sub = pub.duplicate();
for (const c of [pub, sub]) c.on("error", (e) => console.error("redis:", e.message));
await Promise.all([pub.connect(), sub.connect()]);

// --adapter redis (default) | redis-sharded | redis-streams: the official adapter of that kind.
const kind = arg("--adapter", "redis");
const adapters = {
  redis: () => createAdapter(pub, sub),
  // --subscription-mode static | dynamic (default) | dynamic-private
  "redis-sharded": () => createShardedAdapter(pub, sub, { subscriptionMode: arg("--subscription-mode", "dynamic") }),
  // --stream-count N, --sharded-pubsub, --only-plaintext: the streams adapter's options.
  "redis-streams": () =>
    createStreamsAdapter(pub, {
      streamCount: Number(arg("--stream-count", "1")),
      useShardedPubSub: process.argv.includes("--sharded-pubsub"),
      onlyPlaintext: process.argv.includes("--only-plaintext"),
    }),
};
if (!adapters[kind]) throw new Error(`unknown adapter kind ${kind}`);
// --recovery: connection state recovery (60 s, middlewares skipped), as sio_node.rs.
const connectionStateRecovery = process.argv.includes("--recovery")
  ? { maxDisconnectionDuration: 60000, skipMiddlewares: true }
  : undefined;
// --cookie: engine.io's `io` session cookie, for a load balancer with sticky sessions (haproxy.cfg).
const io = new Server({ adapter: adapters[kind](), cookie: process.argv.includes("--cookie"), connectionStateRecovery });
const describe = (sockets) =>
  sockets
    .map((s) => ({ id: s.id, rooms: [...s.rooms].sort(), data: s.data }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));

io.on("whoami", (cb) => cb(name));
// Each namespace hears its own server-side events.
io.of("/admin").on("whoami", (cb) => cb(`${name}@admin`));
const notes = [];
io.on("note", (...args) => notes.push(...args));
io.on("connection", (socket) => {
  socket.emit("welcome", { id: socket.id, node: name, recovered: socket.recovered });
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack?.([...socket.rooms].sort());
  });
  socket.on("emit-all", (event, ...args) => io.emit(event, ...args));
  socket.on("emit-room", (room, event, ...args) => io.to(room).emit(event, ...args));
  socket.on("emit-except", (room, event, ...args) => io.except(room).emit(event, ...args));
  socket.on("set-data", (value, ack) => {
    socket.data = value;
    ack?.(true);
  });
  socket.on("fetch", async (ack) => ack(describe(await io.fetchSockets())));
  socket.on("sockets-join", (room, ack) => {
    io.socketsJoin(room);
    ack?.(true);
  });
  socket.on("sockets-leave", (room, ack) => {
    io.socketsLeave(room);
    ack?.(true);
  });
  socket.on("note-all", (...args) => {
    const ack = typeof args.at(-1) === "function" ? args.pop() : null;
    io.serverSideEmit("note", ...args);
    ack?.(true);
  });
  socket.on("notes", (ack) => ack(notes));
  socket.on("fetch-join", async (room, ack) => {
    for (const s of await io.fetchSockets()) s.join(room);
    ack?.(true);
  });
  socket.on("disconnect-room", (room) => io.in(room).disconnectSockets());
  socket.on("server-count", async (ack) => ack(await io.of("/").adapter.serverCount()));
  socket.on("sse", async (event, ...rest) => {
    const ack = rest.pop();
    try {
      ack([null, await io.serverSideEmitWithAck(event, ...rest)]);
    } catch (e) {
      ack([e.message, null]);
    }
  });
  socket.on("sse-ns", async (ns, event, ...rest) => {
    const ack = rest.pop();
    try {
      ack([null, await io.of(ns).serverSideEmitWithAck(event, ...rest)]);
    } catch (e) {
      ack([e.message, null]);
    }
  });
  socket.on("ask-all", async (event, ...rest) => {
    const ack = rest.pop();
    try {
      const all = await io.timeout(3000).emitWithAck(event, ...rest);
      ack([null, all.map((a) => JSON.stringify(a)).sort()]);
    } catch {
      ack(["timeout", null]);
    }
  });
});

io.listen(port);
console.log(`listening on ${port}`);
const stop = () => io.close(() => Promise.all([pub.quit(), sub.quit()]).finally(() => process.exit(0)));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
