"""The ``griddesk`` command: run the bot, check the config, play the offline demo."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import os
import sys
from pathlib import Path
from typing import Any

from bot.core.config import (
    TOKEN_ENV,
    ConfigError,
    Settings,
    Webhook,
    bot_token,
    load_settings,
    redacted_url,
)

WEBHOOK_SECRET_ENV = "TELEGRAM_WEBHOOK_SECRET"
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="griddesk", description=__doc__)
    parser.add_argument("--config", default="config.yaml", help="path to config.yaml")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the bot (long polling, or --webhook URL)")
    run.add_argument("--webhook", metavar="URL", help="public HTTPS URL Telegram posts updates to")
    run.add_argument("--config", dest="config_sub", help=argparse.SUPPRESS)
    check = commands.add_parser("check-config", help="validate the config and exit")
    check.add_argument("--config", dest="config_sub", help=argparse.SUPPRESS)
    digest = commands.add_parser("digest", help="print a day's digest from the database")
    digest.add_argument("--date", help="local date YYYY-MM-DD (default: yesterday)")
    digest.add_argument("--format", choices=("text", "json"), default="text")
    digest.add_argument("--locale", choices=("zh", "en"), help="language of the text")
    digest.add_argument("--config", dest="config_sub", help=argparse.SUPPRESS)
    backup = commands.add_parser("backup", help="consistent copy of the live database")
    backup.add_argument("path", help="the new file to write")
    backup.add_argument("--config", dest="config_sub", help=argparse.SUPPRESS)
    copy = commands.add_parser(
        "copy-db", help="copy the SQLite database into an empty PostgreSQL database"
    )
    copy.add_argument("--to", required=True, metavar="URL", help="postgresql+asyncpg://...")
    copy.add_argument("--config", dest="config_sub", help=argparse.SUPPRESS)
    demo = commands.add_parser("demo", help="offline demo against a built-in Bot API stand-in")
    demo.add_argument("--config", dest="config_sub", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    config_path = Path(getattr(args, "config_sub", None) or args.config)

    if args.command == "demo":
        from demo.play import run_demo

        return asyncio.run(run_demo(config_path))
    try:
        settings = load_settings(config_path)
    except ConfigError as exc:
        print(f"griddesk: invalid configuration\n{exc}", file=sys.stderr)
        return 2
    if args.command == "check-config":
        _describe(settings, config_path)
        return 0
    if args.command == "backup":
        return _backup(settings, config_path, Path(args.path))
    if args.command == "copy-db":
        from bot.copy_db import copy_db

        return asyncio.run(copy_db(settings, config_path, args.to))
    if args.command == "digest":
        return asyncio.run(_print_digest(settings, config_path, args))
    return _run(settings, config_path, args.webhook)


async def _print_digest(settings: Settings, config_path: Path, args: argparse.Namespace) -> int:
    """``griddesk digest``: the same digest the leads receive, printed for checks and scripts."""
    import html
    import json
    import re

    from bot.core.i18n import t
    from bot.services import Services

    services = Services.create(settings, base=config_path.parent)
    await services.open("")
    try:
        days = services.reports.digest_day([args.date] if args.date else [])
        if days.first is None:
            refusal = t(args.locale or settings.locale, days.refusal or "digest.usage")
            print(f"griddesk: --date: {html.unescape(refusal)}", file=sys.stderr)
            return 2
        digest = await services.reports.digest(days.first)
    finally:
        await services.close()
    if args.format == "json":
        print(json.dumps(digest.as_json(), ensure_ascii=False, indent=2))
    else:
        text = services.reports.render(digest, args.locale or settings.locale)
        print(html.unescape(re.sub(r"<[^>]+>", "", text)))
    return 0


def _backup(settings: Settings, config_path: Path, target: Path) -> int:
    from storage.database import backup, integrity_check

    if settings.database.url is not None:
        from bot.copy_db import server_backup_advice

        print(server_backup_advice(settings.database.url, target), file=sys.stderr)
        return 2
    source = Path(settings.database.path)
    if not source.is_absolute():
        source = config_path.parent / source
    if not source.exists():
        print(f"griddesk: no database at {source}", file=sys.stderr)
        return 2
    try:
        pages = backup(source, target)
    except FileExistsError as exc:
        print(f"griddesk: {exc}", file=sys.stderr)
        return 2
    print(f"{target}: {pages} pages copied from {source}; integrity {integrity_check(target)}")
    return 0


def _describe(settings: Settings, path: Path) -> None:
    print(f"{path}: ok")
    print(
        f"  {len(settings.grids)} grids, {len(settings.squads)} squads, "
        f"{len(settings.grid_groups)} grid groups, {len(settings.categories)} categories, "
        f"{len(settings.vending_points)} vending points"
    )
    if settings.database.url is not None:
        database = redacted_url(settings.database.url)
    else:
        database = settings.database.path
    print(f"  database: {database}  timezone: {settings.timezone}")


def _run(settings: Settings, config_path: Path, webhook: str | None) -> int:
    from bot.app import build_application
    from bot.core.logs import setup_logging

    token = bot_token()
    if token is None:
        print(
            f"griddesk: set the bot token in the environment variable {TOKEN_ENV}", file=sys.stderr
        )
        return 2
    secret = token.get_secret_value()
    setup_logging(secret)
    app = build_application(
        settings, secret, config_dir=config_path.parent, webhook=webhook is not None
    )
    if webhook is None:
        app.run_polling(allowed_updates=ALLOWED_UPDATES)
        return 0
    asyncio.run(_serve_webhook(app, settings.telegram.webhook, webhook, webhook_secret(secret)))
    return 0


async def _serve_webhook(app: Any, hook: Webhook, url: str, secret: str) -> None:
    """One webhook worker until SIGTERM or SIGINT (start as many as the load needs)."""
    import signal

    from handlers.webhook import WebhookWorker

    worker = WebhookWorker(app, hook, url, secret, allowed_updates=ALLOWED_UPDATES)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stopping.set)
    await worker.start()
    try:
        await stopping.wait()
    finally:
        await worker.stop()


def webhook_secret(token: str) -> str:
    """The secret Telegram must echo in a header: TELEGRAM_WEBHOOK_SECRET, else one derived
    from the bot token, so that every worker of the bot knows the same secret."""
    given = os.environ.get(WEBHOOK_SECRET_ENV)
    if given:
        return given
    return hmac.new(token.encode(), b"griddesk webhook secret", hashlib.sha256).hexdigest()


if __name__ == "__main__":
    raise SystemExit(main())
