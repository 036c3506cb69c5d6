"""Who may read a lead's figures, where, and for which squads; the commands' date arguments.

A digest, the statistics and the export name officers and reporters, so the audience is
decided here, next to the data: the asker must be a lead, and the chat must be one where
only officials read (a private chat with the bot, a squad's dispatch or lead chat, the
command centre's chat). A grid group, where shop owners read, never gets them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.core.config import COMMAND_CENTRE
from bot.core.directory import Directory

# Dates before this are typing mistakes (and 0001-01-01 has no local midnight before it).
EARLIEST_DAY = date(2000, 1, 1)
LONGEST_EXPORT_DAYS = 366
EXPORT_FORMATS = ("xlsx", "csv")


@dataclass(frozen=True)
class Scope:
    """Whose tickets a lead's figures cover: some squads, or every squad (``None``)."""

    squads: frozenset[str] | None

    @property
    def everything(self) -> bool:
        return self.squads is None

    def covers(self, squad_id: str | None) -> bool:
        return self.squads is None or squad_id in self.squads

    def covers_any(self, squad_ids: set[str]) -> bool:
        return self.squads is None or bool(self.squads & squad_ids)


EVERY_SQUAD = Scope(None)


@dataclass(frozen=True)
class Audience:
    """The answer to "may this person see lead figures in this chat": a scope or a refusal
    (a catalog key)."""

    scope: Scope | None = None
    refusal: str | None = None


def scope_of(directory: Directory, user_id: int) -> Scope | None:
    """What a person may see wherever they ask: None if they lead no squad."""
    led = {m.squad.id for m in directory.memberships.get(user_id, []) if m.member.role == "lead"}
    if not led:
        return None
    if COMMAND_CENTRE in led:
        return EVERY_SQUAD
    return Scope(frozenset(led))


def audience(directory: Directory, chat_id: int, private: bool, user_id: int) -> Audience:
    """Whether ``user_id`` may have lead figures posted in ``chat_id``, and for which squads.

    In a squad's own chat (dispatch or lead chat) the figures are that squad's, even for
    the command centre, since the squad's officers read there; a lead of another squad is
    refused there.
    """
    scope = scope_of(directory, user_id)
    if scope is None:
        return Audience(refusal="digest.not_allowed")
    if private:
        return Audience(scope)
    if chat_id in directory.groups:  # first: shop owners read there, whatever else it is
        return Audience(refusal="digest.not_in_grid_group")
    centre = directory.command_centre
    if centre is not None and chat_id == centre.dispatch_chat_id:
        return Audience(scope)
    squad = directory.officials_chat(chat_id)
    if squad is None:
        return Audience(refusal="digest.not_in_this_chat")
    if not scope.covers(squad.id):
        return Audience(refusal="digest.other_squad")
    return Audience(Scope(frozenset({squad.id})))


@dataclass(frozen=True)
class Days:
    """Validated dates of a lead command, or the catalog key of the polite refusal."""

    first: date | None = None
    last: date | None = None
    export_format: str = "xlsx"
    refusal: str | None = None


def _day(text: str, today: date) -> date | str:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return "digest.bad_date"
    if day < EARLIEST_DAY:
        return "digest.too_early"
    if day > today:
        return "digest.future_day"
    return day


def digest_day(args: list[str], today: date, yesterday: date) -> Days:
    """``/digest [YYYY-MM-DD]``: one day, not before 2000 and not after today."""
    if len(args) > 1:
        return Days(refusal="digest.usage")
    if not args:
        return Days(yesterday, yesterday)
    day = _day(args[0], today)
    return Days(refusal=day) if isinstance(day, str) else Days(day, day)


def export_days(args: list[str], today: date, yesterday: date) -> Days:
    """``/export [from] [to] [xlsx|csv]``: a range of at most a year (the last 7 days by
    default), first not after last."""
    chosen = [a.lower() for a in args if a.lower() in EXPORT_FORMATS]
    dates = [a for a in args if a.lower() not in EXPORT_FORMATS]
    if len(dates) > 2 or len(chosen) > 1:
        return Days(refusal="export.usage")
    parsed: list[date] = []
    for text in dates:
        day = _day(text, today)
        if isinstance(day, str):
            return Days(refusal=day)
        parsed.append(day)
    last = parsed[-1] if parsed else yesterday
    first = parsed[0] if parsed else last - timedelta(days=6)
    if first > last:
        return Days(refusal="export.reversed")
    if (last - first).days + 1 > LONGEST_EXPORT_DAYS:
        return Days(refusal="export.too_long")
    return Days(first, last, chosen[0] if chosen else "xlsx")
