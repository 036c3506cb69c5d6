"""Escalation: a missed deadline marks the ticket overdue, then reminds, then tells leads,
then hands the ticket to the fallback squad, each step once, as configured.

Each step is claimed with a conditional update of the ticket (``esc_step``) in the same
transaction as its notices and its event, so a restart neither repeats nor skips a step;
a step that fell due while the bot was down fires once, when it starts again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime

from bot.core import notices
from bot.core.i18n import Raw, t
from bot.duty.catch_up import LEADS, SQUAD, CatchUp
from bot.duty.deadlines import (
    MARK_OVERDUE,
    STAGE_OF_STATUS,
    deadline,
    offsets,
    overdue_stages,
    plan,
    taken_this_round,
)
from bot.duty.on_duty import Duty
from bot.reporting.dispatch import card_notice, pin_notice
from bot.tickets import cards
from bot.tickets.cards import duration_text, mention, minutes_between
from bot.tickets.recheck import Rechecks
from bot.tickets.ticket_ops import Desk
from bot.tickets.workflow import CLEARED_CLAIM
from storage import escalations as escalation_rows
from storage import photos as photo_rows
from storage import rechecks as recheck_rows
from storage import tickets as ticket_rows
from storage.database import Connection
from storage.lifecycle import Status
from storage.tickets import Ticket

log = logging.getLogger(__name__)

MAX_STEPS_PER_ROUND = 20


class Escalator(Desk):
    duty: Duty
    rechecks: Rechecks  # re-inspections fall due on the same timer
    # Set at start: steps due before it fell due while the bot was down (see bot.catch_up).
    catch_up_before: datetime | None = None
    _firing: asyncio.Lock | None = None

    async def next_due(self) -> datetime | None:
        """The earliest escalation step or re-inspection due."""
        async with self.db.transaction() as conn:
            escalation = await escalation_rows.next_escalation(conn)
            recheck = await recheck_rows.next_recheck(conn)
            late = await recheck_rows.next_late(conn)
        if late is not None:  # a card still waiting: its leads are told a window after it
            late += self.directory.settings.workflow.recheck_window
        moments = (escalation, recheck, late)
        return min((m for m in moments if m is not None), default=None)

    async def rearm_all(self) -> int:
        """At start: re-derive every open ticket's next escalation from the database and
        the current config (deadlines may have changed); return how many were corrected.
        """
        table = offsets(self.directory.settings)
        self.catch_up_before = self.clock.now()
        changed = 0
        async with self.db.transaction() as conn:
            async for rows in escalation_rows.escalation_columns(conn, tuple(STAGE_OF_STATUS)):
                updates = []
                for row in rows:
                    stage = STAGE_OF_STATUS[row.status]
                    step = row.esc_step if row.esc_stage == stage else 0
                    entry = table.get((row.category, stage, step))
                    due = None
                    if entry is not None and row.dispatched_at is not None:
                        due = row.dispatched_at + entry[1]
                    if (stage, step, due) != (row.esc_stage, row.esc_step, row.esc_due_at):
                        updates.append(
                            {
                                "ticket_id": row.id,
                                "stage": stage,
                                "step": step,
                                "due": due,
                                "seen_stage": row.esc_stage,
                                "seen_step": row.esc_step,
                            }
                        )
                await escalation_rows.set_escalations(conn, updates)
                changed += len(updates)
        return changed

    async def fire_due(self) -> int:
        """Fire every escalation step due by now; return how many fired.

        Tickets are taken one at a time, yielding to the event loop between them, so a
        restart with thousands of steps due still answers a new report at once. The first
        round after a start is a catch-up: see ``bot.catch_up``.
        """
        if self._firing is None:
            self._firing = asyncio.Lock()
        async with self._firing:
            catch_up = None
            if self.catch_up_before is not None:
                grace = self.directory.settings.escalation.catch_up_grace
                catch_up = CatchUp(self.catch_up_before, self.clock.now() + grace)
            fired = 0
            while True:
                async with self.db.transaction() as conn:
                    due = await escalation_rows.escalations_due(conn, self.clock.now())
                if not due:
                    break
                before = fired
                for ticket_id in due:
                    fired += await self._fire_ticket(ticket_id, catch_up)
                    await asyncio.sleep(0)  # let live updates in between tickets
                if fired == before:
                    break
            # A re-inspection due while the bot was down is a card of its own, posted once
            # now: it is work to do, not a reminder a catch-up summary could stand for.
            fired += await self.rechecks.fire_due()
            if catch_up is not None:
                async with self.db.transaction() as conn:
                    told = await catch_up.tell(conn, self.outbox, self.directory)
                if told:
                    log.info("catch-up after downtime: %s steps, %s messages", fired, told)
                self.catch_up_before = None
            return fired

    async def _fire_ticket(self, ticket_id: int, catch_up: CatchUp | None = None) -> int:
        fired = 0
        for _ in range(MAX_STEPS_PER_ROUND):
            async with self.db.transaction() as conn:
                ticket = await ticket_rows.get_ticket(conn, ticket_id)
                if ticket is None:
                    return fired
                step = plan(ticket, self.directory.settings)
                now = self.clock.now()
                if step is None or step.due is None or step.due > now or step.action is None:
                    # Not (or no longer) due: store the true next time and stop.
                    await ticket_rows.set_ticket(
                        conn, ticket_id, esc_due_at=step.due if step else None
                    )
                    return fired
                missed = catch_up if catch_up is not None and catch_up.covers(step.due) else None
                if missed is not None and step.action == "hand_to_fallback":
                    await ticket_rows.set_ticket(
                        conn,
                        ticket_id,
                        esc_stage=step.stage,
                        esc_step=step.step,
                        esc_due_at=missed.hand_over_at,
                    )
                    missed.postpone(ticket.squad_id, ticket_id)
                    return fired
                if not await escalation_rows.take_escalation_step(
                    conn, ticket_id, step.stage, step.step
                ):
                    # A new stage begins here; or another worker has just taken this step,
                    # and then its progress stands (the move is conditional on what was read).
                    await escalation_rows.move_escalation(
                        conn, ticket_id, (ticket.esc_stage, ticket.esc_step), step.stage, step.step
                    )
                    continue
                if step.action != MARK_OVERDUE and step.action in taken_this_round(
                    await ticket_rows.events_of(conn, ticket_id), step.stage
                ):
                    continue  # taken before a release in this round: passed over silently
                extra = {"catch_up": True} if missed is not None else {}
                await ticket_rows.add_event(
                    conn,
                    ticket_id,
                    "escalated",
                    now,
                    None,
                    stage=step.stage,
                    step=step.step,
                    action=step.action,
                    **extra,
                )
                ticket = await self.reload(conn, ticket_id)
                await self._act(conn, ticket, step.stage, step.action, now, missed)
                fired += 1
        log.warning("ticket %s: more escalation steps due than one round takes", ticket_id)
        return fired

    async def _act(
        self,
        conn: Connection,
        ticket: Ticket,
        stage: str,
        action: str,
        now: datetime,
        catch_up: CatchUp | None = None,
    ) -> None:
        """One step. Only marking overdue changes the card; the next due time of the other
        steps is stored by ``_fire_ticket``'s next round, which re-plans the ticket. In a
        catch-up, reminders and lead notices are collected for one summary per chat."""
        squad = self.directory.squads[ticket.squad_id]
        locale = self.squad_locale(ticket)
        due = deadline(ticket, self.directory.settings, stage)
        late = duration_text(minutes_between(due, now) or 0, locale)
        due_text = cards.local_time(due, self.directory.settings.zone) if due else ""
        number = cards.ticket_number(ticket.id)
        stage_name = t(locale, f"stage.{stage}")
        if action == MARK_OVERDUE:
            missed = overdue_stages(ticket)
            missed += [] if stage in missed else [stage]
            await ticket_rows.set_ticket(conn, ticket.id, overdue=json.dumps(missed))
            if catch_up is None:
                await self.refresh_card(conn, await self.reload(conn, ticket.id))
            # In a catch-up the summary says which tickets missed which deadline; the mark
            # shows on the card at its next change (thousands of edits would only spend the
            # squad chat's budget for hours).
        elif action == "remind_on_duty":
            # Officers only: a lead is told by notify_leads, and one who clocked off is not
            # on duty. With nobody on duty, the leads are told so instead of everyone.
            officers = [m for m in await self.duty.on_duty(conn, squad, now) if m.role != "lead"]
            if not officers:
                await self._nobody_to_remind(
                    conn, ticket, "escalate.nobody_on_duty", locale, catch_up
                )
                return
            names = Raw(" ".join(mention(m.telegram_id, m.name) for m in officers))
            body = t(
                locale,
                "escalate.remind_on_duty",
                number=number,
                stage=stage_name,
                due=due_text,
                officers=names,
            )
            await self._remind(conn, ticket, stage, body, catch_up)
        elif action == "remind_claimer":
            clocked = await self.duty.manual_state(conn, ticket.claimed_by or 0, now)
            if clocked is False:
                await self._nobody_to_remind(
                    conn, ticket, "escalate.claimer_off_duty", locale, catch_up
                )
                return
            who = mention(ticket.claimed_by or 0, ticket.claimed_by_name or "")
            body = t(
                locale,
                "escalate.remind_claimer",
                number=number,
                stage=stage_name,
                due=due_text,
                officer=who,
            )
            await self._remind(conn, ticket, stage, body, catch_up)
        elif action == "notify_leads":
            await self._notify_leads(conn, ticket, stage, late, locale, catch_up)
        elif action == "hand_to_fallback":
            await self._hand_over(conn, ticket, now, stage)

    async def _nobody_to_remind(
        self,
        conn: Connection,
        ticket: Ticket,
        key: str,
        locale: str,
        catch_up: CatchUp | None = None,
    ) -> None:
        """Nobody to remind on duty (or the claimer clocked off): tell the leads, saying so."""
        stage = STAGE_OF_STATUS.get(ticket.status, "claim")
        due = deadline(ticket, self.directory.settings, stage)
        squad = self.directory.squads[ticket.squad_id]
        body = t(
            locale,
            key,
            number=cards.ticket_number(ticket.id),
            stage=t(locale, f"stage.{stage}"),
            due=cards.local_time(due, self.directory.settings.zone) if due else "",
            squad=squad.name.get(locale),
            officer=ticket.claimed_by_name or "",
            leads=Raw(
                " ".join(mention(m.telegram_id, m.name) for m in self.directory.leads_of(squad))
            ),
        )
        await self._to_leads(conn, ticket, body, stage, catch_up)

    async def _to_leads(
        self,
        conn: Connection,
        ticket: Ticket,
        body: str,
        stage: str,
        catch_up: CatchUp | None = None,
    ) -> None:
        """A notice for the squad's leads, in their chat; in a catch-up, kept for its summary."""
        squad = self.directory.squads[ticket.squad_id]
        chat = self.directory.lead_chat(squad)
        if chat == squad.dispatch_chat_id:
            notice = self.squad_notice(ticket, body)
        else:
            notice = notices.text(chat, body, "lead_notice", ticket_id=ticket.id)
        if catch_up is not None:
            catch_up.add(LEADS, ticket.squad_id, ticket.id, stage, notice)
        else:
            await self.outbox.put(conn, notice)

    async def _remind(
        self, conn: Connection, ticket: Ticket, stage: str, body: str, catch_up: CatchUp | None
    ) -> None:
        notice = self.squad_notice(ticket, body)
        if catch_up is not None:
            catch_up.add(SQUAD, ticket.squad_id, ticket.id, stage, notice)
        else:
            await self.outbox.put(conn, notice)

    async def _notify_leads(
        self,
        conn: Connection,
        ticket: Ticket,
        stage_code: str,
        late: str,
        locale: str,
        catch_up: CatchUp | None = None,
    ) -> None:
        squad = self.directory.squads[ticket.squad_id]
        stage = t(locale, f"stage.{stage_code}")
        leads = self.directory.leads_of(squad)
        body = t(
            locale,
            "escalate.notify_leads",
            number=cards.ticket_number(ticket.id),
            squad=squad.name.get(locale),
            stage=stage,
            late=late,
            category=self.directory.category_name(ticket.category, locale),
            grid=self.directory.grid_name(ticket.grid_id, locale),
            leads=Raw(" ".join(mention(m.telegram_id, m.name) for m in leads)),
        )
        await self._to_leads(conn, ticket, body, stage_code, catch_up)

    async def _hand_over(self, conn: Connection, ticket: Ticket, now: datetime, stage: str) -> None:
        """Give the ticket to the fallback squad: a new card there saying where it came
        from and why; the old card keeps its text, says where it went, loses its buttons."""
        squad = self.directory.squads[ticket.squad_id]
        target = self.directory.fallback_of(squad)
        if target is None:
            log.info("ticket %s: no fallback for squad %s", ticket.id, squad.id)
            return
        officers = await self.duty.on_duty(conn, target, now)
        old_card = ticket.card_outbox_id
        old_locale = self.directory.squad_locale(squad)
        photos = await photo_rows.photos_of(conn, ticket.id)
        # Its last line, the status ("waiting for a claim"), gives way to where it went.
        old_text = cards.card_text(ticket, self.directory, old_locale, photos).rsplit("\n", 1)[0]
        await ticket_rows.set_ticket(
            conn,
            ticket.id,
            **(
                CLEARED_CLAIM
                | {
                    "squad_id": target.id,
                    "status": Status.DISPATCHED.value,
                    "dispatched_at": now,
                    "esc_stage": None,
                    "esc_step": 0,
                    "overdue": None,
                    "handed_from": squad.id,
                    "handed_stage": stage,
                    "duty_mentions": json.dumps(
                        [[m.telegram_id, m.name] for m in officers], ensure_ascii=False
                    ),
                }
            ),
        )
        await ticket_rows.add_event(
            conn,
            ticket.id,
            "handed_over",
            now,
            None,
            squad=target.id,
            previous=squad.id,
            stage=stage,
        )
        ticket = await self.reload(conn, ticket.id)
        if old_card is not None:
            # The old card keeps what officers read (its map pin replies to it), and ends
            # with where the ticket went and why.
            went = t(
                old_locale,
                "escalate.handed_card",
                number=cards.ticket_number(ticket.id),
                squad=target.name.get(old_locale),
                stage=t(old_locale, f"stage.{stage}"),
                time=cards.local_time(now, self.directory.settings.zone),
            )
            body = f"{old_text}\n{went}"
            await self.outbox.put(
                conn,
                notices.edit(
                    old_card,
                    squad.dispatch_chat_id,
                    body,
                    "card",
                    caption=ticket.photo_file_id is not None,
                    ticket_id=ticket.id,
                ),
            )
        locale = self.directory.squad_locale(target)
        card = card_notice(ticket, self.directory, locale, target.dispatch_chat_id)
        card_id = await self.outbox.put(conn, card)
        await self.outbox.put(conn, pin_notice(ticket, target.dispatch_chat_id, card_id))
        await ticket_rows.set_ticket(conn, ticket.id, card_outbox_id=card_id)
        ticket = await self.reload(conn, ticket.id)
        await self.refresh_card(conn, ticket)
        body = t(
            ticket.locale,
            "group.handed",
            number=cards.ticket_number(ticket.id),
            squad=target.name.get(ticket.locale),
            previous=squad.name.get(ticket.locale),
            stage=t(ticket.locale, f"stage.{stage}"),
        )
        await self.set_progress(conn, ticket, body, with_origin=False)
