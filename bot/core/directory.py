"""The district as the bot sees it: grids, squads, grid groups, categories, people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.core.config import (
    COMMAND_CENTRE,
    Category,
    Grid,
    GridGroup,
    Member,
    Settings,
    Squad,
    VendingPoint,
)
from bot.core.routing import GridIndex, Placement


@dataclass(frozen=True)
class Membership:
    squad: Squad
    member: Member


class Directory:
    """Look-ups over the validated config, built once at start-up."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.grids: dict[str, Grid] = {grid.id: grid for grid in settings.grids}
        self.squads: dict[str, Squad] = {squad.id: squad for squad in settings.squads}
        self.vending_points: dict[str, VendingPoint] = {p.id: p for p in settings.vending_points}
        self.squad_of_grid: dict[str, Squad] = {
            grid_id: squad for squad in settings.squads for grid_id in squad.grids
        }
        self.command_centre: Squad | None = None
        if settings.command_centre is not None:
            centre = settings.command_centre
            # The command centre acts as a squad with no grids of its own: the last fallback.
            self.command_centre = Squad.model_construct(
                id=COMMAND_CENTRE,
                name=centre.name,
                dispatch_chat_id=centre.chat_id,
                grids=[],
                members=centre.members,
                locale=None,
                roster=None,
                fallback=None,
                lead_chat_id=None,
            )
            self.squads[COMMAND_CENTRE] = self.command_centre
        self.groups: dict[int, GridGroup] = {g.chat_id: g for g in settings.grid_groups}
        self.squad_chats: dict[int, Squad] = {s.dispatch_chat_id: s for s in self.squads.values()}
        self.lead_chats: dict[int, Squad] = {
            s.lead_chat_id: s for s in self.squads.values() if s.lead_chat_id is not None
        }
        self.categories: dict[str, Category] = {c.code: c for c in settings.categories}
        self.memberships: dict[int, list[Membership]] = {}
        for squad in self.squads.values():
            for member in squad.members:
                self.memberships.setdefault(member.telegram_id, []).append(
                    Membership(squad, member)
                )
        geometries: list[tuple[str, dict[str, Any]]] = []
        for grid in settings.grids:
            assert grid.polygon is not None  # load_settings resolves geojson_file
            geometries.append((grid.id, grid.polygon))
        self.index = GridIndex(geometries)

    def fallback_of(self, squad: Squad) -> Squad | None:
        """Where the squad's tickets go when nobody is on duty or a deadline escalates."""
        if squad.fallback is not None:
            return self.squads.get(squad.fallback)
        if squad.id != COMMAND_CENTRE:
            return self.command_centre
        return None

    def leads_of(self, squad: Squad) -> list[Member]:
        leads = [m for m in squad.members if m.role == "lead"]
        if not leads and self.command_centre is not None:
            leads = [m for m in self.command_centre.members if m.role == "lead"]
        return leads

    def lead_chat(self, squad: Squad) -> int:
        """Where escalations to leads go: the squad's lead chat if set, else its own chat."""
        return squad.lead_chat_id if squad.lead_chat_id is not None else squad.dispatch_chat_id

    def is_lead(self, user_id: int) -> bool:
        return any(m.member.role == "lead" for m in self.memberships.get(user_id, []))

    def in_squad(self, user_id: int, squad_id: str) -> bool:
        return any(m.squad.id == squad_id for m in self.memberships.get(user_id, []))

    def may_handle(self, user_id: int, squad_id: str) -> bool:
        """Members of the ticket's squad and leads may act on it."""
        return self.in_squad(user_id, squad_id) or self.is_lead(user_id)

    def member_name(self, user_id: int, fallback: str) -> str:
        memberships = self.memberships.get(user_id)
        return memberships[0].member.name if memberships else fallback

    def is_configured_chat(self, chat_id: int) -> bool:
        return chat_id in self.groups or chat_id in self.squad_chats or chat_id in self.lead_chats

    def officials_chat(self, chat_id: int) -> Squad | None:
        """The squad whose dispatch or lead chat this is (only officials read there)."""
        return self.squad_chats.get(chat_id) or self.lead_chats.get(chat_id)

    def group_locale(self, chat_id: int) -> str:
        group = self.groups.get(chat_id)
        if group is not None and group.locale:
            return group.locale
        return self.settings.locale

    def squad_locale(self, squad: Squad) -> str:
        return squad.locale or self.settings.locale

    def place(self, latitude: float, longitude: float) -> Placement | None:
        """The grid for a reported point, within the configured tolerance outside grids."""
        return self.index.locate(latitude, longitude, self.settings.intake.max_outside_distance_m)

    def nearest(self, latitude: float, longitude: float) -> Placement | None:
        return self.index.nearest(latitude, longitude)

    def grid_name(self, grid_id: str, locale: str) -> str:
        return self.grids[grid_id].name.get(locale)

    def category_name(self, code: str, locale: str) -> str:
        category = self.categories.get(code)
        return category.name.get(locale) if category else code

    def join_radius_m(self, code: str) -> float:
        """How close an open ticket of the category must be to be offered to join."""
        category = self.categories.get(code)
        if category is not None and category.join_radius_m is not None:
            return category.join_radius_m
        return self.settings.intake.join_radius_m
