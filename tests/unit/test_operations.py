"""What operators see: metrics, health, `python -m bot status`, and the logs."""

from __future__ import annotations

import io
import json
import logging
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from telegram.error import RetryAfter

from bot.cli import main
from bot.config import LogFormat, Settings
from bot.health import health_facts, health_json
from bot.logs import REDACTED, JsonFormatter, RedactSecrets, configure_logging, secrets_of
from bot.metrics import Metrics
from bot.ratelimit import SlidingWindowRateLimiter
from domain.models import Partnership
from services.container import Services
from services.health import HealthService
from services.outbox import Recipient, Rendered
from tests.fakes import BotDriver, FakeClock
from tests.people import MEMBER

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET = "s3cr3t-webhook-value-of-32-chars-x"


def sample(metrics: Metrics, metric: str, **labels: str) -> float:
    """A sample's value from the bot's own registry (0 when never set)."""
    return metrics.registry.get_sample_value(metric, labels) or 0.0


async def test_updates_are_counted_by_kind_and_timed(
    driver: BotDriver, partnership: Partnership
) -> None:
    metrics = driver.app.metrics
    await driver.send(MEMBER, "/help")
    await driver.send(MEMBER, "/help@partnerbot")
    await driver.send(MEMBER, "/whatever my secret words")
    await driver.send(MEMBER, "hello there")
    await driver.send(MEMBER, "/language")
    await driver.press(MEMBER, "Français")
    await driver.inline(MEMBER, "police")

    def updates(kind: str, name: str = "") -> float:
        return sample(metrics, "partnerbot_updates_total", kind=kind, name=name)

    assert updates("command", "help") == 2
    assert updates("command", "language") == 1
    # What people type is never a label: unknown commands are all "other".
    assert updates("command", "other") == 1
    assert updates("message") == 1
    assert updates("callback", "lang") == 1
    assert updates("inline") == 1
    timed = sample(metrics, "partnerbot_update_seconds_count", kind="command", name="help")
    assert timed == 2
    assert sample(metrics, "partnerbot_update_seconds_sum", kind="command", name="help") > 0
    exposition = metrics.exposition().decode()
    assert 'partnerbot_updates_total{kind="command",name="help"} 2.0' in exposition
    assert "secret" not in exposition and "hello" not in exposition


async def test_outbox_gauges_and_health_of_the_running_bot(
    driver: BotDriver, partnership: Partnership
) -> None:
    services = driver.app.services
    await services.outbox.enqueue(
        kind="test",
        reference=None,
        partnership_id=partnership.id,
        recipients=[Recipient(MEMBER.id, None, "en")],
        render={"en": Rendered("Meeting moved to Thursday")},
    )
    await driver.settle()
    facts = await health_facts(driver.app)
    assert facts.healthy, facts.problems
    document = health_json(driver.app, facts)
    assert document["database"] is True and document["outbox_worker"] is True
    assert document["deliveries_waiting"] == 0 and document["deliveries_dead"] == 0
    assert document["last_delivery_sent_at"] is not None
    metrics = driver.app.metrics
    metrics.refresh(await HealthService(services.db, services.clock).outbox())
    assert sample(metrics, "partnerbot_outbox_deliveries", status="sent") == 1
    assert sample(metrics, "partnerbot_outbox_deliveries", status="dead") == 0
    # A stopped worker makes the bot unhealthy.
    assert driver.app.worker is not None
    await driver.app.worker.stop()
    assert "outbox worker not running" in (await health_facts(driver.app)).problems


async def test_a_stalled_outbox_is_unhealthy(services: Services, clock: FakeClock) -> None:
    # No worker runs over these services: the delivery waits.
    await services.outbox.enqueue(
        kind="test",
        reference=None,
        partnership_id=None,
        recipients=[Recipient(MEMBER.id, None, "en")],
        render={"en": Rendered("hello")},
    )
    health = HealthService(services.db, services.clock)
    facts = await health.check()
    assert facts.healthy and facts.outbox is not None and facts.outbox.waiting == 1
    clock.advance(minutes=6)
    facts = await health.check()
    assert not facts.healthy
    assert facts.problems == ("outbox stalled: a delivery has waited 6 minutes",)


async def test_a_closed_database_is_unhealthy(services: Services) -> None:
    await services.db.close()
    facts = await HealthService(services.db, services.clock).check()
    assert not facts.database and not facts.healthy
    assert facts.as_json()["deliveries_waiting"] is None


async def test_the_rate_limiter_counts_each_429() -> None:
    metrics = Metrics()
    now = [0.0]

    async def sleep(seconds: float) -> None:  # time passes at once
        now[0] += seconds

    limiter = SlidingWindowRateLimiter(metrics, max_retries=2, clock=lambda: now[0], sleep=sleep)
    await limiter.initialize()
    answers: list[Exception | bool] = [RetryAfter(timedelta(0)), RetryAfter(timedelta(0)), True]

    async def send() -> bool:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert sample(metrics, "partnerbot_telegram_retry_after_total") == 2


def test_status_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    database = tmp_path / "status.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(database))
    assert main(["status"]) == 1
    output = capsys.readouterr().out
    assert f"no database at {database}" in output and output.endswith("NOT healthy\n")
    assert main(["partnership", "list"]) == 0  # creates the database
    capsys.readouterr()
    assert main(["status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "database: reachable"
    assert "deliveries waiting: 0" in lines and "deliveries given up (dead): 0" in lines
    assert "last update handled: never at -" in lines
    assert lines[-1] == "healthy"


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    entry = logging.LogRecord("bot.test", logging.INFO, __file__, 1, message, args, None)
    entry.__dict__.update(extra)
    return entry


def test_json_lines() -> None:
    line = JsonFormatter().format(record("sent %s messages", 3, broadcast=7))
    entry = json.loads(line)
    assert entry["level"] == "INFO" and entry["logger"] == "bot.test"
    assert entry["message"] == "sent 3 messages" and entry["broadcast"] == 7
    assert entry["time"].endswith("+00:00")
    assert set(entry) == {"time", "level", "logger", "message", "broadcast"}
    try:
        raise ValueError("broken")
    except ValueError:
        failed = logging.LogRecord("bot", logging.ERROR, __file__, 1, "oops", None, None)
        failed.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(failed))
    assert "ValueError: broken" in entry["exception"] and "\n" not in JsonFormatter().format(failed)


def test_the_token_and_the_secret_are_redacted_everywhere() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, bot_token=SecretStr(TOKEN), webhook_secret=SecretStr(SECRET)
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecrets(secrets_of(settings)))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("GET https://api.telegram.org/bot%s/getMe", TOKEN)
        logger.warning("secret is %s", SECRET, extra={"url": f"/bot{TOKEN}/x"})
        logger.warning("half: " + TOKEN.partition(":")[2])
        try:
            raise ConnectionError(f"https://api.telegram.org/bot{TOKEN}/sendMessage")
        except ConnectionError:
            logger.exception("request failed")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert TOKEN not in written and SECRET not in written
    assert TOKEN.partition(":")[2] not in written
    entries = [json.loads(line) for line in written.splitlines()]
    assert entries[0]["message"] == f"GET https://api.telegram.org/bot{REDACTED}/getMe"
    assert entries[1]["message"] == f"secret is {REDACTED}"
    assert entries[1]["url"] == f"/bot{REDACTED}/x"
    assert f"bot{REDACTED}/sendMessage" in entries[3]["exception"]


def test_configure_logging_installs_the_format_and_the_filter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, bot_token=SecretStr(TOKEN), log_format=LogFormat.JSON
    )
    configure_logging(settings)
    (handler,) = root.handlers
    assert isinstance(handler.formatter, JsonFormatter)
    assert any(isinstance(f, RedactSecrets) for f in handler.filters)
    assert logging.getLogger("httpx").level == logging.WARNING
