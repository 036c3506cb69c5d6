"""Where lead commands work, for whom, and their date arguments (in chat, both languages)."""

from __future__ import annotations

import re

import pytest

from bot.core.config import Settings
from tests.catalog import pattern, shown
from tests.harness import (
    COMMAND_CENTRE,
    IN_NORTH,
    LI_MING,
    MARKET_GROUP,
    MINZHU_SQUAD,
    NORTH_GROUP,
    WANG,
    XINPU_SQUAD,
    Harness,
)

LEAD_ZHANG, LEAD_CHEN, DIRECTOR_LIU = 710001, 720001, 700001
CHEN_SHOP = 9003
MINZHU_LEADS = -1001000000301  # the minzhu squad's lead chat (lead_chat_id)


@pytest.fixture(name="settings")
def fixture_lead_chat_settings(settings: Settings) -> Settings:
    """The example district, with a lead chat for the minzhu squad."""
    squads = [
        s.model_copy(update={"lead_chat_id": MINZHU_LEADS}) if s.id == "minzhu" else s
        for s in settings.squads
    ]
    return settings.model_copy(update={"squads": squads})


@pytest.fixture(name="leads")
def fixture_leads(harness: Harness) -> Harness:
    """The harness, with the leads' private chats and the minzhu lead chat."""
    harness.world.add_chat(MINZHU_LEADS, title="民主路中队领导群", members=[LEAD_ZHANG])
    for lead in (LEAD_ZHANG, LEAD_CHEN, DIRECTOR_LIU):
        harness.world.add_chat(lead, "private")
    return harness


def received(count: int, under: str = "") -> re.Pattern[str]:
    """The digest's counts line for ``count`` reports, right below the line ``under``."""
    counts = pattern("zh", "digest.counts", received=str(count)).pattern
    return re.compile(re.escape(f"{under}\n") + counts if under else counts)


def _today(harness: Harness) -> str:
    return harness.clock.now().astimezone(harness.services.settings.zone).date().isoformat()


async def test_grid_group_refuses_and_posts_no_figures(leads: Harness) -> None:
    """A lead's /digest, /stats and /export in a shop owners' group get a pointer to a
    private chat, and nothing with figures, names or files is posted there."""
    await leads.report_in_group(MARKET_GROUP, WANG)
    before = len(leads.world.sent_to(MARKET_GROUP))
    for command in ("/digest", "/stats 7d", f"/export {_today(leads)}"):
        await leads.say(MARKET_GROUP, LEAD_ZHANG, text=command)
        await leads.settle()
        refusal = pattern("zh", "digest.not_in_grid_group")
        assert refusal.fullmatch(leads.bot_last(MARKET_GROUP).text or "")
    posted = leads.world.sent_to(MARKET_GROUP)[before:]
    assert 3 == len(posted)
    assert [] == [m for m in posted if m.photo or m.document or "受理" in (m.text or "")]


async def test_lead_chat_private_chat_and_command_centre_work(leads: Harness) -> None:
    """The squad's lead chat is no "unconfigured chat": /digest answers there, in a private
    chat and in the command centre's chat."""
    await leads.report_in_group(MARKET_GROUP, WANG)
    day = _today(leads)
    for chat, lead in (
        (MINZHU_LEADS, LEAD_ZHANG),
        (LEAD_ZHANG, LEAD_ZHANG),
        (COMMAND_CENTRE, DIRECTOR_LIU),
    ):
        await leads.say(chat, lead, text=f"/digest {day}")
        await leads.settle()
        texts = [m.text or "" for m in leads.world.sent_to(chat)]
        title = shown("zh", "digest.title_as_of", day=day, time="09:30")
        assert any(title in text and received(1).search(text) for text in texts), chat
        assert not any(str(MINZHU_LEADS) in text for text in texts)


async def test_another_squads_chat_is_refused(leads: Harness) -> None:
    """The xinpu lead cannot have figures posted in the minzhu squad's chat."""
    leads.world.add_chat(
        MINZHU_SQUAD, title="民主路中队", members=[LEAD_ZHANG, LI_MING, 710003, LEAD_CHEN]
    )
    await leads.say(MINZHU_SQUAD, LEAD_CHEN, text="/digest")
    await leads.settle()
    assert pattern("zh", "digest.other_squad").fullmatch(leads.bot_last(MINZHU_SQUAD).text or "")


async def test_squad_lead_sees_only_their_squad(leads: Harness) -> None:
    """The minzhu lead's digest has no xinpu figures or grids; the command centre sees both."""
    await leads.report_in_group(MARKET_GROUP, WANG)
    await leads.report_in_group(NORTH_GROUP, CHEN_SHOP, point=IN_NORTH)
    day = _today(leads)
    await leads.say(LEAD_ZHANG, LEAD_ZHANG, text=f"/digest {day}")
    await leads.say(DIRECTOR_LIU, DIRECTOR_LIU, text=f"/digest {day}")
    await leads.settle()
    squad_text = next(m.text for m in leads.world.sent_to(LEAD_ZHANG) if m.text)
    centre_text = next(m.text for m in leads.world.sent_to(DIRECTOR_LIU) if m.text)
    total = shown("zh", "digest.total")
    assert "新浦" not in (squad_text or "") and total not in (squad_text or "")
    assert "新浦中队" in (centre_text or "") and "新浦北" in (centre_text or "")
    assert received(2, under=total).search(centre_text or "")


async def test_squad_lead_exports_only_their_squad(leads: Harness) -> None:
    """The minzhu lead's export holds the minzhu ticket only; the command centre's both."""
    await leads.report_in_group(MARKET_GROUP, WANG)
    await leads.report_in_group(NORTH_GROUP, CHEN_SHOP, point=IN_NORTH)
    day = _today(leads)
    for lead in (LEAD_ZHANG, DIRECTOR_LIU):
        await leads.say(lead, lead, text=f"/export {day} {day} csv")
    await leads.settle()
    squad, centre = (leads.bot_last(lead) for lead in (LEAD_ZHANG, DIRECTOR_LIU))
    assert squad.document is not None and centre.document is not None
    assert 2 == leads.world.documents[squad.document["file_id"]].count(b"\n")
    assert 3 == leads.world.documents[centre.document["file_id"]].count(b"\n")
    assert (
        shown("zh", "export.caption_csv", start=day, end=day, count=1),
        shown("zh", "export.caption_csv", start=day, end=day, count=2),
    ) == (squad.caption, centre.caption)


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/digest 9999-12-31", "digest.future_day"),
        ("/digest 0001-01-01", "digest.too_early"),
        ("/digest 2026-02-30", "digest.bad_date"),
        ("/digest 2026-11-01 2026-11-02", "digest.usage"),
        ("/export 9999-12-31", "digest.future_day"),
        ("/export 0001-01-01 2026-11-01", "digest.too_early"),
        ("/export 2026-11-10 2026-11-01", "export.reversed"),
        ("/export 2024-01-01 2026-11-01", "export.too_long"),
        ("/export 2026-11-01 2026-11-02 pdf", "export.usage"),
    ],
)
async def test_bad_dates_get_a_polite_answer(leads: Harness, command: str, answer: str) -> None:
    """Out-of-range, impossible or reversed dates are answered politely, nothing is sent."""
    await leads.say(MINZHU_SQUAD, LEAD_ZHANG, text=command)
    await leads.settle()
    last = leads.bot_last(MINZHU_SQUAD)
    assert last.document is None and last.photo is None
    assert shown("zh", answer) in (last.text or "")


async def test_refusals_and_date_answers_in_english(leads: Harness) -> None:
    """A lead whose private chat is in English is answered in English."""
    leads.world.add_user(LEAD_ZHANG, "张队长", language_code="en")
    await leads.say(LEAD_ZHANG, LEAD_ZHANG, text="/digest 9999-12-31")
    await leads.settle()
    assert shown("en", "digest.future_day") in (leads.bot_last(LEAD_ZHANG).text or "")
    await leads.say(MARKET_GROUP, LI_MING, text="/digest")
    await leads.settle()
    assert shown("zh", "digest.not_allowed") in (leads.bot_last(MARKET_GROUP).text or "")


async def test_xinpu_lead_in_own_chat(leads: Harness) -> None:
    """The xinpu lead's /digest in the xinpu chat shows the xinpu squad."""
    await leads.say(XINPU_SQUAD, LEAD_CHEN, text="/digest")
    await leads.settle()
    assert "新浦中队" in (leads.bot_last(XINPU_SQUAD).text or "")


async def test_daily_digest_goes_to_the_lead_chat(leads: Harness) -> None:
    """With a lead chat set, the squad's daily digest goes there, with its squad only."""
    await leads.report_in_group(MARKET_GROUP, WANG)
    await leads.report_in_group(NORTH_GROUP, CHEN_SHOP, point=IN_NORTH)
    leads.clock.advance(days=1)
    assert 3 == await leads.services.reports.post_daily(leads.services.reports.yesterday())
    await leads.settle()
    texts = [m.text or "" for m in leads.world.sent_to(MINZHU_LEADS) if m.text]
    assert 1 == len(texts) and received(1, under="民主路中队").search(texts[0])
    assert "新浦" not in texts[0]
    assert not any("日报" in (m.text or "") for m in leads.world.sent_to(MINZHU_SQUAD))
