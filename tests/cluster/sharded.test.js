// The sharded Redis adapter (Redis 7 SPUBLISH/SSUBSCRIBE, dynamic subscription mode as
// the reference's default) in a mixed cluster with @socket.io/redis-adapter's
// createShardedAdapter: see mixed.js; then each subscription mode with socket-id broadcasts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { freePort } from "../support.js";
import { mixedCluster, startRedis, startSio, startNode, next, ask, settled } from "./mixed.js";

mixedCluster("redis-sharded");

// Each subscription mode, one sio node and one Node node in each: a broadcast to
// a public room and one to a socket id (its own room) cross both ways and reach only
// their member, on the channels that mode uses.
for (const mode of ["static", "dynamic", "dynamic-private"]) {
  test(`redis-sharded, subscriptionMode ${mode}: room and socket-id broadcasts cross both ways`, async () => {
    const rport = await freePort();
    const r = await startRedis(rport);
    const [ps, pn] = [await freePort(), await freePort()];
    const extra = ["--subscription-mode", mode];
    const [s, n] = await Promise.all([
      startSio("redis-sharded", ps, rport, "s", extra),
      startNode("redis-sharded", pn, rport, "n", extra),
    ]);
    const clients = {
      s: io(`http://127.0.0.1:${ps}`, { forceNew: true, transports: ["websocket"] }),
      n: io(`http://127.0.0.1:${pn}`, { forceNew: true, transports: ["websocket"] }),
    };
    try {
      await Promise.all(Object.values(clients).map((c) => next(c, "welcome", 10000)));
      await settled(clients.s, 2);
      await ask(clients.s, "join", "room-s");
      await ask(clients.n, "join", "room-n");
      for (const [from, to] of [["n", "s"], ["s", "n"]]) {
        for (const [what, room] of [["room", `room-${to}`], ["sid", clients[to].id]]) {
          // One event name per case: repeats of an earlier case may still be arriving.
          const event = `targeted-${from}-${what}`;
          const got = next(clients[to], event);
          let leaked = null;
          const spy = (...x) => (leaked = x);
          clients[from].on(event, spy);
          // Room channels settle asynchronously in the dynamic modes: repeat until it lands.
          let ok = false;
          for (let i = 0; i < 40 && !ok; i++) {
            clients[from].emit("emit-room", room, event, i);
            ok = await Promise.race([got.then(() => true), new Promise((res) => setTimeout(() => res(false), 250))]);
          }
          assert.ok(ok, `${mode}: ${from} to ${room} never reached ${to}`);
          const marker = next(clients[from], "marker");
          clients[to].emit("emit-all", "marker");
          await marker;
          clients[from].off(event, spy);
          assert.equal(leaked, null, `${mode}: a non-member got the broadcast to ${room}`);
        }
      }
    } finally {
      for (const c of Object.values(clients)) c.disconnect();
      await Promise.all([s.stop(), n.stop(), r.stop()]);
    }
  });
}
