"""SIGKILL under load (a short run; `python -m bench.crash` is the long one)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_killed_bot_loses_no_acknowledged_report() -> None:
    """Killed three times while shop owners report: every acknowledged report has its ticket."""
    finished = subprocess.run(
        [sys.executable, "-m", "bench.crash", "--kills", "3", "--owners", "2", "--reports", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    result = json.loads(finished.stdout)
    assert 0 == finished.returncode, result
    assert 3 == result["kills"]
    assert ([], [], 0, "ok") == (
        result["acknowledged_without_ticket"],
        result["tickets_without_card"],
        result["outbox_pending"],
        result["integrity_check"],
    )
    assert result["acknowledged"] >= 1
