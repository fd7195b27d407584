// socket.io-client 2.x (Engine.IO 3, Socket.IO protocol 4; npm alias socket.io-client-v2)
// against `interop-server --allow-eio3`, as socket.io's `allowEIO3` serves it: client pings,
// length-prefixed polling payloads (binary records over XHR2), type-byte binary WebSocket
// frames, `/` joined without a CONNECT, the namespace query as auth, ids `/nsp#sid`.
// Runs against the reference server too (SIO_INTEROP_SERVER=tests/interop/reference-server.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import ioV2 from "socket.io-client-v2";
import { harness, nextEvent, emitAck, isBinary, toBuffer, ackPair, withTimeout } from "./helpers.js";

const EIO3 = ["--allow-eio3"];

/** A socket.io-client 2.x socket, disconnected when the test ends. */
function v2(t, url, opts = {}) {
  const socket = ioV2(url, { forceNew: true, reconnection: false, ...opts });
  t.after(() => socket.close());
  const welcome = nextEvent(socket, "welcome", 8000, { rejectOn: ["connect_error", "error"] });
  welcome.catch(() => {});
  return { socket, welcome };
}

for (const [name, opts] of [
  ["polling", { transports: ["polling"] }],
  ["websocket", { transports: ["websocket"] }],
  ["polling then websocket", {}],
]) {
  test(`[${name}] socket.io-client 2.x: joins /, echoes nested binary, acks both ways`, async (t) => {
    const h = harness(t);
    const srv = await h.server(EIO3);
    const { socket, welcome } = v2(t, srv.url, opts);
    const [w] = await welcome;
    assert.equal(w.ns, "/");
    assert.equal(w.id, socket.id, "the server's socket id is the one the 2.x client derives");
    assert.deepEqual(w.auth, {});
    if (name === "polling then websocket" && socket.io.engine.transport.name !== "websocket") {
      await nextEvent(socket.io.engine, "upgrade", 5000);
    }
    const a = Buffer.from([0, 1, 254, 255]);
    const echoed = nextEvent(socket, "echo", 5000);
    const acked = await emitAck(socket, 5000, "echo", "ünï😀", 2, { nested: a, list: [a, null] });
    for (const got of [await echoed, acked]) {
      assert.deepEqual(got.slice(0, 2), ["ünï😀", 2]);
      assert.ok(isBinary(got[2].nested), "a buffer stays binary");
      assert.deepEqual(toBuffer(got[2].nested), a);
      assert.deepEqual(toBuffer(got[2].list[0]), a);
    }
    socket.on("question", (arg, ack) => ack("answer", arg));
    const [err, reply] = ackPair(await emitAck(socket, 5000, "ask", "question", Buffer.from([7])));
    assert.equal(err, null);
    assert.equal(reply[0], "answer");
    assert.deepEqual(toBuffer(reply[1]), Buffer.from([7]));
    const transport = await emitAck(socket, 5000, "transport");
    assert.deepEqual(transport, [name === "polling" ? "polling" : "websocket"]);
  });
}

test("socket.io-client 2.x: the namespace query is the auth payload; a refusal is an error event with its data", async (t) => {
  const h = harness(t);
  const srv = await h.server(EIO3);
  const ok = v2(t, srv.url + "/admin", { query: { token: "secret" }, transports: ["websocket"] });
  const [w] = await ok.welcome;
  assert.equal(w.ns, "/admin");
  assert.deepEqual(w.auth, { token: "secret" });
  assert.equal(w.id, ok.socket.id);
  assert.equal(w.id, "/admin#" + ok.socket.io.engine.id);
  const bad = ioV2(srv.url + "/admin", { forceNew: true, reconnection: false, query: { token: "nope" } });
  t.after(() => bad.close());
  const [err] = await nextEvent(bad, "error", 5000);
  assert.deepEqual(err, { reason: "bad token" }, "protocol 4 carries the error's data alone");
  const unknown = ioV2(srv.url + "/nope", { forceNew: true, reconnection: false });
  t.after(() => unknown.close());
  const [e2] = await nextEvent(unknown, "error", 5000);
  assert.equal(e2.message ?? e2, "Invalid namespace");
});

test("socket.io-client 2.x: the client's pings keep the session; a silent Engine.IO 3 session ends with ping timeout", async (t) => {
  const h = harness(t);
  const srv = await h.server([...EIO3, "--ping-interval", "200", "--ping-timeout", "300"]);
  const { socket, welcome } = v2(t, srv.url, { transports: ["websocket"] });
  await welcome;
  // socket.io-client 2.x emits `pong` on the socket when the server answers its ping
  for (let i = 0; i < 4; i++) await nextEvent(socket, "pong", 2000);
  assert.equal(socket.connected, true);
  assert.deepEqual(await emitAck(socket, 2000, "echo", "alive"), ["alive"]);
  // a raw Engine.IO 3 polling handshake that never pings
  const res = await fetch(`${srv.url}/socket.io/?EIO=3&transport=polling`);
  assert.equal(res.status, 200);
  const body = await res.text();
  const m = /^(\d+):0(\{.*?\})(\d+:40)?/.exec(body);
  assert.ok(m, `a length-prefixed open packet: ${body}`);
  const open = JSON.parse(m[2]);
  assert.equal(Number(m[1]), m[2].length + 1);
  const conn = await srv.waitForLog((l) => l.ev === "connection" && l.id === open.sid, 3000);
  assert.equal(conn.ns, "/", "joined / without a CONNECT");
  const gone = await srv.waitForLog((l) => l.ev === "disconnect" && l.id === open.sid, 3000);
  assert.equal(gone.reason, "ping timeout");
});

test("without --allow-eio3 an Engine.IO 3 handshake is refused, a 4 one is served", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const res = await fetch(`${srv.url}/socket.io/?EIO=3&transport=polling`);
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { code: 5, message: "Unsupported protocol version" });
  const { socket } = v2(t, srv.url, { transports: ["polling"] });
  await withTimeout(new Promise((resolve) => socket.once("connect_error", resolve)), 5000, "connect_error");
  const ok = await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`);
  assert.equal(ok.status, 200);
});
