"""Scenario (l) `idle-50k`: the idle memory of (a) at 50,000 WebSocket connections, spread over
5 server processes of the same kind, each filled by a load generator of its own (run.py's
Runner calls `measure`; scenarios.py has its arguments and metrics, render.py its section).

One process can hold at most 20,000 sockets on the bench machine (the hard open-file limit,
which root cannot raise there), so neither one server nor one generator can hold 50k. The 5
servers are pinned to the server's core and the 5 generators to the generator's, as in (a);
the generators run at the same time, each `loadgen --scenario idle` against its own server,
and a sampler in the runner counts the sockets every server holds (its open descriptors
beyond the ones it had when ready), so the report says how many were held at once.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import threading
import time
from pathlib import Path

# scenario -> number of (server process, load generator) pairs.
SPREAD = {"idle-50k": 5}
# The servers it runs on: sio's Rust API against the bare baseline (the floor of the stack).
SPREAD_SERVERS = ("sio", "baseline")
# Descriptors a server or a generator needs beyond its clients (listener, epoll, stdio, ...).
FD_MARGIN = 100
# How often the sampler counts the servers' sockets (quick, full).
SAMPLE_S = {True: 0.05, False: 0.25}


def fd_count(pid: int) -> int | None:
    """Open descriptors of a process: the size of /proc/PID/fd (Linux 6.2+), else a listing."""
    try:
        n = os.stat(f"/proc/{pid}/fd").st_size
        return n if n > 0 else len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def raise_fd_limit(need: int) -> str | None:
    """Raises this process's soft open-file limit (inherited by the servers and generators it
    starts) to the hard one when it is below `need`; says why not when even that is too low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < need:
        return f"open-file limit {soft} (hard {hard}) per process is below the {need} each server and generator needs"
    return None


class Sampler(threading.Thread):
    """Polls the servers: the sockets they hold together (descriptors beyond their count when
    ready) and, at the largest count seen, their RSS added up."""

    def __init__(self, pids: list[int], interval: float):
        super().__init__(daemon=True)
        self.pids, self.interval = pids, interval
        self.base = {p: fd_count(p) or 0 for p in pids}
        self.peak_held, self.peak_rss_kib = 0, None
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            held = sum(max(0, (fd_count(p) or 0) - self.base[p]) for p in self.pids)
            if held > self.peak_held:
                rss = [rss_kib(p) for p in self.pids]
                self.peak_held, self.peak_rss_kib = held, (sum(rss) if None not in rss else None)

    def stop(self) -> None:
        self.done.set()
        self.join()


def last_step(d: dict, key: str):
    steps = (d.get("result") or {}).get("steps") or []
    return steps[-1].get(key) if steps else None


def generator_failure(d: dict) -> str:
    """Why a generator did not complete."""
    if "failure" in d:
        return d["failure"]
    parts = [f"reached {last_step(d, 'connected')}/{d.get('clients')} clients"]
    if d.get("error_count"):
        samples = (d.get("errors") or {}).get("samples") or []
        parts.append(f"{d['error_count']} errors ({'; '.join(dict.fromkeys(samples[:3]))})")
    return ", ".join(parts)


def failure_text(gens: list[dict], exited: list[int]) -> str:
    """The row's status when a run did not complete: each reason once, with the generators
    (numbered from 1) it applies to."""
    by_reason: dict[str, list[int]] = {}
    for i, g in enumerate(gens):
        if not g.get("ok"):
            by_reason.setdefault(generator_failure(g), []).append(i + 1)
    reasons = [f"server {i} exited during the run" for i in exited]
    reasons += [f"generator{'s' if len(ix) > 1 else ''} {', '.join(map(str, ix))}: {why}" for why, ix in by_reason.items()]
    return "; ".join(reasons)


def totals(gens: list[dict]) -> dict:
    """The figures over every process: clients, RSS before and at the largest step, growth,
    bytes per connection; the per-process ones for the min–max."""
    connected = sum(last_step(g, "connected") or 0 for g in gens)
    base = [(g.get("result") or {}).get("base_rss_kib") for g in gens]
    rss = [last_step(g, "rss_kib") for g in gens]
    complete = None not in base and None not in rss
    growth = sum(r - b for b, r in zip(base, rss)) if complete else None
    return {
        "connected": connected,
        "base_rss_kib": sum(base) if None not in base else None,
        "rss_kib": sum(rss) if None not in rss else None,
        "growth_kib": growth,
        "per_conn_bytes": round(growth * 1024 / connected) if growth is not None and connected else None,
        "per_process_per_conn_bytes": [last_step(g, "per_conn_bytes") for g in gens],
        "per_process_growth_kib": [r - b if r is not None and b is not None else None for b, r in zip(base, rss)],
        "connect_s_max": max((last_step(g, "connect_s") or 0 for g in gens), default=None),
    }


def measure(runner, name: str, scenario: str, args: list[str], cpu_busy_total, proc_cpu) -> dict:
    """Starts the servers (pinned to the server's core), runs one generator per server at the
    same time (pinned to the generator's core) and adds up what they report. `cpu_busy_total`
    and `proc_cpu` are run.py's /proc readers (for the `other load` column)."""
    n = SPREAD[scenario]
    per_process = int(args[args.index("--steps") + 1].split(",")[-1])
    why = raise_fd_limit(per_process + FD_MARGIN)
    if why:
        return {"ok": False, "failure": why}
    cap = 90 if runner.quick else 600
    servers: list[tuple[subprocess.Popen, int]] = []
    try:
        for _ in range(n):
            try:
                servers.append(runner.start(name, [], runner.server_cpu))
            except Exception as e:  # noqa: BLE001 - reported as a failed run
                return {"ok": False, "failure": f"server {len(servers) + 1} of {n} did not start: {e}"}
        pids = [p.pid for p, _ in servers]
        sampler = Sampler(pids, SAMPLE_S[runner.quick])
        cpu0, self0, kids0 = {q: proc_cpu(q) for q in pids}, resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        (busy0, _), w0 = cpu_busy_total(), time.time()
        sampler.start()
        procs: list[subprocess.Popen] = []
        try:
            for p, port in servers:
                procs.append(subprocess.Popen(
                    runner.pin(runner.loadgen_cpu) + [str(runner.loadgen), "--port", str(port), "--pid", str(p.pid), *args],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        except OSError as e:
            sampler.stop()
            for q in procs:
                q.kill()
                q.wait()
            return {"ok": False, "failure": f"generator {len(procs) + 1} of {n} did not start: {e}"}
        gens = []
        deadline = time.time() + cap
        for q in procs:
            try:
                out, err = q.communicate(timeout=max(1.0, deadline - time.time()))
            except subprocess.TimeoutExpired:
                q.kill()
                out, err = q.communicate()
                gens.append({"ok": False, "failure": f"no result within {cap} s (capped)"})
                continue
            try:
                gens.append(json.loads(out.strip().splitlines()[-1]))
            except (json.JSONDecodeError, IndexError):
                gens.append({"ok": False, "failure": f"loadgen exit {q.returncode}: {err.strip()[-300:]}"})
        sampler.stop()
        cpu1, self1, kids1 = {q: proc_cpu(q) for q in pids}, resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        (busy1, _), w1 = cpu_busy_total(), time.time()
        exited = [i + 1 for i, (p, _) in enumerate(servers) if p.poll() is not None]
    finally:
        for p, _ in servers:
            runner.stop(p)
    mine = sum(cpu1[q] - cpu0[q] for q in pids) + sum(
        (b.ru_utime + b.ru_stime) - (a.ru_utime + a.ru_stime) for a, b in ((kids0, kids1), (self0, self1)))
    others = max(0.0, (busy1 - busy0) - mine) / max(w1 - w0, 1e-3)
    data = {
        "ok": all(g.get("ok") for g in gens) and not exited,
        "scenario": scenario,
        "processes": n,
        "clients": per_process * n,
        "settle_s": float(args[args.index("--settle") + 1]) if "--settle" in args else None,
        "sample_s": SAMPLE_S[runner.quick],
        "error_count": sum(g.get("error_count", 0) for g in gens),
        "result": {**totals(gens), "peak_held": sampler.peak_held, "peak_rss_kib": sampler.peak_rss_kib,
                   "server_cpu_s": round(sum(cpu1[q] - cpu0[q] for q in pids), 2), "generators": gens},
        "background_cores": {"during": round(others, 2)},
    }
    if not data["ok"]:
        data["failure"] = f"{data['result']['connected']}/{data['clients']} clients connected; " + failure_text(gens, exited)
    return data


def print_quick(results: list[dict], scenarios: list[str]) -> None:
    """(l) in a line per server (quick mode writes no report)."""
    for scenario in scenarios:
        if scenario not in SPREAD:
            continue
        for r in results:
            if r["scenario_key"] != scenario or not r.get("ok"):
                continue
            d = r["result"]
            per = [v / 1024 for v in d["per_process_per_conn_bytes"] if v is not None]
            print(f"  {scenario:13} {r['server']:12} {d['connected']:,}/{r['clients']:,} clients over {r['processes']} processes "
                  f"(at once: {d['peak_held']:,}): {d['per_conn_bytes'] / 1024:.1f} KiB/conn "
                  f"(processes {min(per):.1f}–{max(per):.1f}), RSS growth {d['growth_kib'] / 1024:.1f} MiB")
