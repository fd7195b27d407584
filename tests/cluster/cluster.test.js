// One cluster behind one Redis: two sio nodes (examples/cluster/sio_node.rs, built by
// `cargo build -p sio-redis --examples`) and one Node.js socket.io node with the official
// @socket.io/redis-adapter (examples/cluster/node-server.js), each with a socket.io-client
// client. Needs `redis-server` on PATH (.ci/run installs it). A second Redis serves a
// two-sio-node cluster with connection state recovery.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { freePort } from "../support.js";
import * as mixed from "./mixed.js";

const { startRedis, next, connect, ask, settled, proxy } = mixed;
const startSio = (port, redisPort, name, extra = []) => mixed.startSio("redis", port, redisPort, name, extra);
const startNode = (port, redisPort, name) => mixed.startNode("redis", port, redisPort, name);

let redis, redisPort, a, b, n, clients;

before(async () => {
  redisPort = await freePort();
  redis = await startRedis(redisPort);
  const [pa, pb, pn] = [await freePort(), await freePort(), await freePort()];
  [a, b, n] = await Promise.all([startSio(pa, redisPort, "a"), startSio(pb, redisPort, "b"), startNode(pn, redisPort, "node")]);
  clients = {
    a: await connect(pa, { transports: ["websocket"] }),
    b: await connect(pb), // polling, then upgrade
    node: await connect(pn, { transports: ["websocket"] }),
  };
  for (const c of Object.values(clients)) await settled(c.socket, 3);
});

after(async () => {
  for (const c of Object.values(clients ?? {})) c.socket.disconnect();
  await Promise.all([a, b, n, redis].filter(Boolean).map((p) => p.stop()));
});

test("a broadcast from any node reaches the clients of every node, binary included", async () => {
  for (const from of ["a", "b", "node"]) {
    const got = Object.values(clients).map((c) => next(c.socket, "hello"));
    clients[from].socket.emit("emit-all", "hello", { from }, Buffer.from([1, 2, 3]));
    for (const [arg, bin] of await Promise.all(got)) {
      assert.deepEqual(arg, { from });
      assert.deepEqual([...new Uint8Array(bin)], [1, 2, 3]);
    }
  }
});

test("a room broadcast reaches the room's members on other nodes only", async () => {
  await ask(clients.a.socket, "join", "solo");
  const got = next(clients.a.socket, "only-solo");
  let leaked = null;
  const spy = (...a) => (leaked = a);
  clients.b.socket.on("only-solo", spy);
  clients.node.socket.on("only-solo", spy);
  // From the Node node to a room whose only member is on sio node a...
  clients.node.socket.emit("emit-room", "solo", "only-solo", 1);
  assert.deepEqual(await got, [1]);
  // ...and a marker after it, from the same node: the others see the marker, not the room event.
  const markers = [next(clients.b.socket, "marker"), next(clients.node.socket, "marker")];
  clients.node.socket.emit("emit-all", "marker");
  await Promise.all(markers);
  clients.b.socket.off("only-solo", spy);
  clients.node.socket.off("only-solo", spy);
  assert.equal(leaked, null, "a non-member received a room broadcast");
});

// Room changes on other nodes travel as requests, not awaited (as in the reference): wait
// until every node applied them, as seen by fetchSockets.
async function everyoneIn(room) {
  for (let i = 0; i < 50; i++) {
    const sockets = await ask(clients.a.socket, "fetch");
    if (sockets.length >= 3 && sockets.every((s) => s.rooms.includes(room))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not every socket joined ${room}`);
}

test("socketsJoin and RemoteSocket.join from one node move sockets of the others", async () => {
  // io.socketsJoin on the Node node; the room then spans every node.
  assert.equal(await ask(clients.node.socket, "sockets-join", "everyone"), true);
  await everyoneIn("everyone");
  let got = Object.values(clients).map((c) => next(c.socket, "to-everyone"));
  clients.a.socket.emit("emit-room", "everyone", "to-everyone", "x");
  await Promise.all(got);
  // fetchSockets() + join on each remote socket, from a sio node.
  assert.equal(await ask(clients.b.socket, "fetch-join", "fetched"), true);
  await everyoneIn("fetched");
  got = Object.values(clients).map((c) => next(c.socket, "to-fetched"));
  clients.node.socket.emit("emit-room", "fetched", "to-fetched", "y");
  await Promise.all(got);
});

test("socketsLeave from a sio node moves sockets of the Node node", async () => {
  assert.equal(await ask(clients.a.socket, "sockets-leave", "everyone"), true);
  for (let i = 0; i < 50; i++) {
    const sockets = await ask(clients.node.socket, "fetch");
    if (sockets.every((s) => !s.rooms.includes("everyone"))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail("some socket is still in room everyone");
});

test("serverSideEmit without ack reaches the other nodes, not the sender", async () => {
  assert.equal(await ask(clients.a.socket, "note-all", "from-a", { n: 1 }), true);
  assert.equal(await ask(clients.node.socket, "note-all", "from-node"), true);
  const want = { a: ["from-node"], b: ["from-a", { n: 1 }, "from-node"], node: ["from-a", { n: 1 }] };
  for (const [name, expected] of Object.entries(want)) {
    let notes;
    for (let i = 0; i < 50; i++) {
      notes = await ask(clients[name].socket, "notes");
      if (notes.length >= expected.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Two senders: their events may interleave in either order.
    const key = (v) => v.map((x) => JSON.stringify(x)).sort();
    assert.deepEqual(key(notes), key(expected), `notes seen by ${name}`);
  }
});

test("fetchSockets sees the sockets of every node with their data, both ways", async () => {
  for (const [name, c] of Object.entries(clients)) assert.equal(await ask(c.socket, "set-data", { who: name }), true);
  const expected = Object.entries(clients)
    .map(([name, c]) => ({ id: c.socket.id, data: { who: name } }))
    .sort((x, y) => (x.id < y.id ? -1 : 1));
  for (const from of ["a", "node"]) {
    const sockets = await ask(clients[from].socket, "fetch");
    assert.deepEqual(sockets.map((s) => ({ id: s.id, data: s.data })), expected, `fetch from ${from}`);
    for (const s of sockets) assert.ok(s.rooms.includes(s.id), "a socket is in its own room");
  }
});

test("serverSideEmit with acks crosses nodes both ways", async () => {
  const fromA = await ask(clients.a.socket, "sse", "whoami");
  assert.deepEqual([fromA[0], [...fromA[1]].sort()], [null, ["b", "node"]]);
  const fromNode = await ask(clients.node.socket, "sse", "whoami");
  assert.deepEqual([fromNode[0], [...fromNode[1]].sort()], [null, ["a", "b"]]);
});

test("each namespace hears its own server-side events, across sio and Node nodes", async () => {
  const fromA = await ask(clients.a.socket, "sse-ns", "/admin", "whoami");
  assert.deepEqual([fromA[0], [...fromA[1]].sort()], [null, ["b@admin", "node@admin"]]);
  const fromNode = await ask(clients.node.socket, "sse-ns", "/admin", "whoami");
  assert.deepEqual([fromNode[0], [...fromNode[1]].sort()], [null, ["a@admin", "b@admin"]]);
});

test("a broadcast with acks collects the answers of every node's clients", async () => {
  for (const [name, c] of Object.entries(clients)) {
    c.socket.removeAllListeners("question");
    c.socket.on("question", (cb) => cb(name));
  }
  for (const from of ["a", "node"]) {
    const [err, answers] = await ask(clients[from].socket, "ask-all", "question");
    assert.equal(err, null, `ask-all from ${from}`);
    assert.deepEqual(answers, ['"a"', '"b"', '"node"'], `ask-all from ${from}`);
  }
});

test("disconnectSockets from the Node node disconnects a socket on a sio node", async () => {
  const victim = await connect(clients.b.socket.io.uri.match(/:(\d+)/)[1] * 1, { transports: ["websocket"] });
  await ask(victim.socket, "join", "kick");
  const gone = next(victim.socket, "disconnect");
  clients.node.socket.emit("disconnect-room", "kick");
  assert.equal((await gone)[0], "io server disconnect");
});

test("Redis restarted: the adapter reconnects and cross-node broadcasts resume", async () => {
  await redis.stop();
  redis = await startRedis(redisPort);
  // Each attempt is one broadcast from sio node a awaited on the Node node's client;
  // attempts repeat until the subscriptions are back (bounded).
  let delivered = false;
  for (let i = 0; i < 40 && !delivered; i++) {
    const got = next(clients.node.socket, "after-restart", 500).then(() => true, () => false);
    clients.a.socket.emit("emit-all", "after-restart", i);
    delivered = await got;
  }
  assert.ok(delivered, "sio node a never reached the Node node again after the restart");
  // And the other way round, from the Node node to sio node b.
  const got = next(clients.b.socket, "back", 10000);
  for (let i = 0; i < 40; i++) {
    clients.node.socket.emit("emit-all", "back", i);
    const ok = await Promise.race([got.then(() => true), new Promise((r) => setTimeout(() => r(false), 500))]);
    if (ok) break;
  }
  await got;
});

test("state recovery across nodes: disconnected from node A, recovered on node B", async () => {
  const rport = await freePort();
  const r = await startRedis(rport);
  const [p1, p2] = [await freePort(), await freePort()];
  const [n1, n2] = await Promise.all([startSio(p1, rport, "r1", ["--recovery"]), startSio(p2, rport, "r2", ["--recovery"])]);
  const px = await proxy(p1);
  const socket = io(`http://127.0.0.1:${px.port}`, {
    forceNew: true,
    transports: ["websocket"],
    reconnectionDelay: 1500,
    randomizationFactor: 0,
  });
  const welcomed = next(socket, "welcome", 10000);
  const other = io(`http://127.0.0.1:${p2}`, { forceNew: true, transports: ["websocket"] });
  const otherWelcomed = next(other, "welcome", 10000);
  try {
    const [welcome] = await welcomed;
    assert.equal(welcome.node, "r1");
    assert.equal(welcome.recovered, false);
    await otherWelcomed;
    await settled(other, 2);
    await ask(socket, "join", "keep");
    assert.equal(await ask(socket, "set-data", { kept: true }), true);
    const id = socket.id;

    px.retarget(p2);
    const disconnected = next(socket, "disconnect");
    px.cut();
    assert.equal((await disconnected)[0], "transport close");
    // Sent by node r2 while the client is away: one to everyone, one to its room.
    other.emit("emit-all", "missed", 1);
    other.emit("emit-room", "keep", "missed-room", 2);
    const missed = next(socket, "missed", 10000);
    const missedRoom = next(socket, "missed-room", 10000);
    await next(socket, "connect", 10000);
    assert.equal(socket.recovered, true, "the session was recovered on the other node");
    assert.equal(socket.id, id, "same id");
    assert.equal((await missed)[0], 1);
    assert.equal((await missedRoom)[0], 2);
    // Same rooms and data, now on r2.
    const mine = (await ask(other, "fetch")).find((s) => s.id === id);
    assert.deepEqual(mine.rooms, [id, "keep"].sort());
    assert.deepEqual(mine.data, { kept: true });
  } finally {
    socket.disconnect();
    other.disconnect();
    await px.close();
    await Promise.all([n1.stop(), n2.stop(), r.stop()]);
  }
});

test("Redis unreachable: a sio node serves its own clients and says so in its logs", async () => {
  const closed = await freePort(); // nothing listens there
  const port = await freePort();
  const s = await startSio(port, closed, "alone");
  const c = io(`http://127.0.0.1:${port}`, { forceNew: true, transports: ["websocket"] });
  try {
    await next(c, "welcome", 10000);
    const echoed = next(c, "local", 5000);
    c.emit("emit-all", "local", "still here");
    assert.deepEqual(await echoed, ["still here"]);
    const sockets = await ask(c, "fetch");
    assert.deepEqual(sockets.map((x) => x.id), [c.id]);
    assert.match(s.stderr(), /redis unreachable; serving local clients only/);
  } finally {
    c.disconnect();
    await s.stop();
  }
});
