"""Drives the real GridDesk Application against the stand-in world, in-process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from telegram import Update

from bot.app import build_application
from bot.core.config import Settings
from bot.services import Services
from handlers.context import SERVICES_KEY, GridApp
from standin import ChatMessage, Venue, World
from storage import outbox as outbox_rows
from storage import tickets as ticket_rows
from storage.schema import tickets
from storage.tickets import Event, Ticket
from tests.clock import FakeClock
from tests.fakes import InProcessBotApi

TOKEN = "4242:stand-in-token-used-by-tests"

MARKET_GROUP = -1001000000201  # grid group for minzhu-west and minzhu-east
NORTH_GROUP = -1001000000202  # grid group for xinpu-north
MINZHU_SQUAD = -1001000000101
XINPU_SQUAD = -1001000000102
STRANGE_GROUP = -1009999999999  # a group nobody configured
COMMAND_CENTRE = -1001000000100

WANG, LIU, CHEN, OUTSIDER = 9001, 9002, 9003, 9009  # shop owners, and someone in no group
LI_MING, ZHAO_GANG, SUN_LEI = 710002, 720002, 720003  # officers

IN_WEST = (34.5940, 119.1750)
IN_NORTH = (34.6020, 119.1850)
FAR_AWAY = (34.5500, 119.1750)


def populate(world: World) -> None:
    """The example district's people and chats."""
    world.add_user(WANG, "王老板", username="wang_fruit", language_code="en")
    world.add_user(LIU, "刘阿姨", language_code="zh-hans")
    world.add_user(CHEN, "陈师傅")
    world.add_user(OUTSIDER, "路人")
    world.add_user(710001, "张队长")
    world.add_user(LI_MING, "李明")
    world.add_user(710003, "王强")
    world.add_user(720001, "陈队长")
    world.add_user(ZHAO_GANG, "赵刚")
    world.add_user(SUN_LEI, "孙磊")
    world.add_user(700001, "刘主任")
    world.add_chat(MARKET_GROUP, title="民主路商户群", members=[WANG, LIU, LI_MING, 710001])
    world.add_chat(NORTH_GROUP, title="新浦北商户群", members=[CHEN, ZHAO_GANG])
    world.add_chat(MINZHU_SQUAD, title="民主路中队", members=[710001, LI_MING, 710003])
    world.add_chat(XINPU_SQUAD, title="新浦中队", members=[720001, ZHAO_GANG, SUN_LEI])
    world.add_chat(COMMAND_CENTRE, title="街道指挥中心", members=[700001])
    world.add_chat(STRANGE_GROUP, title="别的群", members=[OUTSIDER])
    for user in (WANG, LIU, CHEN, OUTSIDER):
        world.add_chat(user, "private")


@dataclass
class Harness:
    world: World
    app: GridApp
    clock: FakeClock

    @property
    def services(self) -> Services:
        services: Services = self.app.bot_data[SERVICES_KEY]
        return services

    async def feed(self, update: dict[str, Any] | None) -> None:
        """Let the bot process an update (None: Telegram would not deliver it), then send."""
        if update is not None:
            await self.app.process_update(Update.de_json(update, self.app.bot))
        await self.settle()

    async def settle(self) -> None:
        """Deliver the outbox until nothing due is left."""
        while await self.services.outbox.flush():
            pass

    async def say(self, chat_id: int, user_id: int, **message: Any) -> dict[str, Any] | None:
        update = self.world.user_sends(chat_id, user_id, **message)
        await self.feed(update)
        return update

    async def press(self, chat_id: int, message_id: int, user_id: int, data: str) -> dict[str, Any]:
        update = self.world.press_button(chat_id, message_id, user_id, data)
        await self.feed(update)
        return update

    def bot_last(self, chat_id: int) -> ChatMessage:
        message = self.world.last_bot_message(chat_id)
        assert message is not None, f"the bot said nothing in {chat_id}"
        return message

    def answer_to(self, update: dict[str, Any]) -> dict[str, Any]:
        """What the bot answered to a button press (text, show_alert)."""
        record = self.world.callbacks[update["callback_query"]["id"]]
        assert record.answered, "the button press was not answered"
        return record.answer or {}

    async def report_in_group(
        self,
        chat_id: int,
        user_id: int,
        point: tuple[float, float] = IN_WEST,
        category_index: int = 0,
        details: dict[str, Any] | None = None,
    ) -> Ticket:
        """A whole /report conversation in a grid group; returns the new ticket."""
        command = await self.say(chat_id, user_id, text="/report")
        assert command is not None
        prompt = self.bot_last(chat_id)
        await self.say(chat_id, user_id, location=point, reply_to=prompt.message_id)
        panel = self.bot_last(chat_id)
        await self.press(chat_id, panel.message_id, user_id, panel.callback_data[category_index])
        offer = [
            data for data in self.bot_last(chat_id).callback_data if data.startswith("v1:new:")
        ]
        if offer:  # near an open ticket of the category: a new problem all the same
            await self.press(chat_id, panel.message_id, user_id, offer[0])
        if details is None:
            await self.press(
                chat_id, panel.message_id, user_id, self.bot_last(chat_id).callback_data[0]
            )
        else:
            await self.say(chat_id, user_id, reply_to=panel.message_id, **details)
        ticket = await self.latest_ticket()
        assert ticket is not None
        return ticket

    async def latest_ticket(self) -> Ticket | None:
        async with self.services.db.transaction() as conn:
            newest = (await conn.execute(select(func.max(tickets.c.id)))).scalar()
            return await ticket_rows.get_ticket(conn, newest) if newest else None

    async def ticket_count(self) -> int:
        async with self.services.db.transaction() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(tickets))).scalar() or 0
            )

    async def events(self, ticket_id: int) -> list[Event]:
        async with self.services.db.transaction() as conn:
            return await ticket_rows.events_of(conn, ticket_id)

    async def ticket(self, ticket_id: int) -> Ticket:
        async with self.services.db.transaction() as conn:
            ticket = await ticket_rows.get_ticket(conn, ticket_id)
        assert ticket is not None
        return ticket

    async def message_of(self, outbox_id: int | None) -> ChatMessage:
        """The live chat message an outbox item became."""
        assert outbox_id is not None
        async with self.services.db.transaction() as conn:
            item = await outbox_rows.get_item(conn, outbox_id)
        assert item is not None and item.message_id is not None, "that notice was not sent"
        return self.world.message(item.chat_id, item.message_id)

    async def card(self, ticket_id: int) -> ChatMessage:
        return await self.message_of((await self.ticket(ticket_id)).card_outbox_id)

    async def press_on_card(self, ticket_id: int, user_id: int, data: str) -> dict[str, Any]:
        card = await self.card(ticket_id)
        return await self.press(card.chat_id, card.message_id, user_id, data)

    def rejected_calls(self) -> list[str]:
        return [
            f"{c.method}: {c.description}" for c in self.world.calls if not c.ok and not c.fault
        ]

    async def stop(self) -> None:
        await self.app.post_shutdown(self.app)  # type: ignore[misc]
        await self.app.shutdown()


async def start_harness(world: World, settings: Settings, clock: FakeClock) -> Harness:
    request = InProcessBotApi(world)
    app = build_application(
        settings,
        TOKEN,
        clock=clock,
        request=request,
        updates_request=InProcessBotApi(world),
        rate_limit=False,
        run_sender=False,
    )
    await app.initialize()
    await app.post_init(app)  # type: ignore[misc]
    return Harness(world, app, clock)


__all__ = ["Harness", "Venue", "start_harness"]
