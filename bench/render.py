"""Writes RESULTS.md from the runs (run.py calls it at the end of a run; `python3 bench/run.py
--render bench/RESULTS.json` calls it on an earlier run's JSON)."""
from __future__ import annotations

import statistics

from idle50k import SPREAD
from scenarios import (
    CLUSTER,
    METRICS,
    SCENARIOS,
    SERVERS,
    TWO_CORES,
    dig,
    loadgen_cores,
    median_of,
    runs_scenario,
    server_cores,
)


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
        if scenario in TWO_CORES:
            lines += scaling_section(meta, results, servers, scenario)
        elif scenario in CLUSTER:
            lines += cluster_section(meta, results, servers, scenario)
        elif scenario in SPREAD:
            lines += spread_section(meta, results, servers, scenario)
        else:
            lines += scenario_section(results, servers, scenario)
    if "echo" in meta["scenarios"]:
        lines += crossing_table(results, servers)
    return "\n".join(lines) + "\n"


def runs_of(results: list[dict], server: str, scenario: str, ok: bool = False) -> list[dict]:
    """The runs of `server` in `scenario` (only the completed ones with `ok`)."""
    return [r for r in results if r["server"] == server and r["scenario_key"] == scenario and (r.get("ok") or not ok)]


def other_load_cell(runs: list[dict]) -> str:
    bg = [dig(r, "background_cores", "during") for r in runs if dig(r, "background_cores", "during") is not None]
    return f"{statistics.median(bg):.2f} / {max(bg):.2f}" if bg else "—"


def status_cell(runs: list[dict]) -> str:
    """`completed/runs`, why the others failed, and client errors in completed runs; the
    reason alone for runs the machine could not do (n/a)."""
    na = sorted({r["na"] for r in runs if r.get("na")})
    if na and all(r.get("na") for r in runs):
        return "; ".join(na)
    ok = [r for r in runs if r.get("ok")]
    status = f"{len(ok)}/{len(runs)}"
    failures = sorted({r.get("failure", "") for r in runs if not r.get("ok")})
    if failures:
        status += ": " + "; ".join(failures)
    errs = sum(r.get("error_count", 0) for r in ok)
    if errs:
        status += f" ({errs} client errors in completed runs)"
    return status


def table(results: list[dict], servers: list[str], scenario: str) -> tuple[list[str], dict]:
    """A scenario's table (a row per server, a column per metric, other load, runs) and the
    medians of every server's metrics."""
    metrics = METRICS[scenario]
    header = ["server", *[m[0] for m in metrics], "other load, median / max (cores)", "runs ok"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    med = {}
    for s in servers:
        runs = runs_of(results, s, scenario)
        ok = [r for r in runs if r.get("ok")]
        med[s] = [median_of(ok, m[1]) for m in metrics]
        cells = [fmt_cell(med[s][i], m[2], spread=(i == 0)) for i, m in enumerate(metrics)]
        lines.append("| " + " | ".join([SERVERS[s][0], *cells, other_load_cell(runs), status_cell(runs)]) + " |")
    return lines, med


def ratio_table(servers: list[str], scenario: str, med: dict) -> list[str]:
    """The headline figure of each sio flavour ÷ each peer's."""
    name, _, _, higher = METRICS[scenario][0]
    sios = [s for s in servers if SERVERS[s][1] == "sio"]
    peers = [s for s in servers if SERVERS[s][1] == "peer"]
    if not sios or not peers:
        return []
    lines = [
        "",
        f"Ratio of {name} ({'higher' if higher else 'lower'} is better), row ÷ column, same run:",
        "",
        "| | " + " | ".join(SERVERS[p][0] for p in peers) + " |",
        "|---|" + "---|" * len(peers),
    ]
    for s in sios:
        lines.append("| " + SERVERS[s][0] + " | " + " | ".join("" if p == s else ratio(med[s][0], med[p][0]) for p in peers) + " |")
    return lines


def scenario_section(results: list[dict], servers: list[str], scenario: str) -> list[str]:
    """A scenario's section: its table and the ratios of its headline figure."""
    name = METRICS[scenario][0][0]
    lines, med = table(results, servers, scenario)
    note = NOTES[scenario](results, servers) if scenario in NOTES else []
    lines = [f"## {SCENARIOS[scenario][0]}", "", *lines, *note, *ratio_table(servers, scenario, med)]
    if "sio-node" in servers and "sio-node-attached" in servers:
        lines += [
            "",
            f"Node addon attached to an http.Server ÷ on its own port, {name}: "
            + ratio(med["sio-node-attached"][0], med["sio-node"][0]) + " (same run).",
        ]
    return lines + [""]


def paced_echo_note(results: list[dict], servers: list[str]) -> list[str]:
    """(c2): what the paced echo measures, and why (c)'s latency does not (Little's law),
    with (c)'s own figures when it ran."""
    run = next((r for r in results if r["scenario_key"] == "echo-paced" and r.get("ok")), {})
    clients = run.get("clients") or 1000
    offered = dig(run, "result", "offered_per_s") or 20000
    lines = [
        "",
        f"Latency at a fixed load, measured from each echo's scheduled time: each of the {clients:,} clients sends one "
        f"echo every {clients / offered * 1000:g} ms ({offered:,.0f} round trips/s offered in all), their phases spread "
        "over the interval, at most one in flight; an echo whose time comes while the previous ack is pending goes out "
        "when that ack arrives (`late sends`) and its round trip counts from its scheduled time, so a server that falls "
        "behind shows it in the latency (no coordinated omission) and in `round trips/s achieved` below `offered`. "
        "(The generator's timers tick per millisecond: a send its timer makes counts from when the timer woke, "
        "RESULTS.json keeps that lag as `timer_lag`.) The latency of (c) says nothing of this: in a closed loop each "
        "client sends when its ack arrives, so by Little's law its mean round trip is clients ÷ throughput",
    ]
    echo = next((s for s in servers if runs_of(results, s, "echo", ok=True)), None)
    if echo:
        ok = runs_of(results, echo, "echo", ok=True)
        rate, mean = median_of(ok, METRICS["echo"][0][1]), median_of(ok, lambda d: dig(d, "result", "rtt", "mean_ms"))
        n = ok[0].get("clients") or 1000
        if rate and mean:
            lines[-1] += (f" ({SERVERS[echo][0]}: {n:,} ÷ {rate[0]:,.0f}/s = {n / rate[0] * 1000:.2f} ms, and (c) "
                          f"measured a mean of {mean[0]:.2f} ms)")
    lines[-1] += ": it restates the throughput."
    return lines


# scenario -> the lines under its table (what it measures, where the table alone does not say).
NOTES = {"echo-paced": paced_echo_note}


# ---- (h) two cores and (i) the cluster ----------------------------------------------------

# What the figure of each pinned scenario is measured over (the `server cores` divisor).
WINDOWS = {
    "connect": "from the first connect to the last handshake",
    "echo": "the timed window",
    "bcast": "the fan-outs (emit → last delivery) added up, without the pauses between broadcasts",
}


def per_core(d: dict, f):
    """A run's figure ÷ the cores its server used."""
    v, c = f(d), server_cores(d)
    return v / c if v is not None and c else None


def pinning_text(meta: dict) -> tuple[str, str]:
    """The server's and the generator's CPU in the pinned scenarios (older runs did not say)."""
    pin = meta.get("pinning") or {}
    return f"CPU {pin.get('server_cpu', 1)}", f"CPU {pin.get('loadgen_cpu', 0)}"


def scaling_section(meta: dict, results: list[dict], servers: list[str], scenario: str) -> list[str]:
    """(h): the figure on two cores against the same server's pinned figure of the same run."""
    base = TWO_CORES[scenario]
    name, f, fmt, _ = METRICS[scenario][0]
    cpu_name, f_cpu, cpu_fmt, _ = next(m for m in METRICS[scenario] if m[0].startswith("server CPU"))
    lat = [m for m in METRICS[scenario] if "p50" in m[0] or "p99" in m[0]][:2]
    cores = (meta.get("pinning") or {}).get("cores", 2)
    server_cpu, loadgen_cpu = pinning_text(meta)
    letter = SCENARIOS[base][0].split(" ", 1)[0]
    lines = [f"## {SCENARIOS[scenario][0]}", ""]
    if scenario == next(s for s in meta["scenarios"] if s in TWO_CORES):
        # The first (h) section says what the columns mean; the others refer to it.
        lines += [
            f"The scenario of {letter} with neither the server nor the load generator pinned: a multi-threaded server "
            "(the tokio runtime of sio, socketioxide and the baseline, and sio's under its C, Node and Python faces: "
            f"one worker per core) may use all {cores} cores, and the generator (one thread) shares them, so the "
            f"server's cores and the generator's add up to at most {cores}. In the pinned runs the server has "
            f"{server_cpu} and the generator {loadgen_cpu}. socket.io runs its JavaScript on one thread: that is the "
            "point of the comparison.",
            "",
            f"`server cores`: the server's CPU seconds ÷ the seconds the figure is measured over ({WINDOWS[base]}); "
            "`loadgen cores` the same for the generator (1 = its one thread saturated: the figure is then the "
            "generator's, not the server's). `per core`: the figure ÷ server cores. `per-core efficiency`: that ÷ "
            "the same server's pinned figure per core it used there (at most one), same run: below 1× each core does "
            "less on two cores than alone. `speed-up`: the figure ÷ the pinned figure.",
            "",
        ]
    else:
        lines += [f"The scenario of {letter} unpinned, columns as in the first (h) table; `server cores` over "
                  f"{WINDOWS[base]}.", ""]
    header = ["server", name, f"{lat[0][0].replace(' (ms)', '')} / {lat[1][0]}", cpu_name, "server cores", "loadgen cores",
              f"{name} per core", f"pinned: {name} (server cores)", "per-core efficiency vs pinned", "speed-up vs pinned",
              "other load, median / max (cores)", "runs ok"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    saturated = []
    for s in servers:
        runs = runs_of(results, s, scenario)
        if not runs and not runs_scenario(s, scenario):
            continue
        ok, pinned = [r for r in runs if r.get("ok")], runs_of(results, s, base, ok=True)
        fig, fig1 = median_of(ok, f), median_of(pinned, f)
        pc, pc1 = median_of(ok, lambda d: per_core(d, f)), median_of(pinned, lambda d: per_core(d, f))
        c1, lg = median_of(pinned, server_cores), median_of(ok, loadgen_cores)
        if lg and lg[0] >= 0.9:
            saturated.append(SERVERS[s][0])
        cells = [
            fmt_cell(fig, fmt, spread=True),
            f"{fmt_cell(median_of(ok, lat[0][1]), lat[0][2])} / {fmt_cell(median_of(ok, lat[1][1]), lat[1][2])}",
            fmt_cell(median_of(ok, f_cpu), cpu_fmt),
            fmt_cell(median_of(ok, server_cores), "{:.2f}"),
            fmt_cell(lg, "{:.2f}"),
            fmt_cell(pc, fmt),
            f"{fmt_cell(fig1, fmt)} ({fmt_cell(c1, '{:.2f}')})" if fig1 else "— (not run)",
            ratio(pc, pc1),
            ratio(fig, fig1),
        ]
        lines.append("| " + " | ".join([SERVERS[s][0], *cells, other_load_cell(runs), status_cell(runs)]) + " |")
    if saturated:
        lines += ["", f"The generator was at 90% or more of its one thread for {', '.join(saturated)}: "
                  "those figures are the generator's limit, not the server's."]
    return lines + [""]


def shown_servers(results: list[dict], servers: list[str], scenario: str) -> list[str]:
    """The servers with a row in `scenario`'s table: those that ran it, or were meant to."""
    return [s for s in servers if runs_of(results, s, scenario) or runs_scenario(s, scenario)]


def cluster_section(meta: dict, results: list[dict], servers: list[str], scenario: str) -> list[str]:
    """(i): the broadcast over two nodes sharing one Redis."""
    base = CLUSTER[scenario]
    name, f, fmt, _ = METRICS[scenario][0]
    server_cpu, loadgen_cpu = pinning_text(meta)
    shown = shown_servers(results, servers, scenario)
    lines, med = table(results, shown, scenario)
    lines = [
        f"## {SCENARIOS[scenario][0]}",
        "",
        f"The broadcast of {SCENARIOS[base][0].split(' ', 1)[0]} across two nodes of the same server sharing one Redis "
        "(a redis-server of its own per measurement, no persistence): sio's bench server with sio-redis's `RedisAdapter`, "
        "socket.io with `@socket.io/redis-adapter` and node-redis, the Node addon with its `RedisAdapter` (all three speak "
        "the same wire format). The generator spreads the clients evenly (client i on node i mod 2) and joins them all to "
        "room `bench`; client 0, on the first node, sends `bcast`: that node delivers to its own clients and publishes "
        "the broadcast, the other receives it from Redis and delivers to its own. Every client must receive every "
        "broadcast (`missing deliveries` counts the ones that did not arrive); deliveries/s counts the clients of both "
        "nodes (N ÷ time from the emit to the last delivery on either node). "
        f"Pinning: both nodes on {server_cpu}, so that they share one core as the one server of "
        f"{SCENARIOS[base][0].split(' ', 1)[0]} has it; the generator and Redis on {loadgen_cpu}. Server CPU is both "
        "nodes' together; Redis's own CPU time over the run is in RESULTS.json (`redis_cpu_s`: one PUBLISH per broadcast "
        "costs it next to nothing).",
        "",
        *lines,
        *ratio_table(shown, scenario, med),
    ]
    one_node = [(s, median_of(runs_of(results, s, base, ok=True), f)) for s in shown]
    one_node = [(s, m) for s, m in one_node if m and med[s][0]]
    if one_node:
        lines += ["", f"Two nodes through Redis ÷ one node ({SCENARIOS[base][0].split(' ', 1)[0]}, same run), {name}: "
                  + ", ".join(f"{SERVERS[s][0]} {ratio(med[s][0], m)}" for s, m in one_node) + "."]
    return lines + [""]


def spread_section(meta: dict, results: list[dict], servers: list[str], scenario: str) -> list[str]:
    """(l): idle memory at 50k connections over 5 server processes."""
    n = SPREAD[scenario]
    name, f, _, _ = METRICS[scenario][0]
    server_cpu, loadgen_cpu = pinning_text(meta)
    shown = shown_servers(results, servers, scenario)
    lines, med = table(results, shown, scenario)
    run = next((r for r in results if r["scenario_key"] == scenario and r.get("processes")), {})
    each = f"{run['clients'] // run['processes']:,}" if run else "10,000"
    lines = [
        f"## {SCENARIOS[scenario][0]}",
        "",
        f"The idle scenario of (a) at {n} × {each} clients: one process may hold at most 20,000 sockets on this machine "
        f"(the hard open-file limit), so the runner starts {n} server processes of the same kind (all on {server_cpu}, "
        f"as the one server of (a)) and {n} load generators at the same time (all on {loadgen_cpu}), generator i "
        "connecting its clients to server i, reading that server's RSS before the first client and "
        f"{run.get('settle_s') or 5:g} s after the last handshake. `KiB per connection, all processes`: the servers' RSS "
        "growth added up ÷ every client connected; `fewest` / `most of one process`: the same figure of the lightest "
        "and the heaviest process; `held at once`: the most sockets the servers held together (their open descriptors "
        f"beyond the ones they had when ready, sampled every {run.get('sample_s') or 0.25:g} s), which shows whether "
        "all the clients were connected at the same time. "
        "Run on sio's Rust API and the bare baseline only: the question is what sio's connections cost at 50k "
        "against the floor of the stack; (a) compares every server at 10k.",
        "",
        *lines,
        *ratio_table(shown, scenario, med),
    ]
    one = [(s, median_of(runs_of(results, s, "idle", ok=True), METRICS["idle"][0][1])) for s in shown]
    one = [(s, m) for s, m in one if m and med[s][0]]
    if one:
        lines += ["", f"{name} ÷ (a)'s KiB per connection at 10k in one process (same run): "
                  + ", ".join(f"{SERVERS[s][0]} {ratio(med[s][0], m)}" for s, m in one) + "."]
    return lines + [""]


def print_scaling(results: list[dict], scenarios: list[str]) -> None:
    """(h) and (i) in a few lines (quick mode writes no report)."""
    for scenario in scenarios:
        name, f, fmt, _ = METRICS[scenario][0]
        for s in dict.fromkeys(r["server"] for r in results if r["scenario_key"] == scenario):
            ok = runs_of(results, s, scenario, ok=True)
            fig = median_of(ok, f)
            if not fig:
                continue
            if scenario in TWO_CORES:
                pinned = runs_of(results, s, TWO_CORES[scenario], ok=True)
                fig1, c1 = median_of(pinned, f), median_of(pinned, server_cores)
                c, lg = median_of(ok, server_cores), median_of(ok, loadgen_cores)
                pc, pc1 = median_of(ok, lambda d: per_core(d, f)), median_of(pinned, lambda d: per_core(d, f))
                print(f"  {scenario:13} {s:12} {fmt.format(fig[0])} {name} on {fmt_cell(c, '{:.2f}')} server cores "
                      f"(loadgen {fmt_cell(lg, '{:.2f}')}); pinned {fmt_cell(fig1, fmt)} on {fmt_cell(c1, '{:.2f}')}: "
                      f"speed-up {ratio(fig, fig1)}, per-core efficiency {ratio(pc, pc1)}")
            elif scenario in CLUSTER:
                p50 = [fmt_cell(median_of(ok, m[1]), m[2]) for m in METRICS[scenario] if m[0].startswith("delivery p50,")]
                print(f"  {scenario:13} {s:12} {fmt.format(fig[0])} {name}, "
                      f"{fmt_cell(median_of(ok, lambda d: dig(d, 'result', 'missing')), '{:,.0f}')} missing, "
                      f"p50 sender's node / other {' / '.join(p50)} ms")


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
