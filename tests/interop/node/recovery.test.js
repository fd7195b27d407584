// Connection state recovery (--recovery): offsets, missed packets, same id / rooms / data.
import { test } from "node:test";
import assert from "node:assert/strict";
import { harness, nextEvent, emitAck, record, stripOffset, withTimeout } from "./helpers.js";

const TRANSPORTS = [
  ["websocket", { transports: ["websocket"] }],
  ["polling", { transports: ["polling"] }],
];

for (const [name, opts] of TRANSPORTS) {
  test(`[${name}] recovery: transport broken, missed room events replayed in order, id/rooms/data kept`, async (t) => {
    const h = harness(t);
    const srv = await h.server(["--recovery"]);
    // a fixed 1 s reconnection delay leaves room for the other client's emissions; the test
    // checks that they really happened before the reconnection attempt
    const A = h.client(srv.url, { ...opts, reconnectionDelay: 1000, reconnectionDelayMax: 1000, randomizationFactor: 0 });
    const B = h.client(srv.url, { transports: ["websocket"] });
    const [[wA, offsetA], [wB]] = await Promise.all([A.welcome, B.welcome]);
    const a = A.socket, b = B.socket;
    assert.equal(wA.recovered, false);
    assert.equal(a.recovered, false);
    assert.equal(typeof offsetA, "string", "with --recovery the welcome carries an offset as last argument");
    assert.equal(wB.recovered, false);
    const id = a.id;
    assert.deepEqual(await emitAck(a, 3000, "join", "r"), [[id, "r"].sort()]);
    assert.deepEqual(await emitAck(a, 3000, "set-data", { user: "alice" }), [true]);

    // one live event first so the client holds a recent offset
    const live = record(a, "live");
    b.emit("to-room", "r", "live", 0);
    await live.count(1);

    const missed = record(a, "missed");
    const bcast = record(a, "bcast");
    let attemptAt = 0;
    a.io.on("reconnect_attempt", () => { attemptAt ||= Date.now(); });
    const down = nextEvent(a, "disconnect", 3000);
    a.io.engine.close();
    const [reason] = await down;
    // socket.io-client: Socket#close() of the engine => "forced close", and the Manager reconnects
    assert.equal(reason, "forced close");
    assert.equal(a.active, true);
    const dis = await srv.waitForLog((l) => l.ev === "disconnect" && l.id === id, 3000);
    assert.equal(dis.reason, "transport close");

    // while A is away: three room events and a broadcast
    for (let i = 1; i <= 3; i++) b.emit("to-room", "r", "missed", i, { i });
    b.emit("broadcast", "bcast", "to-all-but-b");
    assert.equal(await b.timeout(3000).emitWithAck("echo", "barrier"), "barrier");
    const emittedAt = Date.now();

    const [[w2]] = await Promise.all([nextEvent(a, "welcome", 8000), nextEvent(a.io, "reconnect", 8000)]);
    assert.ok(attemptAt >= emittedAt, "test precondition: the events were emitted while A was disconnected");
    assert.equal(a.recovered, true, "socket.recovered");
    assert.equal(a.id, id, "same id after recovery");
    assert.equal(w2.recovered, true);
    assert.equal(w2.id, id);
    const conn = await srv.waitForLog((l) => l.ev === "connection" && l.id === id && l.recovered === true, 3000);
    assert.equal(conn.ns, "/");

    const got = await missed.count(3, 3000);
    assert.deepEqual(got.map(stripOffset), [[1, { i: 1 }], [2, { i: 2 }], [3, { i: 3 }]], "missed events in order");
    for (const args of got) assert.equal(typeof args[args.length - 1], "string", "replayed events carry their offset");
    const offsets = got.map((args) => args[args.length - 1]);
    assert.equal(new Set(offsets).size, 3, "distinct offsets");
    assert.deepEqual((await bcast.count(1, 3000)).map(stripOffset), [["to-all-but-b"]]);
    assert.equal(live.seen.length, 1, "events received before the break are not replayed");

    // rooms and data survived
    const [list] = await emitAck(b, 3000, "fetch");
    const me = list.find((s) => s.id === id);
    assert.ok(me, `recovered socket listed by fetch: ${JSON.stringify(list)}`);
    assert.deepEqual(me.rooms, [id, "r"].sort());
    assert.deepEqual(me.data, { user: "alice" });
    // and the room is live again
    const after = record(a, "after");
    b.emit("to-room", "r", "after", "x");
    assert.deepEqual((await after.count(1)).map(stripOffset), [["x"]]);
  });
}

test("recovery: offsets on single-socket emits and broadcasts, not on acks", async (t) => {
  const h = harness(t);
  const srv = await h.server(["--recovery"]);
  const A = h.client(srv.url, { transports: ["websocket"] });
  const B = h.client(srv.url, { transports: ["websocket"] });
  await Promise.all([A.welcome, B.welcome]);
  const a = A.socket, b = B.socket;
  const echo = nextEvent(a, "echo", 3000);
  const ack = await emitAck(a, 3000, "echo", 1, "two");
  assert.deepEqual(ack, [1, "two"], "acks carry no offset");
  const ev = await echo;
  assert.equal(ev.length, 3);
  assert.deepEqual(ev.slice(0, 2), [1, "two"]);
  assert.equal(typeof ev[2], "string");
  const bc = nextEvent(b, "hey", 3000);
  a.emit("broadcast", "hey", { x: 1 });
  const got = await bc;
  assert.equal(got.length, 2);
  assert.deepEqual(got[0], { x: 1 });
  assert.equal(typeof got[1], "string");
  assert.notEqual(got[1], ev[2]);
});

test("recovery: a client namespace disconnect is not recovered", async (t) => {
  const h = harness(t);
  const srv = await h.server(["--recovery"]);
  const { socket, welcome } = h.client(srv.url, { transports: ["websocket"] });
  await welcome;
  const id = socket.id;
  await emitAck(socket, 3000, "join", "r");
  socket.disconnect();
  await srv.waitForLog((l) => l.ev === "disconnect" && l.id === id, 3000);
  const again = nextEvent(socket, "welcome", 5000);
  socket.connect();
  const [[w]] = [await again];
  assert.equal(socket.recovered, false);
  assert.notEqual(socket.id, id);
  assert.equal(w.recovered, false);
  const [rooms] = await emitAck(socket, 3000, "join", "other");
  assert.deepEqual(rooms, [socket.id, "other"].sort(), "rooms were not restored");
});

test("recovery: raw CONNECT with an unknown pid gets a fresh session with a pid", async (t) => {
  const h = harness(t);
  const srv = await h.server(["--recovery"]);
  const raw = h.raw(srv.url);
  await raw.next((m) => m.startsWith("0"), 3000, "open");
  raw.send('40{"pid":"does-not-exist","offset":"nope"}');
  const connect = JSON.parse((await raw.next((m) => m.startsWith("40"), 3000, "CONNECT ack")).slice(2));
  assert.equal(typeof connect.sid, "string");
  assert.equal(typeof connect.pid, "string", `CONNECT ack carries a pid with --recovery: ${JSON.stringify(connect)}`);
  assert.notEqual(connect.pid, "does-not-exist");
  const welcome = JSON.parse((await raw.next((m) => m.startsWith("42"), 3000, "welcome")).slice(2));
  assert.equal(welcome[0], "welcome");
  assert.equal(welcome[1].recovered, false);
  assert.equal(welcome[1].id, connect.sid);
  assert.equal(typeof welcome[2], "string", "offset appended");
});

test("recovery: session lost by server-side ping timeout is recovered by a raw peer with pid+offset", async (t) => {
  const h = harness(t);
  const srv = await h.server(["--recovery", "--ping-interval", "300", "--ping-timeout", "200"]);
  const first = h.raw(srv.url);
  await first.next((m) => m.startsWith("0"), 3000, "open");
  first.send("40");
  const { sid, pid } = JSON.parse((await first.next((m) => m.startsWith("40"), 3000, "CONNECT ack")).slice(2));
  assert.equal(typeof pid, "string");
  const welcome = JSON.parse((await first.next((m) => m.startsWith("42"), 3000, "welcome")).slice(2));
  const offset = welcome[welcome.length - 1];
  first.send('420["join","raw-room"]');
  const joined = JSON.parse((await first.next((m) => m.startsWith("430"), 3000, "join ack")).slice(3));
  assert.deepEqual(joined, [[sid, "raw-room"].sort()]);
  // never answer pings: the server times the session out
  const dis = await srv.waitForLog((l) => l.ev === "disconnect" && l.id === sid, 4000);
  assert.equal(dis.reason, "ping timeout");
  await withTimeout(first.closed, 3000, "first websocket closed");
  // a watcher emits into the room while the raw peer is away
  const { socket: watcher, welcome: ww } = h.client(srv.url, { transports: ["websocket"] });
  await ww;
  watcher.emit("to-room", "raw-room", "missed", "m1");
  assert.equal(await watcher.timeout(3000).emitWithAck("echo", "barrier"), "barrier");

  const second = h.raw(srv.url);
  await second.next((m) => m.startsWith("0"), 3000, "open");
  second.ws.on("message", (d) => { if (d.toString() === "2") second.send("3"); });
  second.send(`40${JSON.stringify({ pid, offset })}`);
  const ack = JSON.parse((await second.next((m) => m.startsWith("40"), 3000, "CONNECT ack")).slice(2));
  assert.equal(ack.sid, sid, "same id");
  assert.equal(ack.pid, pid, "same pid");
  const missed = JSON.parse((await second.next((m) => m.startsWith('42["missed"'), 3000, "replayed missed event")).slice(2));
  assert.equal(missed[1], "m1");
  assert.equal(typeof missed[2], "string");
  const w2 = JSON.parse((await second.next((m) => m.startsWith('42["welcome"'), 3000, "welcome")).slice(2));
  assert.equal(w2[1].recovered, true);
  await srv.waitForLog((l) => l.ev === "connection" && l.id === sid && l.recovered === true, 3000);
});
