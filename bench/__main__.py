"""Run every benchmark, print a table, and write the results as JSON.

    python -m bench                 # the sizes the targets name (about 13 minutes on 2 cores)
    python -m bench --full          # also the digest over 10,000,000 tickets (much longer)
    python -m bench --smoke         # tiny sizes: checks the suite runs (used by the tests)

Benchmarks measure and report; they never fail because a machine is slow.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import busy_figures, grid, intake, memory, messages

RESULTS = Path(__file__).resolve().parent / "latest.json"


def _module(name: str, *args: str) -> dict[str, Any]:
    """Run a benchmark that builds its own database, in its own process; its JSON result."""
    output = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", *args], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, Any] = json.loads(output)
    return result


def run(smoke: bool, full: bool) -> dict[str, Any]:
    sizes = {
        "latency_reports": 20 if smoke else 300,
        "throughput_reports": 24 if smoke else 1200,
        "owners": 4 if smoke else 40,
        "digest": 2_000 if smoke else 1_000_000,
        "restart": 2_000 if smoke else 100_000,
        "memory": 2_000 if smoke else 100_000,
        "polygons": 100 if smoke else 10_000,
    }
    results: dict[str, Any] = {
        "machine": {
            "cpu": _cpu_name(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
        },
        "sizes": sizes,
    }
    results["intake"] = asyncio.run(
        intake.run(sizes["latency_reports"], sizes["throughput_reports"], sizes["owners"])
    )
    results["messages_per_ticket"] = messages.run()
    results["digest"] = [_module("digest", "--tickets", str(sizes["digest"]))]
    if full:
        results["digest"].append(_module("digest", "--tickets", "10000000"))
    results["grid"] = grid.run(sizes["polygons"], 2_000 if smoke else 20_000)
    results["restart"] = _module("restart", "--tickets", str(sizes["restart"]))
    results["memory"] = memory.run(sizes["memory"])
    results["busy"] = _module("busy", *(["--smoke"] if smoke else []))
    return results


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def table(results: dict[str, Any]) -> str:
    """The figures next to their targets, as a Markdown table."""
    i = results["intake"]
    m = results["messages_per_ticket"]
    rows = [
        (
            "Intake latency p50 / p99 (GridDesk)",
            f"{i['intake_latency']['p50_ms']} / {i['intake_latency']['p99_ms']} ms",
            "",
        ),
        (
            "Echo bot latency p50 / p99 (same server)",
            f"{i['echo_latency']['p50_ms']} / {i['echo_latency']['p99_ms']} ms",
            "",
        ),
        (
            "Echo bot over aiohttp (GridDesk's client) p50 / p99",
            f"{i['echo_aiohttp_latency']['p50_ms']} / {i['echo_aiohttp_latency']['p99_ms']} ms",
            "",
        ),
        ("Ratio GridDesk / echo (p50, p99)", f"{i['ratio_p50']}, {i['ratio_p99']}", "<= 2.0"),
        (
            "Ratio GridDesk / echo over aiohttp (p50, p99)",
            f"{i['ratio_same_client_p50']}, {i['ratio_same_client_p99']}",
            "<= 2.0",
        ),
        (
            "Sustained throughput",
            f"{i['throughput']['reports_per_second']} reports/s "
            f"({i['throughput']['reports']} reports, {i['throughput']['owners_at_once']} at once)",
            ">= 100/s",
        ),
        (
            "New bot messages in the grid group per ticket",
            f"{m['grid_group_new_messages']} (+{m['grid_group_edits']} edits)",
            "<= 4",
        ),
    ]
    for d in results["digest"]:
        rows.append(
            (
                f"Digest over {d['tickets']:,} tickets",
                f"{d['digest_seconds_median']} s, peak {d['peak_rss_mb']} MB",
                "< 1 s, < 200 MB (1M)",
            )
        )
    g, r, mem = results["grid"], results["restart"], results["memory"]
    rows += [
        (f"Grid lookup, {g['polygons']:,} polygons", f"{g['us_per_lookup_median']} us", "< 20 us"),
        (
            f"Restart, {r['open_tickets']:,} open tickets",
            f"{r['ordinary_restart_seconds']} s (after a deadline change "
            f"{r['after_config_change_seconds']} s), peak {r['peak_rss_mb']} MB",
            "< 2 s",
        ),
        (
            f"Running bot, {mem['tickets_in_database']:,} tickets in the database",
            f"{mem['peak_rss_mb']} MB RSS",
            "< 150 MB",
        ),
    ]
    rows += [
        (what, measured, f"{target} (met: {met})" if met else target)
        for what, measured, target, met in busy_figures.rows(results["busy"])
    ]
    lines = ["| what | measured | target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check it runs")
    parser.add_argument("--full", action="store_true", help="also 10,000,000 tickets")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args()
    results = run(args.smoke, args.full)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(table(results))
    machine = results["machine"]
    print(f"\n{machine['cpu']}, {machine['cores']} cores, Python {machine['python']}")
    print(f"JSON: {args.out}")


if __name__ == "__main__":
    main()
