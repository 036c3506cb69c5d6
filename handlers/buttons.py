"""Inline-button presses: decoded, checked against the database, answered."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler

from bot.core import buttons
from bot.core.buttons import Press
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
    broadcasts = context.services.broadcasts
    row, argument = press.row_id, press.argument
    match press.action:
        case Press.CATEGORY:
            return await intake.choose_category(row, person, argument)
        case Press.SKIP:
            return await intake.skip_details(row, person)
        case Press.CANCEL:
            return await intake.cancel_by_button(row, person)
        case Press.JOIN:
            return await intake.join(row, person)
        case Press.NOT_SAME:
            return await intake.not_same(row, person)
        case Press.CLAIM:
            return await workflow.claim(row, person)
        case Press.ARRIVE:
            return await workflow.arrive(row, person, None)
        case Press.RELEASE | Press.ASSIGN:
            return await workflow.show_menu(row, person, press.action)
        case Press.BACK:
            return await workflow.show_menu(row, person, "")
        case Press.RELEASE_REASON:
            return await workflow.release(row, person, argument)
        case Press.ASSIGN_TO if buttons.is_number(argument):
            return await workflow.assign(row, person, int(argument))
        case Press.RESOLVE:
            return await resolution.start(row, person)
        case Press.OUTCOME_CLASS:
            return await resolution.choose_class(row, person, argument)
        case Press.OUTCOME_ACTION:
            return await resolution.choose_action(row, person, argument)
        case Press.VENDING_POINT:
            return await resolution.choose_point(row, person, argument)
        case Press.TIME_LIMIT:
            return await resolution.choose_limit(row, person, argument)
        case Press.RECHECK_RECTIFIED | Press.RECHECK_NOT_RECTIFIED:
            rectified = press.action == Press.RECHECK_RECTIFIED
            return await context.services.rechecks.record(row, person, rectified)
        case Press.NO_POINT:
            return await resolution.choose_point(row, person, None)
        case Press.NO_NOTE:
            return await resolution.finish(row, person, None, None) or Answer("")
        case Press.STOP_RESOLVING:
            return await resolution.cancel(row, person)
        case Press.SOLVED | Press.NOT_SOLVED:
            return await resolution.confirm(row, person, solved=press.action == Press.SOLVED)
        case Press.RATE:
            return await resolution.rate(row, person, argument)
        case Press.NOTICE_PICK:
            return await broadcasts.pick(row, person, argument)
        case Press.NOTICE_SEND:
            return await broadcasts.send(row, person)
        case Press.NOTICE_ACK if update.effective_chat is not None:
            return await broadcasts.acknowledge(row, update.effective_chat.id, person)
        case Press.NOTICE_STATUS:
            return await broadcasts.status_by_button(row, person)
        case Press.NOTICE_REMIND:
            return await broadcasts.remind(row, person)
    return Answer(t(locale, "button.unknown"), alert=True)


def register(app: GridApp) -> None:
    app.add_handler(CallbackQueryHandler(button_press))
