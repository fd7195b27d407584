"""Writes RESULTS.md from the runs (run.py calls it at the end of a run; `python3 bench/run.py
--render bench/RESULTS.json` calls it on an earlier run's JSON)."""
from __future__ import annotations

import statistics

from scenarios import METRICS, SCENARIOS, SERVERS, dig, median_of


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
