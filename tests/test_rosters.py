"""Rosters: shifts across midnight, date overrides, manual clock-in, validation."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.core.config import Squad
from bot.duty.rosters import manual_until, on_duty, scheduled

ZONE = ZoneInfo("Asia/Shanghai")


def squad(**roster: object) -> Squad:
    return Squad.model_validate(
        {
            "id": "night",
            "name": {"zh": "夜班", "en": "Night"},
            "dispatch_chat_id": -1,
            "grids": ["g"],
            "members": [{"telegram_id": i, "name": f"o{i}"} for i in (1, 2, 3)],
            "roster": roster,
        }
    )


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


NIGHTS = squad(
    shifts=[
        {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": "08:00-20:00", "officers": [1]},
        {"days": ["fri"], "hours": "20:00-08:00", "officers": [2]},
    ],
    overrides=[{"date": "2026-11-27", "shifts": [{"hours": "10:00-12:00", "officers": [3]}]}],
)


def test_overnight_shift_covers_both_sides_of_midnight() -> None:
    """A Friday 20:00-08:00 shift is on duty at 23:00 Friday and 03:00 Saturday, not 09:00."""
    assert {2} == scheduled(NIGHTS, local("2026-11-20 23:00"), ZONE)  # a Friday
    assert {2} == scheduled(NIGHTS, local("2026-11-21 03:00"), ZONE)
    assert set() == scheduled(NIGHTS, local("2026-11-21 09:00"), ZONE)


def test_day_shift_boundaries() -> None:
    """08:00 is in the day shift, 20:00 is not (shifts are [start, end))."""
    assert {1} == scheduled(NIGHTS, local("2026-11-23 08:00"), ZONE)
    assert set() == scheduled(NIGHTS, local("2026-11-23 20:00"), ZONE)


def test_override_replaces_the_weekly_shifts_that_day() -> None:
    """On an override date only its shifts apply (and the night after it has none)."""
    assert {3} == scheduled(NIGHTS, local("2026-11-27 11:00"), ZONE)
    assert set() == scheduled(NIGHTS, local("2026-11-27 09:00"), ZONE)
    assert set() == scheduled(NIGHTS, local("2026-11-27 23:00"), ZONE)


def test_manual_clock_in_wins_until_the_roster_changes() -> None:
    """Clocking out at 10:00 holds until the shift ends at 20:00; then the roster rules."""
    at = local("2026-11-23 10:00")
    until = manual_until(NIGHTS, 1, at, ZONE)
    assert local("2026-11-23 20:00") == until
    assert [] == [m.telegram_id for m in on_duty(NIGHTS, at, ZONE, {1: False})]
    assert [1] == [m.telegram_id for m in on_duty(NIGHTS, at, ZONE, {})]


def test_squad_without_roster_is_always_on_duty() -> None:
    """No roster configured: every member counts as on duty."""
    plain = squad()
    plain = plain.model_copy(update={"roster": None})
    assert {1, 2, 3} == scheduled(plain, local("2026-11-23 03:00"), ZONE)


@pytest.mark.parametrize(
    ("roster", "message"),
    [
        (
            {
                "shifts": [
                    {"days": ["mon"], "hours": "08:00-20:00", "officers": [1]},
                    {"days": ["mon"], "hours": "19:00-23:00", "officers": [1]},
                ]
            },
            "shifts[0] and roster.shifts[1] overlap",
        ),
        (
            {
                "shifts": [
                    {"days": ["sun"], "hours": "22:00-06:00", "officers": [1]},
                    {"days": ["mon"], "hours": "05:00-09:00", "officers": [1]},
                ]
            },
            "overlap",
        ),
        ({"shifts": [{"days": ["mon"], "hours": "08:00-08:00", "officers": [1]}]}, "empty"),
        ({"shifts": [{"days": [], "hours": "08:00-09:00", "officers": [1]}]}, "days"),
        ({"shifts": [{"days": ["mon"], "hours": "08:00-09:00", "officers": [9]}]}, "not a member"),
    ],
)
def test_bad_rosters_are_refused(roster: dict, message: str) -> None:
    """Overlapping, empty or unknown-officer shifts are refused with their path."""
    with pytest.raises(ValidationError, match=re.escape(message)):
        squad(**roster)
