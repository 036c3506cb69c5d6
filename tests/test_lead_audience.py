"""bot.leads on its own: who may see lead figures in which chat, and the date arguments."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.config import Settings
from bot.core.directory import Directory
from bot.figures.leads import EVERY_SQUAD, Audience, Days, Scope, audience, digest_day, export_days
from tests.harness import COMMAND_CENTRE, MARKET_GROUP, MINZHU_SQUAD, STRANGE_GROUP, XINPU_SQUAD

ZHANG, CHEN, LIU, LI_MING = 710001, 720001, 700001, 710002
MINZHU = Scope(frozenset({"minzhu"}))
TODAY, YESTERDAY = date(2026, 11, 23), date(2026, 11, 22)


@pytest.mark.parametrize(
    ("chat", "private", "user", "expected"),
    [
        (LI_MING, True, LI_MING, Audience(refusal="digest.not_allowed")),
        (ZHANG, True, ZHANG, Audience(MINZHU)),
        (LIU, True, LIU, Audience(EVERY_SQUAD)),
        (MARKET_GROUP, False, ZHANG, Audience(refusal="digest.not_in_grid_group")),
        (MARKET_GROUP, False, LIU, Audience(refusal="digest.not_in_grid_group")),
        (MINZHU_SQUAD, False, ZHANG, Audience(MINZHU)),
        (MINZHU_SQUAD, False, LIU, Audience(MINZHU)),
        (XINPU_SQUAD, False, ZHANG, Audience(refusal="digest.other_squad")),
        (COMMAND_CENTRE, False, ZHANG, Audience(MINZHU)),
        (COMMAND_CENTRE, False, LIU, Audience(EVERY_SQUAD)),
        (STRANGE_GROUP, False, CHEN, Audience(refusal="digest.not_in_this_chat")),
    ],
)
def test_audience(
    settings: Settings, chat: int, private: bool, user: int, expected: Audience
) -> None:
    """Leads only; never a grid group; a squad chat shows that squad; the centre sees all."""
    assert expected == audience(Directory(settings), chat, private, user)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], Days(YESTERDAY, YESTERDAY)),
        (["2026-11-23"], Days(TODAY, TODAY)),
        (["2026-11-24"], Days(refusal="digest.future_day")),
        (["1999-12-31"], Days(refusal="digest.too_early")),
        (["23.11.2026"], Days(refusal="digest.bad_date")),
        (["2026-11-01", "2026-11-02"], Days(refusal="digest.usage")),
    ],
)
def test_digest_day(args: list[str], expected: Days) -> None:
    """One day from 2000-01-01 to today."""
    assert expected == digest_day(args, TODAY, YESTERDAY)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], Days(date(2026, 11, 16), YESTERDAY, "xlsx")),
        (["csv"], Days(date(2026, 11, 16), YESTERDAY, "csv")),
        (["2026-11-01"], Days(date(2026, 11, 1), date(2026, 11, 1), "xlsx")),
        (["2025-11-23", "2026-11-23", "CSV"], Days(date(2025, 11, 23), TODAY, "csv")),
        (["2025-11-22", "2026-11-23"], Days(refusal="export.too_long")),
        (["2026-11-02", "2026-11-01"], Days(refusal="export.reversed")),
        (["9999-12-31"], Days(refusal="digest.future_day")),
        (["xlsx", "csv"], Days(refusal="export.usage")),
    ],
)
def test_export_days(args: list[str], expected: Days) -> None:
    """At most 366 days, first not after last, in xlsx or csv; the last 7 days by default."""
    assert expected == export_days(args, TODAY, YESTERDAY)
