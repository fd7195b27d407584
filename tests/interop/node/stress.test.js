// Heavier interop checks: bursts (polling payload batching), ordering across the upgrade,
// heartbeats with short intervals, many clients, repeated recovery, connect/disconnect churn.
import { test } from "node:test";
import assert from "node:assert/strict";
import { harness, nextEvent, emitAck, record, stripOffset, isBinary, toBuffer } from "./helpers.js";

const TRANSPORTS = [
  ["polling", { transports: ["polling"] }],
  ["websocket", { transports: ["websocket"] }],
];

for (const [name, opts] of TRANSPORTS) {
  test(`[${name}] a burst of 200 emits (text and binary) is echoed complete and in order`, async (t) => {
    const h = harness(t);
    const srv = await h.server();
    const { socket, welcome } = h.client(srv.url, opts);
    await welcome;
    const rec = record(socket, "echo");
    const N = 200;
    for (let i = 0; i < N; i++) {
      if (i % 10 === 0) socket.emit("echo", i, Buffer.from([i & 255, 1, 2]));
      else socket.emit("echo", i, `s${i} 😀 \u001e sep \u0000 nul`);
    }
    const got = await rec.count(N, 10000);
    for (let i = 0; i < N; i++) {
      assert.equal(got[i][0], i, `event ${i} in order`);
      if (i % 10 === 0) {
        assert.ok(isBinary(got[i][1]));
        assert.deepEqual(toBuffer(got[i][1]), Buffer.from([i & 255, 1, 2]));
      } else {
        assert.equal(got[i][1], `s${i} 😀 \u001e sep \u0000 nul`);
      }
    }
  });

  test(`[${name}] heartbeats with a short interval keep a quiet client connected`, async (t) => {
    const h = harness(t);
    const srv = await h.server(["--ping-interval", "150", "--ping-timeout", "300"]);
    const { socket, welcome } = h.client(srv.url, opts);
    await welcome;
    let disconnected = null;
    socket.on("disconnect", (r) => { disconnected = r; });
    const pings = record(socket.io, "ping");
    await pings.count(8, 5000); // ~1.2 s, several times interval + timeout
    assert.equal(disconnected, null);
    assert.equal(srv.logs.some((l) => l.ev === "disconnect"), false, JSON.stringify(srv.logs));
    assert.equal(await socket.timeout(2000).emitWithAck("echo", "alive"), "alive");
  });
}

test("no message is lost or reordered across the polling -> websocket upgrade", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { socket } = h.client(srv.url); // default transports
  const engine = socket.io.engine;
  const upgraded = nextEvent(engine, "upgrade", 8000);
  const rec = record(socket, "echo");
  const acks = [];
  let i = 0;
  let upgradedAt = -1;
  engine.on("upgrade", () => { upgradedAt = i; });
  await nextEvent(socket, "connect", 5000);
  // keep emitting until well after the upgrade completed
  await new Promise((resolve, reject) => {
    const tick = () => {
      socket.emit("echo", i);
      acks.push(socket.timeout(8000).emitWithAck("echo", `ack-${i}`));
      i++;
      if (upgradedAt >= 0 && i > upgradedAt + 20) return resolve();
      if (i > 5000) return reject(new Error("no upgrade after 5000 emits"));
      setImmediate(tick);
    };
    tick();
  });
  await upgraded;
  const total = i;
  const got = await rec.count(total * 2, 10000);
  const plain = got.filter((a) => typeof a[0] === "number").map((a) => a[0]);
  assert.deepEqual(plain, Array.from({ length: total }, (_, k) => k), "plain echoes complete and in order");
  const ackValues = await Promise.all(acks);
  assert.deepEqual(ackValues, Array.from({ length: total }, (_, k) => `ack-${k}`));
  assert.equal(socket.io.engine.transport.name, "websocket");
});

test("30 clients: broadcast reaches the 29 others, fetch sees all 30", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const N = 30;
  const cs = Array.from({ length: N }, (_, k) => h.client(srv.url, k % 3 === 0 ? { transports: ["polling"] } : { transports: ["websocket"] }));
  await Promise.all(cs.map((c) => c.welcome));
  const sockets = cs.map((c) => c.socket);
  const recs = sockets.map((s) => record(s, "all"));
  sockets[0].emit("broadcast", "all", "hi");
  await Promise.all(recs.slice(1).map((r) => r.count(1, 5000)));
  assert.equal(await sockets[0].timeout(3000).emitWithAck("echo", "sync"), "sync");
  assert.equal(recs[0].seen.length, 0);
  const [list] = await emitAck(sockets[5], 5000, "fetch");
  assert.deepEqual(list.map((x) => x.id), sockets.map((s) => s.id).sort());
  // ask-all across all of them
  sockets.forEach((s, k) => s.on("who", (_arg, cb) => cb(k)));
  const [err, replies] = await emitAck(sockets[1], 5000, "ask-all", "who", null);
  assert.equal(err, null);
  assert.deepEqual(replies.map((r) => r[0]).sort((a, b) => a - b), Array.from({ length: N }, (_, k) => k));
});

test("connect/disconnect churn over several namespaces leaves no socket behind", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { socket: observer, welcome } = h.client(srv.url, { transports: ["websocket"] });
  await welcome;
  for (let round = 0; round < 5; round++) {
    const batch = [];
    for (let k = 0; k < 6; k++) {
      batch.push(h.client(srv.url, k % 2 ? { transports: ["polling"] } : { transports: ["websocket"] }, k < 3 ? "/" : `/dyn-${round}`));
    }
    await Promise.all(batch.map((c) => c.welcome));
    const ids = batch.map((c) => c.socket.id);
    batch.forEach((c, k) => (k % 2 ? c.socket.disconnect() : c.socket.emit("disconnect-me")));
    for (const id of ids) await srv.waitForLog((l) => l.ev === "disconnect" && l.id === id, 5000);
  }
  const [list] = await emitAck(observer, 3000, "fetch");
  assert.deepEqual(list.map((x) => x.id), [observer.id]);
});

test("recovery twice in a row keeps the same id and replays each gap", async (t) => {
  const h = harness(t);
  const srv = await h.server(["--recovery"]);
  const A = h.client(srv.url, { transports: ["websocket"], reconnectionDelay: 800, reconnectionDelayMax: 800, randomizationFactor: 0 });
  const B = h.client(srv.url, { transports: ["websocket"] });
  await Promise.all([A.welcome, B.welcome]);
  const a = A.socket, b = B.socket;
  const id = a.id;
  await emitAck(a, 3000, "join", "gap");
  const missed = record(a, "m");
  for (let round = 1; round <= 2; round++) {
    const down = nextEvent(a, "disconnect", 3000);
    a.io.engine.close();
    await down;
    await srv.waitForLog((l) => l.ev === "disconnect" && l.id === id && srv.logs.filter((x) => x.ev === "disconnect" && x.id === id).length >= round, 3000);
    b.emit("to-room", "gap", "m", round);
    assert.equal(await b.timeout(3000).emitWithAck("echo", "barrier"), "barrier");
    await nextEvent(a, "welcome", 5000);
    assert.equal(a.recovered, true, `round ${round} recovered`);
    assert.equal(a.id, id);
    await missed.count(round, 3000);
  }
  assert.deepEqual(missed.seen.map(stripOffset), [[1], [2]]);
});
