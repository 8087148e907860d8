"""Health and metrics over HTTP, from the bot running as a process in webhook mode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from tests.e2e.botapi_server import BotApiServer
from tests.e2e.partnerbot import person
from tests.e2e.test_foundation import _seed_file, webhook_bot
from tests.people import MEMBER


async def test_healthz_and_metrics_in_webhook_mode(
    botapi: BotApiServer, tmp_path: Path, unused_tcp_port_factory: Callable[[], int]
) -> None:
    database = tmp_path / "bot.sqlite3"
    await _seed_file(database)
    port, health_port = unused_tcp_port_factory(), unused_tcp_port_factory()
    bot = webhook_bot(botapi, database, port, HEALTH_PORT=str(health_port))
    await bot.start_webhook()
    try:
        base = f"http://127.0.0.1:{health_port}"
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            health = await client.get("/healthz")
            assert health.status_code == 200, health.text
            assert health.headers["content-type"] == "application/json"
            facts = health.json()
            assert facts["healthy"] is True and facts["problems"] == []
            assert facts["database"] is True and facts["outbox_worker"] is True
            assert facts["deliveries_waiting"] == 0 and facts["deliveries_dead"] == 0
            assert facts["last_update_id"] is None

            member = person(botapi, MEMBER)
            await member.send("/help")
            assert "You work in COP Sénégal as member." in (await member.next_message()).text
            metrics = await client.get("/metrics")
            assert metrics.status_code == 200
            assert metrics.headers["content-type"].startswith("text/plain")
            text = metrics.text
            assert 'partnerbot_updates_total{kind="command",name="help"} 1.0' in text
            assert 'partnerbot_update_seconds_count{kind="command",name="help"} 1.0' in text
            assert 'partnerbot_outbox_deliveries{status="dead"} 0.0' in text
            assert "partnerbot_telegram_retry_after_total 0.0" in text

            after = (await client.get("/healthz")).json()
            assert after["last_update_id"] is not None and after["last_update_at"] is not None
            assert after["last_update_handled_at"] is not None
    finally:
        await bot.stop()
