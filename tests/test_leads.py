"""Team leads' commands in chat: /digest, /stats, /export; refused to everyone else."""

from __future__ import annotations

from tests.catalog import pattern, shown
from tests.harness import LI_MING, MARKET_GROUP, MINZHU_SQUAD, WANG, Harness

LEAD_ZHANG = 710001
ONE_RECEIVED = pattern("zh", "digest.counts", received="1")


async def test_digest_command_for_a_lead(harness: Harness) -> None:
    """A lead's /digest gets the day's text and the chart image."""
    await harness.report_in_group(MARKET_GROUP, WANG)
    day = harness.clock.now().astimezone(harness.services.settings.zone).date().isoformat()
    await harness.say(MINZHU_SQUAD, LEAD_ZHANG, text=f"/digest {day}")
    text, chart = harness.world.sent_to(MINZHU_SQUAD)[-2:]
    assert shown("zh", "digest.title_as_of", day=day, time="09:30") in (text.text or "")
    assert ONE_RECEIVED.search(text.text or "")
    assert chart.photo is not None


async def test_officers_and_shop_owners_are_refused(harness: Harness) -> None:
    """Only leads see digests, statistics and exports."""
    for command in ("/digest", "/stats 7d", "/export"):
        await harness.say(MINZHU_SQUAD, LI_MING, text=command)
        assert shown("zh", "digest.not_allowed") in (harness.bot_last(MINZHU_SQUAD).text or "")
    await harness.say(MARKET_GROUP, WANG, text="/digest")
    assert shown("zh", "digest.not_allowed") in (harness.bot_last(MARKET_GROUP).text or "")


async def test_stats_and_bad_arguments(harness: Harness) -> None:
    """/stats 30d titles the period; a wrong period or date gets the usage."""
    await harness.say(MINZHU_SQUAD, LEAD_ZHANG, text="/stats 30d")
    assert pattern("zh", "digest.stats_title", days="30").search(
        harness.bot_last(MINZHU_SQUAD).text or ""
    )
    await harness.say(MINZHU_SQUAD, LEAD_ZHANG, text="/stats 9y")
    assert "/stats 7d" in (harness.bot_last(MINZHU_SQUAD).text or "")
    await harness.say(MINZHU_SQUAD, LEAD_ZHANG, text="/digest yesterday")
    assert "2026-11-21" in (harness.bot_last(MINZHU_SQUAD).text or "")


async def test_export_sends_a_csv_document(harness: Harness) -> None:
    """/export FROM TO sends the tickets as a CSV file with a byte-order mark."""
    await harness.report_in_group(MARKET_GROUP, WANG)
    day = harness.clock.now().astimezone(harness.services.settings.zone).date().isoformat()
    await harness.say(MINZHU_SQUAD, LEAD_ZHANG, text=f"/export {day} {day} csv")
    document = harness.bot_last(MINZHU_SQUAD).document
    assert document is not None and document["file_name"].endswith(".csv")
    content = harness.world.documents[document["file_id"]]
    assert content.startswith("\ufeff".encode())
    assert 2 == content.count(b"\n")  # the header and one ticket
    caption = shown("zh", "export.caption_csv", start=day, end=day, count=1)
    assert caption == harness.bot_last(MINZHU_SQUAD).caption


async def test_daily_job_posts_yesterdays_digest_to_lead_chats(harness: Harness) -> None:
    """The JobQueue's daily job (at digest.time) posts the previous day's digest, once."""
    from datetime import timedelta

    from tests.harness import COMMAND_CENTRE, XINPU_SQUAD

    await harness.report_in_group(MARKET_GROUP, WANG)
    assert harness.app.job_queue is not None
    (job,) = harness.app.job_queue.get_jobs_by_name("daily-digest")
    assert "hour='23', minute='59'" in str(job.job.trigger)
    harness.clock.advance(days=1)
    await job.run(harness.app)
    await job.run(harness.app)
    await harness.settle()
    day = (
        (harness.clock.now() - timedelta(days=1))
        .astimezone(harness.services.settings.zone)
        .date()
        .isoformat()
    )
    for chat in (MINZHU_SQUAD, XINPU_SQUAD, COMMAND_CENTRE):
        texts = [m.text or "" for m in harness.world.sent_to(chat) if m.text]
        assert 1 == sum(shown("zh", "digest.title", day=day) in text for text in texts)
    title = shown("zh", "digest.title", day=day)
    centre = next(
        m.text for m in harness.world.sent_to(COMMAND_CENTRE) if m.text and title in m.text
    )
    assert shown("zh", "digest.total") in centre and ONE_RECEIVED.search(centre)
