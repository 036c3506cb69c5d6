"""The digest's figures of rectification notices and their re-inspections (复查).

Counted by when each step happened in the period, of any ticket (a notice's limit often
runs past the day its ticket was reported, so counting by report day would miss most):

- notices issued: resolutions with a rectification notice (a time limit)
- re-inspections due: limits reached (the card posted in the squad chat)
- re-inspections done: results recorded; on time: within ``workflow.recheck_window`` of
  the limit
- rectified rate = rectified / done
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class RecheckFigures:
    issued: int = 0
    due: int = 0
    done: int = 0
    on_time: int = 0
    rectified: int = 0

    def add(self, kind: str, detail: dict[str, Any]) -> None:
        """Count one event of kind notice_issued, recheck_due or rechecked."""
        if kind == "notice_issued":
            self.issued += 1
        elif kind == "recheck_due":
            self.due += 1
        elif kind == "rechecked":
            self.done += 1
            self.on_time += bool(detail.get("on_time"))
            self.rectified += detail.get("result") == "rectified"

    def summary(self) -> dict[str, Any]:
        return {
            "notices_issued": self.issued,
            "rechecks_due": self.due,
            "rechecks_done": self.done,
            "rechecks_on_time": self.on_time,
            "rectified": self.rectified,
            "rectified_rate": self.rectified / self.done if self.done else None,
        }
