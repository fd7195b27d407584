// The classic adapter (@socket.io/redis-adapter's createAdapter): the mixed-cluster
// contract of mixed.js (two sio nodes, examples/cluster/sio_node.rs, built by `cargo build
// -p sio-redis --examples`, and a Node.js socket.io node with the official adapter), and
// connection state recovery across two sio nodes (the reference's pub/sub adapter cannot
// recover across nodes; sio keeps sessions in Redis). Needs `redis-server` on PATH
// (.ci/run installs it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { freePort } from "../support.js";
import * as mixed from "./mixed.js";

const { startRedis, next, ask, settled, proxy } = mixed;
const startSio = (port, redisPort, name, extra = []) => mixed.startSio("redis", port, redisPort, name, extra);

mixed.mixedCluster("redis");

// The reference's pub/sub adapter does not recover across nodes: not for CLUSTER_REFERENCE_ONLY.
const sioOnly = { skip: process.env.CLUSTER_REFERENCE_ONLY ? "a sio behaviour" : false };
test("state recovery across nodes: disconnected from node A, recovered on node B", sioOnly, async () => {
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
