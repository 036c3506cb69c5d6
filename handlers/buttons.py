"""Inline-button presses: decoded, checked against the database, answered."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler

from bot.core import buttons
from bot.core.i18n import t
from bot.core.people import Answer
from handlers.context import GridApp, GridContext, chat_locale
from handlers.parse import person_of

log = logging.getLogger(__name__)


async def button_press(update: Update, context: GridContext) -> None:
    query = update.callback_query
    if query is None:
        return
    answer = await _route(query.data, context, update)
    if answer.key:
        answer = Answer(t(chat_locale(update, context), answer.key), answer.alert)
    try:
        await query.answer(answer.text[:200] or None, show_alert=answer.alert)
    except TelegramError as exc:
        # A replayed or very late press can no longer be answered; its effect is already kept.
        log.info("could not answer button press %s: %s", query.id, exc)


async def _route(data: str | None, context: GridContext, update: Update) -> Answer:
    locale = chat_locale(update, context)
    press = buttons.decode(data)
    user = update.effective_user
    if press is None or user is None:
        return Answer(t(locale, "button.unknown"), alert=True)
    person = person_of(user)
    intake, workflow = context.intake, context.services.workflow
    resolution = context.services.resolution
    row, argument = press.row_id, press.argument
    match press.action:
        case "cat":
            return await intake.choose_category(row, person, argument)
        case "skip":
            return await intake.skip_details(row, person)
        case "cancel":
            return await intake.cancel_by_button(row, person)
        case "claim":
            return await workflow.claim(row, person)
        case "arrive":
            return await workflow.arrive(row, person, None)
        case "release" | "assign":
            return await workflow.show_menu(row, person, press.action)
        case "back":
            return await workflow.show_menu(row, person, "")
        case "relr":
            return await workflow.release(row, person, argument)
        case "asgo" if buttons.is_number(argument):
            return await workflow.assign(row, person, int(argument))
        case "resolve":
            return await resolution.start(row, person)
        case "rcls":
            return await resolution.choose_class(row, person, argument)
        case "ract":
            return await resolution.choose_action(row, person, argument)
        case "rskip":
            return await resolution.finish(row, person, None, None) or Answer("")
        case "rcan":
            return await resolution.cancel(row, person)
        case "ok" | "nok":
            return await resolution.confirm(row, person, solved=press.action == "ok")
        case "rate":
            return await resolution.rate(row, person, argument)
    return Answer(t(locale, "button.unknown"), alert=True)


def register(app: GridApp) -> None:
    app.add_handler(CallbackQueryHandler(button_press))
