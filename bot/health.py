"""`/healthz` and `/metrics` over HTTP, on the port of the HEALTH_PORT setting.

PTB's webhook server builds its tornado Application inside `Updater.start_webhook` and offers
no way to add routes to it, so these two are served by a small tornado server of their own,
in the bot's event loop, started with the bot and stopped with it (in polling mode too).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST
from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler

from services.health import HealthFacts, HealthService

if TYPE_CHECKING:
    from bot.context import PartnerbotApplication

log = logging.getLogger(__name__)


async def health_facts(application: PartnerbotApplication) -> HealthFacts:
    """The database's facts, and whether the outbox worker of this process is alive."""
    services = application.services
    facts = await HealthService(services.db, services.clock).check()
    worker = application.worker
    if worker is None or not worker.alive():
        facts = facts.with_problems("outbox worker not running")
    return facts


def health_json(application: PartnerbotApplication, facts: HealthFacts) -> dict[str, Any]:
    """What `/healthz` answers: the facts, the worker, and this process's latest update."""
    handled = application.last_update_at
    worker = application.worker
    return facts.as_json() | {
        "outbox_worker": worker is not None and worker.alive(),
        "last_update_handled_at": (
            None if handled is None else datetime.fromtimestamp(handled, UTC).isoformat()
        ),
    }


class _Healthz(RequestHandler):
    def initialize(self, bot_application: PartnerbotApplication) -> None:
        # `application` is the tornado Application's name in a RequestHandler.
        self.bot_application = bot_application

    async def get(self) -> None:
        facts = await health_facts(self.bot_application)
        self.set_status(200 if facts.healthy else 503)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        await self.finish(json.dumps(health_json(self.bot_application, facts)))


class _Metrics(RequestHandler):
    def initialize(self, bot_application: PartnerbotApplication) -> None:
        # `application` is the tornado Application's name in a RequestHandler.
        self.bot_application = bot_application

    async def get(self) -> None:
        services = self.bot_application.services
        try:
            outbox = await HealthService(services.db, services.clock).outbox()
        except Exception:
            # The counters still tell something; /healthz tells that the database is away.
            log.warning("could not read the outbox for /metrics", exc_info=True)
        else:
            self.bot_application.metrics.refresh(outbox)
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        await self.finish(self.bot_application.metrics.exposition())


class HealthServer:
    """The HTTP server of `/healthz` and `/metrics` of one application."""

    def __init__(self, application: PartnerbotApplication, listen: str, port: int) -> None:
        routes: list[Any] = [
            (r"/healthz", _Healthz, {"bot_application": application}),
            (r"/metrics", _Metrics, {"bot_application": application}),
        ]
        self._server = HTTPServer(Application(routes))
        self._listen = listen
        self._port = port

    def start(self) -> None:
        """Listen (in the running event loop)."""
        self._server.listen(self._port, address=self._listen)
        log.info("health and metrics on http://%s:%s/healthz", self._listen, self._port)

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        self._server.stop()
        await self._server.close_all_connections()
