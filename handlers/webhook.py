"""A webhook worker: our own small aiohttp server in front of the Application.

python-telegram-bot's guidance for custom webhook servers is to run the Application without
its Updater and hand it the updates the server receives; this server does that through the
inbox, so that several workers behind one load balancer can share a database:

- ``POST /<path>``: the secret header is checked (constant time; 403 without it), the body
  is kept in the inbox unique by update_id, then 200 goes back. An update the bot cannot
  parse is kept aside as unreadable and still answered 200, so Telegram does not post it
  again and again; a body that is no update at all gets 400.
- ``GET /healthz``: 200 while the database answers, else 503 (for the load balancer).

Kept updates are handled chat by chat under a lease (``bot.delivery.taking``), on this
worker or another.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from aiohttp import web
from telegram import Update

from bot.core.config import Webhook
from bot.delivery.taking import KeptUpdate, Taker
from bot.services import Services
from handlers.context import SERVICES_KEY, GridApp

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"


class WebhookWorker:
    """Serves ``hook`` (listen address, port, path) for the public ``url``."""

    def __init__(
        self,
        app: GridApp,
        hook: Webhook,
        url: str,
        secret: str,
        allowed_updates: list[str] | None = None,
        taker: Taker | None = None,
    ) -> None:
        self.app = app
        self.hook = hook
        self.url = url
        self.secret = secret
        self.allowed_updates = allowed_updates
        services: Services = app.bot_data[SERVICES_KEY]
        self.services = services
        self.taker = taker or Taker(
            services.db,
            services.clock,
            self.handle,
            holder=services.worker,
            lease=hook.lease,
        )
        self._runner: web.AppRunner | None = None

    def web_app(self) -> web.Application:
        served = web.Application()
        served.router.add_post(f"/{self.hook.path.strip('/')}", self._post)
        served.router.add_get(HEALTH_PATH, self._health)
        return served

    async def start(self) -> None:
        """Open the bot, register the webhook, then take updates and serve."""
        await self.app.initialize()
        if self.app.post_init is not None:
            await self.app.post_init(self.app)
        await self.app.bot.set_webhook(
            url=self.url, secret_token=self.secret, allowed_updates=self.allowed_updates
        )
        await self.app.start()
        self.taker.start()
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.hook.listen, self.hook.port).start()
        log.info("webhook worker %s on %s:%s", self.taker.holder, self.hook.listen, self.hook.port)

    async def stop(self) -> None:
        """Stop serving, let the chats in hand finish, close the bot."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.taker.settle()
        await self.taker.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        if self.app.post_shutdown is not None:
            await self.app.post_shutdown(self.app)

    async def handle(self, kept: KeptUpdate) -> bool:
        """Run one kept update's handlers; False if it cannot be parsed."""
        try:
            update = Update.de_json(json.loads(kept.raw), self.app.bot)
        except Exception as exc:  # whatever a stranger's JSON makes PTB raise
            log.error("inbox: update %s cannot be parsed, kept aside: %r", kept.update_id, exc)
            return False
        await self.app.process_update(update)
        return True

    async def _post(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            return web.Response(status=403)
        body = await request.read()
        try:
            data: Any = json.loads(body)
            update_id = int(data["update_id"])
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400, text="not a Telegram update")
        chat_id: int | None = None
        readable = True
        try:
            update = Update.de_json(data, self.app.bot)
            chat_id = update.effective_chat.id if update.effective_chat else None
        except Exception as exc:  # whatever a stranger's JSON makes PTB raise
            log.error("inbox: update %s cannot be parsed, kept aside: %r", update_id, exc)
            readable = False
        raw = json.dumps(data, ensure_ascii=False)
        await self.taker.receive(update_id, raw, chat_id, readable)
        return web.Response(status=200)

    async def _health(self, _request: web.Request) -> web.Response:
        try:
            waiting = await self.services.inbox.waiting()
        except Exception as exc:
            log.warning("health check: the database does not answer: %r", exc)
            return web.json_response({"ok": False, "database": "unreachable"}, status=503)
        return web.json_response(
            {"ok": True, "database": self.services.db.dialect, "waiting_updates": waiting}
        )
