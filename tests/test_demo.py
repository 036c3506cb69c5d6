"""The offline demo a newcomer runs first."""

from __future__ import annotations

import io
from pathlib import Path

from bot.core.i18n import t
from demo.play import run_demo
from tests.catalog import pattern, shown

EXAMPLE = Path(__file__).resolve().parent.parent / "config.yaml"


async def test_demo_plays_reports_and_whole_tickets_over_http() -> None:
    """`griddesk demo` runs the real bot over loopback HTTP: routing by duty, escalation, cards."""
    out = io.StringIO()
    assert 0 == await run_demo(EXAMPLE, out)
    text = out.getvalue()
    night = text.split("══ 新浦中队")[1].split("\n══")[0]
    assert "#1001 占道经营" in night
    claim = t("zh", "stage.claim")
    assert pattern("zh", "escalate.remind_on_duty", stage=claim).search(night)
    assert pattern("zh", "escalate.notify_leads", stage=claim).search(night)
    assert pattern("zh", "card.closed_solved").search(night) and "⭐⭐⭐⭐⭐" in night
    assert "#1003 乱堆物料" in night
    day = text.split("══ 民主路中队")[1].split("\n══")[0]
    assert "#1002 占道经营" in day and "#1004 噪音扰民" in day
    market = text.split("══ 民主路商户群")[1].split("\n══")[0]
    # the offer's panel, edited into the receipt
    assert shown("zh", "same.joined", number="#1002") in market
    assert "👥 +1" in day
    # The transcript indents a message's further lines under its first.
    assert pattern("zh", "report.accepted_fallback", home="民主路中队").search(
        market.replace("\n        ", "\n")
    )
    assert pattern("zh", "report.outside").search(text.replace("\n        ", "\n"))
    assert " 0 rejected." in text
