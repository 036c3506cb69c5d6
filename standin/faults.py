"""Fault injection: make chosen calls fail the way Telegram or the network sometimes does."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

FaultHook = Callable[[str, Mapping[str, Any]], "Fault | None"]


@dataclass(frozen=True)
class Fault:
    """How one call should fail instead of being answered normally.

    ``drop`` closes the connection without any answer (in-process: a network error).
    ``after_apply`` lets the call take effect first and only then fails the answer, like a
    gateway error after Telegram already sent the message.
    """

    status: int = 500
    description: str = "Internal Server Error"
    retry_after: int | None = None
    drop: bool = False
    after_apply: bool = False

    @classmethod
    def rate_limited(cls, retry_after: int = 5) -> Fault:
        """HTTP 429 with ``parameters.retry_after`` like Telegram's flood control."""
        return cls(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)

    @classmethod
    def server_error(cls, *, after_apply: bool = False) -> Fault:
        """HTTP 500 Internal Server Error."""
        return cls(500, "Internal Server Error", after_apply=after_apply)

    @classmethod
    def bad_gateway(cls, *, after_apply: bool = False) -> Fault:
        """HTTP 502 Bad Gateway."""
        return cls(502, "Bad Gateway", after_apply=after_apply)

    @classmethod
    def dropped(cls, *, after_apply: bool = False) -> Fault:
        """The connection closes with no answer."""
        return cls(0, "connection dropped", drop=True, after_apply=after_apply)

    def payload(self) -> dict[str, Any]:
        """The error body sent for this fault (meaningless for drops)."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class FaultRule:
    """Fail calls to ``method`` (any method when None) after letting ``skip`` through.

    ``times`` limits how many calls fail (None: every later matching call); ``when`` narrows
    matching to calls whose raw parameters satisfy it.
    """

    fault: Fault
    method: str | None = None
    times: int | None = 1
    skip: int = 0
    when: Callable[[Mapping[str, Any]], bool] | None = None
    fired: int = 0
    seen: int = 0

    def match(self, method: str, params: Mapping[str, Any]) -> bool:
        """Count the call and say whether this rule fails it."""
        if self.method is not None and self.method.lower() != method.lower():
            return False
        if self.when is not None and not self.when(params):
            return False
        self.seen += 1
        if self.seen <= self.skip:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        self.fired += 1
        return True


@dataclass
class FaultPlan:
    """An ordered list of fault rules; usable directly as ``world.faults``."""

    rules: list[FaultRule] = field(default_factory=list)

    def fail(
        self,
        method: str | None,
        fault: Fault,
        *,
        times: int | None = 1,
        skip: int = 0,
        when: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> FaultPlan:
        """Add a rule and return the plan, so rules can be chained."""
        self.rules.append(FaultRule(fault, method, times, skip, when))
        return self

    def __call__(self, method: str, params: Mapping[str, Any]) -> Fault | None:
        for rule in self.rules:
            if rule.match(method, params):
                return rule.fault
        return None
