"""The digest as people read it: the chat message in a lead's language, and the chart."""

from __future__ import annotations

from bot.core.config import OUTCOME_CLASSES
from bot.core.directory import Directory
from bot.core.i18n import Raw, joined, t, tn
from bot.figures import charts
from bot.figures.digest import TARGET_SPLIT, Digest, Figures
from bot.figures.leads import EVERY_SQUAD, Scope
from storage.lifecycle import unfinished_states


class DigestText:
    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    def render(self, digest: Digest, locale: str, scope: Scope = EVERY_SQUAD) -> str:
        """The digest as a chat message: one squad, or each squad of the scope and the total
        (the digest was computed for that scope)."""
        if digest.complete:
            lines = [t(locale, "digest.title", day=digest.day.isoformat())]
        else:
            as_of = digest.as_of.strftime("%H:%M")
            lines = [t(locale, "digest.title_as_of", day=digest.day.isoformat(), time=as_of)]
        if digest.received_before and digest.first_day is None:
            received = digest.total.received
            lines.append(
                t(
                    locale,
                    "digest.compare",
                    day_before=_change(received - digest.received_before["day_before"]),
                    week_before=_change(received - digest.received_before["week_before"]),
                )
            )
        squad_ids = sorted(scope.squads) if scope.squads is not None else list(digest.squads)
        for squad_id in squad_ids:
            lines += self._scope(
                self._squad_name(squad_id, locale),
                digest.squads.get(squad_id, Figures()),
                locale,
                digest,
            )
        if scope.squads is None or len(scope.squads) > 1:
            lines += self._scope(t(locale, "digest.total"), digest.total, locale, digest)
        if digest.hot_grids:
            grids = Raw(
                joined(
                    locale,
                    (f"{self.directory.grid_name(g, locale)} {n}" for g, n in digest.hot_grids),
                )
            )
            lines.append(t(locale, "digest.hot_grids", grids=grids))
        for place in digest.recurring:
            lines.append(
                t(
                    locale,
                    "digest.recurring",
                    grid=self.directory.grid_name(place["grid"], locale),
                    days=place["days"],
                    reports=place["reports"],
                    latitude=place["latitude"],
                    longitude=place["longitude"],
                )
            )
        if digest.officers:
            lines.append(t(locale, "digest.officers_title"))
            for officer in digest.officers[:10]:
                lines.append(
                    t(
                        locale,
                        "digest.officer",
                        name=officer["officer"],
                        claimed=officer["claimed"],
                        on_site=officer["on_site"],
                        resolved=officer["resolved"],
                        reworked=officer["reworked"],
                        arrive=_minutes(officer["median_minutes_to_arrive"]),
                    )
                )
        return "\n".join(lines)

    def _squad_name(self, squad_id: str, locale: str) -> str:
        squad = self.directory.squads.get(squad_id)
        return squad.name.get(locale) if squad is not None else squad_id

    def _scope(self, name: str, figures: Figures, locale: str, digest: Digest) -> list[str]:
        s = figures.summary()
        lines = [
            t(locale, "digest.scope", name=name),
            t(
                locale,
                "digest.counts",
                received=s["received"],
                claimed=s["claimed"],
                on_site=s["on_site"],
                resolved=s["resolved"],
                solved=s["closed_solved"],
                unconfirmed=s["closed_unconfirmed"],
                reopened=s["reopened"],
            ),
        ]
        if s["received"]:
            m = s["minutes"]
            lines.append(
                t(
                    locale,
                    "digest.times",
                    claim=_minutes(m["claim"]["median"]),
                    claim90=_minutes(m["claim"]["p90"]),
                    arrive=_minutes(m["arrive"]["median"]),
                    arrive90=_minutes(m["arrive"]["p90"]),
                    resolve=_minutes(m["resolve"]["median"]),
                    resolve90=_minutes(m["resolve"]["p90"]),
                )
            )
            on_time = s["on_time_rate"]
            lines.append(
                t(
                    locale,
                    "digest.rates",
                    claim=_percent(on_time["claim"]),
                    arrive=_percent(on_time["arrive"]),
                    resolve=_percent(on_time["resolve"]),
                    handling=_percent(s["handling_rate"]),
                    rework=_percent(s["rework_rate"]),
                    closure=_percent(s["closure_rate"]),
                )
            )
            split = s["split_721"]
            lines.append(
                t(
                    locale,
                    "digest.split",
                    **{c: _percent(split[c]) for c in OUTCOME_CLASSES},
                    target="/".join(str(round(TARGET_SPLIT[c] * 100)) for c in OUTCOME_CLASSES),
                )
                + (t(locale, "digest.split_off") if s["split_721_off_target"] else "")
            )
            if s["duplicates_avoided"]:
                lines.append(
                    t(
                        locale,
                        "digest.duplicates",
                        avoided=s["duplicates_avoided"],
                        joined=s["joined"],
                        merged=s["merged"],
                    )
                )
            overdue = s["overdue"]
            if any(overdue.values()):
                lines.append(
                    t(
                        locale,
                        "digest.overdue",
                        **{step: _numbers(locale, overdue[step]) for step in overdue},
                    )
                )
            rated = s["satisfaction"]
            if rated["rated"]:
                lines.append(
                    t(
                        locale,
                        "digest.satisfaction",
                        average=f"{rated['average']:.1f}",
                        rated=rated["rated"],
                        solved=s["closed_solved"],
                    )
                )
            if s["top_actions"]:
                actions = Raw(
                    joined(
                        locale, (f"{self._action_name(a, locale)} {n}" for a, n in s["top_actions"])
                    )
                )
                lines.append(t(locale, "digest.actions", actions=actions))
            if s["guided_by_point"]:
                points = Raw(
                    joined(
                        locale,
                        (
                            f"{self._point_name(p, locale)} {n}"
                            for p, n in s["guided_by_point"].items()
                        ),
                    )
                )
                total = sum(s["guided_by_point"].values())
                lines.append(tn(locale, "digest.guided", total, points=points))
        if s["notices_issued"] or s["rechecks_due"] or s["rechecks_done"]:
            lines.append(
                t(
                    locale,
                    "digest.rechecks",
                    issued=s["notices_issued"],
                    due=s["rechecks_due"],
                    done=s["rechecks_done"],
                    on_time=s["rechecks_on_time"],
                    rate=_percent(s["rectified_rate"]),
                )
            )
        if s["open_at_midnight"]:
            oldest = Raw(
                joined(locale, (f"#{o['ticket']} {o['age_hours']}h" for o in s["oldest_open"]))
            )
            if digest.complete:
                lines.append(t(locale, "digest.open", count=s["open_at_midnight"], oldest=oldest))
            else:
                lines.append(
                    t(
                        locale,
                        "digest.open_as_of",
                        count=s["open_at_midnight"],
                        oldest=oldest,
                        time=digest.as_of.strftime("%H:%M"),
                    )
                )
            states = Raw(
                joined(
                    locale,
                    (
                        f"{t(locale, f'digest.state.{state}')} {s['open_by_state'][state]}"
                        for state in OPEN_STATES
                        if s["open_by_state"].get(state)
                    ),
                )
            )
            held = Raw(joined(locale, (f"{n} {c}" for n, c in s["open_by_officer"].items())))
            lines.append(t(locale, "digest.open_by", states=states, officers=held or "-"))
        return lines

    def _point_name(self, point_id: str, locale: str) -> str:
        point = self.directory.vending_points.get(point_id)
        return point.name.get(locale) if point is not None else point_id

    def _action_name(self, key: str, locale: str) -> str:
        outcome, _, code = key.partition(":")
        for action in self.directory.settings.workflow.actions.get(outcome, []):
            if action.code == code:
                return action.name.get(locale)
        return code

    def chart(self, digest: Digest, locale: str) -> bytes:
        """A PNG: median and p90 minutes to arrive per squad, titled in ``locale``."""
        names: list[str] = []
        medians: list[float | None] = []
        p90s: list[float | None] = []
        for squad_id, figures in digest.squads.items():
            squad = self.directory.squads.get(squad_id)
            names.append(squad.name.get(locale) if squad else squad_id)
            summary = figures.summary()["minutes"]["arrive"]
            medians.append(summary["median"])
            p90s.append(summary["p90"])
        return charts.arrival_chart(
            self.chart_title(digest, locale),
            names,
            medians,
            p90s,
            t(locale, "chart.median"),
            t(locale, "chart.p90"),
            t(locale, "chart.minutes"),
            t(locale, "chart.no_data"),
        )

    def chart_title(self, digest: Digest, locale: str) -> str:
        """The chart's title names the range it covers: one day, or first to last day."""
        first = digest.first_day or digest.day
        if first == digest.day:
            return t(locale, "chart.title", day=digest.day.isoformat())
        return t(locale, "chart.title_range", start=first.isoformat(), end=digest.day.isoformat())


OPEN_STATES = tuple(state.value for state in unfinished_states())
NUMBERS_SHOWN = 5


def _numbers(locale: str, ids: list[int]) -> str:
    """Ticket numbers, the first few and how many in all: ``#1001、#1003（共 2 件）``."""
    if not ids:
        return "-"
    shown = joined(locale, (f"#{i}" for i in ids[:NUMBERS_SHOWN]))
    return t(locale, "digest.numbers", numbers=Raw(shown), count=len(ids))


def _change(value: int) -> str:
    return f"{value:+d}"


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"
