"""How the bot behaves, section by section: deadlines, escalation, intake, the workflow's
actions and time limits, the digest, the outbox, Telegram, the database."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import (
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from bot.core.config.basics import Duration, Names, Strict, _unique, check_proxy_url

EscalationAction = Literal["remind_on_duty", "remind_claimer", "notify_leads", "hand_to_fallback"]


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
