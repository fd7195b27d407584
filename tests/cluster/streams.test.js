// The Redis Streams adapter in a mixed cluster with @socket.io/redis-streams-adapter
// (see mixed.js), and connection state recovery across nodes: a client cut from one
// node recovers on another (sio to Node, Node to sio, sio to sio) with the events it
// missed, in order.
import { test } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { freePort } from "../support.js";
import { mixedCluster, startRedis, startSio, startNode, next, ask, settled, proxy, within } from "./mixed.js";

mixedCluster("redis-streams");

const KIND = "redis-streams";
const RECOVERY = ["--recovery"];

// A client of node `from` (through a proxy), cut and sent to node `to`; `other` is a
// client of `to` that emits while it is away. `emitters` send the missed events.
async function recoverAcross(fromKind, toKind, options = []) {
  const rport = await freePort();
  const r = await startRedis(rport);
  const [p1, p2] = [await freePort(), await freePort()];
  const starter = (k) => (k === "sio" ? startSio : startNode);
  const [n1, n2] = await Promise.all([
    starter(fromKind)(KIND, p1, rport, "r1", [...RECOVERY, ...options]),
    starter(toKind)(KIND, p2, rport, "r2", [...RECOVERY, ...options]),
  ]);
  const px = await proxy(p1);
  const socket = io(`http://127.0.0.1:${px.port}`, {
    forceNew: true,
    transports: ["websocket"],
    reconnectionDelay: 3000,
    randomizationFactor: 0,
  });
  const welcomed = next(socket, "welcome", 10000);
  const here = io(`http://127.0.0.1:${p1}`, { forceNew: true, transports: ["websocket"] });
  const there = io(`http://127.0.0.1:${p2}`, { forceNew: true, transports: ["websocket"] });
  const othersWelcomed = [next(here, "welcome", 10000), next(there, "welcome", 10000)];
  try {
    const [welcome] = await welcomed;
    assert.equal(welcome.node, "r1");
    await Promise.all(othersWelcomed);
    await settled(there, 2);
    await ask(socket, "join", "keep");
    assert.equal(await ask(socket, "set-data", { kept: true }), true);
    // A broadcast gives the client an offset (a stream entry id) to recover from.
    const primed = next(socket, "primer");
    here.emit("emit-all", "primer");
    const [offset] = await primed;
    assert.match(offset, /^\d+-\d+$/, "the offset is a stream entry id");
    const id = socket.id;

    px.retarget(p2);
    const disconnected = next(socket, "disconnect");
    px.cut();
    assert.equal((await disconnected)[0], "transport close");
    // While it is away, from both nodes, in this order (each seen by a client first):
    // to everyone, to its room, to a room it is not in.
    // Waits for that very event: a client may still get an earlier one from its own node.
    const seen = (c, ev, value) =>
      within(
        new Promise((resolve) => {
          const on = (v) => v === value && (c.off(ev, on), resolve());
          c.on(ev, on);
        }),
        5000,
        `${ev} ${value}`,
      );
    let s = seen(there, "missed", 1);
    here.emit("emit-all", "missed", 1);
    await s;
    s = seen(here, "missed", 2);
    there.emit("emit-all", "missed", 2);
    await s;
    here.emit("emit-room", "keep", "missed", 3);
    there.emit("emit-room", "elsewhere", "missed", 99);
    // Both logged before 4 is sent: each node logs its broadcasts in order.
    s = Promise.all([seen(there, "sync", "a"), seen(here, "sync", "b")]);
    here.emit("emit-all", "sync", "a");
    there.emit("emit-all", "sync", "b");
    await s;
    s = seen(here, "missed", 4);
    there.emit("emit-all", "missed", 4);
    await s;
    const got = [];
    socket.on("missed", (n) => got.push(n));
    await next(socket, "connect", 15000);
    assert.equal(socket.recovered, true, `the session was recovered on the ${toKind} node`);
    assert.equal(socket.id, id, "same id");
    for (let i = 0; i < 50 && got.length < 4; i++) await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(got, [1, 2, 3, 4], "missed events replayed in order, the room's included, others not");
    const mine = (await ask(there, "fetch")).find((x) => x.id === id);
    assert.deepEqual(mine.rooms, [id, "keep"].sort());
    assert.deepEqual(mine.data, { kept: true });
    // And as the node it left sees it (fetchSockets across the cluster).
    const remote = (await ask(here, "fetch")).find((x) => x.id === id);
    assert.deepEqual(remote?.data, { kept: true }, "the first node fetches the recovered socket");
  } finally {
    for (const c of [socket, here, there]) c.disconnect();
    await px.close();
    await Promise.all([n1.stop(), n2.stop(), r.stop()]);
  }
}

test("streams recovery: cut from a sio node, recovered on a Node node", () => recoverAcross("sio", "node"));
test("streams recovery: cut from a Node node, recovered on a sio node", () => recoverAcross("node", "sio"));
test("streams recovery: cut from a sio node, recovered on another sio node", () => recoverAcross("sio", "sio"));

// The reference's other options, on every node: namespaces spread over 3 streams,
// requests and responses over sharded pub/sub (Redis 7), entries always JSON.
const OPTIONS = ["--stream-count", "3", "--sharded-pubsub", "--only-plaintext"];
test("streams options (streamCount 3, useShardedPubSub, onlyPlaintext): sio to Node", () =>
  recoverAcross("sio", "node", OPTIONS));
test("streams options (streamCount 3, useShardedPubSub, onlyPlaintext): Node to sio", () =>
  recoverAcross("node", "sio", OPTIONS));
