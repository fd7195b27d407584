"""Runs every bench server under the same load and writes the report (driven by bench/run.sh,
which builds everything first; see bench/README.md).

    python3 bench/run.py --bin-dir target/release --python PY --addon FILE [--socketioxide BIN]
                         [--quick] [--repeats 3] [--servers a,b] [--scenarios a,b] [--out bench/RESULTS.md]

Each measurement starts a fresh server process (pinned to one core with taskset when the
machine has two or more), waits for its `ready PORT` line, runs the load generator (pinned
to another core) with the server's pid so that it can read /proc/PID, and stops the server.
The two-core scenarios (`*-2c`) pin neither; the cluster one (`cluster-bcast`) starts a
redis-server and two server nodes sharing it (nodes on the server's core, Redis with the
generator), and the generator spreads its clients over both nodes; `idle-50k` starts 5 servers
and 5 generators, one per server (bench/idle50k.py).
Runs go round-robin (repeat → scenario → server) so that background noise is spread over
every server; the report takes the median of the runs that completed. Within a scenario
each sio face runs right next to what the issues compare it with (RUN_ORDER: the Rust API
beside the C face, socketioxide and the bare baseline, the Node addon beside socket.io, the
Python binding beside python-socketio): this machine's speed drifts by up to 1.3× within
minutes, and a ratio of two runs a minute apart drifts less than one of runs five apart.
"""
from __future__ import annotations

import argparse
import contextlib
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
import subprocess
import sys
import threading
import time
from pathlib import Path

import idle50k
from idle50k import SPREAD
from render import print_attached_ratio, print_scaling, report
from scenarios import (
    BENCH,
    CLUSTER,
    REPO,
    SCENARIOS,
    SERVER_FLAGS,
    SERVERS,
    TWO_CORES,
    headline_text,
    runs_scenario,
)

# The cluster scenario's row when the machine has no Redis (run.sh says how to install it).
REDIS_MISSING = "n/a: redis-server not installed"


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


def redis_command(port: int, *args: str) -> bytes:
    """One command to the Redis at 127.0.0.1:port; its reply (an integer, a status or a bulk
    string's content), undecoded."""
    request = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(request)
        reply = b""
        while b"\r\n" not in reply:
            reply += s.recv(4096) or b"\r\n"
        head, _, rest = reply.partition(b"\r\n")
        if not head.startswith(b"$"):
            return head[1:]
        size = int(head[1:])
        while len(rest) < size:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        return rest[:size]


def wait_subscribed(port: int, nodes: int, timeout: float = 15) -> None:
    """Waits until `nodes` servers hold a pattern subscription (both adapters PSUBSCRIBE
    `socket.io#/#*` for the broadcasts once the namespace exists), so that no broadcast is lost."""
    deadline, n = time.time() + timeout, 0
    while time.time() < deadline:
        clients = redis_command(port, "CLIENT", "LIST").decode(errors="replace").splitlines()
        n = sum(1 for c in clients if re.search(r"\bpsub=[1-9]", c))
        if n >= nodes:
            return
        time.sleep(0.05)
    raise RuntimeError(f"the nodes did not subscribe to Redis within {timeout:.0f} s ({n} of {nodes} pattern subscribers)")


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

    def start(self, name: str, flags: list[str] = (), cpu: int | None = None) -> tuple[subprocess.Popen, int]:
        """Starts server `name` (pinned to `cpu` unless None) and waits for `ready PORT`."""
        cmd, extra_env = self.commands[name]
        cmd = [*cmd, *flags]
        port = free_port()
        env = dict(os.environ, **extra_env)
        log = open(self.logs / f"{name}.log", "ab")
        log.write(f"\n=== {dt.datetime.now().isoformat()} {' '.join(cmd)} --port {port}\n".encode())
        log.flush()
        pin = [] if cpu is None else self.pin(cpu)
        p = subprocess.Popen(pin + cmd + ["--port", str(port)], stdout=subprocess.PIPE, stderr=log, env=env)
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

    def start_redis(self, stack: contextlib.ExitStack) -> tuple[subprocess.Popen, int]:
        """A redis-server of its own (a free port, no persistence) on the generator's core,
        stopped with `stack`, and its port."""
        port = free_port()
        log = open(self.logs / "redis.log", "ab")
        cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        log.write(f"\n=== {dt.datetime.now().isoformat()} {' '.join(cmd)}\n".encode())
        log.flush()
        p = subprocess.Popen(self.pin(self.loadgen_cpu) + cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        stack.callback(self.stop, p)
        assert p.stdout is not None
        deadline = time.time() + 20
        while time.time() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            log.write(line)
            if b"Ready to accept connections" in line:
                threading.Thread(target=lambda: [log.write(chunk) for chunk in p.stdout], daemon=True).start()
                return p, port
        raise RuntimeError(f"redis-server did not start; see {self.logs / 'redis.log'}")

    def start_servers(self, name: str, scenario: str, stack: contextlib.ExitStack) -> tuple[list[tuple[subprocess.Popen, int]], dict[str, int]]:
        """The server processes of a measurement, each stopped with `stack`, and the pids
        of the helpers whose CPU time is read too (Redis)."""
        flags = SERVER_FLAGS.get(scenario, {}).get(name, [])

        def start(flags: list[str], cpu: int | None) -> tuple[subprocess.Popen, int]:
            p, port = self.start(name, flags, cpu)
            stack.callback(self.stop, p)
            return p, port

        if scenario in TWO_CORES:
            return [start(flags, None)], {}
        if scenario not in CLUSTER:
            return [start(flags, self.server_cpu)], {}
        redis, redis_port = self.start_redis(stack)
        nodes = [start([*flags, "--redis", f"redis://127.0.0.1:{redis_port}"], self.server_cpu) for _ in range(2)]
        wait_subscribed(redis_port, len(nodes))
        return nodes, {"redis": redis.pid}

    def measure(self, name: str, scenario: str) -> dict:
        _, full, quick = SCENARIOS[scenario]
        args = quick + ["--timeout", "30"] if self.quick else full
        if scenario in CLUSTER and not shutil.which("redis-server"):
            return {"ok": False, "na": REDIS_MISSING}
        bg_before = 0.0 if self.quick else self.wait_quiet()
        t0 = time.time()
        if scenario in SPREAD:
            # (l): several servers, each with a generator of its own (bench/idle50k.py).
            data = idle50k.measure(self, name, scenario, args, cpu_busy_total, proc_cpu)
            data.update(wall=round(time.time() - t0, 1))
            data["background_cores"] = {"before": round(bg_before, 2), **data.get("background_cores", {})}
            return data
        with contextlib.ExitStack() as stack:
            try:
                servers, helpers = self.start_servers(name, scenario, stack)
            except Exception as e:  # noqa: BLE001 - reported as a failed run
                return {"ok": False, "failure": f"server did not start: {e}"}
            data = self.drive(servers, helpers, args, None if scenario in TWO_CORES else self.loadgen_cpu)
        if "failure" in data:
            return data
        data["wall"] = round(time.time() - t0, 1)
        data["background_cores"] = {"before": round(bg_before, 2), **data["background_cores"]}
        if not data.get("ok"):
            data["failure"] = describe_failure(data)
        return data

    def drive(self, servers: list[tuple[subprocess.Popen, int]], helpers: dict[str, int], args: list[str], cpu: int | None) -> dict:
        """Runs the load generator (pinned to `cpu` unless None) against `servers` (several:
        the nodes of a cluster, the clients spread over them) and returns what it printed,
        with the CPU time of each helper (`<name>_cpu_s`) and of the rest of the machine."""
        cap = 90 if self.quick else 600
        ports = ",".join(str(port) for _, port in servers)
        pids = [p.pid for p, _ in servers]
        cmd = ([] if cpu is None else self.pin(cpu)) + [str(self.loadgen), "--port", ports, "--pid", ",".join(map(str, pids))] + args
        watched = [*pids, *helpers.values()]
        cpu0, kids0, (busy0, _), w0 = {q: proc_cpu(q) for q in watched}, resource.getrusage(resource.RUSAGE_CHILDREN), cpu_busy_total(), time.time()
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=cap)
        except subprocess.TimeoutExpired:
            return {"ok": False, "failure": f"no result within {cap} s (capped)"}
        cpu1, kids1, (busy1, _), w1 = {q: proc_cpu(q) for q in watched}, resource.getrusage(resource.RUSAGE_CHILDREN), cpu_busy_total(), time.time()
        loadgen_cpu = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
        # Everything the machine did meanwhile that was neither a server, a helper nor the generator.
        others = max(0.0, (busy1 - busy0) - sum(cpu1[q] - cpu0[q] for q in watched) - loadgen_cpu) / max(w1 - w0, 1e-3)
        for p, _ in servers:
            if p.poll() is not None:
                return {"ok": False, "failure": f"server exited with {p.returncode} during the run"}
        try:
            data = json.loads(out.stdout.strip().splitlines()[-1])
        except (json.JSONDecodeError, IndexError):
            return {"ok": False, "failure": f"loadgen exit {out.returncode}: {out.stderr.strip()[-300:]}"}
        for helper, q in helpers.items():
            data[f"{helper}_cpu_s"] = round(cpu1[q] - cpu0[q], 2)
        data["background_cores"] = {"during": round(others, 2)}
        return data

    def run(self) -> list[dict]:
        servers = sorted((s for s in self.a.servers if self.commands.get(s)), key=run_rank)
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
                    status = "ok" if r.get("ok") else r["na"] if r.get("na") else f"FAILED: {r.get('failure')}"
                    print(f"[{rep + 1}/{self.a.repeats}] {scenario:13} {name:16} {headline_text(scenario, r):>24}  {r.get('wall', '-')} s  {status}", flush=True)
        return results


# The order of a scenario's runs: each face beside what it is compared with (see above).
RUN_ORDER = ["sio-c", "sio", "socketioxide", "baseline", "sio-node", "socket.io", "sio-node-attached",
             "python-socketio", "sio-python"]


def run_rank(name: str) -> int:
    """Where server `name` runs within a scenario (servers given with --extra run last)."""
    return RUN_ORDER.index(name) if name in RUN_ORDER else len(RUN_ORDER)


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
        "- Pinning: " + (
            f"server on CPU {cpus()[-1]}, load generator on CPU {cpus()[0]} (taskset); in (h) none, in (i) both nodes on "
            f"CPU {cpus()[-1]}, the generator and Redis on CPU {cpus()[0]}"
            if shutil.which("taskset") and len(cpus()) >= 2 else "none (fewer than 2 cores or no taskset)"
        ),
        f"- sio: commit {sh(['git', '-C', str(REPO), 'rev-parse', '--short', 'HEAD'])}"
        + (f" with uncommitted changes in core/ffi/bindings ({len(dirty.splitlines())} files, other work in progress in the same tree)" if dirty else "")
        + f", {a.profile} build; {sh(['rustc', '--version'])}",
        f"- tokio-tungstenite {lock_version(REPO / 'Cargo.lock', 'tokio-tungstenite')} (sio, baseline and load generator)",
        f"- socketioxide {lock_version(BENCH / 'socketioxide' / 'Cargo.lock', 'socketioxide')} (release build, its own workspace)",
        f"- Node {sh(['node', '--version'])}: socket.io {npm_version('socket.io')} (engine.io {npm_version('engine.io')}, ws {npm_version('ws')})",
        f"- Python {pyv[0]}: python-socketio {pyv[1]}, python-engineio {pyv[2]}, aiohttp {pyv[3]}",
    ]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", default="target/release")
    ap.add_argument("--profile", default="release")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--addon", default="")
    ap.add_argument("--socketioxide", default="")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--servers", default=",".join(SERVERS), help="comma-separated, of: %(default)s")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS),
                    help="comma-separated, of: %(default)s (a *-2c one brings its pinned one along; "
                    "cluster-bcast needs redis-server)")
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
    # A two-core scenario is compared with the pinned one of the same run: run that too.
    for s in list(a.scenarios):
        base = TWO_CORES.get(s)
        if base and base not in a.scenarios:
            a.scenarios.insert(a.scenarios.index(s), base)
            print(f"{s}: running {base} too (the pinned figure it is compared with)")
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
        # Where the servers and the generator ran (the report states it for (h) and (i)).
        "pinning": {"taskset": runner.taskset, "server_cpu": runner.server_cpu, "loadgen_cpu": runner.loadgen_cpu, "cores": len(cpus())},
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
    # Runs the machine could not do (no redis-server) are n/a rows, not failures.
    failed = [r for r in results if not r.get("ok") and not r.get("na")]
    if a.quick:
        # CI: only that every server completed every scenario.
        ran = {r["server"] for r in results}
        for r in failed:
            print(f"FAILED {r['server']} {r['scenario_key']}: {r.get('failure')}", file=sys.stderr)
        na = sorted({f"{r['scenario_key']} ({r['na']})" for r in results if r.get("na")})
        done, tried = sum(1 for r in results if r.get("ok")), sum(1 for r in results if not r.get("na"))
        print(f"quick bench: {done}/{tried} runs completed, servers: {', '.join(sorted(ran))}"
              + (f"; not run: {', '.join(na)}" if na else ""))
        print_attached_ratio(results, a.scenarios)
        print_scaling(results, a.scenarios)
        idle50k.print_quick(results, a.scenarios)
        return 1 if failed else 0
    out = Path(a.out)
    out.write_text(report(meta, results))
    shutil.copy(raw, out.with_suffix(".json"))
    print(f"wrote {out} and {out.with_suffix('.json')} ({len(failed)} failed runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
