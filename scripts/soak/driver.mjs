// Soak driver: holds N socket.io-client connections against a running sio server through
// repeated connect / emit-with-ack / broadcast / room / disconnect cycles and watches the
// server's RSS and fd count (from /proc/PID). Started by scripts/soak.sh, which builds and
// starts the server; see scripts/soak/README.md.
//
//   node scripts/soak/driver.mjs --pid PID --url http://127.0.0.1:PORT --flavor interop|bench \
//        [--seconds 600] [--connections 5000] [--json-out FILE]
//
// Every wait is event-driven and bounded; the only timed loops are the traffic clock and the
// /proc sampling. Exit code: 0 every check passed, 1 a check failed, 2 the run itself broke.
import fs from "node:fs";
import { createRequire } from "node:module";
import { execFile } from "node:child_process";

const require = createRequire(new URL("../../tests/package.json", import.meta.url));
const { io } = require("socket.io-client");

// ---------------------------------------------------------------------------------------------
// configuration

function cli(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
function env(name, def) {
  const v = process.env[name];
  return v === undefined || v === "" ? def : Number(v);
}

const PID = Number(cli("pid"));
const URL_ = cli("url");
const FLAVOR = cli("flavor", "interop");
const SECONDS = Number(cli("seconds", 600));
const N = Number(cli("connections", 5000));
const JSON_OUT = cli("json-out", "");
// SOAK_HEAP=1: also read glibc's live heap ("in use bytes" of malloc_stats(), called in the server
// through gdb; the server's stderr must be the file --server-stderr names)
const SERVER_STDERR = cli("server-stderr", "");
const HEAP = process.env.SOAK_HEAP === "1" && SERVER_STDERR !== "";
if (!PID || !URL_ || !["interop", "bench"].includes(FLAVOR) || !(SECONDS > 0) || !(N > 0)) {
  console.error("usage: driver.mjs --pid PID --url URL --flavor interop|bench [--seconds S] [--connections N]");
  process.exit(2);
}

const CFG = {
  cycle_ms: env("SOAK_CYCLE_MS", 2000), // one churn + broadcast round per cycle
  churn: env("SOAK_CHURN", 0.05), // share of the clients replaced per cycle
  emit_ms: env("SOAK_EMIT_MS", 10000), // each client emits `echo` with an ack this often
  rooms: env("SOAK_ROOMS", 10), // r0..r(k-1); each client is in one, plus "all" and its own "u<gen>"
  room_moves: FLAVOR === "interop" ? env("SOAK_ROOM_MOVES", 0.01) : 0, // share leaving/joining a room per cycle
  polling: env("SOAK_POLLING", 0.1), // share of slots on HTTP long-polling only
  upgrade: env("SOAK_UPGRADE", 0.1), // share of slots that start on polling and upgrade
  // seconds of the full workload before START, so that START is taken once the allocator has
  // settled (glibc's RSS keeps climbing for a minute or so at 5,000 clients while the live heap
  // stays flat); default a tenth of the run, at least 10 s
  warmup_s: env("SOAK_WARMUP_S", Math.max(10, Math.round(SECONDS / 10))),
  connect_timeout_ms: env("SOAK_CONNECT_TIMEOUT_MS", 20000),
  ack_timeout_ms: env("SOAK_ACK_TIMEOUT_MS", 10000),
  connect_concurrency: env("SOAK_CONNECT_CONCURRENCY", 200),
  sample_ms: env("SOAK_SAMPLE_MS", 10000), // progress line + RSS/fd sample during churn
  fd_wait_ms: env("SOAK_FD_WAIT_MS", 60000), // bound on the wait for the fds to come back after the end
};
const TH = {
  fd_margin: env("SOAK_FD_MARGIN", 10), // END fds <= BASE fds + margin
  rss_ratio: env("SOAK_RSS_RATIO", 0.2), // END-connected RSS <= START RSS * (1 + ratio) + noise + allowance
  rss_noise_mb: env("SOAK_RSS_NOISE_MB", 10),
  // interop-server keeps one record per disconnect for its `reasons` event (by contract):
  // that memory is the example's, not the library's, and is allowed for.
  retained_per_disconnect_bytes: env("SOAK_RETAINED_PER_DISCONNECT", FLAVOR === "interop" ? 1400 : 0),
  max_error_rate: env("SOAK_MAX_ERROR_RATE", 0.01), // errors / operations
  heap_ratio: env("SOAK_HEAP_RATIO", 0.1), // with SOAK_HEAP=1: live heap, END-connected vs START
  heap_noise_mb: env("SOAK_HEAP_NOISE_MB", 5),
};
// the flavours: how to broadcast to a room, what the members receive, whether `leave` exists
const FL = {
  interop: { roomcast: (s, room, ev, p) => s.emit("to-room", room, ev, p), allEvent: "bc", roomEvent: "rc", leave: true, serverClose: true },
  bench: { roomcast: (s, room, _ev, p) => s.emit("bcast", room, p), allEvent: "b", roomEvent: "b", leave: false, serverClose: false },
}[FLAVOR];

// ---------------------------------------------------------------------------------------------
// /proc sampling

function sample() {
  const status = fs.readFileSync(`/proc/${PID}/status`, "utf8");
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN);
  const stat = fs.readFileSync(`/proc/${PID}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const tick = 100; // USER_HZ
  return {
    t: Date.now(),
    rss: kb("VmRSS") * 1024,
    hwm: kb("VmHWM") * 1024,
    threads: kb("Threads"),
    fds: fs.readdirSync(`/proc/${PID}/fd`).length,
    cpu_s: (Number(f[11]) + Number(f[12])) / tick,
  };
}
const MB = (b) => Math.round((b / 1048576) * 10) / 10;
const heapMB = (m) => (m.heap ? { in_use: MB(m.heap.in_use), system: MB(m.heap.system) } : undefined);
const delay = (ms) => new Promise((r) => setTimeout(r, ms));
/** Resolves true when `p` resolves within `ms`, false otherwise. */
function bounded(p, ms) {
  let t;
  return Promise.race([p.then(() => true), new Promise((r) => (t = setTimeout(() => r(false), ms)))]).finally(() => clearTimeout(t));
}

/** glibc's heap of the server: { in_use, system } bytes (all arenas and mmaps), or null. */
async function heap() {
  if (!HEAP) return null;
  const args = ["-p", String(PID), "-batch", "-nx", "-iex", "set auto-load off", "-ex", "call (void)malloc_stats()"];
  await new Promise((resolve) => execFile("gdb", args, { timeout: 120000 }, () => resolve()));
  const txt = fs.readFileSync(SERVER_STDERR, "utf8");
  const tail = txt.slice(txt.lastIndexOf("Total (incl. mmap):"));
  const num = (k) => Number(new RegExp(`${k}\\s*=\\s*(\\d+)`).exec(tail)?.[1] ?? NaN);
  const h = { in_use: num("in use bytes"), system: num("system bytes") };
  return Number.isFinite(h.in_use) ? h : null;
}

/** Median of `n` samples `gap` ms apart (a measurement, not a synchronisation). */
async function measure(n = 5, gap = 400) {
  const s = [];
  for (let i = 0; i < n; i++) {
    if (i) await delay(gap);
    s.push(sample());
  }
  const med = (k) => s.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(n / 2)];
  return { rss: med("rss"), fds: med("fds"), hwm: s[n - 1].hwm, threads: s[n - 1].threads, cpu_s: s[n - 1].cpu_s, heap: await heap() };
}

// ---------------------------------------------------------------------------------------------
// statistics

const st = {
  connects: 0,
  connect_errors: 0,
  connect_error_samples: [],
  disconnects: { client: 0, engine: 0, server: 0 },
  server_close_timeouts: 0,
  unexpected_disconnects: 0,
  unexpected_samples: [],
  acks_ok: 0,
  ack_timeouts: 0,
  ack_aborted: 0, // the socket was disconnected (by us) while the ack was pending
  ack_bad: 0, // the ack did not carry what was sent
  join_errors: 0,
  room_moves: 0,
  bc_sent: 0,
  bc_deliveries: 0,
  bc_missing: 0,
  bc_missing_samples: [],
  room_sent: 0,
  room_deliveries: 0,
  lat: new Uint32Array(10001), // ack round trip, 1 ms buckets
};
function note(list, v) {
  if (list.length < 5) list.push(v);
}
function pct(p) {
  const total = st.lat.reduce((a, b) => a + b, 0);
  if (!total) return null;
  let acc = 0;
  for (let i = 0; i < st.lat.length; i++) {
    acc += st.lat[i];
    if (acc >= total * p) return i;
  }
  return st.lat.length - 1;
}

// in-flight operations (acks, joins): the quiescence waits resolve when this reaches 0
let inflight = 0;
let idleWaiters = [];
function opStart() {
  inflight++;
}
function opEnd() {
  if (--inflight === 0) {
    const w = idleWaiters;
    idleWaiters = [];
    w.forEach((f) => f());
  }
}
function idle(ms) {
  if (inflight === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    idleWaiters.push(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// clients

// all-broadcasts: sequence numbers, and when each was sent
let bcSeq = 0;
const bcSentAt = []; // [seq, time], recent only
let fence = null; // { seq, want, got, resolve }

let gen = 0;
const slots = new Array(N).fill(null);
const kindOf = (i) => (i < N * CFG.polling ? "polling" : i < N * (CFG.polling + CFG.upgrade) ? "upgrade" : "websocket");
const TRANSPORTS = { polling: ["polling"], upgrade: ["polling", "websocket"], websocket: ["websocket"] };

function ackOp(c, promise) {
  opStart();
  return promise.finally(opEnd);
}

/** Connects a client into slot `i`; resolves true once it is connected and in its rooms. */
function connect(i) {
  const kind = kindOf(i);
  const g = ++gen;
  const s = io(URL_, {
    forceNew: true,
    reconnection: false,
    transports: TRANSPORTS[kind],
    timeout: CFG.connect_timeout_ms,
  });
  const c = { s, i, g, kind, ready: false, closing: false, room: `r${i % CFG.rooms}`, bcFrom: Infinity, bcGot: 0, nextEmit: 0, pending: 0 };
  slots[i] = c;
  s.on(FL.allEvent, (m) => {
    if (m && typeof m.bc === "number") {
      st.bc_deliveries++;
      if (m.bc >= c.bcFrom) c.bcGot++;
      if (fence && m.bc === fence.seq && c.bcFrom <= fence.seq) {
        c.sawFence = fence.seq;
        if (++fence.got >= fence.want) fence.resolve();
      }
    } else {
      st.room_deliveries++;
    }
  });
  if (FL.roomEvent !== FL.allEvent) s.on(FL.roomEvent, () => st.room_deliveries++);
  s.on("disconnect", (reason) => {
    c.ready = false;
    if (!c.closing) {
      st.unexpected_disconnects++;
      note(st.unexpected_samples, `${kind}: ${reason}`);
      if (slots[i] === c) slots[i] = null;
    }
    if (fence && c.bcFrom <= fence.seq && c.sawFence !== fence.seq) {
      // it will not receive the fence: do not wait for it
      if (--fence.want <= fence.got) fence.resolve();
    }
  });
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok, why) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (ok) {
        st.connects++;
      } else {
        st.connect_errors++;
        note(st.connect_error_samples, `${kind}: ${why}`);
        c.closing = true;
        s.close();
        if (slots[i] === c) slots[i] = null;
      }
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false, "no connect+join within the bound"), CFG.connect_timeout_ms + CFG.ack_timeout_ms);
    s.once("connect_error", (e) => finish(false, `connect_error ${e.message}`));
    s.once("connect", async () => {
      const join = (room) => ackOp(c, s.timeout(CFG.ack_timeout_ms).emitWithAck("join", room));
      try {
        // "all" first: the broadcasts a client must see are the ones sent after its join was acked
        await join("all");
        c.bcFrom = bcSeq + 1;
        await Promise.all([join(c.room), join(`u${g}`)]);
        c.ready = true;
        c.nextEmit = Date.now() + Math.random() * CFG.emit_ms;
        finish(true);
      } catch (e) {
        if (!c.closing) st.join_errors++;
        finish(false, `join: ${e.message}`);
      }
    });
  });
}

/** Runs `fn` over `items` with at most `k` in flight. */
async function pool(items, k, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(k, items.length) }, worker));
}

const fillEmpty = () =>
  pool(
    slots.map((c, i) => (c ? -1 : i)).filter((i) => i >= 0),
    CFG.connect_concurrency,
    connect,
  );

/** How many all-broadcasts `c` should have seen by now (those sent at least `age` ms ago). */
const BC_HORIZON_MS = 5000;
function bcWant(c, age) {
  const horizon = Date.now() - age;
  let last = 0;
  for (const [seq, t] of bcSentAt) if (t <= horizon) last = seq;
  return Math.max(0, last - c.bcFrom + 1);
}

/** Disconnects `c` one of three ways; resolves once the client saw the disconnect. */
async function disconnect(c, how) {
  if (c.ready) {
    // those sent long enough ago to be delivered even to a slow (polling, loaded) client
    const want = bcWant(c, BC_HORIZON_MS);
    if (want > c.bcGot) {
      st.bc_missing += want - c.bcGot;
      note(st.bc_missing_samples, `${c.kind} client: ${c.bcGot} of ${want} broadcasts at its disconnect`);
    }
  }
  c.closing = true;
  c.ready = false;
  slots[c.i] = null;
  if (how === "server" && FL.serverClose && c.s.connected) {
    st.disconnects.server++;
    const gone = new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), 5000);
      c.s.once("disconnect", () => {
        clearTimeout(t);
        resolve(true);
      });
    });
    c.s.emit("close-me");
    if (!(await gone)) {
      st.server_close_timeouts++;
      c.s.disconnect();
    }
  } else if (how === "engine" && c.s.io.engine) {
    st.disconnects.engine++;
    c.s.io.engine.close(); // no socket.io DISCONNECT packet: the transport just closes
  } else {
    st.disconnects.client++;
    c.s.disconnect();
  }
}

function ready() {
  return slots.filter((c) => c && c.ready);
}
function pick(list, k) {
  const a = list.slice();
  for (let i = 0; i < Math.min(k, a.length); i++) {
    const j = i + Math.floor(Math.random() * (a.length - i));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, k);
}

let emitSeq = 0;
function emitEcho(c) {
  const seq = ++emitSeq;
  const payload = seq % 10 === 0 ? Buffer.from([seq & 255, 1, 2, 3]) : { seq, pad: "x".repeat(64) };
  const t0 = Date.now();
  c.pending++;
  ackOp(c, c.s.timeout(CFG.ack_timeout_ms).emitWithAck("echo", payload))
    .then((got) => {
      st.acks_ok++;
      st.lat[Math.min(Date.now() - t0, 10000)]++;
      const same = Buffer.isBuffer(payload) ? Buffer.isBuffer(got) && got[0] === payload[0] : got && got.seq === seq;
      if (!same) st.ack_bad++;
    })
    .catch((e) => {
      if (c.closing || /disconnected/.test(e.message)) st.ack_aborted++;
      else st.ack_timeouts++;
    })
    .finally(() => c.pending--);
}

// the traffic clock: every 100 ms, the clients whose turn it is emit `echo` with an ack
let traffic = null;
function startTraffic() {
  traffic = setInterval(() => {
    const now = Date.now();
    for (const c of slots) {
      if (c && c.ready && now >= c.nextEmit) {
        c.nextEmit = now + CFG.emit_ms;
        if (c.pending < 4) emitEcho(c);
      }
    }
  }, 100);
}
function stopTraffic() {
  clearInterval(traffic);
}

function sendBroadcasts() {
  const senders = ready();
  if (!senders.length) return;
  const seq = ++bcSeq;
  bcSentAt.push([seq, Date.now()]);
  if (bcSentAt.length > 64) bcSentAt.shift();
  FL.roomcast(pick(senders, 1)[0].s, "all", "bc", { bc: seq });
  st.bc_sent++;
  for (let r = 0; r < CFG.rooms; r++) {
    FL.roomcast(pick(senders, 1)[0].s, `r${r}`, "rc", { room: r });
    st.room_sent++;
  }
}

async function moveRooms() {
  const k = Math.round(N * CFG.room_moves);
  if (!k) return;
  await Promise.all(
    pick(ready(), k).map(async (c) => {
      const to = `r${Math.floor(Math.random() * CFG.rooms)}`;
      try {
        await ackOp(c, c.s.timeout(CFG.ack_timeout_ms).emitWithAck("leave", c.room));
        await ackOp(c, c.s.timeout(CFG.ack_timeout_ms).emitWithAck("join", to));
        c.room = to;
        st.room_moves++;
      } catch (e) {
        if (!c.closing) st.join_errors++;
      }
    }),
  );
}

/** One cycle: replace a slice of the clients, move some between rooms, broadcast. */
async function cycle(cycleNo) {
  const k = Math.round(N * CFG.churn);
  const ways = FL.serverClose ? ["client", "client", "client", "engine", "server"] : ["client", "client", "client", "engine"];
  await Promise.all(pick(ready(), k).map((c, j) => disconnect(c, ways[(cycleNo + j) % ways.length])));
  await fillEmpty();
  await moveRooms();
  sendBroadcasts();
}

async function runCycles(untilMs, onSample) {
  let n = 0;
  let nextSample = Date.now() + CFG.sample_ms;
  const t0 = Date.now();
  while (Date.now() < untilMs) {
    const start = Date.now();
    await cycle(n++);
    if (onSample && Date.now() >= nextSample) {
      nextSample += CFG.sample_ms;
      onSample(Math.round((Date.now() - t0) / 1000));
    }
    const left = CFG.cycle_ms - (Date.now() - start);
    if (left > 0) await delay(left);
  }
  return n;
}

/** Stops the traffic, waits for pending acks, sends a fence broadcast every client must see. */
async function quiesce(label) {
  stopTraffic();
  if (!(await idle(CFG.ack_timeout_ms + 5000))) throw new Error(`${label}: ${inflight} operations still pending`);
  await fillEmpty();
  if (!(await idle(CFG.ack_timeout_ms + 5000))) throw new Error(`${label}: ${inflight} joins still pending`);
  const members = ready();
  const seq = ++bcSeq;
  bcSentAt.push([seq, Date.now()]);
  st.bc_sent++;
  const reached = new Promise((resolve) => {
    fence = { seq, want: members.length, got: 0, resolve };
  });
  if (!members.length) throw new Error(`${label}: no client connected`);
  FL.roomcast(members[0].s, "all", "bc", { bc: seq });
  const ok = await bounded(reached, 30000);
  const missingFence = fence.want - fence.got;
  if (!ok) log(`${label}: ${missingFence} of ${fence.want} clients did not get the fence broadcast within 30 s`);
  fence = null;
  // every broadcast up to the fence is now delivered to those who got the fence
  let missing = 0;
  for (const c of ready()) {
    const want = seq - c.bcFrom + 1;
    if (want > c.bcGot) {
      missing += want - c.bcGot;
      note(st.bc_missing_samples, `${c.kind} client: ${c.bcGot} of ${want} broadcasts at the ${label} fence`);
    }
  }
  st.bc_missing += missing;
  return { connected: members.length, fence_ok: ok, fence_missing: missingFence };
}

// ---------------------------------------------------------------------------------------------
// main

const log = (...a) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}]`, ...a);

async function main() {
  const series = [];
  const base = await measure();
  log(`server pid ${PID} (${FLAVOR}) before any client: rss ${MB(base.rss)} MB, fds ${base.fds}`);

  // warm-up
  const tw = Date.now();
  await fillEmpty();
  log(`${ready().length}/${N} connected in ${((Date.now() - tw) / 1000).toFixed(1)} s; ${CFG.warmup_s} s of warm-up`);
  startTraffic();
  await runCycles(Date.now() + CFG.warmup_s * 1000);
  const wq = await quiesce("warm-up");
  const start = { ...(await measure()), connected: wq.connected };
  log(`START: ${start.connected} connected, rss ${MB(start.rss)} MB, fds ${start.fds}`);
  const stBefore = JSON.parse(JSON.stringify({ ...st, lat: undefined }));

  // churn
  log(`churn for ${SECONDS} s`);
  const tc = Date.now();
  startTraffic();
  let lastCount = { acks: st.acks_ok, bc: st.bc_deliveries + st.room_deliveries, t: Date.now() };
  series.push({ ...sample(), t: 0, connected: ready().length });
  const cycles = await runCycles(tc + SECONDS * 1000, (t) => {
    const s = sample();
    const now = Date.now();
    const dt = (now - lastCount.t) / 1000;
    const acks = (st.acks_ok - lastCount.acks) / dt;
    const del = (st.bc_deliveries + st.room_deliveries - lastCount.bc) / dt;
    lastCount = { acks: st.acks_ok, bc: st.bc_deliveries + st.room_deliveries, t: now };
    const conn = ready().length;
    series.push({ ...s, t, connected: conn });
    const errs = st.connect_errors + st.ack_timeouts + st.unexpected_disconnects + st.bc_missing + st.join_errors;
    log(
      `t=${t}s connected=${conn} rss=${MB(s.rss)}MB fds=${s.fds} acks/s=${acks.toFixed(0)} deliveries/s=${del.toFixed(0)} ` +
        `reconnects=${st.connects} errors=${errs} node_rss=${MB(process.memoryUsage().rss)}MB`,
    );
  });
  const churnSecs = (Date.now() - tc) / 1000;
  const sumDisc = (d) => d.client + d.engine + d.server;
  const churnDisconnects = sumDisc(st.disconnects) - sumDisc(stBefore.disconnects);
  const churnUnexpected = st.unexpected_disconnects - stBefore.unexpected_disconnects;
  const eq = await quiesce("end of churn");
  const endConnected = { ...(await measure()), connected: eq.connected };
  log(`END (connected): ${endConnected.connected} connected, rss ${MB(endConnected.rss)} MB, fds ${endConnected.fds}`);

  // everyone leaves; wait (bounded) for the server's fds to come back to its baseline
  for (const c of slots) if (c) disconnect(c, "client");
  const tf = Date.now();
  let fdsNow = sample().fds;
  while (fdsNow > base.fds + TH.fd_margin && Date.now() - tf < CFG.fd_wait_ms) {
    await delay(250);
    fdsNow = sample().fds;
  }
  const fdWait = Date.now() - tf;
  const end = await measure();
  log(`END (all gone after ${(fdWait / 1000).toFixed(1)} s): rss ${MB(end.rss)} MB, fds ${end.fds}`);

  // rss slope over the churn phase (least squares, MB per minute)
  let slope = null;
  if (series.length >= 3) {
    const xs = series.map((p) => (p.t - 0) / 60);
    const ys = series.map((p) => p.rss / 1048576);
    const mx = xs.reduce((a, b) => a + b) / xs.length;
    const my = ys.reduce((a, b) => a + b) / ys.length;
    const num = xs.reduce((a, x, k) => a + (x - mx) * (ys[k] - my), 0);
    const den = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    slope = den ? Math.round((num / den) * 100) / 100 : null;
  }

  // what the server was left with between START and END-connected by design (interop: its reasons log)
  const retainedAllowance = (churnDisconnects + churnUnexpected) * TH.retained_per_disconnect_bytes;
  const rssLimit = start.rss * (1 + TH.rss_ratio) + TH.rss_noise_mb * 1048576 + Math.max(0, retainedAllowance);
  const heapLimit = start.heap && start.heap.in_use * (1 + TH.heap_ratio) + TH.heap_noise_mb * 1048576 + retainedAllowance;
  const ops = st.connects + st.connect_errors + st.acks_ok + st.ack_timeouts + st.bc_deliveries + st.room_moves;
  const errors = st.connect_errors + st.ack_timeouts + st.ack_bad + st.unexpected_disconnects + st.bc_missing + st.join_errors + st.server_close_timeouts;
  const checks = [
    { name: "fds after everyone left vs before any client", value: end.fds, limit: base.fds + TH.fd_margin, ok: end.fds <= base.fds + TH.fd_margin },
    {
      name: "rss with all connected, end vs start (MB)",
      value: MB(endConnected.rss),
      limit: MB(rssLimit),
      ok: endConnected.rss <= rssLimit,
    },
    { name: "same number connected at start and end", value: endConnected.connected, limit: start.connected, ok: endConnected.connected === start.connected && start.connected === N },
    { name: "error rate", value: ops ? Math.round((errors / ops) * 1e6) / 1e6 : 0, limit: TH.max_error_rate, ok: ops > 0 && errors / ops <= TH.max_error_rate },
  ];
  if (heapLimit && endConnected.heap) {
    checks.push({ name: "live heap with all connected, end vs start (MB)", value: MB(endConnected.heap.in_use), limit: MB(heapLimit), ok: endConnected.heap.in_use <= heapLimit });
  }
  const report = {
    ok: checks.every((c) => c.ok),
    flavor: FLAVOR,
    seconds: SECONDS,
    connections: N,
    config: CFG,
    thresholds: { ...TH, rss_allowance_mb: MB(Math.max(0, retainedAllowance)) },
    base: { rss_mb: MB(base.rss), fds: base.fds, heap_mb: heapMB(base) },
    start: { rss_mb: MB(start.rss), fds: start.fds, connected: start.connected, threads: start.threads, heap_mb: heapMB(start) },
    end_connected: { rss_mb: MB(endConnected.rss), fds: endConnected.fds, connected: endConnected.connected, hwm_mb: MB(endConnected.hwm), heap_mb: heapMB(endConnected) },
    end: { rss_mb: MB(end.rss), fds: end.fds, fd_wait_s: Math.round(fdWait / 100) / 10, hwm_mb: MB(end.hwm), threads: end.threads, heap_mb: heapMB(end) },
    rss_slope_mb_per_min: slope,
    series: series.map((p) => ({ t: p.t, rss_mb: MB(p.rss), fds: p.fds, connected: p.connected })),
    churn: {
      seconds: Math.round(churnSecs),
      cycles,
      disconnects: churnDisconnects,
      reconnects_per_s: Math.round((churnDisconnects / churnSecs) * 10) / 10,
      acks_per_s: Math.round((st.acks_ok - stBefore.acks_ok) / churnSecs),
      deliveries_per_s: Math.round((st.bc_deliveries + st.room_deliveries - stBefore.bc_deliveries - stBefore.room_deliveries) / churnSecs),
    },
    totals: {
      connects: st.connects,
      connect_errors: st.connect_errors,
      disconnects: st.disconnects,
      unexpected_disconnects: st.unexpected_disconnects,
      acks_ok: st.acks_ok,
      ack_timeouts: st.ack_timeouts,
      ack_aborted: st.ack_aborted,
      ack_bad: st.ack_bad,
      join_errors: st.join_errors,
      room_moves: st.room_moves,
      server_close_timeouts: st.server_close_timeouts,
      bc_sent: st.bc_sent,
      bc_deliveries: st.bc_deliveries,
      bc_missing: st.bc_missing,
      room_sent: st.room_sent,
      room_deliveries: st.room_deliveries,
      ack_p50_ms: pct(0.5),
      ack_p99_ms: pct(0.99),
      errors,
      operations: ops,
      samples: { connect_errors: st.connect_error_samples, unexpected_disconnects: st.unexpected_samples, bc_missing: st.bc_missing_samples },
    },
    server_cpu_s: Math.round(end.cpu_s - base.cpu_s),
    node_rss_mb: MB(process.memoryUsage().rss),
    checks,
  };
  if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify(report, null, 2));
  const { series: _omit, ...line } = report;
  console.log(JSON.stringify(line));
  const row = (a, b, c, d, e = "") =>
    console.log(`  ${String(a).padEnd(34)}${String(b).padStart(10)}${String(c).padStart(10)}${String(d).padStart(12)}${String(e).padStart(HEAP ? 14 : 0)}`);
  const hp = (m) => (m.heap ? MB(m.heap.in_use) : "?");
  console.log(`\nsoak: ${FLAVOR} server, ${N} connections, ${SECONDS} s of churn (${cycles} cycles, ${churnDisconnects} reconnects)`);
  row("", "RSS MB", "fds", "connected", HEAP ? "live heap MB" : "");
  row("base (no client)", MB(base.rss), base.fds, 0, HEAP ? hp(base) : "");
  row("start (after warm-up)", MB(start.rss), start.fds, start.connected, HEAP ? hp(start) : "");
  row("end of churn (all connected)", MB(endConnected.rss), endConnected.fds, endConnected.connected, HEAP ? hp(endConnected) : "");
  row(`end (all gone, +${(fdWait / 1000).toFixed(1)} s)`, MB(end.rss), end.fds, 0, HEAP ? hp(end) : "");
  console.log(
    `  rss slope during churn: ${slope} MB/min; acks ${report.churn.acks_per_s}/s (p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms); ` +
      `deliveries ${report.churn.deliveries_per_s}/s; errors ${errors}/${ops} operations; server cpu ${report.server_cpu_s} s`,
  );
  console.log(
    `  thresholds: end fds <= base + ${TH.fd_margin}; end-connected RSS <= start * ${1 + TH.rss_ratio} + ${TH.rss_noise_mb} MB` +
      (retainedAllowance > 0 ? ` + ${MB(retainedAllowance)} MB (${TH.retained_per_disconnect_bytes} B x ${churnDisconnects + churnUnexpected} disconnects: interop-server's reasons log)` : "") +
      `; error rate <= ${TH.max_error_rate}` +
      (HEAP ? `; live heap <= start * ${1 + TH.heap_ratio} + ${TH.heap_noise_mb} MB (+ the same allowance)` : ""),
  );
  for (const c of checks) console.log(`  ${c.ok ? "PASS" : "FAIL"} ${c.name}: ${c.value} (limit ${c.limit})`);
  return report.ok ? 0 : 1;
}

const watchdog = setTimeout(() => {
  log("watchdog: the run exceeded its bound");
  process.exit(2);
}, (SECONDS + 600) * 1000);
watchdog.unref();

main().then(
  (code) => process.exit(code),
  (e) => {
    log(`run failed: ${e.stack || e}`);
    process.exit(2);
  },
);
