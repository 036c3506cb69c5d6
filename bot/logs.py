"""Logging that never shows the bot token."""

from __future__ import annotations

import logging
from typing import Any

REDACTED = "<token>"


def redact(text: str, token: str) -> str:
    return text.replace(token, REDACTED) if token else text


class RedactToken(logging.Filter):
    """Replace the token in a record's formatted exception (its text comes late)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token and record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if self.token in text:
                record.exc_text = redact(text, self.token)
                record.exc_info = None
        return True


def install_redaction(token: str) -> None:
    """Redact the token from every log record as it is made, whatever handler prints it.

    httpx logs each request URL, and the URL holds the token; a record factory catches that
    (and anything else) before any handler, including ones added later, sees the record.
    """
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if token:
            message = record.getMessage()
            if token in message:
                record.msg = redact(message, token)
                record.args = None
        return record

    logging.setLogRecordFactory(factory)


def setup_logging(token: str, level: int = logging.INFO) -> None:
    """Log to stderr; httpx only warnings (it logs every request URL, which holds the token)."""
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level, force=True
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    install_redaction(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactToken(token))
