"""Logging that never shows the bot token."""

from __future__ import annotations

import logging

REDACTED = "<token>"


class RedactToken(logging.Filter):
    """Replace the token wherever it would appear in a log line (URLs, error texts)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.token:
            return True
        message = record.getMessage()
        if self.token in message:
            record.msg = message.replace(self.token, REDACTED)
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            text = str(record.exc_info[1])
            if self.token in text:
                record.exc_text = (
                    logging.Formatter()
                    .formatException(record.exc_info)
                    .replace(self.token, REDACTED)
                )
                record.exc_info = None
        return True


def setup_logging(token: str, level: int = logging.INFO) -> None:
    """Log to stderr; httpx only warnings (it logs every request URL, which holds the token)."""
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level, force=True
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    redact = RedactToken(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
