"""The tables, as SQLAlchemy Core metadata.

This is the shape the queries are written against; the migrations under
``storage/migrations`` are what creates it, and a test checks that the two agree.
Times are stored as UTC unix seconds (REAL), so that range queries and the digest's
arithmetic stay cheap on a million rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)

from storage.report import detail_columns


class UtcTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC unix seconds."""

    impl = Float
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> float | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: pass an aware UTC time")
        return value.timestamp()

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return datetime.fromtimestamp(float(value), UTC)


# Integers are 64-bit on both backends: Telegram's chat ids do not fit PostgreSQL's INTEGER.
# SQLite keeps INTEGER, whose primary keys are the table's rowid.
BigInt = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

# Open drafts are the reports a person is still filling in (location, category, the
# "same problem?" offer, details).
DRAFT_OPEN_STAGES = ("location", "category", "same", "details")

report_drafts = Table(
    "report_drafts",
    metadata,
    Column("id", BigInt, primary_key=True),
    Column("trigger_key", Text, nullable=False, unique=True),
    Column("chat_id", BigInt, nullable=False),
    Column("user_id", BigInt, nullable=False),
    Column("user_name", Text, nullable=False),
    Column("username", Text),
    Column("user_locale", Text, nullable=False),
    Column("group_chat_id", BigInt, nullable=False),
    Column("private", Boolean, nullable=False),
    Column("stage", Text, nullable=False),
    Column("latitude", Float),
    Column("longitude", Float),
    *detail_columns(),  # venue, description, photo (storage/report.py)
    Column("location_message_id", BigInt),
    Column("grid_id", Text),
    Column("category", Text),
    Column("prompt_outbox_id", BigInt),
    Column("panel_outbox_id", BigInt),
    Column("same_ticket_id", BigInt),  # the open ticket offered to join (stage "same")
    Column("created_at", UtcTime, nullable=False),
    Column("expires_at", UtcTime, nullable=False),
    Column("ended_at", UtcTime),
    Index(
        "one_open_draft_per_person",
        "chat_id",
        "user_id",
        unique=True,
        sqlite_where=text("stage IN ('location', 'category', 'same', 'details')"),
        postgresql_where=text("stage IN ('location', 'category', 'same', 'details')"),
    ),
    Index(
        "drafts_by_expiry",
        "expires_at",
        sqlite_where=text("ended_at IS NULL"),
        postgresql_where=text("ended_at IS NULL"),
    ),
    Index("drafts_by_location_message", "chat_id", "location_message_id"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", BigInt, primary_key=True, autoincrement=True),
    Column("draft_id", BigInt, ForeignKey("report_drafts.id"), nullable=False, unique=True),
    Column("status", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("grid_id", Text, nullable=False),
    Column("squad_id", Text, nullable=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    *detail_columns(),  # venue, description, photo (storage/report.py)
    Column("reporter_id", BigInt, nullable=False),
    Column("reporter_name", Text, nullable=False),
    Column("reporter_username", Text),
    Column("anonymous", Boolean, nullable=False),
    Column("group_chat_id", BigInt, nullable=False),
    Column("report_message_id", BigInt),
    Column("locale", Text, nullable=False),
    Column("card_outbox_id", BigInt),
    Column("group_notice_outbox_id", BigInt),
    Column("reported_at", UtcTime, nullable=False),
    Column("dispatched_at", UtcTime),
    Column("claimed_at", UtcTime),
    Column("claimed_by", BigInt),
    Column("claimed_by_name", Text),
    Column("on_site_at", UtcTime),
    Column("on_site_distance_m", Float),
    Column("on_site_far", Boolean),
    Column("resolved_at", UtcTime),
    Column("resolved_by", BigInt),
    Column("outcome_class", Text),
    Column("outcome_action", Text),
    Column("outcome_note", Text),
    Column("outcome_photo", Text),
    Column("closed_at", UtcTime),
    Column("close_reason", Text),
    Column("rework_count", BigInt, nullable=False, server_default="0"),
    Column("rating", BigInt),
    Column("confirm_deadline", UtcTime),
    Column("progress_outbox_id", BigInt),
    Column("resolution_outbox_id", BigInt),
    Column("confirm_outbox_id", BigInt),
    Column("resolve_stage", Text),
    Column("resolve_class", Text),
    Column("resolve_action", Text),
    Column("resolve_prompt_outbox_id", BigInt),
    Column("resolve_point", Text),  # the vending point picked while resolving (0011)
    Column("outcome_point", Text),
    Column("outcome_point_m", Float),
    Column("home_squad_id", Text),
    Column("duty_mentions", Text),
    Column("overdue", Text),
    Column("esc_stage", Text),
    Column("esc_step", BigInt, nullable=False, server_default="0"),
    Column("esc_due_at", UtcTime),
    Column("first_claimed_at", UtcTime),
    Column("first_on_site_at", UtcTime),
    Column("first_resolved_at", UtcTime),
    # After a hand-over: the squad that missed the deadline, and which deadline.
    Column("handed_from", Text),
    Column("handed_stage", Text),
    # "Same problem?": supporters who joined, when the leads were told, the kept ticket of a
    # merged duplicate.
    Column("supporters", BigInt, nullable=False, server_default="0"),
    Column("support_alerted_at", UtcTime),
    Column("duplicate_of", BigInt),
    # A rectification notice's time limit and its re-inspection (复查, migration 0015): the
    # limit picked while resolving, the notice's limit, round and due time, the card, the
    # result; ladder_class is the lowest 7-2-1 class the next resolution may use.
    Column("resolve_limit_s", BigInt),
    Column("recheck_limit_s", BigInt),
    Column("recheck_round", BigInt),
    Column("recheck_due_at", UtcTime),
    Column("recheck_state", Text),
    Column("recheck_outbox_id", BigInt),
    Column("rechecked_at", UtcTime),
    Column("rechecked_by", BigInt),
    Column("ladder_class", Text),
    # When the re-inspection card went out, and when its leads were told it waits (0016).
    Column("recheck_card_at", UtcTime),
    Column("recheck_late_told_at", UtcTime),
    Index("tickets_by_squad_status", "squad_id", "status"),
    Index("tickets_by_category_status", "category", "status"),  # "same problem?" look-up
    Index("tickets_by_card", "card_outbox_id"),
    Index("tickets_by_resolve_prompt", "resolve_prompt_outbox_id"),
    Index("tickets_by_reported_at", "reported_at"),
    Index("tickets_by_claimer", "claimed_by", "status"),
    Index("tickets_by_closed_at", "closed_at"),
    Index("tickets_by_reporter", "reporter_id", "reported_at"),
    Index(
        "tickets_by_escalation_due",
        "esc_due_at",
        sqlite_where=text("esc_due_at IS NOT NULL"),
        postgresql_where=text("esc_due_at IS NOT NULL"),
    ),
    Index(
        "tickets_by_recheck_waiting",
        "recheck_card_at",
        sqlite_where=text("recheck_state = 'due'"),
        postgresql_where=text("recheck_state = 'due'"),
    ),
    Index(
        "tickets_by_recheck_due",
        "recheck_due_at",
        sqlite_where=text("recheck_state = 'pending'"),
        postgresql_where=text("recheck_state = 'pending'"),
    ),
    Index(
        "tickets_awaiting_confirmation",
        "confirm_deadline",
        sqlite_where=text("status = 'resolved'"),
        postgresql_where=text("status = 'resolved'"),
    ),
    sqlite_autoincrement=True,
)

ticket_events = Table(
    "ticket_events",
    metadata,
    Column("id", BigInt, primary_key=True),
    Column("ticket_id", BigInt, ForeignKey("tickets.id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("actor_id", BigInt),
    Column("at", UtcTime, nullable=False),
    Column("detail", Text, nullable=False, server_default="{}"),
    Index("events_by_ticket", "ticket_id", "id"),
    Index("events_by_kind", "kind", "at"),  # the digest's re-inspection figures (0015)
)

# The people who joined a ticket as "the same problem" (or came with a merged ticket); a
# private one's name never reaches the group.
ticket_supporters = Table(
    "ticket_supporters",
    metadata,
    Column("id", BigInt, primary_key=True),
    Column("ticket_id", BigInt, ForeignKey("tickets.id"), nullable=False),
    Column("user_id", BigInt, nullable=False),
    Column("user_name", Text, nullable=False),
    Column("private", Boolean, nullable=False),
    Column("group_chat_id", BigInt, nullable=False),
    Column("chat_id", BigInt, nullable=False),
    Column("locale", Text, nullable=False),
    Column("at", UtcTime, nullable=False),
    UniqueConstraint("ticket_id", "user_id", name="one_support_per_person"),
)

# Resolution photos, per round (a rework starts a new round): the 7-2-1 method's record.
ticket_photos = Table(
    "ticket_photos",
    metadata,
    Column("id", BigInt, primary_key=True),
    Column("ticket_id", BigInt, ForeignKey("tickets.id"), nullable=False),
    Column("round", BigInt, nullable=False),
    Column("file_id", Text, nullable=False),
    Column("officer_id", BigInt),
    Column("at", UtcTime, nullable=False),
    Index("photos_by_ticket", "ticket_id", "id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInt, primary_key=True),
    Column("chat_id", BigInt, nullable=False),
    Column("kind", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("ticket_id", BigInt),
    Column("reply_to_outbox_id", BigInt),
    Column("reply_to_message_id", BigInt),
    Column("target_outbox_id", BigInt),
    Column("status", Text, nullable=False, server_default="pending"),
    Column("attempts", BigInt, nullable=False, server_default="0"),
    Column("next_attempt_at", UtcTime, nullable=False),
    Column("created_at", UtcTime, nullable=False),
    Column("sent_at", UtcTime),
    Column("message_id", BigInt),
    Column("last_error", Text),
    Column("priority", BigInt, nullable=False, server_default="1"),
    Index(
        "outbox_due",
        "next_attempt_at",
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
    Index("outbox_by_target", "target_outbox_id"),
    Index("outbox_by_status", "status", "id"),
    Index("outbox_by_message", "chat_id", "message_id"),
    Index(
        "outbox_pending_by_chat",
        "chat_id",
        "priority",
        "id",
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
    Index("outbox_sent_by_chat", "chat_id", "sent_at"),
)

duty_states = Table(
    "duty_states",
    metadata,
    Column("user_id", BigInt, primary_key=True),
    Column("on_duty", Boolean, nullable=False),
    Column("set_at", UtcTime, nullable=False),
    Column("until", UtcTime, nullable=False),
)

digest_log = Table(
    "digest_log",
    metadata,
    Column("day", Text, primary_key=True),
    Column("chat_id", BigInt, primary_key=True),
    Column("posted_at", UtcTime, nullable=False),
)

hinted_chats = Table(
    "hinted_chats",
    metadata,
    Column("chat_id", BigInt, primary_key=True),
    Column("hinted_at", UtcTime, nullable=False),
)

# Updates fetched from Telegram and not yet known to be handled (see bot/inbox.py).
inbox = Table(
    "inbox",
    metadata,
    Column("update_id", BigInt, primary_key=True, autoincrement=False),
    Column("received_at", UtcTime, nullable=False),
    Column("raw", Text, nullable=False),
    # python-telegram-bot could not parse it: kept for inspection, never handled.
    Column("unreadable", Boolean, nullable=False, server_default=false()),
    # The chat it came from (None for updates without one): taken chat by chat, in order.
    Column("chat_id", BigInt),
    Index("inbox_by_chat", "chat_id", "update_id"),
)

# Which worker handles a chat's updates or sends its outbox lane, until when (several
# workers on one PostgreSQL database).
leases = Table(
    "leases",
    metadata,
    Column("name", Text, primary_key=True),
    Column("holder", Text, nullable=False),
    Column("expires_at", UtcTime, nullable=False),
)


# A lead's broadcast notice (see bot/figures/broadcasts.py): composing, choosing, sent.
broadcasts = Table(
    "broadcasts",
    metadata,
    Column("id", BigInt, primary_key=True),
    Column("lead_id", BigInt, nullable=False),
    Column("chat_id", BigInt, nullable=False),  # where the lead composes it
    Column("locale", Text, nullable=False),
    Column("stage", Text, nullable=False),
    Column("body", Text),
    Column("photo_file_id", Text),
    Column("targets", Text, nullable=False, server_default=""),  # chosen group ids, comma-separated
    Column("picker_outbox_id", BigInt),
    Column("created_at", UtcTime, nullable=False),
    Column("sent_at", UtcTime),
    Column("reminded_at", UtcTime),
    Index("broadcasts_by_lead", "lead_id", "chat_id", "stage"),
)

broadcast_acks = Table(
    "broadcast_acks",
    metadata,
    Column("broadcast_id", BigInt, primary_key=True),
    Column("user_id", BigInt, primary_key=True),
    Column("chat_id", BigInt, nullable=False),
    Column("name", Text, nullable=False),
    Column("at", UtcTime, nullable=False),
)

# People seen in grid groups, from the updates the bot handles (Telegram lists no members).
group_members = Table(
    "group_members",
    metadata,
    Column("chat_id", BigInt, primary_key=True),
    Column("user_id", BigInt, primary_key=True),
    Column("name", Text, nullable=False),
    Column("last_seen", UtcTime, nullable=False),
)


def inserted_id(result: Any) -> int:
    """The primary key of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
