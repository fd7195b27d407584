"""Runs every bench server under the same load and writes the report (driven by bench/run.sh,
which builds everything first; see bench/README.md).

    python3 bench/run.py --bin-dir target/release --python PY --addon FILE [--socketioxide BIN]
                         [--quick] [--repeats 3] [--servers a,b] [--scenarios a,b] [--out bench/RESULTS.md]

Each measurement starts a fresh server process (pinned to one core with taskset when the
machine has two or more), waits for its `ready PORT` line, runs the load generator (pinned
to another core) with the server's pid so that it can read /proc/PID, and stops the server.
Runs go round-robin (repeat → scenario → server) so that background noise is spread over
every server; the report takes the median of the runs that completed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

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
    "bcast": (
        "(d) Broadcast fan-out: one emit to 10k clients",
        ["--scenario", "bcast", "--clients", "10000", "--broadcasts", "10"],
        ["--scenario", "bcast", "--clients", "200", "--broadcasts", "3"],
    ),
    "stream": (
        "(h) Broadcast stream to 10k clients, 4 in flight (closed loop)",
        ["--scenario", "stream", "--clients", "10000", "--window", "4", "--duration", "5"],
        ["--scenario", "stream", "--clients", "200", "--window", "4", "--duration", "0.5"],
    ),
    "paced": (
        "(i) Paced broadcast stream: 20 broadcasts/s to 10k clients",
        ["--scenario", "paced", "--clients", "10000", "--rate", "20", "--duration", "5"],
        ["--scenario", "paced", "--clients", "200", "--rate", "20", "--duration", "0.5"],
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

# Scenarios that need a server option: the flag each server's contract takes for it. A
# server without one does not run the scenario (its row says n/a): socketioxide has no
# permessage-deflate (Totodore/socketioxide#761), nor have python-socketio on aiohttp and
# the baseline; the C and Python sio servers do not take the flag yet.
SERVER_FLAGS = {
    "deflate64k": {s: ["--per-message-deflate"] for s in ("sio", "sio-node", "sio-node-attached", "socket.io")},
}


def runs_scenario(server: str, scenario: str) -> bool:
    return scenario not in SERVER_FLAGS or server in SERVER_FLAGS[scenario]


def cpu_busy_total() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # without guest time, already counted in user
    return (total - idle) / 100.0, total / 100.0


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process (0 once it is gone)."""
    try:
        rest = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(rest[11]) + int(rest[12])) / 100.0
    except (OSError, IndexError, ValueError):
        return 0.0


def background_cores(seconds: float = 1.0) -> float:
    """How many cores the rest of the machine keeps busy (sampled over `seconds`)."""
    b0, _ = cpu_busy_total()
    time.sleep(seconds)
    b1, _ = cpu_busy_total()
    return (b1 - b0) / seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpus() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:
        return list(range(os.cpu_count() or 1))


class Runner:
    def __init__(self, a: argparse.Namespace):
        self.a = a
        self.quick = a.quick
        bins = Path(a.bin_dir)
        self.loadgen = bins / "loadgen"
        self.logs = BENCH / "build" / ("logs-quick" if a.quick else "logs")
        self.logs.mkdir(parents=True, exist_ok=True)
        avail = cpus()
        self.taskset = shutil.which("taskset") is not None and len(avail) >= 2
        self.server_cpu = avail[-1]
        self.loadgen_cpu = avail[0]
        node = shutil.which("node") or "node"
        self.commands = {
            "sio": ([str(bins / "sio-bench-server")], {}),
            "sio-c": ([str(BENCH / "build" / a.profile / "sio_c_server")], {}),
            "sio-node": ([node, str(BENCH / "servers" / "node_server.js"), "--impl", "sio"], {"NAPI_RS_NATIVE_LIBRARY_PATH": a.addon}),
            "sio-node-attached": (
                [node, str(BENCH / "servers" / "node_server.js"), "--impl", "sio-attached"],
                {"NAPI_RS_NATIVE_LIBRARY_PATH": a.addon},
            ),
            "sio-python": ([a.python, str(BENCH / "servers" / "sio_python_server.py")], {}),
            "socketioxide": ([a.socketioxide], {}) if a.socketioxide else None,
            "socket.io": ([node, str(BENCH / "servers" / "node_server.js"), "--impl", "socket.io"], {}),
            "python-socketio": ([a.python, str(BENCH / "servers" / "python_socketio_server.py")], {}),
            "baseline": ([str(bins / "ws-baseline")], {}),
        }

        for spec in a.extra:
            # --extra NAME=COMMAND: another build speaking the contract (e.g. a patched sio)
            name, _, command = spec.partition("=")
            SERVERS[name] = (name, "sio")
            self.commands[name] = (shlex.split(command), {})
            if name not in a.servers:
                a.servers.append(name)

    def pin(self, cpu: int) -> list[str]:
        return ["taskset", "-c", str(cpu)] if self.taskset else []

    def start(self, name: str, flags: list[str] = ()) -> tuple[subprocess.Popen, int]:
        cmd, extra_env = self.commands[name]
        cmd = [*cmd, *flags]
        port = free_port()
        env = dict(os.environ, **extra_env)
        log = open(self.logs / f"{name}.log", "ab")
        log.write(f"\n=== {dt.datetime.now().isoformat()} {' '.join(cmd)} --port {port}\n".encode())
        log.flush()
        p = subprocess.Popen(self.pin(self.server_cpu) + cmd + ["--port", str(port)], stdout=subprocess.PIPE, stderr=log, env=env)
        deadline = time.time() + 60
        line = b""
        assert p.stdout is not None
        while time.time() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            m = re.match(rb"ready (\d+)", line)
            if m:
                # Keep draining stdout so that a chatty server never blocks on a full pipe.
                threading.Thread(target=lambda: [log.write(chunk) for chunk in p.stdout], daemon=True).start()
                return p, int(m.group(1))
            log.write(line)
        self.stop(p)
        raise RuntimeError(f"{name} did not print 'ready PORT' (last line {line!r}); see {self.logs / (name + '.log')}")

    @staticmethod
    def stop(p: subprocess.Popen) -> None:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def wait_quiet(self) -> float:
        """Waits (up to --quiet-wait s) until other work on the machine uses less than
        --quiet-cores; returns what it last measured."""
        deadline = time.time() + self.a.quiet_wait
        bg = background_cores()
        while bg > self.a.quiet_cores and time.time() < deadline:
            time.sleep(4)
            bg = background_cores()
        return bg

    def measure(self, name: str, scenario: str) -> dict:
        _, full, quick = SCENARIOS[scenario]
        args = quick if self.quick else full
        cap = 90 if self.quick else 600
        bg_before = 0.0 if self.quick else self.wait_quiet()
        t0 = time.time()
        try:
            p, port = self.start(name, SERVER_FLAGS.get(scenario, {}).get(name, []))
        except Exception as e:  # noqa: BLE001 - reported as a failed run
            return {"ok": False, "failure": f"server did not start: {e}"}
        try:
            cmd = self.pin(self.loadgen_cpu) + [str(self.loadgen), "--port", str(port), "--pid", str(p.pid)] + args
            if self.quick:
                cmd += ["--timeout", "30"]
            server0, kids0, (busy0, _), w0 = proc_cpu(p.pid), resource.getrusage(resource.RUSAGE_CHILDREN), cpu_busy_total(), time.time()
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=cap)
            except subprocess.TimeoutExpired:
                return {"ok": False, "failure": f"no result within {cap} s (capped)"}
            kids1, (busy1, _), w1 = resource.getrusage(resource.RUSAGE_CHILDREN), cpu_busy_total(), time.time()
            loadgen_cpu = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
            # Everything the machine did meanwhile that was neither the server nor the generator.
            others = max(0.0, (busy1 - busy0) - (proc_cpu(p.pid) - server0) - loadgen_cpu) / max(w1 - w0, 1e-3)
            if p.poll() is not None:
                return {"ok": False, "failure": f"server exited with {p.returncode} during the run"}
            try:
                data = json.loads(out.stdout.strip().splitlines()[-1])
            except (json.JSONDecodeError, IndexError):
                return {"ok": False, "failure": f"loadgen exit {out.returncode}: {out.stderr.strip()[-300:]}"}
            data["wall"] = round(time.time() - t0, 1)
            data["background_cores"] = {"before": round(bg_before, 2), "during": round(others, 2)}
            if not data.get("ok"):
                data["failure"] = describe_failure(data)
            return data
        finally:
            self.stop(p)

    def run(self) -> list[dict]:
        servers = [s for s in self.a.servers if self.commands.get(s)]
        skipped = [s for s in self.a.servers if not self.commands.get(s)]
        if skipped:
            print(f"skipping (not built): {', '.join(skipped)}", flush=True)
        results = []
        for rep in range(self.a.repeats):
            for scenario in self.a.scenarios:
                for name in servers:
                    if not runs_scenario(name, scenario):
                        continue
                    r = self.measure(name, scenario)
                    r.update(server=name, scenario_key=scenario, repeat=rep + 1, loadavg=loadavg())
                    results.append(r)
                    status = "ok" if r.get("ok") else f"FAILED: {r.get('failure')}"
                    print(f"[{rep + 1}/{self.a.repeats}] {scenario:8} {name:16} {headline_text(scenario, r):>24}  {r.get('wall', '-')} s  {status}", flush=True)
        return results


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split(" ")[0]
    except OSError:
        return "?"


def describe_failure(d: dict) -> str:
    r = d.get("result", {})
    e = d.get("errors", {})
    parts = []
    if d.get("scenario") == "idle":
        steps = r.get("steps", [])
        if steps:
            last = steps[-1]
            parts.append(f"reached {last.get('connected')}/{last.get('clients')} clients")
    elif "connected" in r and r.get("connected", 0) < d.get("clients", 0):
        parts.append(f"reached {r['connected']}/{d['clients']} clients")
    if "joined" in r:
        parts.append(f"joined {r['joined']}/{d.get('clients')}")
    if "complete" in r:
        parts.append(f"{r['complete']}/{r.get('broadcasts')} broadcasts fully delivered, {r.get('missing')} deliveries missing")
    if d.get("error_count"):
        parts.append(f"{d['error_count']} errors ({'; '.join(e.get('samples', [])[:2])})")
    return ", ".join(parts) or "not ok"


# ---- metrics ---------------------------------------------------------------------------

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


def spread_ratio(d: dict):
    """How evenly an echo served its clients: the fewest round trips one client completed
    divided by the most (1.0: every client served alike)."""
    lo, hi = dig(d, "result", "per_client", "min"), dig(d, "result", "per_client", "max")
    return lo / hi if lo is not None and hi else None


# scenario -> list of (column title, extractor, format, higher_is_better); the first is the headline.
def kib(v):
    return None if v is None else v / 1024


METRICS = {
    "idle": [
        ("KiB per connection at the largest N", lambda d: kib(idle_step(d, -1, "per_conn_bytes")), "{:.1f}", False),
        ("KiB per connection at the first N", lambda d: kib(idle_step(d, 0, "per_conn_bytes")), "{:.1f}", False),
        ("idle server RSS (MiB)", lambda d: (dig(d, "result", "base_rss_kib") or 0) / 1024 or None, "{:.1f}", False),
        ("RSS at the largest N (MiB)", lambda d: (idle_step(d, -1, "rss_kib") or 0) / 1024 or None, "{:.0f}", False),
    ],
    "connect": [
        ("handshakes/s", lambda d: dig(d, "result", "handshakes_per_s"), "{:,.0f}", True),
        ("handshake p50 (ms)", lambda d: dig(d, "result", "handshake", "p50_ms"), "{:.1f}", False),
        ("handshake p99 (ms)", lambda d: dig(d, "result", "handshake", "p99_ms"), "{:.1f}", False),
        ("server CPU µs/handshake", lambda d: dig(d, "result", "cpu", "server_cpu_us_per_op"), "{:.0f}", False),
    ],
    "echo": [
        ("round trips/s", lambda d: dig(d, "result", "round_trips_per_s"), "{:,.0f}", True),
        ("p50 (ms)", lambda d: dig(d, "result", "rtt", "p50_ms"), "{:.2f}", False),
        ("p99 (ms)", lambda d: dig(d, "result", "rtt", "p99_ms"), "{:.2f}", False),
        ("server CPU µs/round trip", lambda d: dig(d, "result", "cpu", "server_cpu_us_per_op"), "{:.1f}", False),
        ("loadgen busy", lambda d: dig(d, "result", "cpu", "loadgen_busy"), "{:.0%}", False),
        ("fewest ÷ most round trips of one client", lambda d: spread_ratio(d), "{:.2f}", True),
    ],
    "bcast": [
        ("deliveries/s", lambda d: dig(d, "result", "deliveries_per_s"), "{:,.0f}", True),
        ("emit → last delivery (ms)", lambda d: dig(d, "result", "fanout_ms_median"), "{:.1f}", False),
        ("delivery p50 (ms)", lambda d: dig(d, "result", "delivery", "p50_ms"), "{:.1f}", False),
        ("delivery p99 (ms)", lambda d: dig(d, "result", "delivery", "p99_ms"), "{:.1f}", False),
        ("server CPU µs/delivery", lambda d: dig(d, "result", "cpu", "server_cpu_us_per_op"), "{:.2f}", False),
    ],
}
METRICS["stream"] = [
    ("deliveries/s", lambda d: dig(d, "result", "deliveries_per_s"), "{:,.0f}", True),
    ("deliveries out of order", lambda d: dig(d, "result", "reordered"), "{:,.0f}", False),
    ("delivery p50 (ms)", lambda d: dig(d, "result", "delivery", "p50_ms"), "{:.1f}", False),
    ("delivery p99 (ms)", lambda d: dig(d, "result", "delivery", "p99_ms"), "{:.1f}", False),
    ("server CPU µs/delivery", lambda d: dig(d, "result", "cpu", "server_cpu_us_per_op"), "{:.2f}", False),
]
METRICS["paced"] = [
    ("delivery p99 (ms)", lambda d: dig(d, "result", "delivery", "p99_ms"), "{:.1f}", False),
    ("delivery p50 (ms)", lambda d: dig(d, "result", "delivery", "p50_ms"), "{:.1f}", False),
    ("deliveries out of order", lambda d: dig(d, "result", "reordered"), "{:,.0f}", False),
    ("missing", lambda d: dig(d, "result", "missing"), "{:,.0f}", False),
    ("server CPU µs/delivery", lambda d: dig(d, "result", "cpu", "server_cpu_us_per_op"), "{:.2f}", False),
]
METRICS["deflate64k"] = [
    ("round trips/s", lambda d: dig(d, "result", "round_trips_per_s"), "{:,.0f}", True),
    ("JSON MB/s each way", lambda d: (dig(d, "result", "round_trips_per_s") or 0) * (d.get("json") or 0) / 1e6 or None, "{:.1f}", True),
    ("p50 (ms)", lambda d: dig(d, "result", "rtt", "p50_ms"), "{:.2f}", False),
    ("p99 (ms)", lambda d: dig(d, "result", "rtt", "p99_ms"), "{:.2f}", False),
    ("server CPU µs/round trip", lambda d: dig(d, "result", "cpu", "server_cpu_us_per_op"), "{:.1f}", False),
    ("loadgen busy", lambda d: dig(d, "result", "cpu", "loadgen_busy"), "{:.0%}", False),
]
METRICS["bin1k"] = METRICS["bin64k"] = [
    ("round trips/s", lambda d: dig(d, "result", "round_trips_per_s"), "{:,.0f}", True),
    ("MB/s each way", lambda d: (dig(d, "result", "round_trips_per_s") or 0) * (d.get("binary") or 0) / 1e6 or None, "{:.1f}", True),
    ("p50 (ms)", lambda d: dig(d, "result", "rtt", "p50_ms"), "{:.2f}", False),
    ("p99 (ms)", lambda d: dig(d, "result", "rtt", "p99_ms"), "{:.2f}", False),
    ("server CPU µs/round trip", lambda d: dig(d, "result", "cpu", "server_cpu_us_per_op"), "{:.1f}", False),
    ("loadgen busy", lambda d: dig(d, "result", "cpu", "loadgen_busy"), "{:.0%}", False),
]


def headline_text(scenario: str, r: dict) -> str:
    if not r.get("ok"):
        return "-"
    title, f, fmt, _ = METRICS[scenario][0]
    v = f(r)
    return "-" if v is None else f"{fmt.format(v)} {title.split(' (')[0]}"


def median_of(runs: list[dict], f):
    vals = [v for v in (f(r) for r in runs) if v is not None]
    return (statistics.median(vals), min(vals), max(vals), len(vals)) if vals else None


# ---- report -----------------------------------------------------------------------------

def sh(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def machine(a: argparse.Namespace) -> list[str]:
    cpu = "?"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = "?"
    try:
        kb = int(next(l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")))
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass

    def lock_version(lock: Path, crate: str) -> str:
        try:
            m = re.search(rf'name = "{re.escape(crate)}"\nversion = "([^"]+)"', lock.read_text())
            return m.group(1) if m else "?"
        except OSError:
            return "?"

    def npm_version(pkg: str) -> str:
        try:
            return json.loads((REPO / "tests" / "node_modules" / pkg / "package.json").read_text())["version"]
        except (OSError, KeyError, ValueError):
            return "?"

    pyv = sh([a.python, "-c", "import sys, importlib.metadata as m; print(sys.version.split()[0], m.version('python-socketio'), m.version('python-engineio'), m.version('aiohttp'))"]).split()
    pyv += ["?"] * (4 - len(pyv))
    dirty = sh(["git", "-C", str(REPO), "status", "--porcelain", "--", "core", "ffi", "bindings"])
    return [
        f"- Machine: {cpu}, {len(cpus())} cores, {mem} RAM, Linux {platform.release()}",
        "- Pinning: " + (f"server on CPU {cpus()[-1]}, load generator on CPU {cpus()[0]} (taskset)" if shutil.which("taskset") and len(cpus()) >= 2 else "none (fewer than 2 cores or no taskset)"),
        f"- sio: commit {sh(['git', '-C', str(REPO), 'rev-parse', '--short', 'HEAD'])}"
        + (f" with uncommitted changes in core/ffi/bindings ({len(dirty.splitlines())} files, other work in progress in the same tree)" if dirty else "")
        + f", {a.profile} build; {sh(['rustc', '--version'])}",
        f"- tokio-tungstenite {lock_version(REPO / 'Cargo.lock', 'tokio-tungstenite')} (sio, baseline and load generator)",
        f"- socketioxide {lock_version(BENCH / 'socketioxide' / 'Cargo.lock', 'socketioxide')} (release build, its own workspace)",
        f"- Node {sh(['node', '--version'])}: socket.io {npm_version('socket.io')} (engine.io {npm_version('engine.io')}, ws {npm_version('ws')})",
        f"- Python {pyv[0]}: python-socketio {pyv[1]}, python-engineio {pyv[2]}, aiohttp {pyv[3]}",
    ]


def fmt_cell(m, fmt: str, spread: bool = False) -> str:
    if m is None:
        return "—"
    med, lo, hi, n = m
    s = fmt.format(med)
    if spread and n > 1 and fmt.format(lo) != fmt.format(hi):
        s += f" ({fmt.format(lo)}–{fmt.format(hi)})"
    return s


def ratio(a, b) -> str:
    if not a or not b or not b[0]:
        return "—"
    r = a[0] / b[0]
    return f"{r:.2f}×" if r < 10 else f"{r:.1f}×" if r < 100 else f"{r:.0f}×"


def report(meta: dict, results: list[dict]) -> str:
    servers = [s for s in meta["servers"] if any(r["server"] == s for r in results)]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `bench/run.sh` on {meta['written']} "
        f"({meta['minutes']:.0f} min; {meta['repeats']} runs of every measurement, each on a fresh server process; "
        "figures are medians, with (min–max) for the headline figure). What each scenario does and how it is "
        "measured: [README.md](README.md); where sio's time goes: [PROFILE.md](PROFILE.md). "
        "Nothing here is edited by hand (`python3 bench/run.py --render bench/RESULTS.json` renders it again).",
        "",
        *meta["machine"],
        f"- Load average (1 min) before the run {meta['load_before']}, after {meta['load_after']}. The machine is shared: "
        f"before each measurement the runner waits (up to {meta['quiet_wait']:.0f} s) until other processes use less than "
        f"{meta['quiet_cores']} core, and the `other load` column gives the number of cores other processes kept "
        "busy during the measurements (machine CPU time minus the server's and the generator's), median and worst "
        "of the runs: a high worst with a low median means one run was disturbed and the median set it aside.",
        "",
    ]
    lines += summary_table(meta, results, servers)
    for scenario in meta["scenarios"]:
        title = SCENARIOS[scenario][0]
        metrics = METRICS[scenario]
        lines += [f"## {title}", ""]
        header = ["server", *[m[0] for m in metrics], "other load, median / max (cores)", "runs ok"]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        med = {}
        for s in servers:
            runs = [r for r in results if r["server"] == s and r["scenario_key"] == scenario]
            ok = [r for r in runs if r.get("ok")]
            med[s] = [median_of(ok, m[1]) for m in metrics]
            cells = [fmt_cell(med[s][i], m[2], spread=(i == 0)) for i, m in enumerate(metrics)]
            bg = [dig(r, "background_cores", "during") for r in runs if dig(r, "background_cores", "during") is not None]
            cells.append(f"{statistics.median(bg):.2f} / {max(bg):.2f}" if bg else "—")
            status = f"{len(ok)}/{len(runs)}"
            failures = sorted({r.get("failure", "") for r in runs if not r.get("ok")})
            if failures:
                status += ": " + "; ".join(failures)
            errs = sum(r.get("error_count", 0) for r in ok)
            if errs:
                status += f" ({errs} client errors in completed runs)"
            lines.append("| " + " | ".join([SERVERS[s][0], *cells, status]) + " |")
        # ratios of the headline figure: each sio flavour against each peer
        name, _, _, higher = metrics[0]
        sios = [s for s in servers if SERVERS[s][1] == "sio"]
        peers = [s for s in servers if SERVERS[s][1] == "peer"]
        if sios and peers:
            lines += [
                "",
                f"Ratio of {name} ({'higher' if higher else 'lower'} is better), row ÷ column, same run:",
                "",
                "| | " + " | ".join(SERVERS[p][0] for p in peers) + " |",
                "|---|" + "---|" * len(peers),
            ]
            for s in sios:
                lines.append("| " + SERVERS[s][0] + " | " + " | ".join("" if p == s else ratio(med[s][0], med[p][0]) for p in peers) + " |")
        if "sio-node" in servers and "sio-node-attached" in servers:
            lines += [
                "",
                f"Node addon attached to an http.Server ÷ on its own port, {name}: "
                + ratio(med["sio-node-attached"][0], med["sio-node"][0]) + " (same run).",
            ]
        lines.append("")
    if "echo" in meta["scenarios"]:
        lines += crossing_table(results, servers)
    return "\n".join(lines) + "\n"


def summary_table(meta: dict, results: list[dict], servers: list[str]) -> list[str]:
    """sio (Rust API) against every peer on the headline figure of every scenario."""
    if "sio" not in servers:
        return []
    peers = [s for s in servers if SERVERS[s][1] == "peer"]
    lines = [
        "## Summary: sio (Rust API) against each peer",
        "",
        "The headline figure of each scenario and the server's CPU time per operation (which the "
        "one-core load generator does not cap: see `loadgen busy` below); each peer's column is sio's "
        "figure ÷ the peer's, so above 1× is better for sio where higher is better, worse where lower is better.",
        "",
        "| scenario | figure | sio | " + " | ".join(SERVERS[p][0] for p in peers) + " |",
        "|---|---|---|" + "---|" * len(peers),
    ]
    for scenario in meta["scenarios"]:
        title = SCENARIOS[scenario][0].split(") ", 1)[-1]
        # The headline, and the server's CPU per operation, which the generator's own limit
        # does not cap (a fast server can saturate the one-core generator).
        picks = [0] + [i for i, m in enumerate(METRICS[scenario]) if m[0].startswith("server CPU")]
        for i in picks:
            name, f, fmt, higher = METRICS[scenario][i]
            ok = lambda s: [r for r in results if r["server"] == s and r["scenario_key"] == scenario and r.get("ok")]
            mine = median_of(ok("sio"), f)
            cells = [ratio(mine, median_of(ok(p), f)) for p in peers]
            lines.append(f"| {title if i == 0 else ''} | {name} ({'higher' if higher else 'lower'} is better) | {fmt_cell(mine, fmt)} | " + " | ".join(cells) + " |")
    return lines + [""]


def crossing_table(results: list[dict], servers: list[str]) -> list[str]:
    f_rate = METRICS["echo"][0][1]
    f_cpu = METRICS["echo"][3][1]
    rows = []
    base = None
    for s in ["sio", "sio-c", "sio-node", "sio-node-attached", "sio-python"]:
        if s not in servers:
            continue
        ok = [r for r in results if r["server"] == s and r["scenario_key"] == "echo" and r.get("ok")]
        rate, cpu = median_of(ok, f_rate), median_of(ok, f_cpu)
        if s == "sio":
            base = cpu
        extra = f"{cpu[0] - base[0]:+.1f}" if cpu and base and s != "sio" else "—"
        rows.append(f"| {SERVERS[s][0]} | {fmt_cell(rate, '{:,.0f}')} | {fmt_cell(cpu, '{:.1f}')} | {extra} |")
    if not rows:
        return []
    return [
        "## (f) Binding crossing cost: the echo of (c) with the handler in Rust, C, Node and Python",
        "",
        "Server CPU time per round trip (one event in, one ack out) measured from /proc over the timed window; "
        "the difference with the Rust handler is what crossing into the host language and back costs.",
        "",
        "| handler | round trips/s | server CPU µs/round trip | added µs vs Rust |",
        "|---|---|---|---|",
        *rows,
        "",
    ]


def print_attached_ratio(results: list[dict], scenarios: list[str]) -> None:
    """The Node addon attached to an http.Server against its own port, per scenario (quick
    mode writes no report: this is its one comparison)."""
    for scenario in scenarios:
        name, f, fmt, _ = METRICS[scenario][0]
        ok = lambda s: [r for r in results if r["server"] == s and r["scenario_key"] == scenario and r.get("ok")]
        own, attached = median_of(ok("sio-node"), f), median_of(ok("sio-node-attached"), f)
        if own and attached:
            print(f"  {scenario:8} {name}: attached {fmt.format(attached[0])}, own port {fmt.format(own[0])}, "
                  f"attached ÷ own port {ratio(attached, own)}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", default="target/release")
    ap.add_argument("--profile", default="release")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--addon", default="")
    ap.add_argument("--socketioxide", default="")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--servers", default=",".join(SERVERS))
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--out", default=str(BENCH / "RESULTS.md"))
    ap.add_argument("--render", metavar="RESULTS.json", help="only render the report of an earlier run (to --out)")
    ap.add_argument("--extra", action="append", default=[], metavar="NAME=COMMAND",
                    help="also run this server (a command that takes --port and speaks the contract), e.g. a patched build")
    ap.add_argument("--quiet-cores", type=float, default=0.3, help="wait before each run until other work uses fewer cores than this")
    ap.add_argument("--quiet-wait", type=float, default=60, help="but no longer than this many seconds")
    a = ap.parse_args()
    a.servers = [s for s in a.servers.split(",") if s]
    a.scenarios = [s for s in a.scenarios.split(",") if s]
    extra = {e.partition("=")[0] for e in a.extra}
    for s in a.servers:
        if s not in SERVERS and s not in extra:
            ap.error(f"unknown server {s} (known: {', '.join(SERVERS)})")
    for s in a.scenarios:
        if s not in SCENARIOS:
            ap.error(f"unknown scenario {s} (known: {', '.join(SCENARIOS)})")
    if a.render:
        saved = json.loads(Path(a.render).read_text())
        for name in saved["meta"].get("extra", {}):
            SERVERS.setdefault(name, (name, "sio"))
        Path(a.out).write_text(report(saved["meta"], saved["runs"]))
        print(f"wrote {a.out}")
        return 0
    if a.repeats is None:
        a.repeats = 1 if a.quick else 3
    started, load_before = time.time(), loadavg()
    runner = Runner(a)
    results = runner.run()
    meta = {
        "written": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "minutes": (time.time() - started) / 60,
        "repeats": a.repeats,
        "machine": machine(a),
        "load_before": load_before,
        "load_after": loadavg(),
        "quiet_wait": a.quiet_wait,
        "quiet_cores": a.quiet_cores,
        "servers": a.servers,
        "scenarios": a.scenarios,
        "extra": {e.partition("=")[0]: e.partition("=")[2] for e in a.extra},
    }
    raw = BENCH / "build" / ("results-quick.json" if a.quick else "results.json")
    raw.write_text(json.dumps({"meta": meta, "runs": results}, indent=1))
    failed = [r for r in results if not r.get("ok")]
    if a.quick:
        # CI: only that every server completed every scenario.
        ran = {r["server"] for r in results}
        for r in failed:
            print(f"FAILED {r['server']} {r['scenario_key']}: {r.get('failure')}", file=sys.stderr)
        print(f"quick bench: {len(results) - len(failed)}/{len(results)} runs completed, servers: {', '.join(sorted(ran))}")
        print_attached_ratio(results, a.scenarios)
        return 1 if failed else 0
    out = Path(a.out)
    out.write_text(report(meta, results))
    shutil.copy(raw, out.with_suffix(".json"))
    print(f"wrote {out} and {out.with_suffix('.json')} ({len(failed)} failed runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
