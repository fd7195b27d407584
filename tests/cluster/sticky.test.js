// Sticky sessions behind a real load balancer: HAProxy (Debian's `haproxy`, .ci/run installs it)
// runs examples/cluster/haproxy.cfg in front of two sio nodes and one Node.js socket.io node,
// round-robin, sticky on engine.io's `io` cookie. Long-polling clients (socket.io-client with
// withCredentials, whose cookie jar carries the cookie in Node) keep every request of a session
// on its node when the nodes set the cookie; without it the second request lands elsewhere.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { io } from "socket.io-client";
import { live, freePort } from "../support.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SIO_NODE = path.join(root, "target/debug/examples/cluster-node");
const NODE_NODE = path.join(root, "examples/cluster/node-server.js");
const CONFIG = path.join(root, "examples/cluster/haproxy.cfg");

const stops = [];
after(async () => {
  for (const stop of stops.reverse()) await stop();
});

function start(cmd, args, readyLine) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let out = "";
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} not ready: ${out}`)), 20000);
    const seen = (d) => {
      out += d;
      if (readyLine && readyLine.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", seen);
    child.stderr.on("data", seen);
    child.on("exit", (code) => reject(new Error(`${cmd} exited ${code}: ${out}`)));
    if (!readyLine) {
      clearTimeout(timer);
      resolve();
    }
  });
  stops.push(async () => {
    child.kill("SIGKILL");
    await exited;
    live.delete(child);
  });
  return ready;
}

/** Resolves once `port` accepts a TCP connection (HAProxy prints nothing when it is up). */
async function accepting(port, ms = 10000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => { s.destroy(); resolve(true); });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Redis, three nodes (two sio, one Node.js) and HAProxy in front; returns the proxy's URL. */
async function cluster(cookie) {
  const redis = await freePort();
  await start("redis-server", ["--port", String(redis), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], /Ready to accept connections/);
  const url = `redis://127.0.0.1:${redis}`;
  const flag = cookie ? ["--cookie"] : [];
  const ports = [await freePort(), await freePort(), await freePort()];
  await Promise.all([
    start(SIO_NODE, ["--port", String(ports[0]), "--redis", url, "--name", "a", ...flag], /listening on/),
    start(SIO_NODE, ["--port", String(ports[1]), "--redis", url, "--name", "b", ...flag], /listening on/),
    start(process.execPath, [NODE_NODE, "--port", String(ports[2]), "--redis", url, "--name", "c", ...flag], /listening on/),
  ]);
  const front = await freePort();
  const cfg = fs
    .readFileSync(CONFIG, "utf8")
    .replace("127.0.0.1:3000", `127.0.0.1:${front}`)
    .replace("127.0.0.1:3001", `127.0.0.1:${ports[0]}`)
    .replace("127.0.0.1:3002", `127.0.0.1:${ports[1]}`)
    .replace("127.0.0.1:3003", `127.0.0.1:${ports[2]}`);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sio-haproxy-")), "haproxy.cfg");
  fs.writeFileSync(file, cfg);
  await start("haproxy", ["-db", "-f", file], null);
  await accepting(front);
  return `http://127.0.0.1:${front}`;
}

function client(url) {
  // withCredentials: engine.io-client keeps a cookie jar in Node, as a browser would.
  return io(url, { transports: ["polling"], withCredentials: true, forceNew: true, reconnection: false });
}

function within(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

const welcome = (socket) =>
  within(new Promise((resolve, reject) => {
    socket.once("welcome", resolve);
    socket.once("connect_error", (e) => reject(new Error(`connect_error: ${e.message}`)));
    socket.once("disconnect", (r) => reject(new Error(`disconnect: ${r}`)));
  }), 10000, "welcome");

test("with the io cookie, polling sessions stay on their node behind round-robin HAProxy", async () => {
  const url = await cluster(true);
  const sockets = [client(url), client(url), client(url)];
  try {
    const nodes = (await Promise.all(sockets.map(welcome))).map((w) => w.node).sort();
    assert.deepEqual(nodes, ["a", "b", "c"], "round-robin spread the sessions over the three nodes");
    // Many polling round trips per session: each must reach the node holding the session.
    for (let i = 0; i < 10; i++) {
      const rooms = await Promise.all(sockets.map((s) => within(s.emitWithAck("join", `r${i}`), 5000, "join ack")));
      for (const r of rooms) assert.ok(r.includes(`r${i}`));
    }
    // And the cluster still works across nodes through the proxy.
    const heard = sockets.map((s) => within(new Promise((r) => s.once("hello", r)), 5000, "broadcast"));
    sockets[0].emit("emit-all", "hello", "from a client");
    assert.deepEqual(await Promise.all(heard), ["from a client", "from a client", "from a client"]);
  } finally {
    for (const s of sockets) s.disconnect();
  }
});

test("without the cookie, the same proxy breaks polling sessions (the control)", async () => {
  const url = await cluster(false);
  const sockets = [client(url), client(url)];
  try {
    const outcomes = await Promise.all(
      sockets.map((s) => welcome(s).then(
        async () => {
          // Connected by luck of the rotation: the next round trips go elsewhere.
          for (let i = 0; i < 6; i++) await within(s.emitWithAck("join", `r${i}`), 3000, "join ack");
          return "ok";
        },
        (e) => e.message,
      ).catch((e) => e.message)),
    );
    assert.ok(outcomes.some((o) => o !== "ok"), `some session must fail without stickiness: ${JSON.stringify(outcomes)}`);
  } finally {
    for (const s of sockets) s.disconnect();
  }
});
