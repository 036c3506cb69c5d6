"""The benchmark suite still runs (tiny sizes); it measures, it does not judge speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_benchmark_suite_runs_at_tiny_sizes(tmp_path: Path) -> None:
    """`python -m bench --smoke` completes and reports every figure next to its target, the
    busy day's four bursts, quiet group, held chat and catch-up included."""
    out = tmp_path / "smoke.json"
    finished = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert 0 == finished.returncode, finished.stderr[-2000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    assert {"intake", "messages_per_ticket", "digest", "grid", "restart", "memory", "busy"} <= set(
        results
    )
    assert 4 >= results["messages_per_ticket"]["grid_group_new_messages"]
    assert "| Ratio GridDesk / echo" in finished.stdout
    busy = results["busy"]
    assert {("outbox", "strict"), ("ptb", "strict"), ("outbox", "lenient"), ("ptb", "lenient")} == {
        (b["pacing"], b["limits"]) for b in busy["burst"]
    }
    assert [2, 2, 2, 2] == [b["skip_to_card"]["count"] for b in busy["burst"]]
    assert 5 == busy["quiet"]["quiet_steps"]["count"]
    assert 0 < busy["held"]["answers_held"]
    assert 50 == busy["catch_up"]["overdue_tickets"]
    assert "| Restart, 50 overdue: first getUpdates -> prompt" in finished.stdout


@pytest.mark.slow
def test_postgresql_benchmarks_run_at_tiny_sizes(tmp_path: Path) -> None:
    """`python -m bench.postgres --smoke` measures both backends in one run, on the same
    generated records (the same day's count, the same timers re-derived)."""
    from tests import backends

    url = backends.server()
    if url is None:
        pytest.skip(f"the PostgreSQL benchmarks need {backends.ENV}")
    out = tmp_path / "postgres.json"
    finished = subprocess.run(
        [sys.executable, "-m", "bench.postgres", "--smoke", "--postgres", url, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert 0 == finished.returncode, finished.stderr[-2000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    for name in ("intake", "restart", "digest"):
        assert {"sqlite", "postgresql"} == set(results[name])
    digest, restart = results["digest"], results["restart"]
    assert digest["sqlite"]["day_received"] == digest["postgresql"]["day_received"]
    assert (
        restart["sqlite"]["after_config_change_rederived"]
        == restart["postgresql"]["after_config_change_rederived"]
    )
