"""Per-officer figures by round, scope, "as of" and ratings on a hand-counted day.

The day (2026-11-23, local), every ticket of the minzhu squad's grid:
- T1 (08:55) 李明 claims 09:00, releases 09:05; 王强 claims 09:10, on site 09:30, resolves 09:50.
- T2 (10:00) 李明 claims 10:02, on site 10:12, resolves 10:30; not solved 11:00 (rework);
  the lead 张队长 claims 11:05, on site 11:15, resolves 11:45; solved, rated 4.
- T3 (12:00) 李明 claims 12:01; 张队长 reassigns it to 王强 12:10; on site 12:40, resolves 13:00;
  solved, rated 5.
- T4 (14:00, a private report) 李明 claims 14:05, on site 14:25, resolves 14:35.
- T5 (15:00) handed over to xinpu 15:10; 赵刚 (xinpu) claims 15:12, on site 15:32, resolves 15:52.
Outcomes: T1-T3 service, T4 and T5 enforcement (60/0/40: off the 70/20/10 target). Street
vending's limits from the report: claim 5 min, arrival 30 min, resolution 2 h.
One ticket on the 22nd, two on the 16th (the same weekday a week before).

By hand: 李明 claimed 4 (T1-T4), on site 2, resolved 2, reworked 1 (T2), claim-to-arrival
10 and 20 min (median 15). 王强 claimed 2 (T1, T3 by assignment), on site 2, resolved 2,
20 and 30 min (median 25). 张队长 1/1/1, 10 min. 赵刚 1/1/1, 20 min, in xinpu's list only.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date

import pytest

from bot.core.config import Settings
from bot.core.i18n import joined, t
from bot.figures.leads import Scope
from bot.services import Services
from standin.html import parse_html
from tests.catalog import pattern, shown
from tests.clock import FakeClock
from tests.daybook import add, at

DAY = date(2026, 11, 23)
ZHANG, LI_MING, WANG_QIANG, ZHAO_GANG = 710001, 710002, 710003, 720002
MINZHU, XINPU = Scope(frozenset({"minzhu"})), Scope(frozenset({"xinpu"}))


def claim(moment: str, who: int, name: str) -> tuple[object, ...]:
    return ("claimed", at(moment), who, {"name": name})


def firsts(claimed: str, on_site: str, resolved: str) -> dict[str, object]:
    """The first claim, arrival and resolution times of a ticket on the day."""
    return {
        "first_claimed_at": at(f"2026-11-23 {claimed}"),
        "first_on_site_at": at(f"2026-11-23 {on_site}"),
        "first_resolved_at": at(f"2026-11-23 {resolved}"),
    }


def resolve(moment: str, who: int) -> tuple[object, ...]:
    return ("resolved", at(moment), who, {"outcome": "service", "action": "guided_point"})


@pytest.fixture(name="services")
async def fixture_services(settings: Settings, clock: FakeClock) -> AsyncIterator[Services]:
    clock.current = at("2026-11-24 08:00")
    services = Services.create(settings, clock)
    await services.open("griddesk_bot")
    yield services
    await services.close()


@pytest.fixture(name="day")
async def fixture_day(services: Services) -> Services:
    done = {"status": "closed", "close_reason": "solved", "outcome_class": "service"}
    await add(
        services,
        1,
        reported=at("2026-11-23 08:55"),
        status="resolved",
        **firsts("09:00", "09:30", "09:50"),
        resolved_at=at("2026-11-23 09:50"),
        outcome_class="service",
        claimed_at=at("2026-11-23 09:10"),
        claimed_by=WANG_QIANG,
        claimed_by_name="王强",
        events=[
            claim("2026-11-23 09:00", LI_MING, "李明"),
            ("released", at("2026-11-23 09:05"), LI_MING, {"reason": "other_task"}),
            claim("2026-11-23 09:10", WANG_QIANG, "王强"),
            ("on_site", at("2026-11-23 09:30"), WANG_QIANG),
            resolve("2026-11-23 09:50", WANG_QIANG),
        ],
    )
    await add(
        services,
        2,
        reported=at("2026-11-23 10:00"),
        **done,
        rework_count=1,
        rating=4,
        closed_at=at("2026-11-23 12:00"),
        dispatched_at=at("2026-11-23 11:00"),
        claimed_at=at("2026-11-23 11:05"),
        claimed_by=ZHANG,
        claimed_by_name="张队长",
        **firsts("10:02", "10:12", "10:30"),
        resolved_at=at("2026-11-23 11:45"),
        events=[
            claim("2026-11-23 10:02", LI_MING, "李明"),
            ("on_site", at("2026-11-23 10:12"), LI_MING),
            resolve("2026-11-23 10:30", LI_MING),
            ("reopened", at("2026-11-23 11:00"), 9001),
            claim("2026-11-23 11:05", ZHANG, "张队长"),
            ("on_site", at("2026-11-23 11:15"), ZHANG),
            resolve("2026-11-23 11:45", ZHANG),
            ("confirmed", at("2026-11-23 12:00"), 9001),
            ("rated", at("2026-11-23 12:01"), 9001, {"rating": 4}),
        ],
    )
    await add(
        services,
        3,
        reported=at("2026-11-23 12:00"),
        **done,
        rating=5,
        closed_at=at("2026-11-23 14:00"),
        **firsts("12:01", "12:40", "13:00"),
        resolved_at=at("2026-11-23 13:00"),
        claimed_at=at("2026-11-23 12:10"),
        claimed_by=WANG_QIANG,
        claimed_by_name="王强",
        description='=HYPERLINK("http://evil")',
        events=[
            claim("2026-11-23 12:01", LI_MING, "李明"),
            (
                "assigned",
                at("2026-11-23 12:10"),
                ZHANG,
                {"officer": WANG_QIANG, "previous": LI_MING},
            ),
            ("on_site", at("2026-11-23 12:40"), WANG_QIANG),
            resolve("2026-11-23 13:00", WANG_QIANG),
            ("confirmed", at("2026-11-23 14:00"), 9001),
            ("rated", at("2026-11-23 14:01"), 9001, {"rating": 5}),
        ],
    )
    await add(
        services,
        4,
        reported=at("2026-11-23 14:00"),
        anonymous=True,
        status="resolved",
        **firsts("14:05", "14:25", "14:35"),
        resolved_at=at("2026-11-23 14:35"),
        outcome_class="enforcement",
        events=[
            claim("2026-11-23 14:05", LI_MING, "李明"),
            ("on_site", at("2026-11-23 14:25"), LI_MING),
            resolve("2026-11-23 14:35", LI_MING),
        ],
    )
    await add(
        services,
        5,
        reported=at("2026-11-23 15:00"),
        squad_id="xinpu",
        home_squad_id="minzhu",
        status="resolved",
        **firsts("15:12", "15:32", "15:52"),
        resolved_at=at("2026-11-23 15:52"),
        outcome_class="enforcement",
        events=[
            ("dispatched", at("2026-11-23 15:00"), None, {"squad": "minzhu"}),
            ("handed_over", at("2026-11-23 15:10"), None, {"squad": "xinpu", "previous": "minzhu"}),
            claim("2026-11-23 15:12", ZHAO_GANG, "赵刚"),
            ("on_site", at("2026-11-23 15:32"), ZHAO_GANG),
            resolve("2026-11-23 15:52", ZHAO_GANG),
        ],
    )
    # For the comparisons: one ticket the day before, two on the same weekday a week before.
    for number, moment in (
        (6, "2026-11-22 10:00"),
        (7, "2026-11-16 10:00"),
        (8, "2026-11-16 11:00"),
    ):
        await add(services, number, reported=at(moment), status="closed", closed_at=at(moment))
    return services


def _officers(digest: object) -> dict[str, tuple[object, ...]]:
    return {
        o["officer"]: (
            o["claimed"],
            o["on_site"],
            o["resolved"],
            o["reworked"],
            o["median_minutes_to_arrive"],
        )
        for o in digest.officers  # type: ignore[attr-defined]
    }


async def test_each_round_counts_for_whoever_did_it(day: Services) -> None:
    """Releases, a reassignment, a rework by the lead and a hand-over, credited by hand count."""
    officers = _officers(await day.reports.digest(DAY))
    assert {
        "李明": (4, 2, 2, 1, 15),
        "王强": (2, 2, 2, 0, 25),
        "张队长": (1, 1, 1, 0, 10),
        "赵刚": (1, 1, 1, 0, 20),
    } == officers


async def test_squad_lead_sees_their_squad_and_their_officers(day: Services) -> None:
    """The handed-over T5 counts with minzhu (its grid's squad); 赵刚 is in xinpu's list."""
    minzhu = await day.reports.digest(DAY, MINZHU)
    xinpu = await day.reports.digest(DAY, XINPU)
    assert (5, ["minzhu"]) == (minzhu.total.received, list(minzhu.squads))
    assert {"李明", "王强", "张队长"} == set(_officers(minzhu))
    assert (0, {"赵刚"}) == (xinpu.total.received, set(_officers(xinpu)))
    assert ([], []) == (xinpu.hot_grids, xinpu.recurring)


async def test_ratings_are_reported(day: Services) -> None:
    """Two ratings (4 and 5): average 4.5, 2 rated, shown in both languages."""
    digest = await day.reports.digest(DAY, MINZHU)
    assert {"rated": 2, "average": 4.5} == digest.total.summary()["satisfaction"]
    for locale in ("zh", "en"):
        text = parse_html(day.reports.render(digest, locale, MINZHU)).text
        assert pattern(locale, "digest.satisfaction", average="4.5", rated="2").search(text)


async def test_todays_digest_is_as_of_now(day: Services, clock: FakeClock) -> None:
    """At 15:30 on the day: T5 (15:00) is open for half an hour, not 9 h to midnight; 赵刚
    has claimed it but not arrived yet; the text and the JSON say 15:30."""
    clock.current = at("2026-11-23 15:30")
    digest = await day.reports.digest(DAY)
    figures = digest.total.summary()
    assert (5, False) == (figures["received"], digest.complete)
    assert (1, 0, 0) == _officers(digest)["赵刚"][:3]
    assert "2026-11-23T15:30:00" == digest.as_json()["as_of"][:19]
    assert [(1001, 6.6), (1004, 1.5), (1005, 0.5)] == [
        (o["ticket"], o["age_hours"]) for o in figures["oldest_open"]
    ]
    for locale in ("zh", "en"):
        text = parse_html(day.reports.render(digest, locale)).text
        assert shown(locale, "digest.title_as_of", day="2026-11-23", time="15:30") in text
        assert shown(locale, "digest.title", day="2026-11-23") not in text
        assert not pattern(locale, "digest.open").search(text)  # open at midnight: not yet


async def test_a_finished_day_is_as_of_midnight(day: Services) -> None:
    """Yesterday's digest is complete, as of the next midnight."""
    digest = await day.reports.digest(DAY)
    assert (True, "2026-11-24T00:00:00+08:00") == (digest.complete, digest.as_json()["as_of"])
    text = parse_html(day.reports.render(digest, "zh")).text
    assert shown("zh", "digest.title", day="2026-11-23") in text


async def test_what_a_lead_looks_for(day: Services) -> None:
    """Overdue by step: claim T5 (12 min); arrival T1 (35), T3 (40), T5 (32); none resolved
    late. 7-2-1 flagged off target. Received 5 against 1 the day before (+4) and 2 a week
    before (+3). Open at midnight T1, T4, T5, all awaiting confirmation, held by 王强, 李明,
    赵刚."""
    digest = await day.reports.digest(DAY, MINZHU)
    s = digest.total.summary()
    assert {"claim": [1005], "arrive": [1001, 1003, 1005], "resolve": []} == s["overdue"]
    assert (True, 0.6, 0.4) == (
        s["split_721_off_target"],
        s["split_721"]["service"],
        s["split_721"]["enforcement"],
    )
    assert ({"resolved": 3}, {"王强": 1, "李明": 1, "赵刚": 1}) == (
        s["open_by_state"],
        s["open_by_officer"],
    )
    assert (1, 2) == (
        digest.as_json()["received_day_before"],
        digest.as_json()["received_week_before"],
    )
    text = parse_html(day.reports.render(digest, "zh", MINZHU)).text
    assert shown("zh", "digest.compare", day_before="+4", week_before="+3") in text
    claim = t("zh", "digest.numbers", numbers="#1005", count=1)
    arrive = t("zh", "digest.numbers", numbers=joined("zh", ["#1001", "#1003", "#1005"]), count=3)
    assert shown("zh", "digest.overdue", claim=claim, arrive=arrive, resolve="-") in text
    split = pattern("zh", "digest.split", target="70/20/10").pattern
    assert re.search(split + re.escape(shown("zh", "digest.split_off")), text)
    states = f"{t('zh', 'digest.state.resolved')} 3"
    officers = joined("zh", ["王强 1", "李明 1", "赵刚 1"])
    assert shown("zh", "digest.open_by", states=states, officers=officers) in text
    english = day.reports.render(digest, "en", MINZHU)
    assert "Overdue: claim #1005 (1 in all); arrival #1001, #1003, #1005 (3 in all)" in english
