// Server-side disconnect reasons for invalid input, from a raw Engine.IO websocket peer.
// Expected values are what the reference `socket.io` server logs for the same frames.
import { test } from "node:test";
import assert from "node:assert/strict";
import { harness, withTimeout } from "./helpers.js";

async function rawConnected(h, srv) {
  const raw = h.raw(srv.url);
  await raw.next((m) => m.startsWith("0"), 3000, "open packet");
  raw.send("40");
  const { sid } = JSON.parse((await raw.next((m) => m.startsWith("40"), 3000, "CONNECT ack")).slice(2));
  await raw.next((m) => m.startsWith('42["welcome"'), 3000, "welcome");
  return { raw, sid };
}

const disconnectOf = (srv, sid) =>
  srv.waitForLog((l) => l.ev === "disconnect" && l.id === sid, 3000, `disconnect of ${sid}`);

test("invalid Socket.IO packet type: error event, then forced close", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { raw, sid } = await rawConnected(h, srv);
  raw.send("4{bad");
  const err = await srv.waitForLog((l) => l.ev === "error" && l.id === sid, 3000);
  assert.match(err.message, /^unknown packet type/);
  assert.equal((await disconnectOf(srv, sid)).reason, "forced close");
  await withTimeout(raw.closed, 3000, "websocket closed");
});

test("invalid Engine.IO packet type: parse error", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { raw, sid } = await rawConnected(h, srv);
  raw.send("9zzz");
  assert.equal((await disconnectOf(srv, sid)).reason, "parse error");
  await withTimeout(raw.closed, 3000, "websocket closed");
});

test("binary placeholder without attachment: error event, then forced close", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { raw, sid } = await rawConnected(h, srv);
  raw.send('451-["echo",{"_placeholder":true,"num":0}]');
  raw.send('42["echo",3]'); // text while an attachment is expected
  await srv.waitForLog((l) => l.ev === "error" && l.id === sid, 3000);
  assert.equal((await disconnectOf(srv, sid)).reason, "forced close");
  await withTimeout(raw.closed, 3000, "websocket closed");
});

test("EVENT for a namespace the peer has not joined closes the connection (forced close)", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { raw, sid } = await rawConnected(h, srv);
  raw.send('42/dyn-1,["echo",1]');
  assert.equal((await disconnectOf(srv, sid)).reason, "forced close", "reference: Client 'invalid state' -> conn.close() -> forced close");
  await withTimeout(raw.closed, 3000, "websocket closed");
});

test("second CONNECT to an already joined namespace closes the connection (forced close)", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { raw, sid } = await rawConnected(h, srv);
  raw.send("40");
  assert.equal((await disconnectOf(srv, sid)).reason, "forced close", "reference: Client 'invalid state' -> conn.close() -> forced close");
  await withTimeout(raw.closed, 3000, "websocket closed");
});

test("ACK with an unknown id is ignored", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { raw, sid } = await rawConnected(h, srv);
  raw.send("43999[1]");
  raw.send('42["echo",4]');
  await raw.next((m) => m === '42["echo",4]', 3000, "echo after the stray ack");
  assert.equal(srv.logs.some((l) => l.ev === "disconnect" && l.id === sid), false);
});

test("message above maxPayload: connection closed, server reason transport error", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { raw, sid } = await rawConnected(h, srv);
  raw.send(`42["echo","${"x".repeat(1_200_000)}"]`);
  assert.equal((await disconnectOf(srv, sid)).reason, "transport error");
  await withTimeout(raw.closed, 3000, "websocket closed");
});
