"""The busy day's figures: percentiles, the floor the flood limits allow, and the table of
every figure next to its target."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping
from typing import Any

from standin import FloodLimits

TARGET_P99_MS = 1000.0
TARGET_RATIO = 1.25


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50, p90, p99 and max in milliseconds (nearest rank), and the count."""
    ordered = sorted(seconds)

    def rank(p: float) -> float:
        return round(ordered[max(0, math.ceil(len(ordered) * p) - 1)] * 1000, 1)

    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p90_ms": rank(0.90),
        "p99_ms": rank(0.99),
        "max_ms": rank(1.0),
        "count": len(ordered),
    }


def floor_seconds(
    sends: list[tuple[float, int, str]], limits: FloodLimits, skip: frozenset[str]
) -> dict[str, Any]:
    """The least time the limits allow for the chats' messages, and the chat that sets it.

    A chat needing n messages: under the strict reading (at most 20 in any 60 s) the k-th
    (from 0) cannot go before floor(k / 20) minutes after the first, so the last one not
    before (ceil(n / 20) - 1) * 60 s; under the lenient one (20 at once, then one every 3 s)
    not before max(0, n - 20) * 3 s. Private chats and the bot's 30 a second never bind here.
    The floor is the largest over the chats: even a perfect scheduler needs that long.
    Messages of a kind in ``skip`` are not needed (the map pin never is: it is optional).
    """
    per_chat = Counter(chat for _, chat, kind in sends if chat < 0 and kind not in skip)
    if limits.group_refills:
        interval = limits.per_group_period / limits.per_group

        def least(n: int) -> float:
            return max(0, n - limits.per_group) * interval
    else:

        def least(n: int) -> float:
            return (math.ceil(n / limits.per_group) - 1) * limits.per_group_period

    floors = {chat: least(n) for chat, n in per_chat.items()}
    binding = max(floors, key=lambda chat: floors[chat])
    return {
        "floor_seconds": round(floors[binding], 1),
        "binding_chat": binding,
        "messages_per_chat": {str(chat): n for chat, n in sorted(per_chat.items())},
    }


def _met(ok: bool) -> str:
    return "yes" if ok else "no"


def rows(results: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """(what, measured, target, met) for each figure."""
    out = []
    for b in results["burst"]:
        name = f"Burst, {b['owners']} owners, pacing {b['pacing']}, {b['limits']} limits"
        ratio = b["ratio_to_floor"]
        out += [
            (
                f"{name}: last card (floor)",
                f"{b['last_card_seconds']} s (floor {b['floor_seconds']} s, x{ratio})",
                f"<= {TARGET_RATIO}x floor",
                _met(ratio <= TARGET_RATIO) if ratio is not None else "n/a (no floor)",
            ),
            (
                f"{name}: last receipt (floor with receipts)",
                f"{b['last_receipt_seconds']} s (floor {b['floor_with_receipts_seconds']} s)",
                "",
                "",
            ),
            (f"{name}: 429 answers", str(b["rejected_total"]), "0", _met(b["rejected_total"] == 0)),
        ]
        if (b["pacing"], b["limits"]) == ("outbox", "strict"):
            for key, label in (
                ("report_to_prompt", "/report -> prompt"),
                ("location_to_panel", "location -> panel"),
            ):
                p = b[key]
                out.append(
                    (f"{name}: {label} p50 / p90", f"{p['p50_ms']} / {p['p90_ms']} ms", "", "")
                )
    q, h, c = results["quiet"], results["held"], results["catch_up"]
    for label, p in (
        ("Quiet group's steps, other group saturated", q["quiet_steps"]),
        ("Quiet group's cards, other group saturated", q["quiet_cards"]),
        (f"Other chats' steps, one chat held {h['hold_seconds']:g} s", h["other_chat_steps"]),
    ):
        out.append(
            (
                f"{label}: p50 / p99 (n)",
                f"{p['p50_ms']} / {p['p99_ms']} ms ({p['count']})",
                "p99 <= 1 s",
                _met(p["p99_ms"] <= TARGET_P99_MS),
            )
        )
    restarted = f"Restart, {c['overdue_tickets']:,} overdue"
    out += [
        (
            f"{restarted}: bot started -> its first getUpdates",
            f"{c['start_to_first_poll_seconds']} s",
            "",
            "",
        ),
        (
            f"{restarted}: first getUpdates -> prompt",
            f"{c['first_poll_to_prompt_seconds']} s",
            "<= 2 s",
            _met(c["first_poll_to_prompt_seconds"] <= 2.0),
        ),
        (
            f"{restarted}: /report written as the bot starts -> prompt",
            f"{c['report_to_prompt_seconds']} s",
            "",
            "",
        ),
        (
            f"{restarted}: most messages to one squad chat, up to "
            f"{c['window_seconds']:g} s after the first getUpdates",
            str(c["max_squad_messages_in_window"]),
            "<= 3",
            _met(c["max_squad_messages_in_window"] <= 3),
        ),
    ]
    return out


def table(results: Mapping[str, Any]) -> str:
    lines = ["| what | measured | target | met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(results)]
    return "\n".join(lines)
