// Events with several args, binary (top level and nested) both ways, acks both ways.
import { test } from "node:test";
import assert from "node:assert/strict";
import { harness, nextEvent, emitAck, isBinary, toBuffer, ackPair, byJson } from "./helpers.js";

const TRANSPORTS = [
  ["polling", { transports: ["polling"] }],
  ["websocket", { transports: ["websocket"] }],
];

for (const [name, opts] of TRANSPORTS) {
  test(`[${name}] echo with several args of every JSON type`, async (t) => {
    const h = harness(t);
    const srv = await h.server();
    const { socket, welcome } = h.client(srv.url, opts);
    await welcome;
    const args = [1, "two", { three: [3, { deep: true }] }, [4, null], null, true, false, -1.5, "ünïcødé ✓ \n\"quoted\"", {}, []];
    const echoed = nextEvent(socket, "echo", 3000);
    socket.emit("echo", ...args);
    assert.deepEqual(await echoed, args);
    // with an ack: echo event + ack with the same args
    const echoed2 = nextEvent(socket, "echo", 3000);
    const ack = await emitAck(socket, 3000, "echo", "a", 2, { b: [3] });
    assert.deepEqual(ack, ["a", 2, { b: [3] }]);
    assert.deepEqual(await echoed2, ["a", 2, { b: [3] }]);
    // no args at all
    const echoed3 = nextEvent(socket, "echo", 3000);
    socket.emit("echo");
    assert.deepEqual(await echoed3, []);
  });

  test(`[${name}] binary at top level and nested, both directions`, async (t) => {
    const h = harness(t);
    const srv = await h.server();
    const { socket, welcome } = h.client(srv.url, opts);
    await welcome;
    const a = Buffer.from([0, 1, 2, 3, 254, 255]);
    const b = Buffer.from("hello binary");
    const c = Buffer.alloc(0);
    const big = Buffer.alloc(100_000, 7);
    const payload = [a, { nested: b, list: [1, c, { deeper: [a] }] }, "text", [b, 2]];
    const echoed = nextEvent(socket, "echo", 5000);
    socket.emit("echo", ...payload);
    const got = await echoed;
    assert.equal(got.length, 4);
    assert.ok(isBinary(got[0]), `top-level arg stays binary: ${typeof got[0]} ${JSON.stringify(got[0])?.slice(0, 80)}`);
    assert.deepEqual(toBuffer(got[0]), a);
    assert.ok(isBinary(got[1].nested));
    assert.deepEqual(toBuffer(got[1].nested), b);
    assert.equal(got[1].list[0], 1);
    assert.ok(isBinary(got[1].list[1]));
    assert.equal(toBuffer(got[1].list[1]).length, 0);
    assert.ok(isBinary(got[1].list[2].deeper[0]));
    assert.deepEqual(toBuffer(got[1].list[2].deeper[0]), a);
    assert.equal(got[2], "text");
    assert.ok(isBinary(got[3][0]));
    assert.deepEqual(toBuffer(got[3][0]), b);
    assert.equal(got[3][1], 2);
    // binary in the ack (server -> client ack with attachments)
    const ack = await emitAck(socket, 5000, "echo", { blob: big }, a);
    assert.ok(isBinary(ack[0].blob));
    assert.deepEqual(toBuffer(ack[0].blob), big);
    assert.deepEqual(toBuffer(ack[1]), a);
  });

  test(`[${name}] server -> client ack via ask (answered, with binary)`, async (t) => {
    const h = harness(t);
    const srv = await h.server();
    const { socket, welcome } = h.client(srv.url, opts);
    await welcome;
    let question;
    socket.on("question", (arg, cb) => {
      question = arg;
      assert.equal(typeof cb, "function", "the server asked for an ack");
      cb("answer", { bin: Buffer.from([9, 8, 7]) }, 42);
    });
    const [err, value] = ackPair(await emitAck(socket, 5000, "ask", "question", { q: Buffer.from([1, 2]) }));
    assert.equal(err, null);
    assert.ok(isBinary(question.q), "the question's nested binary arrived as binary");
    assert.deepEqual(toBuffer(question.q), Buffer.from([1, 2]));
    assert.ok(Array.isArray(value), `reply_args is an array: ${JSON.stringify(value)}`);
    assert.equal(value.length, 3);
    assert.equal(value[0], "answer");
    assert.ok(isBinary(value[1].bin), "binary in the client's ack made it through the server and back");
    assert.deepEqual(toBuffer(value[1].bin), Buffer.from([9, 8, 7]));
    assert.equal(value[2], 42);
  });
}

test("client emitWithAck on echo resolves with the first ack arg; timeout() with no ack fails", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { socket, welcome } = h.client(srv.url, { transports: ["websocket"] });
  await welcome;
  assert.deepEqual(await socket.timeout(3000).emitWithAck("echo", { x: [1, 2] }), { x: [1, 2] });
  // an unknown event is recorded by on_any but never acked
  await assert.rejects(socket.timeout(300).emitWithAck("no-such-handler", 1), /operation has timed out/);
  // several acks in flight resolve each with its own value
  const values = await Promise.all(Array.from({ length: 20 }, (_, i) => socket.timeout(3000).emitWithAck("echo", i)));
  assert.deepEqual(values, Array.from({ length: 20 }, (_, i) => i));
});

test("server -> client ack via ask: the client does not answer -> timeout", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { socket, welcome } = h.client(srv.url, { transports: ["websocket"] });
  await welcome;
  let received = null;
  socket.on("silent", (arg) => { received = arg; }); // never calls the ack
  const start = Date.now();
  const [err, value] = ackPair(await emitAck(socket, 6000, "ask", "silent", "ping?"));
  const elapsed = Date.now() - start;
  assert.equal(err, "timeout");
  assert.equal(value, null);
  assert.equal(received, "ping?");
  assert.ok(elapsed >= 1800, `server waited its 2000 ms timeout (${elapsed} ms)`);
});

test("ask-all with two clients: every socket's reply is collected", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const A = h.client(srv.url, { transports: ["websocket"] });
  const B = h.client(srv.url, { transports: ["polling"] });
  await Promise.all([A.welcome, B.welcome]);
  A.socket.on("poll", (arg, cb) => cb("from-A", arg));
  B.socket.on("poll", (arg, cb) => cb("from-B", arg));
  const [err, value] = ackPair(await emitAck(A.socket, 5000, "ask-all", "poll", 7));
  assert.equal(err, null);
  assert.ok(Array.isArray(value), JSON.stringify(value));
  assert.deepEqual([...value].sort(byJson), [["from-A", 7], ["from-B", 7]]);
});

test("ask-all where one client does not answer: timeout with the partial replies", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const A = h.client(srv.url, { transports: ["websocket"] });
  const B = h.client(srv.url, { transports: ["websocket"] });
  await Promise.all([A.welcome, B.welcome]);
  A.socket.on("poll", (arg, cb) => cb("from-A"));
  let bGot = false;
  B.socket.on("poll", () => { bGot = true; });
  const [err, value] = ackPair(await emitAck(A.socket, 6000, "ask-all", "poll", 1));
  assert.equal(err, "timeout");
  assert.deepEqual(value, [["from-A"]]);
  assert.equal(bGot, true);
});

test("volatile emit reaches a connected websocket client", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { socket, welcome } = h.client(srv.url, { transports: ["websocket"] });
  await welcome;
  const got = nextEvent(socket, "vol", 3000);
  socket.emit("volatile", "vol", 1, "x");
  assert.deepEqual(await got, [1, "x"]);
});

test("reserved names: server refuses to emit them, the client throws", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { socket, welcome } = h.client(srv.url, { transports: ["websocket"] });
  await welcome;
  for (const name of ["disconnect", "connect", "connect_error", "disconnecting", "newListener", "removeListener"]) {
    const [msg] = await emitAck(socket, 3000, "emit-reserved", name);
    assert.equal(typeof msg, "string", `emitting "${name}" server-side is refused with an error message (got ${JSON.stringify(msg)})`);
    assert.match(msg, new RegExp(name), `error mentions the name: ${msg}`);
  }
  const [ok] = await emitAck(socket, 3000, "emit-reserved", "harmless");
  assert.equal(ok, null, "a normal name is accepted");
  assert.throws(() => socket.emit("disconnect"), /"disconnect" is a reserved event name/);
  assert.throws(() => socket.emit("connect"), /reserved event name/);
  assert.equal(socket.connected, true);
});

test("a client ack arriving after the server's ask timeout is ignored", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { socket, welcome } = h.client(srv.url, { transports: ["websocket"] });
  await welcome;
  let late;
  const answered = new Promise((resolve) => {
    socket.on("slow", (arg, cb) => { late = () => { cb("too late"); resolve(); }; });
  });
  const [err, value] = ackPair(await emitAck(socket, 6000, "ask", "slow", 1));
  assert.equal(err, "timeout");
  assert.equal(value, null);
  late();
  await answered;
  // the connection is still healthy and a new ask works
  socket.on("fast", (arg, cb) => cb(arg + 1));
  const [err2, value2] = ackPair(await emitAck(socket, 6000, "ask", "fast", 1));
  assert.equal(err2, null);
  assert.deepEqual(value2, [2]);
  assert.equal(srv.logs.some((l) => l.ev === "disconnect"), false);
});
