// HTTP compression of polling responses (engine.io's httpCompression, on by default with a
// 1024-byte threshold): a raw polling session asks for gzip, deflate or nothing and reads
// what comes back. Runs against the reference server too.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import zlib from "node:zlib";
import { harness } from "./helpers.js";

/** One HTTP request; resolves with { status, headers, body: Buffer } (the body as sent). */
function request(url, { method = "GET", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.setTimeout(5000, () => req.destroy(new Error(`no answer to ${method} ${url}`)));
    req.end(body);
  });
}

/** A polling session joined to `/`; `poll(encoding)` is its next GET. */
async function session(base) {
  const path = `${base}/socket.io/?EIO=4&transport=polling`;
  const open = await request(path);
  const sid = JSON.parse(open.body.toString().slice(1)).sid;
  const url = `${path}&sid=${sid}`;
  await request(url, { method: "POST", body: "40" });
  const poll = (encoding) => request(url, { headers: encoding ? { "accept-encoding": encoding } : {} });
  const post = (text) => request(url, { method: "POST", body: text });
  // the CONNECT answer and the welcome event (under the threshold: never compressed)
  let seen = "";
  while (!seen.includes('"welcome"')) {
    const r = await poll("gzip");
    assert.equal(r.headers["content-encoding"], undefined, "a small response is sent as it is");
    seen += r.body.toString();
  }
  return { poll, post };
}

const BIG = "x".repeat(3000);

for (const [encoding, inflate] of [["gzip", zlib.gunzipSync], ["deflate", zlib.inflateSync], ["gzip;q=0.2, deflate", zlib.inflateSync]]) {
  test(`polling response over the threshold: ${encoding}`, async (t) => {
    const h = harness(t);
    const srv = await h.server();
    const s = await session(srv.url);
    await s.post(`42["echo","${BIG}"]`);
    const r = await s.poll(encoding);
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-encoding"], encoding.startsWith("gzip;") ? "deflate" : encoding);
    const text = inflate(r.body).toString();
    assert.ok(text.includes(`42["echo","${BIG}"]`), text.slice(0, 80));
    assert.ok(r.body.length < BIG.length / 10, `compressed: ${r.body.length} bytes`);
  });
}

test("no Accept-Encoding, or httpCompression off: the body as it is", async (t) => {
  const h = harness(t);
  for (const args of [[], ["--no-http-compression"]]) {
    const srv = await h.server(args);
    const s = await session(srv.url);
    await s.post(`42["echo","${BIG}"]`);
    const r = await s.poll(args.length ? "gzip, deflate" : null);
    assert.equal(r.headers["content-encoding"], undefined, `${args}`);
    assert.ok(r.body.toString().includes(`42["echo","${BIG}"]`));
  }
});

test("a response holding only compress(false) messages is sent as it is", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const s = await session(srv.url);
  await s.post(`42["uncompressed","plain","${BIG}"]`);
  const plain = await s.poll("gzip");
  assert.equal(plain.headers["content-encoding"], undefined);
  assert.ok(plain.body.toString().includes(`42["plain","${BIG}"]`));
  // the same message with the default flag is compressed
  await s.post(`42["echo","${BIG}"]`);
  const r = await s.poll("gzip");
  assert.equal(r.headers["content-encoding"], "gzip");
});
