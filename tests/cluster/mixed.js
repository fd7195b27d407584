// A mixed cluster behind one Redis for a given adapter kind: two sio nodes
// (examples/cluster/sio_node.rs --adapter <kind>, built by `cargo build -p sio-redis
// --examples`) and one Node.js socket.io node with the official adapter of that kind
// (examples/cluster/node-server.js --adapter <kind>), each with a socket.io-client
// client. Needs `redis-server` 7 on PATH. cluster.test.js (the classic adapter),
// sharded.test.js and streams.test.js run it. CLUSTER_REFERENCE_ONLY=1
// starts Node nodes in place of the sio ones: the tests' expectations, checked on the
// reference alone.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { io } from "socket.io-client";
import { live, freePort } from "../support.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SIO_NODE = path.join(root, "target/debug/examples/cluster-node");
const NODE_NODE = path.join(root, "examples/cluster/node-server.js");

function start(cmd, args, readyLine) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env } });
  live.add(child);
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => {
    err += d;
    if (process.env.CLUSTER_DEBUG) process.stderr.write(d);
  });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} not ready: ${out}\n${err}`)), 20000);
    child.stdout.on("data", (d) => {
      out += d;
      if (process.env.CLUSTER_DEBUG) process.stderr.write(d);
      if (readyLine.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`${cmd} exited ${code}: ${out}\n${err}`)));
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  return { child, ready, exited, stderr: () => err, stop: async () => { child.kill("SIGKILL"); await exited; live.delete(child); } };
}

export async function startRedis(port) {
  const r = start("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], /Ready to accept connections/);
  await r.ready;
  return r;
}

export async function startSio(kind, port, redisPort, name, extra = []) {
  if (process.env.CLUSTER_REFERENCE_ONLY) return startNode(kind, port, redisPort, name, extra);
  const args = ["--port", String(port), "--redis", `redis://127.0.0.1:${redisPort}`, "--name", name, "--adapter", kind, ...extra];
  const s = start(SIO_NODE, args, /listening on/);
  await s.ready;
  return s;
}

export async function startNode(kind, port, redisPort, name, extra = []) {
  const args = [NODE_NODE, "--port", String(port), "--redis", `redis://127.0.0.1:${redisPort}`, "--name", name, "--adapter", kind, ...extra];
  const s = start(process.execPath, args, /listening on/);
  await s.ready;
  return s;
}

export function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

export const next = (socket, event, ms = 5000) => within(new Promise((resolve) => socket.once(event, (...a) => resolve(a))), ms, event);

export async function connect(port, opts = {}) {
  const socket = io(`http://127.0.0.1:${port}`, { forceNew: true, reconnection: false, ...opts });
  const [welcome] = await next(socket, "welcome", 10000);
  return { socket, welcome };
}

export const ask = (socket, ...args) => within(socket.timeout(8000).emitWithAck(...args), 9000, args[0]);

// Waits until the subscriptions of every node are in place: a server count of `n`.
export async function settled(socket, n) {
  for (let i = 0; i < 100; i++) {
    if ((await ask(socket, "server-count")) === n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the cluster never reached ${n} servers`);
}

// A TCP proxy whose target can change: cut it, point it elsewhere, and the client's
// reconnection lands on another node.
export function proxy(targetPort) {
  const conns = new Set();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(server.target, "127.0.0.1");
    conns.add(inbound).add(outbound);
    inbound.pipe(outbound).pipe(inbound);
    const drop = () => { inbound.destroy(); outbound.destroy(); };
    inbound.on("error", drop).on("close", drop);
    outbound.on("error", drop).on("close", drop);
  });
  server.target = targetPort;
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        port: server.address().port,
        retarget: (p) => (server.target = p),
        cut: () => { for (const c of conns) c.destroy(); conns.clear(); },
        close: () => new Promise((r) => { for (const c of conns) c.destroy(); server.close(r); }),
      }),
    ),
  );
}

/// The tests every adapter kind passes in a cluster of sio nodes a, b and Node node `node`.
export function mixedCluster(kind) {
  let redis, redisPort, a, b, n, clients;

  before(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    const [pa, pb, pn] = [await freePort(), await freePort(), await freePort()];
    [a, b, n] = await Promise.all([
      startSio(kind, pa, redisPort, "a"),
      startSio(kind, pb, redisPort, "b"),
      startNode(kind, pn, redisPort, "node"),
    ]);
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

  test(`${kind}: serverCount counts every node from every node`, async () => {
    for (const c of Object.values(clients)) assert.equal(await ask(c.socket, "server-count"), 3);
  });

  test(`${kind}: a broadcast from any node reaches the clients of every node, binary included`, async () => {
    for (const from of ["a", "b", "node"]) {
      const got = Object.values(clients).map((c) => next(c.socket, "hello"));
      clients[from].socket.emit("emit-all", "hello", { from }, Buffer.from([1, 2, 3]));
      for (const [arg, bin] of await Promise.all(got)) {
        assert.deepEqual(arg, { from });
        assert.deepEqual([...new Uint8Array(bin)], [1, 2, 3]);
      }
    }
  });

  test(`${kind}: a room broadcast reaches the room's members on other nodes only, both ways`, async () => {
    await ask(clients.a.socket, "join", "solo");
    await ask(clients.node.socket, "join", "solo-node");
    for (const [from, to, room] of [["node", "a", "solo"], ["b", "node", "solo-node"]]) {
      const got = next(clients[to].socket, "only-solo");
      let leaked = null;
      const spy = (...x) => (leaked = x);
      const others = Object.keys(clients).filter((k) => k !== to);
      for (const k of others) clients[k].socket.on("only-solo", spy);
      clients[from].socket.emit("emit-room", room, "only-solo", 1);
      assert.deepEqual(await got, [1], `${from} to ${room} on ${to}`);
      // A marker after it, from the same node: the others see the marker, not the room event.
      const markers = others.map((k) => next(clients[k].socket, "marker"));
      clients[from].socket.emit("emit-all", "marker");
      await Promise.all(markers);
      for (const k of others) clients[k].socket.off("only-solo", spy);
      assert.equal(leaked, null, "a non-member received a room broadcast");
    }
  });

  test(`${kind}: a broadcast except a room skips its members on every node`, async () => {
    await ask(clients.b.socket, "join", "skip");
    const got = [next(clients.a.socket, "not-skip"), next(clients.node.socket, "not-skip")];
    let leaked = null;
    clients.b.socket.once("not-skip", (...x) => (leaked = x));
    clients.node.socket.emit("emit-except", "skip", "not-skip", 3);
    await Promise.all(got);
    const marker = next(clients.b.socket, "marker2");
    clients.node.socket.emit("emit-all", "marker2");
    await marker;
    assert.equal(leaked, null, "a member of the excepted room received the broadcast");
    clients.a.socket.emit("emit-except", "skip", "not-skip-2", 4);
    const fromA = [next(clients.a.socket, "not-skip-2"), next(clients.node.socket, "not-skip-2")];
    await Promise.all(fromA);
  });

  // Room changes on other nodes are not awaited (as in the reference): wait until every
  // node applied them, as seen by fetchSockets.
  async function everyoneIn(room) {
    for (let i = 0; i < 50; i++) {
      const sockets = await ask(clients.a.socket, "fetch");
      if (sockets.length >= 3 && sockets.every((s) => s.rooms.includes(room))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`not every socket joined ${room}`);
  }

  test(`${kind}: socketsJoin and RemoteSocket.join from one node move sockets of the others`, async () => {
    assert.equal(await ask(clients.node.socket, "sockets-join", "everyone"), true);
    await everyoneIn("everyone");
    let got = Object.values(clients).map((c) => next(c.socket, "to-everyone"));
    clients.a.socket.emit("emit-room", "everyone", "to-everyone", "x");
    await Promise.all(got);
    assert.equal(await ask(clients.b.socket, "fetch-join", "fetched"), true);
    await everyoneIn("fetched");
    got = Object.values(clients).map((c) => next(c.socket, "to-fetched"));
    clients.node.socket.emit("emit-room", "fetched", "to-fetched", "y");
    await Promise.all(got);
  });

  test(`${kind}: socketsLeave from a sio node moves sockets of the Node node`, async () => {
    assert.equal(await ask(clients.a.socket, "sockets-leave", "everyone"), true);
    for (let i = 0; i < 50; i++) {
      const sockets = await ask(clients.node.socket, "fetch");
      if (sockets.every((s) => !s.rooms.includes("everyone"))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail("some socket is still in room everyone");
  });

  test(`${kind}: serverSideEmit without ack reaches the other nodes, not the sender`, async () => {
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
      const key = (v) => v.map((x) => JSON.stringify(x)).sort();
      assert.deepEqual(key(notes), key(expected), `notes seen by ${name}`);
    }
  });

  test(`${kind}: fetchSockets sees the sockets of every node with their data, both ways`, async () => {
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

  test(`${kind}: serverSideEmit with acks crosses nodes both ways`, async () => {
    const fromA = await ask(clients.a.socket, "sse", "whoami");
    assert.deepEqual([fromA[0], [...fromA[1]].sort()], [null, ["b", "node"]]);
    const fromNode = await ask(clients.node.socket, "sse", "whoami");
    assert.deepEqual([fromNode[0], [...fromNode[1]].sort()], [null, ["a", "b"]]);
  });

  test(`${kind}: each namespace hears its own server-side events, across sio and Node nodes`, async () => {
    const fromA = await ask(clients.a.socket, "sse-ns", "/admin", "whoami");
    assert.deepEqual([fromA[0], [...fromA[1]].sort()], [null, ["b@admin", "node@admin"]]);
    const fromNode = await ask(clients.node.socket, "sse-ns", "/admin", "whoami");
    assert.deepEqual([fromNode[0], [...fromNode[1]].sort()], [null, ["a@admin", "b@admin"]]);
  });

  test(`${kind}: a broadcast with acks collects the answers of every node's clients`, async () => {
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

  test(`${kind}: disconnectSockets crosses nodes both ways`, async () => {
    const portOf = (c) => c.socket.io.uri.match(/:(\d+)/)[1] * 1;
    for (const [from, at] of [["node", "b"], ["a", "node"]]) {
      const victim = await connect(portOf(clients[at]), { transports: ["websocket"] });
      await ask(victim.socket, "join", "kick");
      const gone = next(victim.socket, "disconnect");
      clients[from].socket.emit("disconnect-room", "kick");
      assert.equal((await gone)[0], "io server disconnect", `${from} kicks a socket of ${at}`);
    }
  });

  // sio's own behaviour (a Node node does not start without Redis): not for the reference.
  const sioOnly = { skip: process.env.CLUSTER_REFERENCE_ONLY ? "a sio behaviour" : false };
  test(`${kind}: Redis unreachable: a sio node serves its own clients and says so in its logs`, sioOnly, async () => {
    const closed = await freePort(); // nothing listens there
    const port = await freePort();
    const s = await startSio(kind, port, closed, "alone");
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

  test(`${kind}: Redis restarted: the adapters reconnect and cross-node broadcasts resume`, async () => {
    await redis.stop();
    redis = await startRedis(redisPort);
    let delivered = false;
    for (let i = 0; i < 40 && !delivered; i++) {
      const got = next(clients.node.socket, "after-restart", 500).then(() => true, () => false);
      clients.a.socket.emit("emit-all", "after-restart", i);
      delivered = await got;
    }
    assert.ok(delivered, "sio node a never reached the Node node again after the restart");
    const got = next(clients.b.socket, "back", 20000);
    for (let i = 0; i < 40; i++) {
      clients.node.socket.emit("emit-all", "back", i);
      const ok = await Promise.race([got.then(() => true), new Promise((r) => setTimeout(() => r(false), 500))]);
      if (ok) break;
    }
    await got;
  });
}
