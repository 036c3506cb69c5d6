"""Behaviour of the local Telegram stand-in ("the world"), in-process and over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
)
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Defaults, ExtBot
from telegram.request import HTTPXRequest

from standin import (
    ApiResponse,
    Fault,
    FaultPlan,
    ManualClock,
    StandinServer,
    Venue,
    World,
    parse_html,
)
from tests.fakes import InProcessBotApi

TOKEN = "7000000001:standin-test-token"
START = 1_717_228_800  # 2024-06-01 08:00:00 UTC
ALICE, BOB, CAROL = 101, 102, 103
GROUP = -1_001_000_000_001
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


@pytest.fixture(name="clock")
def fixture_clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(name="world")
def fixture_world(clock: ManualClock) -> World:
    world = World(clock=clock, api_json=None)
    world.add_user(ALICE, "Alice", last_name="Wong", username="alice_w")
    world.add_user(BOB, "Bob", username="bob_k")
    world.add_user(CAROL, "Carol")
    world.add_chat(GROUP, "supergroup", "Grid 7", members={ALICE: "creator", BOB: "member"})
    world.add_chat(ALICE, "private")
    return world


@pytest.fixture(name="api")
def fixture_api(world: World) -> InProcessBotApi:
    return InProcessBotApi(world, token=TOKEN)


@pytest.fixture(name="bot")
async def fixture_bot(api: InProcessBotApi) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, request=api, get_updates_request=api) as bot:
        yield bot


@pytest.fixture(name="server")
async def fixture_server(world: World) -> AsyncIterator[StandinServer]:
    async with StandinServer(world, TOKEN) as server:
        yield server


def loopback_request() -> HTTPXRequest:
    # Proxy variables in a CI environment must not divert loopback traffic.
    return HTTPXRequest(httpx_kwargs={"trust_env": False})


async def call(world: World, method: str, **params: Any) -> ApiResponse:
    return await world.call(method, params)


def keyboard(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"inline_keyboard": [list(buttons)]}


async def bot_says(world: World, text: str, chat_id: int = GROUP, **params: Any) -> int:
    response = await call(world, "sendMessage", chat_id=chat_id, text=text, **params)
    assert 200 == response.status, response.payload
    message_id: int = response.payload["result"]["message_id"]
    return message_id


# --- answering like Telegram -------------------------------------------------------------


async def test_send_message_answers_with_message_ids_increasing_per_chat(world: World) -> None:
    """Each chat numbers its messages from 1 and dates them in integer unix seconds."""
    world.user_sends(GROUP, ALICE, text="hello")
    first = (await call(world, "sendMessage", chat_id=GROUP, text="one")).payload
    second = (await call(world, "sendMessage", chat_id=ALICE, text="two")).payload
    assert (True, 2, START) == (first["ok"], first["result"]["message_id"], first["result"]["date"])
    assert 1 == second["result"]["message_id"]
    assert {"id": GROUP, "type": "supergroup", "title": "Grid 7"} == first["result"]["chat"]


async def test_html_text_is_stored_as_visible_text_with_entities(world: World) -> None:
    """HTML parse mode yields the plain text and UTF-16 entity offsets."""
    result = (
        await call(
            world,
            "sendMessage",
            chat_id=GROUP,
            text="😀 <b>Ticket</b> &lt;7&gt;",
            parse_mode="HTML",
        )
    ).payload["result"]
    assert "😀 Ticket <7>" == result["text"]
    assert [{"offset": 3, "length": 6, "type": "bold"}] == result["entities"]


async def test_method_names_are_case_insensitive(world: World) -> None:
    """Telegram accepts any capitalisation of a method name."""
    assert 200 == (await call(world, "SENDMESSAGE", chat_id=GROUP, text="x")).status
    assert "sendMessage" == world.calls[-1].method


async def test_http_style_string_values_are_normalized(world: World) -> None:
    """Numbers, booleans and nested objects sent as strings are decoded by the schema."""
    response = await call(
        world,
        "sendLocation",
        chat_id=str(GROUP),
        latitude="31.2304",
        longitude="121.4737",
        disable_notification="true",
        reply_markup=json.dumps(keyboard({"text": "Go", "callback_data": "go"})),
    )
    assert 200 == response.status, response.payload
    assert {
        "chat_id": GROUP,
        "latitude": 31.2304,
        "longitude": 121.4737,
        "disable_notification": True,
    } == {
        key: world.calls[-1].params[key]
        for key in ("chat_id", "latitude", "longitude", "disable_notification")
    }
    assert [["Go"]] == world.last_bot_message(GROUP).button_labels  # type: ignore[union-attr]


async def test_message_view_shows_current_state(world: World) -> None:
    """message() reflects edits, replies and the keyboard of any message."""
    asked = world.user_sends(GROUP, ALICE, text="/new")
    assert asked is not None
    message_id = await bot_says(
        world,
        "Which?",
        reply_parameters={"message_id": asked["message"]["message_id"]},
        reply_markup=keyboard({"text": "A", "callback_data": "a"}),
    )
    await call(world, "editMessageText", chat_id=GROUP, message_id=message_id, text="Done")
    view = world.message(GROUP, message_id)
    assert ("Done", True, 1, None) == (view.text, view.edited, view.reply_to, view.reply_markup)


# --- refusing what Telegram refuses ---------------------------------------------------------


REJECTED_SENDS = [
    pytest.param({"text": ""}, "Bad Request: message text is empty", id="empty-text"),
    pytest.param({"text": "  \n"}, "Bad Request: message text is empty", id="blank-text"),
    pytest.param(
        {"text": "<b></b>", "parse_mode": "HTML"},
        "Bad Request: message text is empty",
        id="empty-after-html",
    ),
    pytest.param({"text": "x" * 4097}, "Bad Request: message is too long", id="too-long"),
    pytest.param(
        {"text": "x", "reply_to_message_id": 1},
        'Bad Request: unknown parameter "reply_to_message_id" for method sendMessage',
        id="legacy-reply-to",
    ),
    pytest.param(
        {"text": "x", "disable_web_page_preview": True},
        'Bad Request: unknown parameter "disable_web_page_preview" for method sendMessage',
        id="legacy-preview",
    ),
    pytest.param(
        {"text": "<b>open", "parse_mode": "HTML"},
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
        id="unclosed-tag",
    ),
    pytest.param(
        {"text": "a<br>b", "parse_mode": "HTML"},
        'Bad Request: can\'t parse entities: Unsupported start tag "br" at byte offset 1',
        id="unsupported-tag",
    ),
    pytest.param(
        {"text": "<b>x</i>", "parse_mode": "HTML"},
        "Bad Request: can't parse entities: Unmatched end tag at byte offset 4, "
        'expected "</b>", found "</i>"',
        id="crossed-tags",
    ),
    pytest.param(
        {"text": "x", "reply_markup": keyboard({"text": "A", "callback_data": "x" * 65})},
        "Bad Request: BUTTON_DATA_INVALID",
        id="callback-data-65-bytes",
    ),
    pytest.param(
        {"text": "x", "reply_markup": keyboard({"text": "A", "callback_data": "й" * 33})},
        "Bad Request: BUTTON_DATA_INVALID",
        id="callback-data-66-utf8-bytes",
    ),
    pytest.param(
        {"text": "x", "reply_markup": keyboard({"text": "A", "callback_data": ""})},
        "Bad Request: BUTTON_DATA_INVALID",
        id="callback-data-empty",
    ),
    pytest.param(
        {"text": "x", "reply_markup": keyboard({"text": "A"})},
        "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard",
        id="button-without-action",
    ),
    pytest.param(
        {
            "text": "x",
            "reply_markup": keyboard({"text": "A", "url": "https://e.xyz", "callback_data": "a"}),
        },
        "Bad Request: can't parse inline keyboard button: exactly one of the optional fields "
        "must be used, got url, callback_data",
        id="button-with-two-actions",
    ),
    pytest.param(
        {"text": "x", "reply_parameters": {"message_id": 999}},
        "Bad Request: message to be replied not found",
        id="reply-to-missing",
    ),
    pytest.param(
        {"text": "x", "reply_markup": {"keyboard": [[{"text": "Here", "request_location": True}]]}},
        "Bad Request: keyboard buttons requesting location are allowed only in private chats",
        id="location-request-in-group",
    ),
]


@pytest.mark.parametrize(("params", "description"), REJECTED_SENDS)
async def test_bad_send_message_is_rejected(
    world: World, params: dict[str, Any], description: str
) -> None:
    """sendMessage requests Telegram would refuse get a 400 and send nothing."""
    response = await call(world, "sendMessage", chat_id=GROUP, **params)
    assert (400, description) == (response.status, response.payload["description"])
    assert [] == world.sent_to(GROUP)
    assert (False, description) == (world.calls[-1].ok, world.calls[-1].description)


async def test_unknown_method_is_404_not_found(world: World) -> None:
    """A method Telegram does not have is answered 404 Not Found."""
    response = await call(world, "sendTelepathy", chat_id=GROUP)
    assert (404, {"ok": False, "error_code": 404, "description": "Not Found"}) == (
        response.status,
        response.payload,
    )


async def test_missing_required_parameter_is_rejected(world: World) -> None:
    """A send without chat_id is refused with Telegram's wording."""
    response = await call(world, "sendMessage", text="x")
    assert "Bad Request: chat_id is empty" == response.payload["description"]


async def test_unknown_chat_is_chat_not_found(world: World) -> None:
    """A chat the world does not know is refused as 'chat not found'."""
    response = await call(world, "sendMessage", chat_id=-42, text="x")
    assert (400, "Bad Request: chat not found") == (
        response.status,
        response.payload["description"],
    )


async def test_boundary_lengths_are_accepted(world: World) -> None:
    """4096 characters of text and 64 UTF-8 bytes of callback_data are still allowed."""
    markup = keyboard({"text": "A", "callback_data": "й" * 32})
    response = await call(world, "sendMessage", chat_id=GROUP, text="x" * 4096, reply_markup=markup)
    assert 200 == response.status


async def test_caption_over_1024_characters_is_rejected(world: World) -> None:
    """A photo caption longer than 1024 characters is refused."""
    response = await call(
        world, "sendPhoto", chat_id=GROUP, photo="https://e.xyz/a.jpg", caption="c" * 1025
    )
    assert "Bad Request: message caption is too long" == response.payload["description"]


async def test_reply_to_missing_message_is_allowed_when_asked(world: World) -> None:
    """allow_sending_without_reply sends the message without a reply."""
    reply = {"message_id": 999, "allow_sending_without_reply": True}
    message_id = await bot_says(world, "x", reply_parameters=reply)
    assert world.message(GROUP, message_id).reply_to is None


async def test_location_request_keyboard_is_fine_in_private_chat(world: World) -> None:
    """Reply keyboards may request a location in private chats."""
    markup = {"keyboard": [[{"text": "Send my location", "request_location": True}]]}
    response = await call(world, "sendMessage", chat_id=ALICE, text="Where?", reply_markup=markup)
    assert 200 == response.status
    assert "reply_markup" not in response.payload["result"]


async def test_edit_of_missing_message_is_rejected(world: World) -> None:
    """Editing a message id that does not exist is refused."""
    response = await call(world, "editMessageText", chat_id=GROUP, message_id=77, text="x")
    assert "Bad Request: message to edit not found" == response.payload["description"]


async def test_edit_of_a_persons_message_is_rejected(world: World) -> None:
    """The bot may only edit its own messages."""
    world.user_sends(GROUP, ALICE, text="mine")
    response = await call(world, "editMessageText", chat_id=GROUP, message_id=1, text="x")
    assert "Bad Request: message can't be edited" == response.payload["description"]


async def test_identical_edit_is_not_modified(world: World) -> None:
    """Re-sending the same text and keyboard is refused as 'message is not modified'."""
    markup = keyboard({"text": "A", "callback_data": "a"})
    message_id = await bot_says(world, "<b>Hi</b>", parse_mode="HTML", reply_markup=markup)
    response = await call(
        world,
        "editMessageText",
        chat_id=GROUP,
        message_id=message_id,
        text="<b>Hi</b>",
        parse_mode="HTML",
        reply_markup=markup,
    )
    assert NOT_MODIFIED == response.payload["description"]
    assert not world.message(GROUP, message_id).edited


async def test_edit_without_markup_removes_the_keyboard(world: World) -> None:
    """An edit that omits reply_markup drops the inline keyboard, even with the same text."""
    message_id = await bot_says(
        world, "Hi", reply_markup=keyboard({"text": "A", "callback_data": "a"})
    )
    response = await call(world, "editMessageText", chat_id=GROUP, message_id=message_id, text="Hi")
    assert 200 == response.status
    assert [] == world.message(GROUP, message_id).button_labels


async def test_identical_caption_edit_is_not_modified(world: World) -> None:
    """editMessageCaption with the current caption is refused as not modified."""
    sent = await call(world, "sendPhoto", chat_id=GROUP, photo="https://e.xyz/a.jpg", caption="c")
    message_id = sent.payload["result"]["message_id"]
    response = await call(
        world, "editMessageCaption", chat_id=GROUP, message_id=message_id, caption="c"
    )
    assert NOT_MODIFIED == response.payload["description"]


async def test_callback_answer_needs_a_known_unanswered_query(world: World) -> None:
    """A query id can be answered once; unknown or repeated answers are refused."""
    message_id = await bot_says(
        world, "Pick", reply_markup=keyboard({"text": "A", "callback_data": "a"})
    )
    update = world.press_button(GROUP, message_id, BOB, "a")
    assert update is not None
    query_id = update["callback_query"]["id"]
    first = await call(world, "answerCallbackQuery", callback_query_id=query_id)
    again = await call(world, "answerCallbackQuery", callback_query_id=query_id)
    unknown = await call(world, "answerCallbackQuery", callback_query_id="123")
    expected = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    assert (200, expected, expected) == (
        first.status,
        again.payload["description"],
        unknown.payload["description"],
    )


async def test_callback_answer_text_over_200_characters_is_rejected(world: World) -> None:
    """answerCallbackQuery text is limited to 200 characters."""
    message_id = await bot_says(
        world, "Pick", reply_markup=keyboard({"text": "A", "callback_data": "a"})
    )
    update = world.press_button(GROUP, message_id, BOB, "a")
    assert update is not None
    response = await call(
        world,
        "answerCallbackQuery",
        callback_query_id=update["callback_query"]["id"],
        text="t" * 201,
    )
    assert "Bad Request: MESSAGE_TOO_LONG" == response.payload["description"]


async def test_bot_cannot_start_a_private_conversation(world: World) -> None:
    """A known person who never wrote to the bot cannot be messaged (403)."""
    response = await call(world, "sendMessage", chat_id=BOB, text="hi")
    assert (403, "Forbidden: bot can't initiate conversation with a user") == (
        response.status,
        response.payload["description"],
    )


async def test_bot_cannot_post_after_leaving(world: World) -> None:
    """After leaveChat the group is closed to the bot and a my_chat_member update arrives."""
    assert 200 == (await call(world, "leaveChat", chat_id=GROUP)).status
    response = await call(world, "sendMessage", chat_id=GROUP, text="x")
    assert (
        "Forbidden: bot is not a member of the supergroup chat" == response.payload["description"]
    )
    assert "left" == world.updates[-1]["my_chat_member"]["new_chat_member"]["status"]


@pytest.mark.parametrize(
    ("method", "markup", "description"),
    [
        ("sendMessage", {"force_reply": True, "input_field_placeholder": "Shop no."}, None),
        ("sendMessage", {"remove_keyboard": True}, None),
        (
            "sendMessage",
            {"force_reply": False},
            'Bad Request: can\'t parse reply keyboard markup: "force_reply" must be true',
        ),
        (
            "sendMessage",
            {"inline_keyboard": [[]], "keyboard": [[]]},
            "Bad Request: can't parse reply keyboard markup JSON object",
        ),
        ("editMessageReplyMarkup", {"keyboard": [["A"]]}, "Bad Request: inline keyboard expected"),
    ],
)
async def test_reply_markup_shapes_are_checked(
    world: World, method: str, markup: dict[str, Any], description: str | None
) -> None:
    """The four reply-markup objects are validated; edits take inline keyboards only."""
    message_id = await bot_says(world, "Shop?")
    target = {"text": "Shop?"} if method == "sendMessage" else {"message_id": message_id}
    response = await call(world, method, chat_id=GROUP, reply_markup=markup, **target)
    assert description == response.payload.get("description")


async def test_chat_member_statuses_are_reported(world: World) -> None:
    """getChatMember answers creator, member, left and the bot's own standing."""
    members = [
        (await call(world, "getChatMember", chat_id=GROUP, user_id=user)).payload["result"]
        for user in (ALICE, BOB, CAROL, world.bot.id)
    ]
    statuses = [member["status"] for member in members]
    admins = (await call(world, "getChatAdministrators", chat_id=GROUP)).payload["result"]
    assert ["creator", "member", "left", "member"] == statuses
    assert [ALICE] == [admin["user"]["id"] for admin in admins]


async def test_pinning_in_a_group_needs_admin_rights(world: World) -> None:
    """Only an admin bot may pin in groups; the pin shows as a service message."""
    message_id = await bot_says(world, "Rules: be kind")
    refused = await call(world, "pinChatMessage", chat_id=GROUP, message_id=message_id)
    world.set_bot_admin(GROUP, ALICE)
    pinned = await call(world, "pinChatMessage", chat_id=GROUP, message_id=message_id)
    assert (
        "Bad Request: not enough rights to manage pinned messages in the chat",
        200,
    ) == (refused.payload["description"], pinned.status)
    assert "[08:00] GridDesk: 📌 pinned «Rules: be kind»" == world.transcript(GROUP)[-1]


async def test_command_menu_round_trips_through_ptb(bot: Bot) -> None:
    """setMyCommands stores a menu per scope that getMyCommands returns; bad names fail."""
    group_scope = BotCommandScopeAllGroupChats()
    await bot.set_my_commands([BotCommand("new", "Report a problem")], scope=group_scope)
    assert ["new"] == [c.command for c in await bot.get_my_commands(scope=group_scope)]
    assert () == await bot.get_my_commands()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("New", "Report")])


def test_people_edits_and_live_locations_arrive_as_edited_messages(world: World) -> None:
    """A person's edit and a moving live location both produce edited_message updates."""
    world.user_sends(ALICE, ALICE, text="shop 12")
    world.user_sends(ALICE, ALICE, location=(31.2, 121.4), live_period=900)
    edited = world.edit_user_message(ALICE, 1, text="shop 21")
    moved = world.move_live_location(ALICE, 2, 31.3, 121.5)
    assert edited is not None and moved is not None
    assert ("shop 21", 31.3) == (
        edited["edited_message"]["text"],
        moved["edited_message"]["location"]["latitude"],
    )


@given(st.text())
def test_escaped_html_shows_the_original_text(text: str) -> None:
    """Escaping any text and wrapping it in <b> shows that text, bold from end to end."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    parsed = parse_html(f"<b>{escaped}</b>")
    length = len(text.encode("utf-16-le")) // 2
    expected = [{"offset": 0, "length": length, "type": "bold"}] if length else []
    assert (text, expected) == (parsed.text, parsed.entities)


# --- privacy mode and delivery ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delivered"),
    [
        ("/new", True),
        ("/new@griddesk_bot shop 12", True),
        ("/new@other_bot", False),
        ("hello everyone", False),
        ("see /new later", False),
        ("hey @griddesk_bot look", True),
        ("hey @GridDesk_Bot look", True),
        ("hey @bob_k look", False),
    ],
)
def test_privacy_mode_delivers_only_what_concerns_the_bot(
    world: World, text: str, delivered: bool
) -> None:
    """With privacy on, groups deliver commands for this bot and mentions of it only."""
    update = world.user_sends(GROUP, ALICE, text=text)
    assert delivered == (update is not None)
    assert text == world.message(GROUP, 1).text


async def test_replies_to_the_bot_pass_privacy_mode(world: World) -> None:
    """A reply to the bot's message is delivered, with the replied message one level deep."""
    question = await bot_says(world, "Which shop?")
    world.user_sends(GROUP, BOB, text="unrelated")
    answer = world.user_sends(GROUP, ALICE, text="No. 12", reply_to=question)
    not_for_bot = world.user_sends(GROUP, BOB, text="me too", reply_to=2)
    assert answer is not None
    assert None is not_for_bot
    replied = answer["message"]["reply_to_message"]
    assert ("Which shop?", True) == (replied["text"], replied["from"]["is_bot"])


def test_service_messages_pass_privacy_mode(world: World) -> None:
    """Joins are service messages and always reach the bot."""
    update = world.user_joins(GROUP, CAROL, added_by=ALICE)
    assert update is not None
    assert [CAROL] == [user["id"] for user in update["message"]["new_chat_members"]]


@pytest.mark.parametrize("setting", ["privacy_off", "bot_admin"])
def test_bot_gets_everything_without_privacy_or_as_admin(world: World, setting: str) -> None:
    """Privacy mode off, or the bot being an admin, delivers every group message."""
    if setting == "privacy_off":
        world.set_privacy_mode(GROUP, False)
    else:
        world.set_bot_admin(GROUP, ALICE)
    assert world.user_sends(GROUP, BOB, text="hello everyone") is not None


def test_private_chat_delivers_everything_and_starts_itself(world: World) -> None:
    """Private chats deliver all messages; the chat id is the person's id."""
    update = world.user_sends(BOB, BOB, text="hello")
    assert update is not None
    assert {"id": BOB, "type": "private", "first_name": "Bob", "username": "bob_k"} == (
        update["message"]["chat"]
    )


def test_command_entities_are_built_like_telegram(world: World) -> None:
    """A command gets a bot_command entity with UTF-16 offset and length."""
    update = world.user_sends(ALICE, ALICE, text="/new@griddesk_bot 😀 @bob_k")
    assert update is not None
    assert [
        {"type": "bot_command", "offset": 0, "length": 17},
        {"type": "mention", "offset": 21, "length": 6},
    ] == update["message"]["entities"]


def test_location_venue_and_photo_updates_have_telegram_shapes(world: World) -> None:
    """Shared places and photos arrive as Location, Venue and PhotoSize objects."""
    located = world.user_sends(ALICE, ALICE, location=(31.2304, 121.4737))
    venue = world.user_sends(ALICE, ALICE, venue=Venue(31.2, 121.4, "Noodle Bar", "1 Main Rd"))
    photo = world.user_sends(ALICE, ALICE, photo=True, caption="broken sign")
    assert located is not None and venue is not None and photo is not None
    assert {"latitude": 31.2304, "longitude": 121.4737} == located["message"]["location"]
    assert ("Noodle Bar", 31.2) == (
        venue["message"]["venue"]["title"],
        venue["message"]["location"]["latitude"],
    )
    sizes = photo["message"]["photo"]
    assert {"file_id", "file_unique_id", "width", "height", "file_size"} == set(sizes[-1])
    assert "broken sign" == photo["message"]["caption"]


def test_bot_added_yields_my_chat_member_update(world: World) -> None:
    """Adding the bot produces my_chat_member and a new_chat_members service message."""
    world.add_chat(-5, "group", "Street 5", members={BOB: "creator"}, bot_member=False)
    update = world.bot_added(-5, BOB)
    assert update is not None
    change = update["my_chat_member"]
    assert ("left", "member", BOB) == (
        change["old_chat_member"]["status"],
        change["new_chat_member"]["status"],
        change["from"]["id"],
    )
    assert "new_chat_members" in world.updates[-1]["message"]


# --- getUpdates --------------------------------------------------------------------------------


async def test_get_updates_confirms_by_offset(world: World) -> None:
    """Updates stay queued until a later offset confirms them."""
    world.user_sends(ALICE, ALICE, text="one")
    world.user_sends(ALICE, ALICE, text="two")
    first = (await call(world, "getUpdates")).payload["result"]
    after = (await call(world, "getUpdates", offset=first[0]["update_id"] + 1)).payload["result"]
    assert (["one", "two"], ["two"]) == (
        [u["message"]["text"] for u in first],
        [u["message"]["text"] for u in after],
    )


async def test_long_poll_returns_when_an_update_arrives(world: World) -> None:
    """A waiting getUpdates returns as soon as someone writes, not at its timeout."""
    poll = asyncio.create_task(world.call("getUpdates", {"timeout": 30}))
    await asyncio.sleep(0.01)
    assert not poll.done()
    world.user_sends(ALICE, ALICE, text="hi")
    response = await asyncio.wait_for(poll, timeout=0.5)
    assert ["hi"] == [u["message"]["text"] for u in response.payload["result"]]


async def test_long_poll_times_out_empty(world: World) -> None:
    """With nothing to deliver, getUpdates waits out its timeout and returns []."""
    response = await asyncio.wait_for(world.call("getUpdates", {"timeout": 0.05}), timeout=0.5)
    assert [] == response.payload["result"]


async def test_second_poll_ends_the_first_with_conflict(world: World) -> None:
    """Two pollers at once: the older is terminated with 409 Conflict."""
    older = asyncio.create_task(world.call("getUpdates", {"timeout": 30}))
    await asyncio.sleep(0.01)
    newer = await world.call("getUpdates", {"timeout": 0})
    ended = await asyncio.wait_for(older, timeout=0.5)
    assert (200, 409) == (newer.status, ended.status)
    assert ended.payload["description"].startswith("Conflict: terminated by other getUpdates")


async def test_get_updates_conflicts_with_a_webhook(world: World) -> None:
    """While a webhook is set, getUpdates is refused with 409."""
    await call(world, "setWebhook", url="https://example.org/hook")
    response = await call(world, "getUpdates")
    assert 409 == response.status


async def test_allowed_updates_filters_later_updates(world: World) -> None:
    """Update kinds excluded by allowed_updates are not delivered."""
    await call(world, "getUpdates", allowed_updates=["callback_query"])
    assert None is world.user_sends(ALICE, ALICE, text="hi")


# --- buttons and transcript --------------------------------------------------------------------


async def test_press_button_records_whether_data_was_on_the_keyboard(world: World) -> None:
    """Crafted callback data is delivered too, but marked as not on the keyboard."""
    message_id = await bot_says(
        world, "Pick", reply_markup=keyboard({"text": "A", "callback_data": "a"})
    )
    real = world.press_button(GROUP, message_id, BOB, "a")
    crafted = world.press_button(GROUP, message_id, BOB, "claim:999")
    assert real is not None and crafted is not None
    query = crafted["callback_query"]
    assert ("claim:999", BOB, "Pick") == (
        query["data"],
        query["from"]["id"],
        query["message"]["text"],
    )
    records = [world.callbacks[u["callback_query"]["id"]] for u in (real, crafted)]
    assert [True, False] == [record.on_keyboard for record in records]


async def test_transcript_reads_like_the_chat(world: World, clock: ManualClock) -> None:
    """The transcript shows people, places, photos, replies, buttons, edits and alerts."""
    world.user_sends(GROUP, ALICE, venue=Venue(31.2304, 121.4737, "Noodle Bar", "1 Main Rd"))
    clock.advance(60)
    world.user_sends(GROUP, ALICE, location=(31.2304, 121.4737))
    world.user_sends(GROUP, BOB, photo=True, caption="blocked pavement")
    clock.advance(60)
    asked = world.user_sends(GROUP, ALICE, text="/new")
    assert asked is not None
    message_id = await bot_says(
        world,
        "Ticket <b>#7</b> opened",
        parse_mode="HTML",
        reply_parameters={"message_id": asked["message"]["message_id"]},
        reply_markup={
            "inline_keyboard": [
                [
                    {"text": "Claim", "callback_data": "claim:7"},
                    {"text": "Release", "callback_data": "release:7"},
                ]
            ]
        },
    )
    update = world.click(GROUP, message_id, BOB, "Claim")
    assert update is not None
    await call(
        world,
        "answerCallbackQuery",
        callback_query_id=update["callback_query"]["id"],
        text="Only squad members can claim",
        show_alert=True,
    )
    await call(
        world,
        "editMessageText",
        chat_id=GROUP,
        message_id=message_id,
        text="Ticket #7 claimed by Alice",
    )
    assert [
        "[16:00] Alice Wong: 📍 Noodle Bar — 1 Main Rd",
        "[16:01] Alice Wong: 📍 31.2304, 121.4737",
        "[16:01] Bob: 🖼 (photo) blocked pavement",
        "[16:02] Alice Wong: /new",
        "[16:02] GridDesk ↪ Alice Wong: Ticket #7 claimed by Alice (edited)",
        "  ⚠ (popup to Bob) Only squad members can claim",
    ] == world.transcript(GROUP, tz="Asia/Shanghai")


async def test_transcript_renders_inline_buttons(world: World) -> None:
    """Inline keyboards appear under the message as bracketed labels."""
    await bot_says(
        world,
        "Ticket #7",
        reply_markup={
            "inline_keyboard": [
                [
                    {"text": "Claim", "callback_data": "c"},
                    {"text": "Release", "callback_data": "r"},
                ]
            ]
        },
    )
    assert ["[08:00] GridDesk: Ticket #7", "        [ Claim ]  [ Release ]"] == (
        world.transcript(GROUP)
    )


# --- faults and api.json -----------------------------------------------------------------------


async def test_fault_plan_rate_limits_once_then_recovers(world: World) -> None:
    """A 429 fault carries retry_after and leaves no effect; the next call succeeds."""
    world.faults = FaultPlan().fail("sendMessage", Fault.rate_limited(7))
    limited = await call(world, "sendMessage", chat_id=GROUP, text="x")
    after = await call(world, "sendMessage", chat_id=GROUP, text="x")
    assert (429, {"retry_after": 7}, 200) == (
        limited.status,
        limited.payload["parameters"],
        after.status,
    )
    assert 1 == len(world.sent_to(GROUP))


async def test_fault_after_apply_keeps_the_effect(world: World) -> None:
    """A gateway error after the call took effect still leaves the message sent."""
    world.faults = FaultPlan().fail("sendMessage", Fault.bad_gateway(after_apply=True))
    response = await call(world, "sendMessage", chat_id=GROUP, text="x")
    assert (502, 1) == (response.status, len(world.sent_to(GROUP)))


async def test_absent_api_json_skips_the_extra_check(tmp_path: Path) -> None:
    """Without an api.json file only the built-in table applies."""
    world = World(api_json=tmp_path / "missing.json")
    assert (None, 200) == (world.api_schema, (await call(world, "getMe")).status)


@pytest.fixture(name="api_json")
def fixture_api_json(tmp_path: Path) -> Path:
    def field(
        name: str, required: bool = False, types: tuple[str, ...] = ("String",)
    ) -> dict[str, Any]:
        return {"name": name, "types": list(types), "required": required, "description": ""}

    document = {
        "version": "Bot API 0.1",
        "release_date": "2024-01-01",
        "methods": {
            "getMe": {"fields": [], "returns": ["User"]},
            "sendMessage": {
                "fields": [
                    field("chat_id", True, ("Integer", "String")),
                    field("text", True),
                    field("parse_mode"),
                ],
                "returns": ["Message"],
            },
            "deleteMessage": {
                "fields": [field("chat_id", True, ("Integer", "String"))],
                "returns": ["Boolean"],
            },
        },
        "types": {},
    }
    path = tmp_path / "api.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("method", "params", "status", "description"),
    [
        ("getMe", {}, 200, None),
        ("sendMessage", {"chat_id": ALICE, "text": "x"}, 200, None),
        ("sendLocation", {"chat_id": ALICE, "latitude": 1, "longitude": 2}, 404, "Not Found"),
        (
            "sendMessage",
            {"chat_id": ALICE, "text": "x", "protect_content": True},
            400,
            'Bad Request: unknown parameter "protect_content" for method sendMessage',
        ),
    ],
)
async def test_api_json_is_checked_when_present(
    api_json: Path, method: str, params: dict[str, Any], status: int, description: str | None
) -> None:
    """A present api.json also rejects methods and fields it does not list."""
    world = World(api_json=api_json)
    world.add_user(ALICE, "Alice")
    world.add_chat(ALICE, "private")
    response = await world.call(method, params)
    assert (status, description) == (response.status, response.payload.get("description"))


async def test_api_json_required_fields_are_enforced(api_json: Path) -> None:
    """A field api.json marks required must be present even if the built-in table agrees."""
    schema = World(api_json=api_json).api_schema
    assert schema is not None
    with pytest.raises(Exception, match="text is empty"):
        schema.check("sendMessage", {"chat_id": 1})


# --- python-telegram-bot in-process ------------------------------------------------------------


async def test_ptb_bot_sends_and_edits_in_process(bot: Bot, world: World) -> None:
    """PTB's Bot works against the world: send with keyboard, reply, edit, delete."""
    asked = world.user_sends(GROUP, ALICE, text="/new")
    assert asked is not None
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Claim", callback_data="claim:1")]])
    sent = await bot.send_message(
        GROUP,
        "Ticket <b>#1</b>",
        parse_mode="HTML",
        reply_markup=markup,
        reply_to_message_id=asked["message"]["message_id"],
    )
    edited = await bot.edit_message_text(
        "Ticket #1 claimed", chat_id=GROUP, message_id=sent.message_id
    )
    assert isinstance(edited, Message)
    assert sent.reply_to_message is not None
    assert ("Ticket #1", 1, "Ticket #1 claimed") == (
        sent.text,
        sent.reply_to_message.message_id,
        edited.text,
    )
    assert edited.edit_date is not None
    assert await bot.delete_message(GROUP, sent.message_id)
    assert [] == world.sent_to(GROUP)


async def test_ptb_surfaces_refusals_as_bad_request(bot: Bot) -> None:
    """Refusals reach PTB as BadRequest with Telegram's description."""
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=GROUP, message_id=99)


async def test_ptb_defaults_extras_are_tolerated_and_noted(
    api: InProcessBotApi, world: World
) -> None:
    """PTB Defaults add parse_mode/protect_content to methods lacking them; they are ignored."""
    defaults = Defaults(
        parse_mode="HTML",
        protect_content=True,
        disable_notification=True,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    async with ExtBot(TOKEN, request=api, get_updates_request=api, defaults=defaults) as bot:
        await bot.send_location(GROUP, 31.2, 121.4)
        sent = await bot.send_message(GROUP, "<i>x</i>")
        await bot.edit_message_text("<b>y</b>", chat_id=GROUP, message_id=sent.message_id)
    assert [("parse_mode",), (), ("disable_notification", "protect_content")] == [
        call.ignored for call in world.calls[1:]
    ]


async def test_ptb_photo_upload_reaches_the_world(bot: Bot, world: World) -> None:
    """An uploaded file (kept out of PTB's parameters) still arrives as the photo."""
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (640).to_bytes(4, "big") + (480).to_bytes(4, "big")
    )
    message = await bot.send_photo(GROUP, png, caption="sign")
    assert ((640, 480), "sign") == (
        (message.photo[-1].width, message.photo[-1].height),
        message.caption,
    )
    again = await bot.send_photo(GROUP, message.photo[-1].file_id)
    assert message.photo[-1].file_id == again.photo[-1].file_id


async def test_ptb_rate_limit_raises_retry_after(
    bot: Bot, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An injected 429 reaches PTB as RetryAfter carrying the wait."""
    # Without the opt-in, PTB 22 warns (an error under filterwarnings) when building RetryAfter.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    world.faults = FaultPlan().fail("sendMessage", Fault.rate_limited(3))
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(GROUP, "x")
    assert dt.timedelta(seconds=3) == raised.value.retry_after


async def test_in_process_drop_raises_network_error(bot: Bot, world: World) -> None:
    """An injected dropped connection reaches PTB as NetworkError."""
    world.faults = FaultPlan().fail("sendMessage", Fault.dropped())
    with pytest.raises(NetworkError):
        await bot.send_message(GROUP, "x")


async def test_in_process_api_checks_the_token(world: World) -> None:
    """A bot with another token is refused as Telegram does (401)."""
    api = InProcessBotApi(world, token=TOKEN)
    with pytest.raises(InvalidToken):
        await Bot("1:other", request=api, get_updates_request=api).get_me()


# --- HTTP front ----------------------------------------------------------------------------


async def test_http_server_serves_a_real_ptb_bot(server: StandinServer, world: World) -> None:
    """PTB over HTTPX on loopback: send, long-poll, answer, edit; one kept-alive connection
    per PTB request object."""
    async with Bot(
        TOKEN,
        base_url=server.base_url,
        request=loopback_request(),
        get_updates_request=loopback_request(),
    ) as bot:
        sent = await bot.send_message(
            GROUP,
            "Pick",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]),
        )
        poll = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.05)
        world.press_button(GROUP, sent.message_id, BOB, "a")
        updates = await asyncio.wait_for(poll, timeout=0.5)
        query = updates[0].callback_query
        assert query is not None
        await bot.answer_callback_query(query.id, text="ok")
        edited = await bot.edit_message_text("Picked", chat_id=GROUP, message_id=sent.message_id)
    assert isinstance(edited, Message)
    assert ("a", "Picked", "griddesk_bot") == (query.data, edited.text, bot.username)
    assert 2 == server.connections_opened


async def test_http_server_uploads_photos_multipart(server: StandinServer) -> None:
    """Multipart uploads from PTB are decoded into the photo."""
    async with Bot(TOKEN, base_url=server.base_url, request=loopback_request()) as bot:
        message = await bot.send_photo(GROUP, b"not-really-a-jpeg", caption="pothole")
    assert ("pothole", 4) == (message.caption, len(message.photo))


async def test_http_server_rejects_a_wrong_token(server: StandinServer) -> None:
    """Requests for another token are answered 401, which PTB reports as InvalidToken."""
    polling, sending = loopback_request(), loopback_request()
    bot = Bot("1:wrong", base_url=server.base_url, request=sending, get_updates_request=polling)
    try:
        with pytest.raises(InvalidToken, match="rejected by the server"):
            await bot.initialize()
    finally:
        # A bot whose initialize() failed does not shut its requests down itself.
        await polling.shutdown()
        await sending.shutdown()


async def test_http_server_accepts_json_bodies(server: StandinServer) -> None:
    """JSON request bodies work and unknown methods get Telegram's 404."""
    async with httpx.AsyncClient(base_url=f"{server.base_url}{TOKEN}", trust_env=False) as client:
        sent = await client.post("/sendMessage", json={"chat_id": GROUP, "text": "json"})
        missing = await client.get("/getEverything")
    assert (200, "json") == (sent.status_code, sent.json()["result"]["text"])
    assert (404, {"ok": False, "error_code": 404, "description": "Not Found"}) == (
        missing.status_code,
        missing.json(),
    )


async def test_http_drop_fault_closes_the_connection(server: StandinServer, world: World) -> None:
    """A dropped-connection fault reaches PTB over HTTP as NetworkError."""
    world.faults = FaultPlan().fail("sendMessage", Fault.dropped())
    async with Bot(TOKEN, base_url=server.base_url, request=loopback_request()) as bot:
        with pytest.raises(NetworkError):
            await bot.send_message(GROUP, "x")
        assert "x" == (await bot.send_message(GROUP, "x")).text
