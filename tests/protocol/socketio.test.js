// Socket.IO protocol v5 conformance over raw WebSocket and raw HTTP
// long-polling, against the /socket.io/ endpoint of the conformance server.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { startServer } from "./fixture.js";
import {
  CONNECT_TIMEOUT,
  PING_INTERVAL,
  WAIT,
  WsConn,
  closeAll,
  connect,
  show,
  sioConnect,
  sioConnectReady,
  sioExpect,
  sioNext,
  sioNextDecoded,
  sioSend,
  withTimeout,
} from "./helpers.js";

const SIO = "/socket.io/";
const T = { timeout: 15000 };
/** How fast the server must drop a connection after a protocol violation. */
const CLOSE_WITHIN = 500;

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await closeAll();
  await server?.stop();
});
afterEach(closeAll);

const open = (transport, opts) => connect(server, transport, SIO, opts);

/** A fresh client on either transport can still connect and get an echo. */
async function assertServerServes() {
  for (const transport of ["websocket", "polling"]) {
    const c = await open(transport);
    await sioConnectReady(c);
    await sioSend(c, '2["message","alive"]');
    await sioExpect(c, '2["message-back","alive"]');
    await c.close();
  }
}

/** Sends `packets` and asserts the server drops the connection promptly, then still serves others. */
async function assertClosesOn(conn, packets, what) {
  const t0 = Date.now();
  await sioSend(conn, ...packets);
  await conn.waitClosed(CLOSE_WITHIN + 1000, `the server to close the connection after ${what}`);
  const took = conn.closedAt - t0;
  assert.ok(took <= CLOSE_WITHIN, `closed ${took} ms after ${what}; expected an immediate close`);
  const leaked = conn.queue.items.filter((p) => p !== "6");
  assert.deepEqual(leaked.map(show), [], `no reply may be sent to ${what}`);
  await assertServerServes();
}

for (const transport of ["websocket", "polling"]) {
  describe(`Socket.IO over ${transport}`, () => {
    describe("connect", () => {
      test("CONNECT to / → CONNECT {sid} (exactly that key), then the auth event with {}", T, async () => {
        const c = await open(transport);
        const sid = await sioConnect(c);
        assert.notEqual(sid, c.sid, "the Socket.IO sid must differ from the Engine.IO sid (v5)");
        await sioExpect(c, '2["auth",{}]');
      });

      test("CONNECT with an auth payload → the payload is echoed by the auth event", T, async () => {
        const c = await open(transport);
        await sioConnect(c, "/", { token: "123" });
        await sioExpect(c, '2["auth",{"token":"123"}]');
      });

      test("CONNECT to /custom → 0/custom,{sid}, then 2/custom,[auth]", T, async () => {
        const c = await open(transport);
        await sioConnect(c, "/custom");
        await sioExpect(c, '2/custom,["auth",{}]');
      });

      test("CONNECT to /custom with an auth payload", T, async () => {
        const c = await open(transport);
        const auth = { token: "abc", n: [1, { x: null }] };
        await sioConnect(c, "/custom", auth);
        const got = await sioNextDecoded(c);
        assert.equal(got.type, 2);
        assert.equal(got.nsp, "/custom");
        assert.deepEqual(got.data, ["auth", auth]);
      });

      test("CONNECT to an unknown namespace → CONNECT_ERROR Invalid namespace; the connection stays usable", T, async () => {
        const c = await open(transport);
        await sioSend(c, "0/random,");
        await sioExpect(c, '4/random,{"message":"Invalid namespace"}');
        await sioConnectReady(c, "/");
        await sioSend(c, '2["message","after error"]');
        await sioExpect(c, '2["message-back","after error"]');
      });

      test("one connection multiplexes / and /custom with distinct sids", T, async () => {
        const c = await open(transport);
        const a = await sioConnectReady(c, "/");
        const b = await sioConnectReady(c, "/custom", { k: 1 });
        assert.notEqual(a, b);
        assert.ok(a !== c.sid && b !== c.sid);
        await sioSend(c, '2["message",1]');
        await sioExpect(c, '2["message-back",1]');
      });

      test("no CONNECT within connectTimeout → the connection is closed", T, async () => {
        const c = await open(transport);
        const t0 = Date.now();
        await c.waitClosed(CONNECT_TIMEOUT + 1500, "the connect timeout to close the connection");
        const took = c.closedAt - t0;
        assert.ok(took >= CONNECT_TIMEOUT - 100, `closed after ${took} ms, before connectTimeout (${CONNECT_TIMEOUT})`);
        assert.ok(c.pings >= 2, `the heartbeat was answered (${c.pings} pings), so only the connect timeout can explain the close`);
        assert.deepEqual(c.queue.items.filter((p) => p !== "6").map(show), [], "nothing but the close may be sent");
      });

      test("a CONNECT within connectTimeout keeps the connection open past it", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c);
        await c.expectSilence(CONNECT_TIMEOUT + PING_INTERVAL); // pings are answered meanwhile
        assert.ok(!c.closed);
        await sioSend(c, '2["message","late"]');
        await sioExpect(c, '2["message-back","late"]');
      });
    });

    describe("events and acks", () => {
      test("EVENT → message-back with the same arguments", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c);
        await sioSend(c, '2["message",1,"2",{"3":[true]}]');
        await sioExpect(c, '2["message-back",1,"2",{"3":[true]}]');
      });

      test("EVENT with multi-byte UTF-8 and nested data", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c);
        const args = ["€😀 日本", { a: [null, false, 1.5, -3], "é": { "😀": "x" } }, [], {}];
        await sioSend(c, "2" + JSON.stringify(["message", ...args]));
        const got = await sioNextDecoded(c);
        assert.equal(got.type, 2);
        assert.deepEqual(got.data, ["message-back", ...args]);
      });

      test("JSON object key order survives the round trip (as in the reference)", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c);
        const mismatches = [];
        const sent = '["message",{"b":1,"a":{"y":true,"x":false}}]';
        await sioSend(c, "2" + sent);
        const back = await sioNext(c);
        if (back !== '2["message-back",{"b":1,"a":{"y":true,"x":false}}]') mismatches.push(`event: sent 2${sent}, got ${back}`);
        await sioSend(c, '0/custom,{"z":1,"a":2}');
        await sioNext(c, WAIT, "CONNECT reply");
        const auth = await sioNext(c);
        if (auth !== '2/custom,["auth",{"z":1,"a":2}]') mismatches.push(`auth: sent {"z":1,"a":2}, got ${auth}`);
        assert.deepEqual(mismatches, []);
      });

      test("several EVENTs are answered in order", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c);
        await sioSend(c, ...Array.from({ length: 10 }, (_, i) => `2["message",${i}]`));
        for (let i = 0; i < 10; i++) await sioExpect(c, `2["message-back",${i}]`);
      });

      test("EVENT with an ack id → ACK with the same id and arguments", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c);
        await sioSend(c, '21["message-with-ack",1,"2"]');
        await sioExpect(c, '31[1,"2"]');
        await sioSend(c, '242456["message-with-ack",{"a":[true]}]');
        await sioExpect(c, '342456[{"a":[true]}]');
      });

      test("EVENT with an ack id and no arguments → empty ACK array", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c);
        await sioSend(c, '27["message-with-ack"]');
        await sioExpect(c, "37[]");
      });

      test("BINARY_EVENT with one attachment → message-back with the same bytes", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c);
        await sioSend(c, '51-["message",{"_placeholder":true,"num":0}]', Buffer.from([1, 2, 3]));
        await sioExpect(c, '51-["message-back",{"_placeholder":true,"num":0}]');
        await sioExpect(c, Buffer.from([1, 2, 3]));
      });

      test("BINARY_EVENT with several attachments (placeholders out of order) round-trips", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c);
        await sioSend(
          c,
          '52-["message",{"_placeholder":true,"num":1},"x",{"k":{"_placeholder":true,"num":0}}]',
          Buffer.from([1, 2, 3]),
          Buffer.from([0, 255]),
        );
        const got = await sioNextDecoded(c);
        assert.equal(got.type, 5, `expected BINARY_EVENT, got ${show(got.raw)}`);
        assert.equal(got.attachments, 2);
        assert.deepEqual(got.data, ["message-back", Buffer.from([0, 255]), "x", { k: Buffer.from([1, 2, 3]) }]);
      });

      test("BINARY_EVENT with an empty attachment", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c);
        await sioSend(c, '51-["message",{"_placeholder":true,"num":0}]', Buffer.alloc(0));
        const got = await sioNextDecoded(c);
        assert.equal(got.type, 5);
        assert.deepEqual(got.data, ["message-back", Buffer.alloc(0)]);
      });

      test("BINARY_EVENT with an ack id → BINARY_ACK with the same bytes", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c);
        await sioSend(c, '51-13["message-with-ack",{"_placeholder":true,"num":0},"s"]', Buffer.from([4, 5, 6]));
        await sioExpect(c, '61-13[{"_placeholder":true,"num":0},"s"]');
        await sioExpect(c, Buffer.from([4, 5, 6]));
      });

      test("an ACK for an unknown id is ignored; the connection keeps working", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c);
        await sioSend(c, "399[1]");
        await c.expectSilence(150);
        await sioSend(c, '2["message","ok"]');
        await sioExpect(c, '2["message-back","ok"]');
      });

      test("an EVENT nobody listens to (on /custom) gets no reply", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c, "/custom");
        await sioSend(c, '2/custom,["message",1]', '2/custom,5["message-with-ack",1]');
        await c.expectSilence(200);
        assert.ok(!c.closed);
      });
    });

    describe("disconnect", () => {
      test("DISCONNECT leaves the namespace: no more packets, the connection stays open", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c);
        await sioSend(c, "1");
        const pings = c.pings;
        await c.expectSilence(PING_INTERVAL * 2);
        assert.ok(!c.closed, "DISCONNECT must not close the underlying connection");
        assert.ok(c.pings > pings, "the Engine.IO heartbeat continues after DISCONNECT");
      });

      test("after DISCONNECT, an EVENT for that namespace is a protocol violation (connection closed)", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c);
        await sioSend(c, "1");
        await c.expectSilence(100);
        await assertClosesOn(c, ['2["message","gone"]'], "an EVENT after DISCONNECT");
      });

      test("DISCONNECT from /custom keeps / working on the same connection", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c, "/");
        await sioConnectReady(c, "/custom");
        await sioSend(c, "1/custom,");
        await c.expectSilence(100);
        await sioSend(c, '2["message","to main"]');
        await sioExpect(c, '2["message-back","to main"]');
      });

      test("a namespace can be joined again after DISCONNECT, with a new sid", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c, "/");
        const first = await sioConnectReady(c, "/custom");
        await sioSend(c, "1/custom,");
        await c.expectSilence(100);
        const second = await sioConnectReady(c, "/custom");
        assert.notEqual(first, second);
      });
    });

    describe("malformed packets close the connection", () => {
      const connected = [
        ["abc", "garbage (unknown packet type 'a')"],
        ["", "an empty Socket.IO packet"],
        ['2["message"', "invalid JSON"],
        ["9", "unknown packet type 9"],
        ['2{"a":1}', "an EVENT whose payload is an object"],
        ['2"message"', "an EVENT whose payload is a string"],
        ["2[]", "an EVENT with an empty array"],
        ["2[null]", "an EVENT whose name is null"],
        ['2[{"a":1}]', "an EVENT whose name is an object"],
        ["2[true]", "an EVENT whose name is a boolean"],
        ['2["disconnect"]', "an EVENT with a reserved name"],
        ['5-["message",{"_placeholder":true,"num":0}]', "a BINARY_EVENT without an attachment count"],
        ['5x-["message"]', "a BINARY_EVENT with a garbage attachment count"],
        ['2/custom,["message"]', "an EVENT for a namespace the client did not join"],
        ['4{"message":"x"}', "a CONNECT_ERROR sent by the client"],
        ["0", "a second CONNECT to an already joined namespace"],
      ];
      for (const [packet, what] of connected) {
        test(`${what}: ${JSON.stringify("4" + packet)}`, T, async () => {
          const c = await open(transport);
          await sioConnectReady(c);
          await assertClosesOn(c, [packet], what);
        });
      }

      test("a binary attachment that no BINARY_EVENT announced", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c);
        await assertClosesOn(c, [Buffer.from([1, 2])], "an unexpected attachment");
      });

      test("a text packet while attachments are still expected", T, async () => {
        const c = await open(transport);
        await sioConnectReady(c);
        await assertClosesOn(
          c,
          ['51-["message",{"_placeholder":true,"num":0}]', '2["message",1]'],
          "a text packet in place of an attachment",
        );
      });

      for (const [packet, what] of [
        ['2["message",1]', "an EVENT before any CONNECT"],
        ["1", "a DISCONNECT before any CONNECT"],
        ['0"abc"', "a CONNECT whose payload is a string"],
        ["0[1]", "a CONNECT whose payload is an array"],
        ["abc", "garbage before any CONNECT"],
      ]) {
        test(`${what}: ${JSON.stringify("4" + packet)}`, T, async () => {
          const c = await open(transport);
          await assertClosesOn(c, [packet], what);
        });
      }
    });
  });
}

describe("Socket.IO across a transport upgrade", () => {
  test("a socket connected over polling keeps its namespace after the upgrade to websocket", T, async () => {
    const polling = await open("polling");
    await sioConnectReady(polling, "/");
    await sioConnectReady(polling, "/custom");
    await sioSend(polling, '2["message","before"]');
    await sioExpect(polling, '2["message-back","before"]');
    const ws = await polling.upgrade();
    await sioSend(ws, '2["message","after"]', '23["message-with-ack","a"]');
    await sioExpect(ws, '2["message-back","after"]');
    await sioExpect(ws, '33["a"]');
    await sioSend(ws, '51-["message",{"_placeholder":true,"num":0}]', Buffer.from([7, 7]));
    await sioExpect(ws, '51-["message-back",{"_placeholder":true,"num":0}]');
    await sioExpect(ws, Buffer.from([7, 7]));
    await sioSend(ws, "1/custom,");
    await ws.expectSilence(PING_INTERVAL + 100); // pings keep being answered on the websocket
    assert.ok(!ws.closed);
  });

  test("events sent by the server while upgrading are delivered on the websocket", T, async () => {
    const polling = await open("polling");
    await sioConnectReady(polling, "/");
    const ws = await WsConn.open(server, SIO, `EIO=4&transport=websocket&sid=${polling.sid}`);
    polling.pausing = true;
    await ws.send("2probe");
    assert.equal(await ws.next(), "3probe");
    await withTimeout(polling.loop, WAIT, "the pending GET to be released by a noop");
    // still on polling: the reply has no GET to go to until the upgrade completes
    const r = await polling.send('42["message","in flight"]');
    assert.equal(r.status, 200);
    await ws.send("5");
    await sioExpect(ws, '2["message-back","in flight"]');
  });
});

test("the server process is still running", () => {
  assert.equal(server.exit, null, `server exited: ${JSON.stringify(server.exit)}\n${server.tail()}`);
});
