"""Telegram handlers: thin adapters from updates to the domain in ``bot``."""

from __future__ import annotations

from handlers import buttons, errors, guards, leads, notices, officers, points, private, report
from handlers.context import GridApp


def register_all(app: GridApp) -> None:
    """Register every handler module; guards first, since their groups run before others."""
    guards.register(app)
    private.register(app)
    officers.register(app)
    leads.register(app)
    notices.register(app)
    points.register(app)
    report.register(app)
    buttons.register(app)
    errors.register(app)
