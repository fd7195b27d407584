// Regression tests for the hardening issue (13) that the npm reference server
// can prove: they run against the conformance server (or, with
// SIO_CONFORMANCE_SERVER=tests/protocol/reference-server.js, the reference).
// The findings that need small limits live in hardening.test.js.
//
// - (6) exactly one upgrade per session: a second concurrent probe, or a
//   WebSocket for a session that already upgraded, gets 101 and is closed at
//   once (close frame without a status code, 1005 on the client side);
// - (8) the decoder: placeholders of a BINARY_EVENT must carry an integer num
//   with 0 <= num < attachments (extra keys allowed); a placeholder-shaped
//   object in a plain EVENT is plain data; unpadded base64 over polling is
//   accepted.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { startServer } from "./fixture.js";
import {
  SEP,
  WAIT,
  WsConn,
  closeAll,
  connect,
  decodePayload,
  pollUrl,
  pollingHandshake,
  request,
  show,
  sioConnectReady,
  sioExpect,
  sioNextDecoded,
  sioSend,
  withTimeout,
} from "./helpers.js";

const EIO = "/engine.io/";
const SIO = "/socket.io/";
const T = { timeout: 20000 };
/** How fast the server must drop a connection it refuses. */
const CLOSE_WITHIN = 1000;

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await closeAll();
  await server?.stop();
});
afterEach(closeAll);

/** The first thing that happens on `conn`: {packet} or {closed: info}. */
function firstEvent(conn, timeout = WAIT) {
  return withTimeout(
    conn.next(timeout, "a packet or the close").then(
      (packet) => ({ packet }),
      (e) => (conn.closed ? { closed: conn.closedInfo } : Promise.reject(e)),
    ),
    timeout + 500,
    "a packet or the close",
  );
}

/** Opens a WebSocket probe for `sid`; resolves to the open WsConn, or {status} when refused over HTTP. */
function openProbe(path, sid) {
  return WsConn.open(server, path, `EIO=4&transport=websocket&sid=${encodeURIComponent(sid)}`).catch((e) => {
    if (e.status) return { refused: e.status };
    throw e;
  });
}

/** Asserts `conn` was accepted (101), answers no 2probe and is closed at once without a status code. */
async function assertAcceptedThenClosed(conn, what) {
  assert.ok(!conn.refused, `${what}: expected 101 then a close, got HTTP ${conn.refused}`);
  const t0 = Date.now();
  if (!conn.closed) await conn.send("2probe");
  const info = await conn.waitClosed(CLOSE_WITHIN + 1000, `the server to close ${what}`);
  assert.ok(conn.closedAt - t0 <= CLOSE_WITHIN, `${what} closed ${conn.closedAt - t0} ms late`);
  assert.deepEqual(conn.queue.items.map(show), [], `${what} must get nothing (no 3probe)`);
  // ws reports 1005 "No Status Received" for a close frame without a code (reference's socket.close()).
  assert.equal(info.code, 1005, `${what}: close ${JSON.stringify(info)}`);
}

describe("(6) exactly one upgrade per session", () => {
  test("two concurrent probes: one gets 3probe, the other gets 101 and is closed at once", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const [a, b] = await Promise.all([openProbe(EIO, sid), openProbe(EIO, sid)]);
    for (const c of [a, b]) assert.ok(!c.refused, `both probes must get 101 (reference), one got HTTP ${c.refused}`);
    // Both send 2probe before reading anything.
    for (const c of [a, b]) if (!c.closed) await c.send("2probe");
    const [ea, eb] = await Promise.all([firstEvent(a), firstEvent(b)]);
    const winners = [ea, eb].filter((e) => e.packet === "3probe").length;
    assert.equal(winners, 1, `exactly one probe may be answered: ${JSON.stringify([ea, eb])}`);
    const [winner, loser, lost] = ea.packet === "3probe" ? [a, b, eb] : [b, a, ea];
    assert.ok(lost.closed, `the other probe must be closed, got ${JSON.stringify(lost)}`);
    assert.equal(lost.closed.code, 1005, `the refused probe's close: ${JSON.stringify(lost.closed)}`);
    assert.deepEqual(loser.queue.items.map(show), []);
    // The winner completes the upgrade and carries the session.
    await winner.send("5", "4after upgrade");
    await winner.expect("4after upgrade");
  });

  test("a WebSocket for a session that already upgraded gets 101 and is closed at once", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const ws = await WsConn.open(server, EIO, `EIO=4&transport=websocket&sid=${sid}`);
    await ws.send("2probe");
    await ws.expect("3probe");
    await ws.send("5", "4upgraded");
    await ws.expect("4upgraded");
    const late = await openProbe(EIO, sid);
    await assertAcceptedThenClosed(late, "the WebSocket after the upgrade");
    await ws.send("4first still works");
    await ws.expect("4first still works");
    assert.ok(!ws.closed);
  });

  test("a WebSocket for an unknown sid is refused with HTTP 400", T, async () => {
    const res = await openProbe(EIO, "no-such-sid");
    assert.equal(res.refused, 400, `expected HTTP 400, got ${res.refused ?? "an open websocket"}`);
  });
});

for (const transport of ["websocket", "polling"]) {
  describe(`(8) placeholders in a BINARY_EVENT over ${transport}`, () => {
    for (const [placeholder, what] of [
      ['{"_placeholder":true,"num":-1}', "num -1"],
      ['{"_placeholder":true,"num":1.5}', "num 1.5"],
      ['{"_placeholder":true,"num":"0"}', 'num "0" (a string)'],
      ['{"_placeholder":true,"num":1}', "num == attachments"],
      ['{"_placeholder":true,"num":7}', "num > attachments"],
      ['{"_placeholder":true}', "no num"],
      ['{"_placeholder":true,"num":null}', "num null"],
    ]) {
      test(`a placeholder with ${what} closes the connection`, T, async () => {
        const c = await connect(server, transport, SIO);
        await sioConnectReady(c);
        await sioSend(c, `51-["message",${placeholder}]`, Buffer.from([1, 2, 3]));
        await c.waitClosed(CLOSE_WITHIN + 1000, `the server to close the connection after a placeholder with ${what}`);
        const leaked = c.queue.items.filter((p) => p !== "6");
        assert.deepEqual(leaked.map(show), [], `no reply may be sent to a placeholder with ${what}`);
      });
    }

    test("a placeholder with extra keys is accepted (as the reference)", T, async () => {
      const c = await connect(server, transport, SIO);
      await sioConnectReady(c);
      await sioSend(c, '51-["message",{"_placeholder":true,"num":0,"extra":"x"}]', Buffer.from([9, 8]));
      const got = await sioNextDecoded(c);
      assert.equal(got.type, 5, `expected a BINARY_EVENT, got ${show(got.raw)}`);
      assert.deepEqual(got.data, ["message-back", Buffer.from([9, 8])]);
    });

    test("a placeholder-shaped object in a plain EVENT is plain data (echoed as is)", T, async () => {
      const c = await connect(server, transport, SIO);
      await sioConnectReady(c);
      await sioSend(c, '2["message",{"_placeholder":true,"num":0}]');
      await sioExpect(c, '2["message-back",{"_placeholder":true,"num":0}]');
      assert.ok(!c.closed);
    });
  });
}

describe("(8) base64 over polling", () => {
  test("an unpadded base64 attachment (b record) is accepted", T, async () => {
    const c = await connect(server, "polling", SIO);
    await sioConnectReady(c);
    // [1, 2] is "AQI=" padded; [1, 2, 3, 4] is "AQIDBA==".
    const r = await request(pollUrl(server, SIO, c.sid), {
      method: "POST",
      body: ['452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]', "bAQI", "bAQIDBA"].join(SEP),
    });
    assert.equal(r.status, 200, `POST answered ${r.status ?? r.error} ${show(r.body ?? "")}`);
    const got = await sioNextDecoded(c);
    assert.equal(got.type, 5, `expected a BINARY_EVENT, got ${show(got.raw)}`);
    assert.deepEqual(got.data, ["message-back", Buffer.from([1, 2]), Buffer.from([1, 2, 3, 4])]);
  });

  test("an unpadded base64 message on the bare Engine.IO endpoint is echoed", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const url = pollUrl(server, EIO, sid);
    const r = await request(url, { method: "POST", body: "bAQID" + SEP + "bAQ" });
    assert.equal(r.status, 200, `POST answered ${r.status ?? r.error}`);
    const res = await request(url);
    assert.equal(res.status, 200, `GET answered ${res.status ?? res.error}`);
    const packets = decodePayload(res.body).filter((p) => p !== "2");
    assert.deepEqual(
      packets.map((p) => [...p]),
      [[1, 2, 3], [1]],
      `body ${show(res.body)}`,
    );
  });
});

test("the server process is still running", () => {
  assert.equal(server.exit, null, `server exited: ${JSON.stringify(server.exit)}\n${server.tail()}`);
});
