"""SIGKILL under load (a short run; `python -m bench.crash --kills 20` is the long one).

The bot runs as its own process against the stand-in over HTTP; the stand-in kills it with
SIGKILL when it receives the bot's k-th request (k from a seeded random draw), so the run
does not depend on timing. About 10 s on the 2-core machine.
"""

from __future__ import annotations

import asyncio

import pytest

from bench.crash import passed, run


@pytest.mark.slow
async def test_killed_bot_loses_no_acknowledged_report() -> None:
    """Killed four times mid-report: every acknowledged report has its ticket and card, a
    card appears twice only when sent again by a later process than the one that sent it,
    and after the last, orderly stop no fetched update is left unhandled in the inbox."""
    result = await asyncio.wait_for(run(kills=4, owners=2, reports=3, seed=3), 300)

    assert 4 == result["kills"]
    assert result["kills_after_apply"] >= 1  # some kills came after Telegram applied the call
    assert ([], [], [], 0, 0, "ok") == (
        result["acknowledged_without_ticket"],
        result["tickets_without_card"],
        result["cards_twice_unexplained"],
        result["outbox_pending"],
        result["inbox_left"],
        result["integrity_check"],
    )
    assert 6 == result["reports_finished"]
    assert result["acknowledged"] >= 6
    assert passed(result)
