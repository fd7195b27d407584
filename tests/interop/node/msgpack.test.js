// socket.io-client with socket.io-msgpack-parser (both from npm) against `interop-server --parser
// msgpack`: every packet is one MessagePack binary message, buffers travel inside the payload.
// Runs against the reference server too (SIO_INTEROP_SERVER=tests/interop/reference-server.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import msgpackParser from "socket.io-msgpack-parser";
import { harness, nextEvent, emitAck, isBinary, toBuffer, ackPair, record, withTimeout } from "./helpers.js";

const MSGPACK = ["--parser", "msgpack"];
const TRANSPORTS = [
  ["polling", { transports: ["polling"] }],
  ["websocket", { transports: ["websocket"] }],
];

for (const [name, opts] of TRANSPORTS) {
  test(`[${name}] msgpack: echo and acks both ways with nested buffers`, async (t) => {
    const h = harness(t);
    const srv = await h.server(MSGPACK);
    const { socket, welcome } = h.client(srv.url, { ...opts, parser: msgpackParser });
    const [w] = await welcome;
    assert.equal(w.ns, "/");
    assert.equal(w.transport, name);
    const a = Buffer.from([0, 1, 254, 255]);
    const args = [1, -1.5, 2 ** 40, "ünïcødé", null, true, { nested: a, list: [Buffer.alloc(0), { deeper: [a] }] }, [4, "x"]];
    const echoed = nextEvent(socket, "echo", 5000);
    const acked = await emitAck(socket, 5000, "echo", ...args);
    for (const got of [await echoed, acked]) {
      assert.equal(got.length, args.length);
      assert.deepEqual(got.slice(0, 6), args.slice(0, 6));
      assert.ok(isBinary(got[6].nested), "a buffer stays binary");
      assert.deepEqual(toBuffer(got[6].nested), a);
      assert.equal(toBuffer(got[6].list[0]).length, 0);
      assert.deepEqual(toBuffer(got[6].list[1].deeper[0]), a);
      assert.deepEqual(got[7], [4, "x"]);
    }
    // server -> client with an ack: the client answers with a buffer
    socket.on("question", (arg, ack) => ack("answer", arg, Buffer.from("reply")));
    const [err, reply] = ackPair(await emitAck(socket, 5000, "ask", "question", Buffer.from([7])));
    assert.equal(err, null);
    assert.equal(reply[0], "answer");
    assert.deepEqual(toBuffer(reply[1]), Buffer.from([7]));
    assert.deepEqual(toBuffer(reply[2]), Buffer.from("reply"));
  });
}

test("msgpack: polling upgrades to websocket; rooms and broadcasts reach every member", async (t) => {
  const h = harness(t);
  const srv = await h.server(MSGPACK);
  const one = h.client(srv.url, { parser: msgpackParser });
  const two = h.client(srv.url, { parser: msgpackParser, transports: ["websocket"] });
  await Promise.all([one.welcome, two.welcome]);
  if (one.socket.io.engine.transport.name !== "websocket") await nextEvent(one.socket.io.engine, "upgrade", 5000);
  assert.equal(await withTimeout(one.socket.emitWithAck("transport"), 5000, "transport"), "websocket");
  for (const c of [one, two]) await emitAck(c.socket, 5000, "join", "r");
  const got = [record(one.socket, "tick"), record(two.socket, "tick")];
  two.socket.emit("to-room", "r", "tick", { n: 1, bin: Buffer.from("shared") });
  for (const r of got) {
    const [[v]] = await r.count(1);
    assert.equal(v.n, 1);
    assert.deepEqual(toBuffer(v.bin), Buffer.from("shared"));
  }
});

test("msgpack: /admin refuses with error data, accepts the token; an unknown namespace is refused", async (t) => {
  const h = harness(t);
  const srv = await h.server(MSGPACK);
  const { socket } = h.client(srv.url, { parser: msgpackParser, transports: ["websocket"] }, "/admin");
  const [err] = await nextEvent(socket, "connect_error", 5000);
  assert.equal(err.message, "unauthorized");
  assert.deepEqual(err.data, { reason: "bad token" });
  const ok = h.client(srv.url, { parser: msgpackParser, auth: { token: "secret" } }, "/admin");
  const [w] = await ok.welcome;
  assert.deepEqual([w.ns, w.auth], ["/admin", { token: "secret" }]);
  const nope = h.client(srv.url, { parser: msgpackParser }, "/nope");
  const [e2] = await nextEvent(nope.socket, "connect_error", 5000);
  assert.equal(e2.message, "Invalid namespace");
});

test("msgpack: a default-parser client cannot join, and the server keeps serving msgpack clients", async (t) => {
  const h = harness(t);
  const srv = await h.server(MSGPACK);
  const wrong = h.client(srv.url, { transports: ["websocket"], reconnection: false });
  // its text CONNECT is not a msgpack packet: the server closes the connection
  const [reason] = await nextEvent(wrong.socket.io.engine, "close", 5000);
  assert.equal(reason, "transport close");
  assert.equal(wrong.socket.connected, false);
  const right = h.client(srv.url, { parser: msgpackParser, transports: ["websocket"] });
  await right.welcome;
  assert.deepEqual(await emitAck(right.socket, 5000, "echo", "still here"), ["still here"]);
});

test("msgpack: connection state recovery replays missed room events in msgpack", async (t) => {
  const h = harness(t);
  const srv = await h.server([...MSGPACK, "--recovery"]);
  // a fixed 1 s reconnection delay leaves room for the sender's emits while the member is away
  const member = h.client(srv.url, {
    parser: msgpackParser, transports: ["websocket"], reconnectionDelay: 1000, reconnectionDelayMax: 1000, randomizationFactor: 0,
  });
  const sender = h.client(srv.url, { parser: msgpackParser, transports: ["websocket"] });
  await Promise.all([member.welcome, sender.welcome]);
  const m = member.socket;
  const id = m.id;
  await emitAck(m, 5000, "join", "missed");
  // one live event first, so that the member holds a recent offset
  const live = record(m, "live");
  sender.socket.emit("to-room", "missed", "live", 0);
  await live.count(1);
  const ticks = record(m, "tick");
  const down = nextEvent(m, "disconnect", 5000);
  m.io.engine.close();
  await down;
  await srv.waitForLog((l) => l.ev === "disconnect" && l.id === id, 5000);
  sender.socket.emit("to-room", "missed", "tick", Buffer.from([1]));
  sender.socket.emit("to-room", "missed", "tick", { two: Buffer.from([2]) });
  await emitAck(sender.socket, 5000, "echo", "barrier");
  await nextEvent(m, "welcome", 8000);
  assert.equal(m.recovered, true);
  assert.equal(m.id, id);
  const seen = await ticks.count(2, 8000);
  assert.deepEqual([...toBuffer(seen[0][0])], [1]);
  assert.deepEqual([...toBuffer(seen[1][0].two)], [2]);
});
