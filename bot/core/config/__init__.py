"""GridDesk configuration: a pydantic model of ``config.yaml``.

The file describes one district: its grids (GeoJSON polygons in WGS-84), the squads that
cover them, the grid groups where shop owners report, and the report categories. Secrets
never live in the file: the bot token comes from ``TELEGRAM_BOT_TOKEN``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.core.config.basics import DAYS as DAYS
from bot.core.config.basics import LOCALES as LOCALES
from bot.core.config.basics import PROXY_SCHEMES as PROXY_SCHEMES
from bot.core.config.basics import TOKEN_ENV as TOKEN_ENV
from bot.core.config.basics import Duration as Duration
from bot.core.config.basics import Locale as Locale
from bot.core.config.basics import Location as Location
from bot.core.config.basics import Names as Names
from bot.core.config.basics import Strict as Strict
from bot.core.config.basics import _unique
from bot.core.config.basics import bot_token as bot_token
from bot.core.config.basics import check_geometry as check_geometry
from bot.core.config.basics import check_proxy_url as check_proxy_url
from bot.core.config.basics import day_spans as day_spans
from bot.core.config.basics import parse_duration as parse_duration
from bot.core.config.basics import parse_hours as parse_hours
from bot.core.config.basics import redacted_url as redacted_url
from bot.core.config.district import WEEK as WEEK
from bot.core.config.district import Category as Category
from bot.core.config.district import CommandCentre as CommandCentre
from bot.core.config.district import Grid as Grid
from bot.core.config.district import GridGroup as GridGroup
from bot.core.config.district import Member as Member
from bot.core.config.district import Override as Override
from bot.core.config.district import OverrideShift as OverrideShift
from bot.core.config.district import Roster as Roster
from bot.core.config.district import Shift as Shift
from bot.core.config.district import Squad as Squad
from bot.core.config.district import VendingPoint as VendingPoint
from bot.core.config.sections import COMMAND_CENTRE as COMMAND_CENTRE
from bot.core.config.sections import GUIDED_ACTION as GUIDED_ACTION
from bot.core.config.sections import LIMIT_CLASS as LIMIT_CLASS
from bot.core.config.sections import LIMITS as LIMITS
from bot.core.config.sections import OUTCOME_CLASSES as OUTCOME_CLASSES
from bot.core.config.sections import Action as Action
from bot.core.config.sections import Database as Database
from bot.core.config.sections import Deadlines as Deadlines
from bot.core.config.sections import DigestSettings as DigestSettings
from bot.core.config.sections import District as District
from bot.core.config.sections import Escalation as Escalation
from bot.core.config.sections import EscalationAction as EscalationAction
from bot.core.config.sections import EscalationStep as EscalationStep
from bot.core.config.sections import Intake as Intake
from bot.core.config.sections import Outbox as Outbox
from bot.core.config.sections import TelegramSettings as TelegramSettings
from bot.core.config.sections import Webhook as Webhook
from bot.core.config.sections import Workflow as Workflow

# The sections, re-exported: the whole config is imported from bot.core.config.


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
