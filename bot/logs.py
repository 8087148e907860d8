"""How Partnerbot logs: text or one JSON object a line, never the token or the webhook secret."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from bot.config import LogFormat, Settings

REDACTED = "[redacted]"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: What every LogRecord has; anything else on a record came as `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the `extra=` fields, and the
    exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update((key, value) for key, value in vars(record).items() if key not in _STANDARD)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class RedactSecrets(logging.Filter):
    """Replaces secrets wherever they appear in a record: its message, its arguments, its
    `extra=` fields and its traceback (errors of HTTP libraries quote URLs holding the
    token)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so that a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; always let it through."""
        if not self._secrets:
            return True
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, self._clean(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self._clean(record.stack_info)
        return True


def secrets_of(settings: Settings) -> list[str]:
    """The token, its secret half, and the webhook secret: what no log may show."""
    found = []
    if settings.bot_token is not None:
        token = settings.bot_token.get_secret_value()
        found += [token, token.partition(":")[2]]
    if settings.webhook_secret is not None:
        found.append(settings.webhook_secret.get_secret_value())
    return found


def configure_logging(settings: Settings) -> None:
    """Set up the root logger by the settings (LOG_LEVEL, LOG_FORMAT), secrets redacted."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if settings.log_format is LogFormat.JSON else logging.Formatter(TEXT_FORMAT)
    )
    # On the handler, not a logger: records of every logger pass the handler's filters.
    handler.addFilter(RedactSecrets(secrets_of(settings)))
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    # httpx logs every request URL, and URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # fontTools narrates every font subset of a PDF at INFO.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
