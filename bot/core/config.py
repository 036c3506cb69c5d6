"""GridDesk configuration: a pydantic model of ``config.yaml``.

The file describes one district: its grids (GeoJSON polygons in WGS-84), the squads that
cover them, the grid groups where shop owners report, and the report categories. Secrets
never live in the file: the bot token comes from ``TELEGRAM_BOT_TOKEN``.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date as date_type
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
Locale = Literal["zh", "en"]
LOCALES: tuple[Locale, ...] = ("zh", "en")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: object) -> timedelta:
    """Read ``90s``, ``5m``, ``2h``, ``1d`` (or a number of seconds) as a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])
    raise ValueError(f"not a duration: {value!r} (write it like 90s, 5m, 2h or 1d)")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class Strict(BaseModel):
    """Base for every section: unknown keys are mistakes, not extensions."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Names(Strict):
    """A name in both catalog languages."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.zh


class Deadlines(Strict):
    """Time limits counted from dispatch: to claim, to be on site, to resolve."""

    claim: Duration = timedelta(minutes=5)
    arrive: Duration = timedelta(minutes=30)
    resolve: Duration = timedelta(hours=2)

    @model_validator(mode="after")
    def _in_order(self) -> Deadlines:
        if not (self.claim <= self.arrive <= self.resolve):
            raise ValueError("deadlines must grow: claim <= arrive <= resolve")
        return self


class Category(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,23}$")
    name: Names
    deadlines: Deadlines | None = None
    # A new report this close to an open ticket of the category is offered to join it.
    join_radius_m: float | None = Field(default=None, ge=0, le=5000)


EscalationAction = Literal["remind_on_duty", "remind_claimer", "notify_leads", "hand_to_fallback"]


class EscalationStep(Strict):
    """One step of an escalation chain, ``after`` the missed deadline."""

    after: Duration = timedelta(0)
    action: EscalationAction


def _steps(*pairs: tuple[int, str]) -> list[EscalationStep]:
    return [
        EscalationStep(after=timedelta(minutes=m), action=a)  # type: ignore[arg-type]
        for m, a in pairs
    ]


class Escalation(Strict):
    """What happens when a deadline is missed, per deadline, step by step."""

    claim: list[EscalationStep] = Field(
        default_factory=lambda: _steps(
            (0, "remind_on_duty"), (5, "notify_leads"), (15, "hand_to_fallback")
        )
    )
    arrive: list[EscalationStep] = Field(
        default_factory=lambda: _steps((0, "remind_claimer"), (10, "notify_leads"))
    )
    resolve: list[EscalationStep] = Field(
        default_factory=lambda: _steps((0, "remind_claimer"), (30, "notify_leads"))
    )
    # After downtime: a hand-over that fell due while the bot was down waits this long
    # after the catch-up summary, so the squad, told at last, can still claim its tickets.
    catch_up_grace: Duration = timedelta(minutes=10)

    @model_validator(mode="after")
    def _ordered(self) -> Escalation:
        for stage in ("claim", "arrive", "resolve"):
            afters = [step.after for step in getattr(self, stage)]
            if afters != sorted(afters):
                raise ValueError(f"{stage}: steps must be in order of their 'after'")
        return self


class CommandCentre(Strict):
    """The district's command centre (指挥中心): the last fallback, and sees every squad."""

    name: Names
    chat_id: int
    members: list[Member] = Field(default_factory=list)


class Grid(Strict):
    """One grid: an area with one responsible squad.

    ``polygon`` is a GeoJSON Polygon or MultiPolygon geometry (or a Feature holding one);
    ``geojson_file`` names a file with the same, relative to the config file.
    """

    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name: Names
    polygon: dict[str, Any] | None = None
    geojson_file: str | None = None

    @model_validator(mode="after")
    def _one_geometry(self) -> Grid:
        if (self.polygon is None) == (self.geojson_file is None):
            raise ValueError("give exactly one of polygon or geojson_file")
        if self.polygon is not None:
            check_geometry(self.polygon)
        return self


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def parse_hours(value: str) -> tuple[int, int]:
    """``08:00-20:00`` as minutes after midnight (start, end); end <= start crosses midnight."""
    match = _HOURS.match(value.strip())
    if not match:
        raise ValueError(f"hours must look like 08:00-20:00, not {value!r}")
    start = int(match.group(1)) * 60 + int(match.group(2))
    end = int(match.group(3)) * 60 + int(match.group(4))
    if end > 24 * 60 or start == end:
        raise ValueError(f"empty or impossible hours {value!r}")
    return start, end


class OverrideShift(Strict):
    """Local hours (``08:00-20:00``, or ``20:00-08:00`` across midnight) and officers."""

    hours: str
    officers: list[int] = Field(min_length=1)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        parse_hours(value)
        return value


class Shift(OverrideShift):
    """A weekly shift: on these days, these local hours, these officers (telegram ids)."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(min_length=1)


class Override(Strict):
    """A date whose shifts replace the weekly ones (holidays, swaps); none means nobody."""

    date: date_type
    shifts: list[OverrideShift] = Field(default_factory=list)


class Roster(Strict):
    shifts: list[Shift] = Field(default_factory=list)
    overrides: list[Override] = Field(default_factory=list)


class Member(Strict):
    telegram_id: int = Field(gt=0)
    name: str = Field(min_length=1)
    role: Literal["officer", "lead"] = "officer"


class Squad(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name: Names
    dispatch_chat_id: int
    grids: list[str] = Field(min_length=1)
    members: list[Member] = Field(min_length=1)
    locale: Locale | None = None
    roster: Roster | None = None
    fallback: str | None = None
    lead_chat_id: int | None = None

    @model_validator(mode="after")
    def _roster_names_members(self) -> Squad:
        if self.roster is None:
            return self
        ids = {m.telegram_id for m in self.members}
        named = [(f"roster.shifts[{i}]", s.officers) for i, s in enumerate(self.roster.shifts)]
        for i, override in enumerate(self.roster.overrides):
            named += [
                (f"roster.overrides[{i}].shifts[{j}]", s.officers)
                for j, s in enumerate(override.shifts)
            ]
        for where, officers in named:
            for officer in officers:
                if officer not in ids:
                    raise ValueError(f"{where}: {officer} is not a member of this squad")
        _check_overlaps(self.roster)
        return self

    @field_validator("members")
    @classmethod
    def _unique_members(cls, members: list[Member]) -> list[Member]:
        return _unique_member_ids(members)


def _unique_member_ids(members: list[Member]) -> list[Member]:
    seen: set[int] = set()
    for member in members:
        if member.telegram_id in seen:
            raise ValueError(f"telegram_id {member.telegram_id} is listed twice")
        seen.add(member.telegram_id)
    return members


class GridGroup(Strict):
    """A "城管+商户" chat where shop owners report; ``grids`` are the grids it serves."""

    chat_id: int = Field(lt=0)
    name: str = Field(min_length=1)
    grids: list[str] = Field(min_length=1)
    locale: Locale | None = None


def day_spans(hours: list[str]) -> list[tuple[int, int]]:
    """Hours of one day as minute spans of ``[0, 2880)``; a span past 1440 crosses midnight."""
    spans = []
    for value in hours:
        start, end = parse_hours(value)
        spans.append((start, end if end > start else end + 1440))
    return spans


class Location(Strict):
    """A point in WGS-84 degrees, as Telegram sends it."""

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class VendingPoint(Strict):
    """A designated vending point (临时经营点) that officers guide street vendors to.

    ``hours`` are local opening hours like the rosters' (``06:00-09:00``; ``20:00-02:00``
    crosses midnight), one or more; ``categories`` are the report categories it suits
    (empty: every category).
    """

    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,24}$")
    name: Names
    location: Location
    hours: list[str] = Field(min_length=1)
    capacity: int | None = Field(default=None, ge=1, le=100_000)
    categories: list[str] = Field(default_factory=list)

    @field_validator("hours")
    @classmethod
    def _hours(cls, hours: list[str]) -> list[str]:
        spans = day_spans(hours)
        # Compared over two days, so a span across midnight meets the next morning's.
        shifted = spans + [(a + 1440, b + 1440) for a, b in spans]
        for i, (a0, a1) in enumerate(spans):
            for j, (b0, b1) in enumerate(shifted):
                if j % len(spans) != i and a0 < b1 and b0 < a1:
                    other = hours[j % len(spans)]
                    raise ValueError(f"opening hours {hours[i]!r} and {other!r} overlap")
        return hours


class Intake(Strict):
    report_timeout: Duration = timedelta(minutes=10)
    max_description_length: int = Field(default=500, ge=20, le=900)
    max_outside_distance_m: float = Field(default=150.0, ge=0, le=5000)
    # One shop owner must not flood a squad: reports per person per rolling hour.
    max_reports_per_hour: int = Field(default=6, ge=1, le=1000)
    # "Same problem?": the radius for categories that set none; 0 turns the offer off.
    join_radius_m: float = Field(default=50.0, ge=0, le=5000)
    # Support counts toward priority: at this many supporters the squad's leads are told once.
    support_alert_at: int = Field(default=3, ge=1, le=1000)


class Action(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,23}$")
    name: Names
    # A management action that sets a time limit (a rectification notice): the officer
    # picks one of these, and at the limit the squad is asked to re-inspect (复查).
    limits: list[Duration] = Field(default_factory=list, max_length=6)

    @field_validator("limits")
    @classmethod
    def _limits(cls, limits: list[timedelta]) -> list[timedelta]:
        for limit in limits:
            if not timedelta(minutes=10) <= limit <= timedelta(days=60):
                raise ValueError("a time limit lies between 10m and 60d")
        if len(set(limits)) != len(limits):
            raise ValueError("a time limit appears twice")
        return limits


OUTCOME_CLASSES = ("service", "management", "enforcement")
# The action that guides a vendor to a designated vending point: resolving with it offers
# the nearest open points (``vending_points``) to pick from.
GUIDED_ACTION = "guided_point"
# The class whose actions may set a time limit, and the one a failed re-inspection moves to.
LIMIT_CLASS = "management"
LIMITS = [timedelta(hours=2), timedelta(hours=24), timedelta(days=3)]
COMMAND_CENTRE = "command_centre"


def _default_actions() -> dict[str, list[Action]]:
    def act(code: str, zh: str, en: str, limits: list[timedelta] | None = None) -> Action:
        return Action(code=code, name=Names(zh=zh, en=en), limits=limits or [])

    return {
        "service": [
            act("guided_point", "疏导至临时经营点", "Guided to a designated vending point"),
            act("helped_move", "帮助搬离物品", "Helped move the goods"),
            act("persuaded", "劝导离开", "Persuaded to leave"),
        ],
        "management": [
            act(
                "reminder_notice",
                "发放温馨提示单",
                "Friendly reminder notice issued",
                LIMITS,
            ),
            act("rectify_limit", "责令限期整改", "Ordered to rectify by a deadline", LIMITS),
            act("rectified", "当场整改", "Rectified on the spot"),
        ],
        "enforcement": [
            act("case_filed", "立案查处", "Case filed"),
            act("fined", "依法处罚", "Fined"),
        ],
    }


class Workflow(Strict):
    """The officer workflow: arrival check, the reporter's confirmation, 7-2-1 actions."""

    arrival_radius_m: float = Field(default=300.0, gt=0, le=10_000)
    confirm_window: Duration = timedelta(hours=24)
    max_note_length: int = Field(default=300, ge=20, le=900)
    actions: dict[str, list[Action]] = Field(default_factory=_default_actions)
    # A re-inspection done within this of its limit counts as on time in the digest.
    recheck_window: Duration = timedelta(hours=2)

    @field_validator("actions")
    @classmethod
    def _every_class_has_actions(cls, actions: dict[str, list[Action]]) -> dict[str, list[Action]]:
        unknown = sorted(set(actions) - set(OUTCOME_CLASSES))
        if unknown:
            raise ValueError(
                f"unknown outcome class {unknown[0]!r} (service, management, enforcement)"
            )
        for outcome in OUTCOME_CLASSES:
            if not actions.get(outcome):
                raise ValueError(f"give at least one action for {outcome}")
            _unique(f"actions.{outcome}", [a.code for a in actions[outcome]])
            if outcome != LIMIT_CLASS and any(a.limits for a in actions[outcome]):
                raise ValueError(f"actions.{outcome}: only management actions set a time limit")
        return actions


class DigestSettings(Strict):
    """When the daily digest is posted (local time) to each squad's lead chat and the centre."""

    time: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    chart: bool = True


class Outbox(Strict):
    retry_base: Duration = timedelta(seconds=2)
    retry_max: Duration = timedelta(minutes=5)
    max_attempts: int = Field(default=12, ge=1, le=100)


class Webhook(Strict):
    listen: str = "127.0.0.1"
    port: int = Field(default=8443, gt=0, lt=65536)
    path: str = "telegram"
    # Several workers: how long a worker's hold on a chat lasts unless renewed, so how long
    # a dead worker's chats wait before another worker takes them over.
    lease: Duration = timedelta(seconds=30)


PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def check_proxy_url(url: str) -> str:
    """Raise ValueError unless ``url`` is an http, https, socks5 or socks5h proxy URL with a
    host and a port; the message never quotes the URL, which may hold a password."""
    example = "e.g. socks5://127.0.0.1:1080 or http://user:password@10.0.0.2:3128"
    if "://" not in url:
        raise ValueError(f"write the proxy as scheme://host:port, {example}")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError(f"not a URL with a host and a numeric port, {example}") from None
    if parts.scheme not in PROXY_SCHEMES:
        raise ValueError(
            f"the proxy's scheme must be one of {', '.join(PROXY_SCHEMES)}"
            f" (got {parts.scheme or 'none'}), {example}"
        )
    if not parts.hostname or port is None:
        raise ValueError(f"give the proxy's host and port, e.g. {parts.scheme}://127.0.0.1:1080")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("a proxy URL is scheme://[user:password@]host:port, with no path")
    return url.strip()


def redacted_url(url: str) -> str:
    """``url`` with any password shown as ``***``, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


class TelegramSettings(Strict):
    # A rejected value (the proxy URL with its password) is not echoed in the error.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    base_url: str | None = None
    # Every Bot API request goes through it (a URL with a password, hence a secret); without
    # it HTTPS_PROXY / HTTP_PROXY from the environment are used, as before.
    proxy: SecretStr | None = None
    # Off only against a self-hosted Bot API stand-in (benchmarks); Telegram enforces limits.
    rate_limiter: bool = True
    # Who keeps within the limits: the outbox's per-chat lanes (the default), or PTB's
    # AIORateLimiter, kept so that the benchmark can compare the two in one run.
    pacing: Literal["outbox", "ptb"] = "outbox"
    base_file_url: str | None = None
    webhook: Webhook = Webhook()

    @field_validator("proxy")
    @classmethod
    def _proxy_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        return SecretStr(check_proxy_url(value.get_secret_value()))

    @property
    def proxy_url(self) -> str | None:
        """The proxy URL, password included: for the HTTP client only, never for a log."""
        return self.proxy.get_secret_value() if self.proxy is not None else None


class Database(Strict):
    """Where the records live: a SQLite file (``path``, the default) or, for a city, a
    PostgreSQL server (``url``, e.g. ``postgresql+asyncpg://griddesk@db.internal/griddesk``).
    With ``url`` set, ``path`` is not used."""

    path: str = "griddesk.db"
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _server_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        scheme = value.partition("://")[0]
        if scheme not in ("postgresql", "postgres", "postgresql+asyncpg"):
            raise ValueError("must be a PostgreSQL URL: postgresql+asyncpg://user@host/database")
        return value.strip()


class District(Strict):
    name: Names


class Settings(Strict):
    """The whole ``config.yaml``."""

    # The outermost model decides how an error prints: never echo a value (a proxy URL holds
    # a password). load_settings names the field and the problem, which is what helps.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    district: District
    timezone: str = "Asia/Shanghai"
    locale: Locale = "zh"
    database: Database = Database()
    telegram: TelegramSettings = TelegramSettings()
    intake: Intake = Intake()
    workflow: Workflow = Workflow()
    deadlines: Deadlines = Deadlines()
    escalation: Escalation = Escalation()
    command_centre: CommandCentre | None = None
    digest: DigestSettings = DigestSettings()
    outbox: Outbox = Outbox()
    categories: list[Category] = Field(min_length=1)
    grids: list[Grid] = Field(min_length=1)
    squads: list[Squad] = Field(min_length=1)
    grid_groups: list[GridGroup] = Field(default_factory=list)
    vending_points: list[VendingPoint] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value

    @model_validator(mode="after")
    def _cross_references(self) -> Settings:
        _unique("categories", [c.code for c in self.categories])
        _unique("grids", [g.id for g in self.grids])
        _unique("squads", [s.id for s in self.squads])
        _unique("grid_groups", [g.chat_id for g in self.grid_groups])
        grid_ids = {g.id for g in self.grids}
        owner: dict[str, str] = {}
        for squad in self.squads:
            for grid_id in squad.grids:
                if grid_id not in grid_ids:
                    raise ValueError(f"squad {squad.id!r} covers unknown grid {grid_id!r}")
                if grid_id in owner:
                    raise ValueError(
                        f"grid {grid_id!r} is covered by both {owner[grid_id]!r} and {squad.id!r}"
                    )
                owner[grid_id] = squad.id
        uncovered = sorted(grid_ids - owner.keys())
        if uncovered:
            raise ValueError(f"no squad covers grid(s) {', '.join(uncovered)}")
        for squad in self.squads:
            if squad.fallback is None:
                continue
            if squad.fallback == COMMAND_CENTRE:
                if self.command_centre is None:
                    raise ValueError(
                        f"squad {squad.id!r} falls back to a command_centre not configured"
                    )
            elif squad.fallback not in {s.id for s in self.squads} or squad.fallback == squad.id:
                raise ValueError(
                    f"squad {squad.id!r}: fallback {squad.fallback!r} is not another squad"
                )
        _unique("vending_points", [p.id for p in self.vending_points])
        codes = {c.code for c in self.categories}
        for index, point in enumerate(self.vending_points):
            for code in point.categories:
                if code not in codes:
                    raise ValueError(
                        f"vending_points[{index}].categories: unknown category {code!r}"
                    )
        squad_chats = {s.dispatch_chat_id for s in self.squads}
        squad_chats |= {s.lead_chat_id for s in self.squads if s.lead_chat_id is not None}
        for group in self.grid_groups:
            for grid_id in group.grids:
                if grid_id not in grid_ids:
                    raise ValueError(f"grid group {group.chat_id} names unknown grid {grid_id!r}")
            if group.chat_id in squad_chats:
                raise ValueError(f"chat {group.chat_id} is both a grid group and a squad chat")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


WEEK = 7 * 24 * 60


def _week_intervals(day: int, hours: str) -> list[tuple[int, int]]:
    """A shift on ``day`` as minute intervals of the week, split where it wraps to Monday."""
    start, end = parse_hours(hours)
    begin = day * 1440 + start
    finish = day * 1440 + (end if end > start else end + 1440)
    if finish <= WEEK:
        return [(begin, finish)]
    return [(begin, WEEK), (0, finish - WEEK)]


def _overlapping(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    return any(x0 < y1 and y0 < x1 for x0, x1 in a for y0, y1 in b)


def _check_overlaps(roster: Roster) -> None:
    """The same officer in two shifts at the same time is a mistake in the roster."""
    weekly = [
        (i, set(s.officers), [iv for d in s.days for iv in _week_intervals(DAYS.index(d), s.hours)])
        for i, s in enumerate(roster.shifts)
    ]
    for n, (i, officers, spans) in enumerate(weekly):
        for j, others, other_spans in weekly[n + 1 :]:
            if officers & others and _overlapping(spans, other_spans):
                raise ValueError(
                    f"roster.shifts[{i}] and roster.shifts[{j}] overlap for the same officer"
                )
    for k, override in enumerate(roster.overrides):
        day = [
            (j, set(s.officers), _week_intervals(0, s.hours)) for j, s in enumerate(override.shifts)
        ]
        for n, (i, officers, spans) in enumerate(day):
            for j, others, other_spans in day[n + 1 :]:
                if officers & others and _overlapping(spans, other_spans):
                    raise ValueError(f"roster.overrides[{k}]: shifts[{i}] and shifts[{j}] overlap")
    dates = [o.date for o in roster.overrides]
    if len(dates) != len(set(dates)):
        raise ValueError("roster.overrides: a date is given twice")


def _unique(section: str, keys: list[Any]) -> None:
    seen: set[Any] = set()
    for key in keys:
        if key in seen:
            raise ValueError(f"{section}: {key!r} appears twice")
        seen.add(key)


def check_geometry(geometry: dict[str, Any]) -> None:
    """Raise ValueError unless ``geometry`` is a GeoJSON (Multi)Polygon in WGS-84 degrees."""
    if geometry.get("type") == "Feature":
        geometry = geometry.get("geometry") or {}
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        polygons = [coords]
    elif kind == "MultiPolygon" and isinstance(coords, list):
        polygons = coords
    else:
        raise ValueError("polygon must be a GeoJSON Polygon or MultiPolygon")
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise ValueError("a polygon needs at least one ring")
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise ValueError("each ring needs at least 4 [longitude, latitude] positions")
            for position in ring:
                if not (isinstance(position, list) and len(position) >= 2):
                    raise ValueError("a position is [longitude, latitude]")
                lon, lat = position[0], position[1]
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise ValueError(f"position {position} is not WGS-84 [longitude, latitude]")
            if ring[0][:2] != ring[-1][:2]:
                raise ValueError("a ring must end where it starts")


_NAMES_ITS_FIELD = re.compile(r"^[a-z_]+\[\d+\]\.[a-z_]+: ")


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file and the field path."""


def format_location(loc: tuple[int | str, ...]) -> str:
    """Render pydantic's error location as ``squads[1].members[0].telegram_id``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def load_settings(path: str | Path) -> Settings:
    """Read and validate a config file, resolving ``geojson_file`` grids.

    Raises ConfigError with one line per problem, each naming the file and field path.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of settings")
    problems = _inline_geojson_files(raw, path.parent)
    if problems:
        raise ConfigError("\n".join(f"{path}: {p}" for p in problems))
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            where = format_location(error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            if not where and _NAMES_ITS_FIELD.match(message):
                # A cross-reference check of the whole file names the field itself.
                lines.append(f"{path}: {message}")
                continue
            lines.append(f"{path}: {where or '(top level)'}: {message}")
        raise ConfigError("\n".join(lines)) from None


def _inline_geojson_files(raw: dict[str, Any], base: Path) -> list[str]:
    """Replace each grid's ``geojson_file`` with the geometry it holds; return problems."""
    problems: list[str] = []
    grids = raw.get("grids")
    if not isinstance(grids, list):
        return problems
    for index, grid in enumerate(grids):
        if not isinstance(grid, dict) or not grid.get("geojson_file"):
            continue
        file = base / str(grid["geojson_file"])
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"grids[{index}].geojson_file: cannot read {file}: {exc}")
            continue
        if data.get("type") == "FeatureCollection":
            features = data.get("features") or []
            data = features[0] if len(features) == 1 else {}
        grid["polygon"] = data
        del grid["geojson_file"]
    return problems


def bot_token() -> SecretStr | None:
    """The bot token from the environment, or None when it is not set."""
    value = os.environ.get(TOKEN_ENV, "").strip()
    return SecretStr(value) if value else None
