"""The baseline: a bare python-telegram-bot echo bot (update in -> reply out).

    python -m bench.echo_bot BASE_URL TOKEN [aiohttp]

By default PTB's own HTTP client (httpx); with ``aiohttp``, the client GridDesk uses, so
that the two bots differ only in what GridDesk does with an update.
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "")


def main() -> None:
    base_url, token = sys.argv[1], sys.argv[2]
    builder = Application.builder().token(token).base_url(base_url)
    if sys.argv[3:] == ["aiohttp"]:
        from handlers.http import AiohttpRequest

        builder = builder.request(AiohttpRequest()).get_updates_request(
            AiohttpRequest(connection_pool_size=1)
        )
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(poll_interval=0.0, timeout=10)


if __name__ == "__main__":
    main()
