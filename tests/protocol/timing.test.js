// Timing-sensitive behaviours that the official engine.io / socket.io protocol suites
// check and that used to be flaky under load: a session's ping deadline counted from its
// handshake (a poll sent exactly pingInterval + pingTimeout later finds it gone), and a
// client close sent together with a pending poll (the poll is released with a noop).
// `bash tests/protocol/repeat.sh N tests/protocol/timing.test.js` measures flakiness.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { startServer } from "./fixture.js";
import { PING_INTERVAL, PING_TIMEOUT, assertEioError, closeAll, pollUrl, pollingHandshake, request, sleep } from "./helpers.js";

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

for (const path of ["/engine.io/", "/socket.io/"]) {
  describe(`heartbeat deadline (${path})`, () => {
    test("a poll sent exactly pingInterval + pingTimeout after the handshake gets 400", T, async () => {
      const sid = await pollingHandshake(server, path);
      // The official suite sleeps exactly this long: the deadline must not depend on when
      // the server's timer task happens to run.
      await sleep(PING_INTERVAL + PING_TIMEOUT);
      const res = await request(pollUrl(server, path, sid));
      assertEioError(res, 1, "Session ID unknown", "poll after the ping deadline");
    });
  });

  describe(`close (${path})`, () => {
    test("a pending GET and a concurrent POST of a close packet: the GET gets a noop, the next GET 400", T, async () => {
      const sid = await pollingHandshake(server, path);
      const url = pollUrl(server, path, sid);
      const [poll, close] = await Promise.all([request(url), request(url, { method: "POST", body: "1" })]);
      assert.equal(close.status, 200, "close POST");
      assert.equal(poll.status, 200, `pending GET: ${poll.error ?? poll.body}`);
      assert.equal(poll.body, "6");
      const after = await request(url);
      assertEioError(after, 1, "Session ID unknown", "GET after the close");
    });
  });
}
