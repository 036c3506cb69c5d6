"""``griddesk demo``: the real bot, offline, against the built-in Bot API stand-in.

The bot runs exactly as in production (long polling over HTTP, the database file, the
outbox), but its ``base_url`` points at a stand-in Telegram on 127.0.0.1 in which a few
scripted shop owners report problems. At the end, each chat is printed as people read it.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from shapely.geometry import shape

from bot.core.config import Database, Settings, TelegramSettings, load_settings
from standin import StandinServer, Venue, World

DEMO_TOKEN = "123456:demo-token-for-the-offline-stand-in"
OWNERS = {9001: "王老板", 9002: "刘阿姨", 9003: "陈师傅"}
WANG, LIU, CHEN = OWNERS
SETTLE_TIMEOUT = 15.0


def inside(settings: Settings, grid_id: str) -> tuple[float, float]:
    """A point well inside a grid, as (latitude, longitude)."""
    grid = next(g for g in settings.grids if g.id == grid_id)
    assert grid.polygon is not None
    geometry = grid.polygon.get("geometry", grid.polygon)
    point = shape(geometry).representative_point()
    return round(point.y, 6), round(point.x, 6)


def build_world(settings: Settings, clock: StoryClock) -> World:
    """The district's chats and people, as the config describes them, plus shop owners."""
    world = World(clock=clock.unix)
    officers: dict[int, str] = {}
    for squad in settings.squads:
        for member in squad.members:
            officers[member.telegram_id] = member.name
    if settings.command_centre is not None:
        for member in settings.command_centre.members:
            officers[member.telegram_id] = member.name
    for user_id, name in {**OWNERS, **officers}.items():
        world.add_user(user_id, name, language_code="zh-hans")
    for squad in settings.squads:
        members = [m.telegram_id for m in squad.members]
        world.add_chat(squad.dispatch_chat_id, title=squad.name.zh, members=members)
    if settings.command_centre is not None:
        centre = settings.command_centre
        world.add_chat(
            centre.chat_id, title=centre.name.zh, members=[m.telegram_id for m in centre.members]
        )
    for group in settings.grid_groups:
        world.add_chat(group.chat_id, title=group.name, members=[*OWNERS, *officers])
    for user_id in OWNERS:
        world.add_chat(user_id, "private")
    return world


class StoryClock:
    """The demo's time: starts at 21:30 local yesterday and moves as the story says."""

    def __init__(self, zone: str) -> None:
        today = datetime.now(ZoneInfo(zone)).replace(hour=21, minute=30, second=0, microsecond=0)
        self.current = (today - timedelta(days=1)).astimezone(UTC)

    def now(self) -> datetime:
        return self.current

    def unix(self) -> float:
        return self.current.timestamp()

    def advance(self, minutes: float) -> None:
        self.current += timedelta(minutes=minutes)


class Script:
    """Plays people in the world and waits until the bot has answered each step."""

    def __init__(self, world: World, pending: Any, clock: StoryClock, escalate: Any) -> None:
        self.world = world
        self.pending = pending
        self.clock = clock
        self.escalate = escalate

    async def pass_minutes(self, minutes: float) -> None:
        """Let story time pass, and let the deadlines that fell due meanwhile escalate."""
        self.clock.advance(minutes)
        await self.escalate()
        await self.settle()

    async def settle(self) -> None:
        deadline = time.monotonic() + SETTLE_TIMEOUT
        quiet = 0
        while quiet < 3:
            if time.monotonic() > deadline:
                raise RuntimeError("the bot did not answer in time")
            await asyncio.sleep(0.03)
            busy = bool(self.world.updates) or await self.pending()
            quiet = 0 if busy else quiet + 1

    async def say(self, chat_id: int, user_id: int, **message: Any) -> None:
        self.world.user_sends(chat_id, user_id, **message)
        await self.settle()

    async def press(self, chat_id: int, user_id: int, index: int) -> None:
        panel = self.world.last_bot_message(chat_id)
        assert panel is not None
        self.world.press_button(chat_id, panel.message_id, user_id, panel.callback_data[index])
        await self.settle()

    async def press_data(self, chat_id: int, user_id: int, data: str) -> None:
        """Press the newest message in the chat that carries a button with ``data``."""
        for message in reversed(self.world.sent_to(chat_id)):
            if data in message.callback_data:
                self.world.press_button(chat_id, message.message_id, user_id, data)
                await self.settle()
                return
        raise RuntimeError(f"no button {data} in chat {chat_id}")

    def message_with(self, chat_id: int, data: str) -> int:
        for message in reversed(self.world.sent_to(chat_id)):
            if data in message.callback_data:
                return message.message_id
        raise RuntimeError(f"no button {data} in chat {chat_id}")

    def last_id(self, chat_id: int) -> int:
        message = self.world.last_bot_message(chat_id)
        assert message is not None
        return message.message_id


async def play(script: Script, settings: Settings) -> None:
    """The story: an evening report that escalates and is then handled to "solved",
    and the next morning three more reports (in a group, as admin, privately), a neighbour
    joining the first as the same problem, and a refusal.
    """
    market, north = settings.grid_groups[0], settings.grid_groups[-1]
    market_point = inside(settings, market.grids[0])
    await evening(script, settings, market_point)
    now = script.clock.current.astimezone(ZoneInfo(settings.timezone))
    morning = (now + timedelta(days=1)).replace(hour=9, minute=30)
    await script.pass_minutes((morning - now).total_seconds() / 60)
    # In a group with privacy mode on: /report, then everything as replies.
    await script.say(market.chat_id, WANG, text="/report")
    await script.say(
        market.chat_id, WANG, location=market_point, reply_to=script.last_id(market.chat_id)
    )
    await script.press(market.chat_id, WANG, 0)
    await script.say(
        market.chat_id,
        WANG,
        text="水果三轮车停在消防通道上，堵了半小时了",
        reply_to=script.last_id(market.chat_id),
    )
    script.clock.advance(3)
    # A neighbour reports the same fruit truck 30 m away: "same as #1002?" -> Join (no ticket).
    await script.say(market.chat_id, LIU, text="/report")
    await script.say(
        market.chat_id,
        LIU,
        location=(market_point[0] + 0.00027, market_point[1]),
        reply_to=script.last_id(market.chat_id),
    )
    await script.press(market.chat_id, LIU, 0)
    await script.press(market.chat_id, LIU, 0)
    script.clock.advance(1)
    # A far-away pin is refused; the reporter cancels.
    await script.say(market.chat_id, WANG, text="/report")
    await script.say(
        market.chat_id,
        WANG,
        location=(market_point[0] - 0.05, market_point[1]),
        reply_to=script.last_id(market.chat_id),
    )
    await script.say(market.chat_id, WANG, text="/cancel")
    script.clock.advance(2)
    # In a group where the bot is an admin: a plain venue starts the report; with a photo.
    script.world.set_bot_admin(north.chat_id, CHEN)
    lat, lon = inside(settings, north.grids[0])
    await script.say(north.chat_id, CHEN, venue=Venue(lat, lon, "新浦菜市场", "新浦路88号"))
    await script.press(north.chat_id, CHEN, 2)
    await script.say(
        north.chat_id,
        CHEN,
        photo=True,
        caption="纸箱堆满人行道",
        reply_to=script.last_id(north.chat_id),
    )
    script.clock.advance(5)
    # Privately, through the group's link: the group never sees who reported.
    await script.say(LIU, LIU, text=f"/start r{abs(market.chat_id)}")
    await script.say(LIU, LIU, location=inside(settings, market.grids[-1]))
    await script.press(LIU, LIU, 4)
    await script.press(LIU, LIU, 0)


async def evening(script: Script, settings: Settings, point: tuple[float, float]) -> None:
    """21:30: the grid's day squad is off, so the night squad gets the ticket. Nobody claims:
    a reminder at the deadline, the leads five minutes later; then the night officer claims,
    arrives (location as a reply to the card), resolves by service, and the reporter confirms.
    """
    market = settings.grid_groups[0].chat_id
    await script.say(market, WANG, text="/report")
    await script.say(market, WANG, location=point, reply_to=script.last_id(market))
    await script.press(market, WANG, 0)
    await script.say(market, WANG, text="夜市摊位摆到了消防通道上", reply_to=script.last_id(market))
    await script.pass_minutes(5)
    await script.pass_minutes(5)
    await script.pass_minutes(2)
    home = settings.squads[0]
    night = next((s for s in settings.squads if s.id == home.fallback), home)
    chat = night.dispatch_chat_id
    officer = script.world.message(chat, script.message_with(chat, "v1:claim:1001"))
    on_duty = [m.telegram_id for m in night.members if m.role == "officer"]
    who = next((i for i in reversed(on_duty) if str(i) in str(officer.entities)), on_duty[-1])
    await script.press_data(chat, who, "v1:claim:1001")
    await script.pass_minutes(13)
    card = script.message_with(chat, "v1:resolve:1001")
    await script.say(chat, who, location=(point[0] + 0.0004, point[1]), reply_to=card)
    await script.pass_minutes(9)
    await script.press_data(chat, who, "v1:resolve:1001")
    await script.press_data(chat, who, "v1:rcls:1001:service")
    action = settings.workflow.actions["service"][0].code
    await script.press_data(chat, who, f"v1:ract:1001:{action}")
    # Guided to a designated vending point: the officer picks the nearest open one offered.
    prompt = script.world.message(chat, script.message_with(chat, "v1:rcan:1001"))
    picks = [data for data in prompt.callback_data if data.startswith("v1:rpt:1001:")]
    if picks:
        await script.press_data(chat, who, picks[0])
    await script.say(
        chat,
        who,
        text="已引导摊主到临时经营点，消防通道已畅通",
        reply_to=script.message_with(chat, "v1:rskip:1001"),
    )
    await script.pass_minutes(6)
    await script.press_data(market, WANG, "v1:ok:1001")
    await script.press_data(market, WANG, "v1:rate:1001:5")


def print_transcripts(world: World, settings: Settings, out: TextIO) -> None:
    chats: list[tuple[int, str]] = [(g.chat_id, g.name) for g in settings.grid_groups]
    chats += [(s.dispatch_chat_id, s.name.zh) for s in settings.squads]
    chats += [(LIU, f"{OWNERS[LIU]} ↔ GridDesk (private)")]
    for chat_id, title in chats:
        print(f"\n══ {title} ({chat_id}) ══", file=out)
        for line in world.transcript(chat_id, settings.timezone):
            print(line, file=out)


async def run_demo(
    config: Path = Path("config.yaml"), out: TextIO = sys.stdout, workdir: Path | None = None
) -> int:
    """Run the scripted demo; return the exit status.

    The demo's database lives in a temporary folder, or in ``workdir`` (kept) when given.
    """
    from bot.app import build_application
    from handlers.context import SERVICES_KEY
    from storage import outbox as outbox_rows

    base = load_settings(config)
    clock = StoryClock(base.timezone)
    world = build_world(base, clock)
    with tempfile.TemporaryDirectory(prefix="griddesk-demo-") as scratch:
        tmp = str(workdir or scratch)
        async with StandinServer(world, DEMO_TOKEN) as server:
            settings = base.model_copy(
                update={
                    "database": Database(path=str(Path(tmp) / "demo.db")),
                    "telegram": TelegramSettings(base_url=server.base_url),
                }
            )
            app = build_application(
                # The story clock jumps minutes at a time; pacing by it would never wait out.
                settings,
                DEMO_TOKEN,
                clock=clock,
                config_dir=config.parent,
                rate_limit=False,
            )
            services = app.bot_data[SERVICES_KEY]

            async def pending() -> bool:
                async with services.db.transaction() as conn:
                    counts = await outbox_rows.count_by_status(conn)
                return counts.get(outbox_rows.PENDING, 0) > 0

            async with app:
                await app.post_init(app)  # type: ignore[misc]
                await app.start()
                assert app.updater is not None
                await app.updater.start_polling(poll_interval=0.0, timeout=1)
                try:
                    script = Script(world, pending, clock, services.escalator.fire_due)
                    await play(script, settings)
                finally:
                    await app.updater.stop()
                    await app.stop()
                    await app.post_shutdown(app)  # type: ignore[misc]
    print(f"GridDesk demo: {base.district.name.zh} — transcripts of each chat", file=out)
    print_transcripts(world, settings, out)
    rejected = [c for c in world.calls if not c.ok and c.method != "getUpdates"]
    print(f"\n{len(world.calls)} Bot API requests, {len(rejected)} rejected.", file=out)
    return 1 if rejected else 0
