// Engine.IO protocol v4 conformance over raw HTTP long-polling and WebSocket,
// against the bare echo server at /engine.io/ (and /socket.io/ for CORS).
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, afterEach, before, describe, test } from "node:test";
import { startServer } from "./fixture.js";
import {
  MAX_PAYLOAD,
  PING_INTERVAL,
  PING_TIMEOUT,
  PollingConn,
  SEP,
  WAIT,
  WsConn,
  assertEioError,
  closeAll,
  decodePayload,
  eioUrl,
  parseOpen,
  pollUrl,
  pollingHandshake,
  request,
  show,
  sleep,
} from "./helpers.js";

const EIO = "/engine.io/";
const T = { timeout: 15000 };

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await closeAll();
  await server?.stop();
});
afterEach(closeAll);

/** GETs with the sid until `count` non-ping packets arrived (answering pings). */
async function pollPackets(sid, count, { path = EIO, timeout = WAIT } = {}) {
  const url = pollUrl(server, path, sid);
  const got = [];
  const deadline = Date.now() + timeout;
  while (got.length < count) {
    const left = deadline - Date.now();
    assert.ok(left > 0, `only ${got.length}/${count} packets within ${timeout} ms: ${got.map(show).join(", ")}`);
    const res = await request(url, { timeout: left });
    assert.ok(!res.error, `poll failed: ${res.error} (after ${got.map(show).join(", ")})`);
    assert.equal(res.status, 200, `poll: HTTP ${res.status} ${show(res.body)}`);
    for (const p of decodePayload(res.body)) {
      if (p === "2") {
        const pong = await request(url, { method: "POST", body: "3" });
        assert.equal(pong.status, 200, "pong POST");
      } else got.push(p);
    }
  }
  return got;
}

async function post(sid, body, path = EIO) {
  return request(pollUrl(server, path, sid), { method: "POST", body });
}

/** The session is gone: a GET with its sid answers 400 "Session ID unknown". */
async function assertSessionGone(sid, path = EIO) {
  const res = await request(pollUrl(server, path, sid));
  assertEioError(res, 1, "Session ID unknown", "GET on a closed session");
}

/** A brand-new session still gets its messages echoed (the server survived). */
async function assertServerServes() {
  const ws = await WsConn.connect(server, EIO);
  await ws.send("4still alive");
  await ws.expect("4still alive");
  await ws.close();
  const sid = await pollingHandshake(server, EIO);
  const r = await post(sid, "4polling alive");
  assert.equal(r.status, 200);
  assert.deepEqual(await pollPackets(sid, 1), ["4polling alive"]);
}

/** Sends a raw POST whose body is never finished; resolves once the headers were sent. */
function hangingPost(url) {
  const req = httpRequest(url, {
    method: "POST",
    headers: { "content-type": "text/plain;charset=UTF-8", "content-length": "100" },
  });
  const response = new Promise((ok) => {
    req.on("response", (res) => {
      res.resume();
      ok({ status: res.statusCode });
    });
    req.on("error", (e) => ok({ error: e.code ?? e.message }));
  });
  req.write("4partial");
  req.flushHeaders();
  return { req, response };
}

describe("Engine.IO handshake", () => {
  test("polling: GET without sid opens a session with a JSON open packet", T, async () => {
    const res = await request(eioUrl(server, EIO, "EIO=4&transport=polling"));
    assert.equal(res.status, 200, show(res.body));
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
    assert.ok(!res.body.includes(SEP), `the handshake response must hold only the open packet: ${show(res.body)}`);
    parseOpen(res.body, ["websocket"]);
  });

  test("polling: every handshake gets a distinct sid", T, async () => {
    const sids = await Promise.all([1, 2, 3, 4, 5].map(() => pollingHandshake(server, EIO)));
    assert.equal(new Set(sids).size, sids.length, `duplicate sids: ${sids}`);
  });

  test("websocket: the open packet is the first frame, as text, with no upgrades", T, async () => {
    const ws = await WsConn.open(server, EIO);
    const first = await ws.next(WAIT, "the open packet");
    assert.equal(typeof first, "string", "open packet must be a text frame");
    parseOpen(first, []);
  });

  test("websocket sessions and polling sessions get distinct sids", T, async () => {
    const a = await WsConn.connect(server, EIO);
    const b = await WsConn.connect(server, EIO);
    const c = await pollingHandshake(server, EIO);
    assert.equal(new Set([a.sid, b.sid, c]).size, 3);
  });
});

describe("Engine.IO errors over HTTP (400 + JSON {code, message})", () => {
  test("missing transport → code 0 Transport unknown", T, async () => {
    assertEioError(await request(eioUrl(server, EIO, "EIO=4")), 0, "Transport unknown", "no transport");
  });

  test("unknown transport → code 0 Transport unknown", T, async () => {
    assertEioError(await request(eioUrl(server, EIO, "EIO=4&transport=abc")), 0, "Transport unknown", "transport=abc");
    assertEioError(await request(eioUrl(server, EIO, "EIO=4&transport=")), 0, "Transport unknown", "transport=");
  });

  test("unknown sid → code 1 Session ID unknown (GET and POST)", T, async () => {
    const url = pollUrl(server, EIO, "no-such-session");
    assertEioError(await request(url), 1, "Session ID unknown", "GET");
    assertEioError(await request(url, { method: "POST", body: "4hello" }), 1, "Session ID unknown", "POST");
  });

  test("handshake with POST or PUT → code 2 Bad handshake method", T, async () => {
    const url = eioUrl(server, EIO, "EIO=4&transport=polling");
    assertEioError(await request(url, { method: "POST", body: "4x" }), 2, "Bad handshake method", "POST");
    assertEioError(await request(url, { method: "PUT", body: "4x" }), 2, "Bad handshake method", "PUT");
  });

  test("polling request on a websocket session → code 3 Bad request", T, async () => {
    const ws = await WsConn.connect(server, EIO);
    const url = pollUrl(server, EIO, ws.sid);
    assertEioError(await request(url), 3, "Bad request", "GET");
    assertEioError(await request(url, { method: "POST", body: "4x" }), 3, "Bad request", "POST");
  });

  test("transport=websocket over plain HTTP (no Upgrade) → code 3 Bad request", T, async () => {
    assertEioError(await request(eioUrl(server, EIO, "EIO=4&transport=websocket")), 3, "Bad request", "GET");
  });

  test("unsupported protocol version (EIO=3, missing, garbage) → code 5", T, async () => {
    for (const q of ["EIO=3&transport=polling", "transport=polling", "EIO=abc&transport=polling", "EIO=5&transport=polling"]) {
      assertEioError(await request(eioUrl(server, EIO, q)), 5, "Unsupported protocol version", q);
    }
  });
});

describe("Engine.IO errors over WebSocket", () => {
  for (const [query, why] of [
    ["EIO=4", "missing transport"],
    ["EIO=4&transport=abc", "unknown transport"],
    ["EIO=4&transport=websocket&sid=no-such-session", "unknown sid"],
  ]) {
    test(`${why}: the upgrade is refused with HTTP 400`, T, async () => {
      const err = await WsConn.open(server, EIO, query).then(
        () => null,
        (e) => e,
      );
      assert.ok(err, "the WebSocket upgrade must be refused");
      assert.equal(err.status, 400, `expected HTTP 400, got ${err.message}`);
    });
  }

  test("EIO=3 over websocket never yields a session", T, async () => {
    let conn;
    try {
      conn = await WsConn.open(server, EIO, "EIO=3&transport=websocket");
    } catch {
      return; // refused before the upgrade: fine
    }
    await conn.waitClosed(WAIT, "the server to drop the EIO=3 websocket");
    const got = conn.queue.items.filter((p) => typeof p === "string" && p.startsWith("0"));
    assert.deepEqual(got, [], "no open packet may be sent for EIO=3");
  });
});

describe("Engine.IO messages over HTTP long-polling", () => {
  test("a text message is echoed; POST answers 200 ok", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const r = await post(sid, "4hello");
    assert.equal(r.status, 200);
    assert.equal(r.body, "ok");
    const res = await request(pollUrl(server, EIO, sid));
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
    const packets = decodePayload(res.body).filter((p) => p !== "2");
    assert.deepEqual(packets, ["4hello"]);
  });

  test("several packets in one POST are echoed in order, joined by \\x1e", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    assert.equal((await post(sid, `4one${SEP}4two${SEP}4three`)).status, 200);
    const res = await request(pollUrl(server, EIO, sid));
    assert.equal(res.status, 200);
    const packets = res.body.split(SEP).filter((p) => p !== "2");
    assert.deepEqual(packets, ["4one", "4two", "4three"], `body ${show(res.body)}`);
  });

  test("binary is sent and echoed as b+base64", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    assert.equal((await post(sid, "bAQIDBA==")).status, 200);
    const res = await request(pollUrl(server, EIO, sid));
    assert.deepEqual(res.body.split(SEP).filter((p) => p !== "2"), ["bAQIDBA=="]);
  });

  test("mixed text and binary packets keep their kinds and order", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const bytes = Buffer.from([0, 255, 128, 10, 30, 4]);
    assert.equal((await post(sid, `4hello${SEP}b${bytes.toString("base64")}${SEP}4world`)).status, 200);
    const got = await pollPackets(sid, 3);
    assert.equal(got[0], "4hello");
    assert.ok(Buffer.isBuffer(got[1]), `2nd packet must be binary, got ${show(got[1])}`);
    assert.deepEqual([...got[1]], [...bytes]);
    assert.equal(got[2], "4world");
  });

  test("multi-byte UTF-8 text survives the round trip", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const text = "4€ héllo 😀 日本";
    const r = await request(pollUrl(server, EIO, sid), {
      method: "POST",
      body: `${text}${SEP}4x`,
      headers: { "content-type": "text/plain;charset=UTF-8" },
    });
    assert.equal(r.status, 200);
    assert.deepEqual(await pollPackets(sid, 2), [text, "4x"]);
  });

  test("an empty message packet is echoed", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    assert.equal((await post(sid, `4${SEP}4end`)).status, 200);
    assert.deepEqual(await pollPackets(sid, 2), ["4", "4end"]);
  });

  test("a pending GET is completed by the echo of a later POST", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const pending = request(pollUrl(server, EIO, sid), { timeout: WAIT });
    await sleep(50); // let the GET reach the server first (ordering only; the assertion awaits the response)
    const r = await post(sid, "4late");
    assert.equal(r.status, 200);
    const res = await pending;
    assert.equal(res.status, 200);
    const packets = decodePayload(res.body).filter((p) => p !== "2");
    if (packets.length === 0) {
      // the GET was answered by a ping just before; the echo is in the next poll
      assert.deepEqual(await pollPackets(sid, 1), ["4late"]);
    } else assert.deepEqual(packets, ["4late"]);
  });

  test("a POST of exactly maxPayload bytes is accepted", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const body = "4" + "a".repeat(MAX_PAYLOAD - 1);
    const r = await post(sid, body);
    assert.equal(r.status, 200, `HTTP ${r.status ?? r.error}`);
    const [echo] = await pollPackets(sid, 1, { timeout: 5000 });
    assert.equal(echo.length, MAX_PAYLOAD);
  });

  test("a POST over maxPayload gets 413 and the session is closed", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const r = await post(sid, "4" + "a".repeat(MAX_PAYLOAD));
    assert.equal(r.status, 413, `expected 413, got ${r.status ?? r.error}`);
    await assertSessionGone(sid);
    await assertServerServes();
  });
});

describe("Engine.IO messages over WebSocket", () => {
  test("a text frame is echoed as a text frame", T, async () => {
    const ws = await WsConn.connect(server, EIO);
    await ws.send("4hello");
    const got = await ws.next();
    assert.equal(got, "4hello");
  });

  test("a binary frame is echoed as a binary frame with the same bytes", T, async () => {
    const ws = await WsConn.connect(server, EIO);
    const bytes = Buffer.from([1, 2, 3, 4, 0, 255]);
    await ws.send(bytes);
    const got = await ws.next();
    assert.ok(Buffer.isBuffer(got), `expected a binary frame, got ${show(got)}`);
    assert.deepEqual([...got], [...bytes]);
  });

  test("multi-byte UTF-8 text and message order are preserved", T, async () => {
    const ws = await WsConn.connect(server, EIO);
    const msgs = ["4€😀", ...Array.from({ length: 20 }, (_, i) => `4m${i}`)];
    await ws.send(...msgs);
    for (const m of msgs) await ws.expect(m);
  });

  test("a message of exactly maxPayload bytes is accepted", T, async () => {
    const ws = await WsConn.connect(server, EIO);
    await ws.send("4" + "b".repeat(MAX_PAYLOAD - 1));
    const got = await ws.next(5000);
    assert.equal(got.length, MAX_PAYLOAD);
  });

  test("a message over maxPayload closes the connection (1009 Message Too Big)", T, async () => {
    const ws = await WsConn.connect(server, EIO);
    await ws.send("4" + "b".repeat(MAX_PAYLOAD));
    const info = await ws.waitClosed(WAIT);
    assert.equal(info.code, 1009, `close code ${JSON.stringify(info)}`);
    await assertServerServes();
  });
});

describe("Engine.IO heartbeat", () => {
  test("polling: the server pings every pingInterval and accepts pongs", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const url = pollUrl(server, EIO, sid);
    let last = Date.now();
    for (let i = 0; i < 3; i++) {
      const res = await request(url, { timeout: PING_INTERVAL + 1500 });
      assert.equal(res.status, 200, `poll ${i}: ${res.status ?? res.error} ${show(res.body)}`);
      assert.equal(res.body, "2", `poll ${i}`);
      const gap = Date.now() - last;
      assert.ok(gap >= PING_INTERVAL - 60, `ping ${i} came ${gap} ms after the previous ${i ? "pong" : "handshake"}, before pingInterval`);
      const pong = await request(url, { method: "POST", body: "3" });
      assert.equal(pong.status, 200);
      assert.equal(pong.body, "ok");
      last = Date.now();
    }
  });

  test("polling: no pong → the pending GET ends with a close packet, then the sid is unknown", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const url = pollUrl(server, EIO, sid);
    const ping = await request(url, { timeout: PING_INTERVAL + 1500 });
    assert.equal(ping.body, "2");
    const t0 = Date.now();
    const res = await request(url, { timeout: PING_TIMEOUT + 1500 });
    const waited = Date.now() - t0;
    assert.equal(res.status, 200, `${res.status ?? res.error} ${show(res.body)}`);
    assert.deepEqual(decodePayload(res.body).filter((p) => p !== "6"), ["1"], `body ${show(res.body)}`);
    assert.ok(waited <= PING_TIMEOUT + 500, `closed ${waited} ms after the ping, pingTimeout is ${PING_TIMEOUT}`);
    await assertSessionGone(sid);
  });

  test("polling: no pong and no pending GET → the session is gone after pingInterval + pingTimeout", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    await sleep(PING_INTERVAL + PING_TIMEOUT + 300); // deliberately not answering the ping
    await assertSessionGone(sid);
  });

  test("websocket: the server pings every pingInterval and accepts pongs", T, async () => {
    const ws = await WsConn.connect(server, EIO, { autoPong: false });
    let last = Date.now();
    for (let i = 0; i < 3; i++) {
      const p = await ws.next(PING_INTERVAL + 1500, `ping ${i}`);
      assert.equal(p, "2");
      const gap = Date.now() - last;
      assert.ok(gap >= PING_INTERVAL - 60, `ping ${i} came ${gap} ms after the previous ${i ? "pong" : "handshake"}`);
      await ws.send("3");
      last = Date.now();
    }
    assert.ok(!ws.closed, "the session must survive while pongs are sent");
  });

  test("websocket: no pong → the connection is closed after pingTimeout", T, async () => {
    const ws = await WsConn.connect(server, EIO, { autoPong: false });
    const t0 = Date.now();
    assert.equal(await ws.next(PING_INTERVAL + 1500, "a ping"), "2");
    const tPing = Date.now();
    await ws.waitClosed(PING_TIMEOUT + 1500, "the ping timeout to close the websocket");
    const afterPing = ws.closedAt - tPing;
    assert.ok(afterPing >= PING_TIMEOUT - 60, `closed ${afterPing} ms after the ping, before pingTimeout`);
    assert.ok(ws.closedAt - t0 <= PING_INTERVAL + PING_TIMEOUT + 700, "closed too late");
  });

  test("polling: a ping sent by the client closes the session (v4: only the server pings)", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const r = await post(sid, "2");
    assert.ok([200, 400].includes(r.status) || r.error, `POST answered ${r.status}`);
    await assertSessionGone(sid);
  });

  test("websocket: a ping sent by the client closes the session", T, async () => {
    const ws = await WsConn.connect(server, EIO);
    await ws.send("2");
    await ws.waitClosed(PING_INTERVAL, "the server to close after a client ping");
  });
});

describe("Engine.IO close", () => {
  test("polling: a close packet ends the session; the pending GET gets a noop", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const pending = request(pollUrl(server, EIO, sid));
    await sleep(30); // let the GET reach the server first
    const r = await post(sid, "1");
    assert.equal(r.status, 200, `close POST answered ${r.status ?? r.error}`);
    assert.equal(r.body, "ok");
    const res = await pending;
    assert.equal(res.status, 200);
    const packets = decodePayload(res.body);
    assert.equal(packets.at(-1), "6", `the pending GET must be released with a noop packet (reference), got ${show(res.body)}`);
    await assertSessionGone(sid);
  });

  test("polling: a close packet without a pending GET ends the session", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const r = await post(sid, "1");
    assert.equal(r.status, 200);
    await assertSessionGone(sid);
  });

  test("polling: packets after a close packet in the same payload are not processed", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    await post(sid, `1${SEP}4after-close`);
    await assertSessionGone(sid);
  });

  test("websocket: after a client close packet the session ends (at the latest by the heartbeat)", T, async () => {
    // The reference server ignores "1" on a websocket and lets the heartbeat
    // end the session; an implementation may close right away.
    const ws = await WsConn.connect(server, EIO, { autoPong: false });
    await ws.send("1");
    await ws.waitClosed(PING_INTERVAL + PING_TIMEOUT + 700);
    await assertSessionGone(ws.sid);
  });
});

describe("Engine.IO upgrade", () => {
  test("polling → websocket: probe, noop on the pending GET, upgrade, then traffic on the websocket", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const url = pollUrl(server, EIO, sid);
    const pending = request(url, { timeout: 3000 });
    await sleep(30); // let the GET reach the server first
    const ws = await WsConn.open(server, EIO, `EIO=4&transport=websocket&sid=${sid}`);
    await ws.send("2probe");
    assert.equal(await ws.next(WAIT, "3probe"), "3probe");
    const res = await pending;
    assert.equal(res.status, 200, `pending GET: ${res.status ?? res.error}`);
    assert.deepEqual(
      decodePayload(res.body).filter((p) => p !== "2"),
      ["6"],
      `the pending GET must be released with a noop, got ${show(res.body)}`,
    );
    await ws.send("5", "4over websocket");
    assert.equal(await ws.next(), "4over websocket");
    await ws.send(Buffer.from([9, 8, 7]));
    assert.deepEqual([...(await ws.next())], [9, 8, 7]);
    assertEioError(await request(url), 3, "Bad request", "GET after upgrade");
    assertEioError(await request(url, { method: "POST", body: "4x" }), 3, "Bad request", "POST after upgrade");
    // the websocket is unaffected by the refused polling requests
    await ws.send("4still");
    assert.equal(await ws.next(), "4still");
  });

  test("packets buffered during the upgrade are flushed on the websocket after the upgrade packet", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const url = pollUrl(server, EIO, sid);
    const ws = await WsConn.open(server, EIO, `EIO=4&transport=websocket&sid=${sid}`);
    await ws.send("2probe");
    assert.equal(await ws.next(WAIT, "3probe"), "3probe");
    // polling is still the active transport: this echo has no GET to go to
    const r = await request(url, { method: "POST", body: "4sent while upgrading" });
    assert.equal(r.status, 200);
    await ws.send("5");
    assert.equal(await ws.next(WAIT, "the buffered echo"), "4sent while upgrading");
  });

  test("the heartbeat continues on the websocket after the upgrade", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const ws = await WsConn.open(server, EIO, `EIO=4&transport=websocket&sid=${sid}`, { autoPong: false });
    await ws.send("2probe");
    assert.equal(await ws.next(), "3probe");
    await ws.send("5");
    for (let i = 0; i < 2; i++) {
      assert.equal(await ws.next(PING_INTERVAL + 1500, `ping ${i} on the websocket`), "2");
      await ws.send("3");
    }
  });

  test("a second websocket for an upgraded session is refused; the first keeps working", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const ws = await WsConn.open(server, EIO, `EIO=4&transport=websocket&sid=${sid}`);
    await ws.send("2probe");
    assert.equal(await ws.next(), "3probe");
    await ws.send("5", "4first");
    assert.equal(await ws.next(), "4first");
    let second;
    try {
      second = await WsConn.open(server, EIO, `EIO=4&transport=websocket&sid=${sid}`);
    } catch (e) {
      second = null; // refused with an HTTP error: fine
    }
    if (second) {
      await second.send("2probe", "4intruder");
      await second.waitClosed(WAIT, "the server to close the second websocket");
      const got = second.queue.items;
      assert.ok(!got.includes("3probe") && !got.includes("4intruder"), `second websocket got ${got.map(show)}`);
    }
    await ws.send("4first again");
    assert.equal(await ws.next(), "4first again");
    assert.ok(!ws.closed);
  });

  test("a websocket upgrade for an unknown sid is refused with HTTP 400", T, async () => {
    const err = await WsConn.open(server, EIO, "EIO=4&transport=websocket&sid=nope").then(
      () => null,
      (e) => e,
    );
    assert.equal(err?.status, 400, `expected HTTP 400, got ${err?.message ?? "an open websocket"}`);
  });
});

describe("Engine.IO concurrent requests", () => {
  test("a second concurrent GET closes the session: 400 for it, close packet for the first", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const url = pollUrl(server, EIO, sid);
    const first = request(url);
    await sleep(30); // make sure the first GET is pending on the server
    const second = await request(url + "&t=second");
    assert.equal(second.status, 400, `second GET: expected HTTP 400, got ${second.status ?? second.error}`);
    const r1 = await first;
    assert.equal(r1.status, 200, `first GET: ${r1.status ?? r1.error}`);
    assert.equal(decodePayload(r1.body).at(-1), "1", `first GET must end with a close packet, got ${show(r1.body)}`);
    await assertSessionGone(sid);
    await assertServerServes();
  });

  test("a second concurrent POST closes the session with 400", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const url = pollUrl(server, EIO, sid);
    const hanging = hangingPost(url);
    await sleep(50); // the unfinished POST is in flight on the server
    const second = await request(url, { method: "POST", body: "4second" });
    hanging.req.destroy();
    assert.equal(second.status, 400, `second POST: expected 400, got ${second.status ?? second.error}`);
    await assertSessionGone(sid);
    await assertServerServes();
  });

  test("an aborted pending GET closes the session", T, async () => {
    const sid = await pollingHandshake(server, EIO);
    const ctl = new AbortController();
    const pending = request(pollUrl(server, EIO, sid), { signal: ctl.signal });
    await sleep(30);
    ctl.abort();
    await pending;
    await sleep(30); // let the server observe the closed connection
    await assertSessionGone(sid);
  });
});

describe("Engine.IO malformed packets", () => {
  for (const [body, why] of [
    ["a123", "unknown packet type 'a'"],
    ["9x", "unknown packet type '9'"],
    ["", "an empty payload"],
    [`4ok${SEP}${SEP}4more`, "an empty packet inside a payload"],
    [`4ok${SEP}zzz`, "garbage after a valid packet"],
  ]) {
    test(`polling: ${why} closes the session`, T, async () => {
      const sid = await pollingHandshake(server, EIO);
      const r = await post(sid, body);
      assert.ok(r.error || r.status === 200 || r.status === 400, `POST answered ${r.status}`);
      await assertSessionGone(sid);
      await assertServerServes();
    });
  }

  for (const [frame, why] of [
    ["a123", "unknown packet type 'a'"],
    ["", "an empty text frame"],
  ]) {
    test(`websocket: ${why} closes the connection`, T, async () => {
      const ws = await WsConn.connect(server, EIO);
      await ws.send(frame);
      await ws.waitClosed(WAIT);
      await assertServerServes();
    });
  }

  test("polling: invalid base64 either closes the session or is decoded leniently; the server keeps serving", T, async () => {
    // The spec is silent; the reference decodes leniently (Buffer.from(x,
    // "base64")) and echoes whatever it got. Either way the server must not
    // echo anything that is not a well-formed packet, and must keep serving.
    const sid = await pollingHandshake(server, EIO);
    const r = await post(sid, "b!!!not base64$$$");
    assert.ok(r.error || r.status === 200 || r.status === 400, `POST answered ${r.status}`);
    const res = await request(pollUrl(server, EIO, sid));
    if (res.status === 400) assertEioError(res, 1, "Session ID unknown", "GET after invalid base64");
    else {
      assert.equal(res.status, 200);
      for (const p of res.body.split(SEP)) assert.match(p, /^(b[A-Za-z0-9+/]*={0,2}|[0-6].*)$/s, `malformed packet ${show(p)}`);
    }
    await assertServerServes();
  });
});

describe("CORS on polling requests (/socket.io/, CORS origin *)", () => {
  const SIO = "/socket.io/";
  const ORIGIN = "https://client.example";

  function assertCors(res, what) {
    assert.ok(!res.error, `${what}: ${res.error}`);
    const acao = res.headers.get("access-control-allow-origin");
    assert.ok(acao === "*" || acao === ORIGIN, `${what}: Access-Control-Allow-Origin is ${acao}`);
    const creds = res.headers.get("access-control-allow-credentials");
    if (acao === "*") assert.notEqual(creds, "true", `${what}: "*" must not be combined with credentials`);
  }

  test("handshake, POST, GET and error responses carry Access-Control-Allow-Origin", T, async () => {
    const headers = { origin: ORIGIN };
    const hs = await request(eioUrl(server, SIO, "EIO=4&transport=polling"), { headers });
    assertCors(hs, "handshake");
    assert.equal(hs.headers.get("access-control-allow-origin"), "*", "reference with origin '*' answers '*'");
    const sid = JSON.parse(hs.body.slice(1)).sid;
    const url = pollUrl(server, SIO, sid);
    const p = await request(url, { method: "POST", body: "40", headers });
    assert.equal(p.status, 200);
    assertCors(p, "POST");
    const g = await request(url, { headers });
    assert.equal(g.status, 200);
    assertCors(g, "GET");
    const e = await request(pollUrl(server, SIO, "unknown"), { headers });
    assert.equal(e.status, 400);
    assertCors(e, "400 error");
  });

  test("an OPTIONS preflight is answered 204 with the allowed methods and headers", T, async () => {
    for (const q of ["EIO=4&transport=polling", "EIO=4&transport=polling&sid=whatever"]) {
      const res = await request(eioUrl(server, SIO, q), {
        method: "OPTIONS",
        headers: {
          origin: ORIGIN,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
      assert.equal(res.status, 204, `${q}: preflight status ${res.status ?? res.error}`);
      assertCors(res, "preflight");
      const methods = (res.headers.get("access-control-allow-methods") ?? "").toUpperCase().split(/\s*,\s*/);
      for (const m of ["GET", "POST"]) assert.ok(methods.includes(m), `Access-Control-Allow-Methods lacks ${m}: ${methods}`);
      const allowHeaders = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase();
      assert.ok(allowHeaders.includes("content-type") || allowHeaders === "*", `Access-Control-Allow-Headers: ${allowHeaders}`);
      assert.equal(res.body, "");
    }
  });
});

test("the server process is still running", () => {
  assert.equal(server.exit, null, `server exited: ${JSON.stringify(server.exit)}\n${server.tail()}`);
});
