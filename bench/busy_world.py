"""The busy day's district and its shop owners: a stand-in world that notes each card and
each accepted message, and one owner's whole report with the time each step waited."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench.intake import (
    FIRST_OWNER,
    GROUP,
    POINT,
    SQUAD_CHATS,
    TimedWorld,
    district_world,
    report_up_to_details,
)
from standin import ApiResponse, FloodLimits
from standin.limits import counts_against_limits

GROUP_B = -1001000000202  # 新浦北商户群, serving the grid xinpu-north
POINT_B = (34.6020, 119.1800)
POINTS = {GROUP: POINT, GROUP_B: POINT_B}
STEP_TIMEOUT = 900.0  # under a burst a step may wait out several minutes of a group's budget
CARD = re.compile(r"🆕 #(\d+)")
RECEIPT = re.compile(r"已受理 #(\d+)")
PIN = {"sendLocation": "pin"}


class BusyWorld(TimedWorld):
    """A timed world with flood limits that also notes each card and each accepted message
    (when, to which chat)."""

    def __init__(self, limits: FloodLimits) -> None:
        super().__init__()
        self.limits = limits
        self.card_at: dict[int, float] = {}
        # (when, chat, kind): kind is "card", "pin" (sendLocation), "receipt" (the panel
        # edited to 已受理) or the method
        self.sends: list[tuple[float, int, str]] = []

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> ApiResponse:
        arrived = time.perf_counter()
        response = await super().call(method, params)
        result = response.payload.get("result")
        if response.status != 200 or not isinstance(result, dict) or "chat" not in result:
            return response
        chat = result["chat"]["id"]
        card = CARD.match(str(result.get("text", "")))
        is_card = method == "sendMessage" and card is not None and chat in SQUAD_CHATS
        if counts_against_limits(method):
            receipt = method == "editMessageText" and RECEIPT.search(str(result.get("text", "")))
            kind = "card" if is_card else "receipt" if receipt else PIN.get(method, method)
            self.sends.append((arrived, chat, kind))
        if is_card and card is not None:
            self.card_at.setdefault(int(card.group(1)), arrived)
        return response


def busy_world(per_group: Mapping[int, int], limits: FloodLimits) -> BusyWorld:
    """The benchmark district with ``per_group[group]`` shop owners in each grid group."""
    world = BusyWorld(limits)
    district_world(per_group.get(GROUP, 0), world)
    first_b = FIRST_OWNER + per_group.get(GROUP, 0)
    owners_b = list(range(first_b, first_b + per_group.get(GROUP_B, 0)))
    for user_id in owners_b:
        world.add_user(user_id, f"商户{user_id}")
    world.add_chat(GROUP_B, title="新浦北商户群", members=[710001, *owners_b])
    return world


def owners_of(per_group: Mapping[int, int], group: int) -> list[int]:
    """The user ids ``busy_world`` gave the shop owners of ``group``."""
    first = FIRST_OWNER + (per_group.get(GROUP, 0) if group == GROUP_B else 0)
    return list(range(first, first + per_group.get(group, 0)))


@dataclass(frozen=True)
class Steps:
    """Seconds one report's steps waited, and its card (Skip pressed -> card in the squad)."""

    prompt: float  # /report -> the location prompt
    panel: float  # the location -> the category panel
    details: float  # a category -> the details prompt (the panel edited)
    receipt: float  # Skip -> the receipt (the panel edited)
    card: float  # Skip -> the card's request reaching the stand-in
    card_at: float  # perf_counter() when the card arrived
    receipt_at: float  # perf_counter() when the receipt arrived

    def step_latencies(self) -> list[float]:
        return [self.prompt, self.panel, self.details, self.receipt, self.card]


async def whole_report(world: BusyWorld, owner: int, group: int) -> Steps:
    """Play one whole report in ``group``, up to its card in a squad chat."""
    laps: list[float] = []
    panel = await report_up_to_details(
        world, owner, group=group, point=POINTS[group], timeout=STEP_TIMEOUT, laps=laps
    )
    receipt = world.expect("edit", group, panel)
    skipped = time.perf_counter()
    world.press_button(group, panel, owner, world.message(group, panel).callback_data[0])
    await asyncio.wait_for(receipt, STEP_TIMEOUT)
    received = time.perf_counter()
    number = RECEIPT.search(world.message(group, panel).content or "")
    assert number is not None, world.message(group, panel).content
    while int(number.group(1)) not in world.card_at:
        world.card_waiter.clear()
        await asyncio.wait_for(world.card_waiter.wait(), STEP_TIMEOUT)
    card_at = world.card_at[int(number.group(1))]
    prompt, panel_lap, details = laps
    return Steps(
        prompt, panel_lap, details, received - skipped, card_at - skipped, card_at, received
    )
