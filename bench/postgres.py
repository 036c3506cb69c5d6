"""SQLite against PostgreSQL in one run, one process each: intake, restart, digest.

    GRIDDESK_BENCH_POSTGRES=postgresql://127.0.0.1/test python -m bench.postgres [--smoke]

Each PostgreSQL measure runs on a scratch database of its own on that server (the role
must be allowed to create databases), built with COPY; each SQLite one on a new file. The
two backends take turns within each benchmark, so both see the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import intake
from bench.__main__ import _cpu_name, _module
from bench.backends import ENV, scratch_database, server

RESULTS = Path(__file__).resolve().parent / "postgres.json"
BACKENDS = ("sqlite", "postgresql")


@contextmanager
def _database(backend: str, url: str) -> Iterator[str | None]:
    """A scratch PostgreSQL database's URL, or None: the bot makes its own SQLite file."""
    if backend == "sqlite":
        yield None
        return
    with scratch_database(url) as scratch:
        yield scratch


def _intake(backend: str, url: str, reports: int, total: int, owners: int) -> dict[str, Any]:
    with _database(backend, url) as database_url:
        latency = asyncio.run(intake.griddesk_latency(reports, database_url))
    with _database(backend, url) as database_url:
        flow = asyncio.run(intake.throughput(total, owners, database_url))
    return {"latency": intake.summarise(latency[5:]), "throughput": flow}


def run(url: str, smoke: bool) -> dict[str, Any]:
    sizes = {
        "latency_reports": 20 if smoke else 300,
        "throughput_reports": 24 if smoke else 1200,
        "owners": 4 if smoke else 40,
        "restart": 2_000 if smoke else 100_000,
        "digest": 2_000 if smoke else 1_000_000,
    }
    results: dict[str, Any] = {"machine": {"cpu": _cpu_name()}, "sizes": sizes}
    for backend in BACKENDS:
        results.setdefault("intake", {})[backend] = _intake(
            backend,
            url,
            sizes["latency_reports"],
            sizes["throughput_reports"],
            sizes["owners"],
        )
    for name in ("restart", "digest"):
        for backend in BACKENDS:
            extra = ["--postgres", url] if backend == "postgresql" else []
            results.setdefault(name, {})[backend] = _module(
                name, "--tickets", str(sizes[name]), *extra
            )
    return results


def table(results: dict[str, Any]) -> str:
    rows = []
    for backend in BACKENDS:
        i = results["intake"][backend]
        rows.append(
            (
                f"Intake, one process, {backend}: p50 / p99; throughput",
                f"{i['latency']['p50_ms']} / {i['latency']['p99_ms']} ms; "
                f"{i['throughput']['reports_per_second']} reports/s "
                f"({i['throughput']['reports']} reports, "
                f"{i['throughput']['owners_at_once']} at once)",
            )
        )
    for backend in BACKENDS:
        r = results["restart"][backend]
        rows.append(
            (
                f"Restart, {r['open_tickets']:,} open tickets, {backend}",
                f"{r['ordinary_restart_seconds']} s (after a change of deadlines "
                f"{r['after_config_change_seconds']} s), peak {r['peak_rss_mb']} MB, "
                f"built in {r['build_seconds']} s",
            )
        )
    for backend in BACKENDS:
        d = results["digest"][backend]
        rows.append(
            (
                f"Digest, {d['tickets']:,} tickets ({d['day_received']:,} that day), {backend}",
                f"{d['digest_seconds_median']} s median of 5 "
                f"({d['digest_seconds_min_max'][0]}-{d['digest_seconds_min_max'][1]}), "
                f"peak {d['peak_rss_mb']} MB, built in {d['build_seconds']} s",
            )
        )
    lines = ["| what | measured |", "|---|---|"]
    lines += [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", default=server(), help=f"default: ${ENV}")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check it runs")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args()
    if not args.postgres:
        print(f"bench.postgres: set {ENV} or pass --postgres URL", file=sys.stderr)
        return 2
    results = run(args.postgres, args.smoke)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(table(results))
    print(f"\n{results['machine']['cpu']}\nJSON: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
