"""What the bench runs and what it reads from each run: the servers, the scenarios (with the
load generator's arguments) and the metrics every table shows. Shared by run.py (which runs
them) and render.py (which writes the report)."""
from __future__ import annotations

import statistics
from pathlib import Path

from idle50k import SPREAD, SPREAD_SERVERS

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"

# name -> (label, family). The sio family is compared with the peers.
SERVERS = {
    "sio": ("sio (Rust API)", "sio"),
    "sio-c": ("sio via C (libsio)", "sio"),
    "sio-node": ("sio via Node addon", "sio"),
    "sio-node-attached": ("sio via Node addon, attached to http.Server", "sio"),
    "sio-python": ("sio via Python binding", "sio"),
    "socketioxide": ("socketioxide (Rust)", "peer"),
    "socket.io": ("socket.io 4 (Node)", "peer"),
    "python-socketio": ("python-socketio (asyncio, aiohttp)", "peer"),
    "baseline": ("bare tokio-tungstenite (baseline)", "peer"),
}

# scenario -> (title, loadgen args full, loadgen args quick, cap in seconds full / quick)
SCENARIOS = {
    "idle": (
        "(a) Idle memory per WebSocket connection",
        ["--scenario", "idle", "--steps", "1000,10000", "--settle", "2"],
        ["--scenario", "idle", "--steps", "20,100", "--settle", "0.3"],
    ),
    "connect": (
        "(b) Connection rate: handshakes to 10k clients",
        ["--scenario", "connect", "--clients", "10000"],
        ["--scenario", "connect", "--clients", "200"],
    ),
    "echo": (
        "(c) Echo with ack, 1k clients",
        ["--scenario", "echo", "--clients", "1000", "--warmup", "1", "--duration", "5"],
        ["--scenario", "echo", "--clients", "50", "--warmup", "0.2", "--duration", "0.5"],
    ),
    # (c) at a fixed offered load (each client one echo every clients / rate seconds): the
    # closed loop's latency is only clients ÷ throughput (Little's law), this one is the face's.
    "echo-paced": (
        "(c2) Echo with ack at a fixed load: 1k clients, 20,000 round trips/s offered",
        ["--scenario", "echo", "--clients", "1000", "--rate", "20000", "--warmup", "1", "--duration", "5"],
        ["--scenario", "echo", "--clients", "50", "--rate", "500", "--warmup", "0.2", "--duration", "0.5"],
    ),
    "bcast": (
        "(d) Broadcast fan-out: one emit to 10k clients",
        ["--scenario", "bcast", "--clients", "10000", "--broadcasts", "10"],
        ["--scenario", "bcast", "--clients", "200", "--broadcasts", "3"],
    ),
    "bin1k": (
        "(e) Binary echo, 1 KB attachment, 100 clients",
        ["--scenario", "echo", "--clients", "100", "--binary", "1024", "--warmup", "1", "--duration", "5"],
        ["--scenario", "echo", "--clients", "10", "--binary", "1024", "--warmup", "0.2", "--duration", "0.5"],
    ),
    "bin64k": (
        "(e) Binary echo, 64 KB attachment, 100 clients",
        ["--scenario", "echo", "--clients", "100", "--binary", "65536", "--warmup", "1", "--duration", "5"],
        ["--scenario", "echo", "--clients", "10", "--binary", "65536", "--warmup", "0.2", "--duration", "0.5"],
    ),
    "deflate64k": (
        "(g) Compressed echo, 64 KB JSON, 100 clients (permessage-deflate both ways)",
        ["--scenario", "echo", "--clients", "100", "--json", "65536", "--deflate", "--warmup", "1", "--duration", "5"],
        ["--scenario", "echo", "--clients", "10", "--json", "65536", "--deflate", "--warmup", "0.2", "--duration", "0.5"],
    ),
}

# Scaling past one core (h): (b), (c) and (d) again with the server and the generator not
# pinned, so that a multi-threaded server may use both cores (the generator shares them).
# scenario -> the pinned scenario it is compared with (run.py runs that one too).
TWO_CORES = {"connect-2c": "connect", "echo-2c": "echo", "bcast-2c": "bcast"}
for _name, _title in [
    ("connect-2c", "(h) Two cores: handshakes to 10k clients"),
    ("echo-2c", "(h) Two cores: echo with ack, 1k clients"),
    ("bcast-2c", "(h) Two cores: broadcast fan-out to 10k clients"),
]:
    SCENARIOS[_name] = (_title, *SCENARIOS[TWO_CORES[_name]][1:])
# Servers left out of (h): python-socketio is single-threaded like socket.io and the
# slowest (socket.io makes that point), the attached Node addon is the own-port one's variant.
TWO_CORES_SKIP = ("python-socketio", "sio-node-attached")

# The cluster (i): the broadcast of (d) over two nodes sharing one Redis, the clients
# spread evenly over both, the sender on the first; run.py adds `--redis URL` to the flags.
SCENARIOS["cluster-bcast"] = (
    "(i) Cluster broadcast: one emit to 10k clients over 2 nodes sharing one Redis",
    ["--scenario", "bcast", "--clients", "10000", "--broadcasts", "10"],
    ["--scenario", "bcast", "--clients", "200", "--broadcasts", "3"],
)
# scenario -> the one-node scenario it is compared with.
CLUSTER = {"cluster-bcast": "bcast"}

# Sustained broadcast streams to 10k clients (j, k): numbered broadcasts whose order every
# client checks.
SCENARIOS["stream"] = (
    "(j) Broadcast stream to 10k clients, 4 in flight (closed loop)",
    ["--scenario", "stream", "--clients", "10000", "--window", "4", "--duration", "5"],
    ["--scenario", "stream", "--clients", "200", "--window", "4", "--duration", "0.5"],
)
SCENARIOS["paced"] = (
    "(k) Paced broadcast stream: 20 broadcasts/s to 10k clients",
    ["--scenario", "paced", "--clients", "10000", "--rate", "20", "--duration", "5"],
    ["--scenario", "paced", "--clients", "200", "--rate", "20", "--duration", "0.5"],
)

# Idle memory at 50k connections (l): (a) over 5 server processes of the same kind, each with a
# generator of its own (the machine's hard open-file limit, 20,000 per process, keeps 50k
# sockets out of one process); bench/idle50k.py runs it, on sio and the baseline only.
SCENARIOS["idle-50k"] = (
    "(l) Idle memory at 50k WebSocket connections over 5 server processes",
    ["--scenario", "idle", "--steps", "10000", "--settle", "5"],
    ["--scenario", "idle", "--steps", "200", "--settle", "0.3"],
)

# Scenarios that need a server option: the flag each server's contract takes for it. A
# server without one does not run the scenario (its row says n/a): socketioxide has no
# permessage-deflate (Totodore/socketioxide#761), nor have python-socketio on aiohttp and
# the baseline; the C and Python sio servers do not take the flag yet. The cluster: the
# servers that take `--redis URL` (sio's bench server with sio-redis, node_server.js with
# @socket.io/redis-adapter or the addon's RedisAdapter).
SERVER_FLAGS = {
    "deflate64k": {s: ["--per-message-deflate"] for s in ("sio", "sio-node", "sio-node-attached", "socket.io")},
    "cluster-bcast": {s: [] for s in ("sio", "sio-node", "socket.io")},
}


def runs_scenario(server: str, scenario: str) -> bool:
    if scenario in SPREAD:
        return server in SPREAD_SERVERS
    if scenario in TWO_CORES:
        return server not in TWO_CORES_SKIP
    return scenario not in SERVER_FLAGS or server in SERVER_FLAGS[scenario]


def dig(d: dict, *path, default=None):
    for k in path:
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


def idle_step(d: dict, index: int, key: str):
    """`key` of the idle scenario's step `index` (0: first N, -1: largest N)."""
    steps = dig(d, "result", "steps", default=[]) or []
    return steps[index].get(key) if steps else None


# scenario -> list of (column title, extractor, format, higher_is_better); the first is the headline.
def result(*path):
    """The figure at `path` in a run's `result` (a metric's getter)."""
    return lambda d: dig(d, "result", *path)


def spread_ratio(d: dict):
    """How evenly an echo served its clients: the fewest round trips one client completed
    divided by the most (1.0: every client served alike)."""
    lo, hi = dig(d, "result", "per_client", "min"), dig(d, "result", "per_client", "max")
    return lo / hi if lo is not None and hi else None


def kib(v):
    return None if v is None else v / 1024


# Rows every broadcast scenario's table has.
DELIVERY_P50 = ("delivery p50 (ms)", result("delivery", "p50_ms"), "{:.1f}", False)
DELIVERY_P99 = ("delivery p99 (ms)", result("delivery", "p99_ms"), "{:.1f}", False)
OUT_OF_ORDER = ("deliveries out of order", result("reordered"), "{:,.0f}", False)
CPU_PER_DELIVERY = ("server CPU µs/delivery", result("cpu", "server_cpu_us_per_op"), "{:.2f}", False)


METRICS = {
    "idle": [
        ("KiB per connection at the largest N", lambda d: kib(idle_step(d, -1, "per_conn_bytes")), "{:.1f}", False),
        ("KiB per connection at the first N", lambda d: kib(idle_step(d, 0, "per_conn_bytes")), "{:.1f}", False),
        ("idle server RSS (MiB)", lambda d: (dig(d, "result", "base_rss_kib") or 0) / 1024 or None, "{:.1f}", False),
        ("RSS at the largest N (MiB)", lambda d: (idle_step(d, -1, "rss_kib") or 0) / 1024 or None, "{:.0f}", False),
    ],
    "connect": [
        ("handshakes/s", result("handshakes_per_s"), "{:,.0f}", True),
        ("handshake p50 (ms)", result("handshake", "p50_ms"), "{:.1f}", False),
        ("handshake p99 (ms)", result("handshake", "p99_ms"), "{:.1f}", False),
        ("server CPU µs/handshake", result("cpu", "server_cpu_us_per_op"), "{:.0f}", False),
    ],
    "echo": [
        ("round trips/s", result("round_trips_per_s"), "{:,.0f}", True),
        ("p50 (ms)", result("rtt", "p50_ms"), "{:.2f}", False),
        ("p99 (ms)", result("rtt", "p99_ms"), "{:.2f}", False),
        ("server CPU µs/round trip", result("cpu", "server_cpu_us_per_op"), "{:.1f}", False),
        ("loadgen busy", result("cpu", "loadgen_busy"), "{:.0%}", False),
        ("fewest ÷ most round trips of one client", spread_ratio, "{:.2f}", True),
    ],
    "bcast": [
        ("deliveries/s", result("deliveries_per_s"), "{:,.0f}", True),
        ("emit → last delivery (ms)", result("fanout_ms_median"), "{:.1f}", False),
        DELIVERY_P50,
        DELIVERY_P99,
        CPU_PER_DELIVERY,
    ],
}
# The headline first, as in (k): the latency at the offered load; then whether the server
# kept up with it (achieved against offered, sends held back by a pending ack).
METRICS["echo-paced"] = [
    ("p99 (ms)", result("rtt", "p99_ms"), "{:.2f}", False),
    ("round trips/s achieved", result("round_trips_per_s"), "{:,.0f}", True),
    ("offered", result("offered_per_s"), "{:,.0f}", True),
    ("p50 (ms)", result("rtt", "p50_ms"), "{:.2f}", False),
    ("p90 (ms)", result("rtt", "p90_ms"), "{:.2f}", False),
    ("max (ms)", result("rtt", "max_ms"), "{:.2f}", False),
    ("late sends", result("late_sends"), "{:,.0f}", False),
    ("server CPU µs/round trip", result("cpu", "server_cpu_us_per_op"), "{:.1f}", False),
]
METRICS["stream"] = [
    ("deliveries/s", result("deliveries_per_s"), "{:,.0f}", True),
    OUT_OF_ORDER,
    DELIVERY_P50,
    DELIVERY_P99,
    CPU_PER_DELIVERY,
]
METRICS["paced"] = [
    DELIVERY_P99,
    DELIVERY_P50,
    OUT_OF_ORDER,
    ("missing", result("missing"), "{:,.0f}", False),
    CPU_PER_DELIVERY,
]
METRICS["deflate64k"] = [
    ("round trips/s", result("round_trips_per_s"), "{:,.0f}", True),
    ("JSON MB/s each way", lambda d: (dig(d, "result", "round_trips_per_s") or 0) * (d.get("json") or 0) / 1e6 or None, "{:.1f}", True),
    ("p50 (ms)", result("rtt", "p50_ms"), "{:.2f}", False),
    ("p99 (ms)", result("rtt", "p99_ms"), "{:.2f}", False),
    ("server CPU µs/round trip", result("cpu", "server_cpu_us_per_op"), "{:.1f}", False),
    ("loadgen busy", result("cpu", "loadgen_busy"), "{:.0%}", False),
]
METRICS["bin1k"] = METRICS["bin64k"] = [
    ("round trips/s", result("round_trips_per_s"), "{:,.0f}", True),
    ("MB/s each way", lambda d: (dig(d, "result", "round_trips_per_s") or 0) * (d.get("binary") or 0) / 1e6 or None, "{:.1f}", True),
    ("p50 (ms)", result("rtt", "p50_ms"), "{:.2f}", False),
    ("p99 (ms)", result("rtt", "p99_ms"), "{:.2f}", False),
    ("server CPU µs/round trip", result("cpu", "server_cpu_us_per_op"), "{:.1f}", False),
    ("loadgen busy", result("cpu", "loadgen_busy"), "{:.0%}", False),
]


for _name, _base in TWO_CORES.items():
    METRICS[_name] = METRICS[_base]
METRICS["cluster-bcast"] = [
    ("deliveries/s", result("deliveries_per_s"), "{:,.0f}", True),
    ("emit → last delivery (ms)", result("fanout_ms_median"), "{:.1f}", False),
    DELIVERY_P50,
    DELIVERY_P99,
    ("delivery p50, sender's node (ms)", lambda d: node_delivery(d, 0), "{:.1f}", False),
    ("delivery p50, other node (ms)", lambda d: node_delivery(d, 1), "{:.1f}", False),
    ("missing deliveries", result("missing"), "{:,.0f}", False),
    ("server CPU µs/delivery (both nodes)", result("cpu", "server_cpu_us_per_op"), "{:.2f}", False),
]


def spread_per_process(d: dict, pick):
    """(l): the KiB per connection of the process `pick` (min or max) chooses."""
    per = [v for v in dig(d, "result", "per_process_per_conn_bytes", default=[]) or [] if v is not None]
    return kib(pick(per)) if per else None


METRICS["idle-50k"] = [
    ("KiB per connection, all processes", lambda d: kib(dig(d, "result", "per_conn_bytes")), "{:.1f}", False),
    ("clients connected", result("connected"), "{:,.0f}", True),
    ("held at once (sampled)", result("peak_held"), "{:,.0f}", True),
    ("servers' RSS growth, sum (MiB)", lambda d: kib(dig(d, "result", "growth_kib")), "{:.0f}", False),
    ("servers' RSS at the end, sum (MiB)", lambda d: kib(dig(d, "result", "rss_kib")), "{:.0f}", False),
    ("KiB per connection, fewest of one process", lambda d: spread_per_process(d, min), "{:.2f}", False),
    ("KiB per connection, most of one process", lambda d: spread_per_process(d, max), "{:.2f}", False),
    ("slowest generator's connect time (s)", result("connect_s_max"), "{:.1f}", False),
]


def node_delivery(d: dict, node: int, key: str = "p50_ms"):
    """A delivery latency of one node's clients (cluster-bcast: 0 is the sender's node)."""
    nodes = dig(d, "result", "nodes", default=[]) or []
    return dig(nodes[node], "delivery", key) if len(nodes) > node else None


def window_s(d: dict):
    """The seconds a run's headline figure is measured over: the timed window of the echo,
    first connect to last handshake (as the CPU mark takes it), or the broadcasts' fan-outs
    added up (emit → last delivery, without the pauses between broadcasts)."""
    if d.get("scenario") == "bcast":
        fanout = dig(d, "result", "fanout_s")
        if fanout is None:  # runs before fanout_s was reported
            rate, done, n = dig(d, "result", "deliveries_per_s"), dig(d, "result", "complete"), d.get("clients")
            fanout = done * n / rate if rate and done and n else None
        return fanout or None
    return dig(d, "result", "cpu", "wall_s") or None


def server_cores(d: dict):
    """The cores the server kept busy on average: its CPU seconds ÷ `window_s`."""
    cpu, w = dig(d, "result", "cpu", "server_cpu_s"), window_s(d)
    return cpu / w if cpu is not None and w else None


def loadgen_cores(d: dict):
    """The same for the load generator (one thread: at most 1)."""
    cpu, w = dig(d, "result", "cpu", "loadgen_cpu_s"), window_s(d)
    return cpu / w if cpu is not None and w else None


def headline_text(scenario: str, r: dict) -> str:
    if not r.get("ok"):
        return "-"
    title, f, fmt, _ = METRICS[scenario][0]
    v = f(r)
    return "-" if v is None else f"{fmt.format(v)} {title.split(' (')[0]}"


def median_of(runs: list[dict], f):
    vals = [v for v in (f(r) for r in runs) if v is not None]
    return (statistics.median(vals), min(vals), max(vals), len(vals)) if vals else None

