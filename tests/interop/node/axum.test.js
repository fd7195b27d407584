// The server as a tower layer inside an axum 0.8 app (core/examples/axum.rs): axum's routes and
// Socket.IO on one port, socket.io-client@4 over each transport and through the upgrade.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { io, nextEvent, withTimeout } from "./helpers.js";
import { startServer } from "./fixture.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const binary = path.resolve(here, "../../../target/debug/examples/axum");

const srv = await startServer({ binary });
after(() => srv.stop());

function connect(t, opts) {
  const socket = io(srv.url, { forceNew: true, reconnection: false, ...opts });
  t.after(() => socket.disconnect());
  return socket;
}

test("axum's own route answers on the same port", async () => {
  const res = await withTimeout(fetch(`${srv.url}/`), 5000, "GET /");
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "hello from axum");
  const missing = await withTimeout(fetch(`${srv.url}/nowhere`), 5000, "GET /nowhere");
  assert.equal(missing.status, 404, "other paths stay axum's");
});

for (const [label, transports] of [["polling", ["polling"]], ["websocket", ["websocket"]]]) {
  test(`socket.io-client over ${label}: welcome with the peer's address, echo with ack, binary`, async (t) => {
    const socket = connect(t, { transports });
    const [welcome] = await nextEvent(socket, "welcome", 5000, { rejectOn: ["connect_error"] });
    assert.match(welcome.address, /127\.0\.0\.1/, `handshake.address is the client's: ${welcome.address}`);
    assert.equal(welcome.secure, false);
    assert.equal(socket.io.engine.transport.name, label);
    const echo = await withTimeout(socket.emitWithAck("echo", 1, "two", { three: [3] }), 5000, "echo ack");
    assert.deepEqual(echo, [1, "two", { three: [3] }]);
    const [bin] = await withTimeout(socket.emitWithAck("echo", Buffer.from([1, 2, 3])), 5000, "binary echo");
    assert.deepEqual([...bin], [1, 2, 3]);
  });
}

test("socket.io-client upgrades from polling to websocket through the layer", async (t) => {
  const socket = connect(t, {});
  const upgraded = nextEvent(socket.io.engine, "upgrade", 5000);
  await nextEvent(socket, "welcome", 5000, { rejectOn: ["connect_error"] });
  const [transport] = await upgraded;
  assert.equal(transport.name, "websocket");
  const echo = await withTimeout(socket.emitWithAck("echo", "after upgrade"), 5000, "echo ack");
  assert.deepEqual(echo, ["after upgrade"]);
});

test("an unknown sid gets the Engine.IO error from the layer", async () => {
  const res = await withTimeout(fetch(`${srv.url}/socket.io/?EIO=4&transport=polling&sid=nope`), 5000, "GET");
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { code: 1, message: "Session ID unknown" });
});
