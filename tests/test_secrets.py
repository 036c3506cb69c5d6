"""The bot token never appears in logs, error messages or the database."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.logs import install_redaction
from demo.play import DEMO_TOKEN, run_demo

EXAMPLE = Path(__file__).resolve().parent.parent / "config.yaml"


@pytest.fixture(name="redaction")
def fixture_redaction() -> Iterator[None]:
    factory = logging.getLogRecordFactory()
    install_redaction(DEMO_TOKEN)
    yield
    logging.setLogRecordFactory(factory)


async def test_token_is_absent_from_every_log_record(
    redaction: None, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """A whole demo run over HTTP, PTB logging its Bot API URL at DEBUG: the token is in no
    log record and nowhere in the database file."""
    caplog.set_level(logging.DEBUG)
    assert 0 == await run_demo(EXAMPLE, io.StringIO(), workdir=tmp_path)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "Set Bot API URL: http://127.0.0.1" in text  # the URL with the token was logged
    assert "/bot<token>" in text
    assert DEMO_TOKEN not in text
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("demo.db*"))
    assert len(stored) > 100_000  # the whole demo's database, write-ahead log included
    assert DEMO_TOKEN.encode() not in stored


def test_token_is_redacted_from_exception_text(redaction: None) -> None:
    """An error whose text carries the token is logged without it."""
    from bot.core.logs import RedactToken

    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, None)
    try:
        raise RuntimeError(f"https://api.telegram.org/bot{DEMO_TOKEN}/getMe refused")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    RedactToken(DEMO_TOKEN).filter(record)
    assert record.exc_text is not None and DEMO_TOKEN not in record.exc_text
