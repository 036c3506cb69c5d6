"""The offline demo a newcomer runs first."""

from __future__ import annotations

import io
from pathlib import Path

from bot.demo import run_demo

EXAMPLE = Path(__file__).resolve().parent.parent / "config.yaml"


async def test_demo_plays_reports_and_a_whole_ticket_over_http() -> None:
    """`griddesk demo` runs the real bot over loopback HTTP: cards, and #1001 to "solved"."""
    out = io.StringIO()
    assert 0 == await run_demo(EXAMPLE, out)
    text = out.getvalue()
    squad_part = text.split("══ 民主路中队")[1].split("══ 新浦中队")[0]
    assert "#1001 占道经营" in squad_part
    assert "商户确认已解决" in squad_part and "⭐⭐⭐⭐⭐" in squad_part
    assert "#1003 噪音扰民" in squad_part
    assert "#1002 乱堆物料" in text.split("══ 新浦中队")[1]
    assert "不在本平台的服务范围" in text
    assert " 0 rejected." in text
