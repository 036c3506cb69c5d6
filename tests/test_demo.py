"""The offline demo a newcomer runs first."""

from __future__ import annotations

import io
from pathlib import Path

from demo.play import run_demo

EXAMPLE = Path(__file__).resolve().parent.parent / "config.yaml"


async def test_demo_plays_reports_and_whole_tickets_over_http() -> None:
    """`griddesk demo` runs the real bot over loopback HTTP: routing by duty, escalation, cards."""
    out = io.StringIO()
    assert 0 == await run_demo(EXAMPLE, out)
    text = out.getvalue()
    night = text.split("══ 新浦中队")[1].split("\n══")[0]
    assert "#1001 占道经营" in night
    assert "认领时限（" in night and "督办" in night
    assert "商户确认已解决" in night and "⭐⭐⭐⭐⭐" in night
    assert "#1003 乱堆物料" in night
    day = text.split("══ 民主路中队")[1].split("\n══")[0]
    assert "#1002 占道经营" in day and "#1004 噪音扰民" in day
    market = text.split("══ 民主路商户群")[1].split("\n══")[0]
    assert "已加入工单 #1002" in market  # the offer's panel, edited into the receipt
    assert "👥 +1" in day
    assert "民主路中队当前无人值班" in text.split("══ 民主路商户群")[1].split("\n══")[0]
    assert "不在本平台的服务范围" in text
    assert " 0 rejected." in text
