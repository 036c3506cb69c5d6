"""Logging that never shows the bot token."""

from __future__ import annotations

import logging
from typing import Any

REDACTED = "<token>"
# Other secrets that may turn up in a record (a proxy's password), each with its stand-in.
_SECRETS: dict[str, str] = {}


def add_secret(secret: str, placeholder: str = "<secret>") -> None:
    """Redact ``secret`` too, from every record made from now on."""
    if secret:
        _SECRETS[secret] = placeholder


def redact(text: str, token: str) -> str:
    text = text.replace(token, REDACTED) if token else text
    for secret, placeholder in _SECRETS.items():
        text = text.replace(secret, placeholder)
    return text


def _holds_secret(text: str, token: str) -> bool:
    return bool(token and token in text) or any(secret in text for secret in _SECRETS)


class RedactToken(logging.Filter):
    """Replace the token (and other secrets) in a record's formatted exception (its text
    comes late)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if _holds_secret(text, self.token):
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
        message = record.getMessage()
        if _holds_secret(message, token):
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
