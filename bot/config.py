"""Settings read from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.validation import known_timezone, shipped_language

#: Telegram sends the webhook secret back in a header: it allows these characters, up to 256.
_SECRET_CHARACTERS = re.compile(r"[A-Za-z0-9_-]{1,256}")
#: Long enough that nobody guesses it: the secret is all that tells Telegram's requests from
#: forged ones carrying an admin's user id.
MIN_SECRET_LENGTH = 32
MAKE_A_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


class Mode(StrEnum):
    """How the bot receives updates from Telegram."""

    POLLING = "polling"
    WEBHOOK = "webhook"


class LogFormat(StrEnum):
    """How log records are written."""

    TEXT = "text"
    JSON = "json"


class Settings(BaseSettings):
    """Every setting of Partnerbot; `.env.example` lists them with example values."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = Field(default=None, description="Token from @BotFather.")
    database_path: Path = Field(default=Path("var/partnerbot.sqlite3"))
    bot_api_base_url: str = Field(default="https://api.telegram.org/bot")
    bot_api_base_file_url: str = Field(default="https://api.telegram.org/file/bot")
    mode: Mode = Mode.POLLING
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    default_language: str = "en"
    default_timezone: str = "UTC"
    rate_limiter: bool = True
    #: The HTTP client of Bot API calls: aiohttp (bot/transport.py) or python-telegram-bot's
    #: own httpx client.
    http_client: Literal["aiohttp", "httpx"] = "aiohttp"
    #: Per-person limits on expensive requests (services/throttle.py); off for load tests only.
    throttle: bool = True
    #: Seconds one getUpdates long poll may wait; a clean stop waits for it to end.
    poll_timeout: int = Field(default=10, ge=0, le=50)
    outbox_concurrency: int = Field(default=16, ge=1, le=100)
    urgent_reminder_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)
    #: A flow untouched this long is closed at the person's next message, its draft kept.
    flow_timeout_hours: int = Field(default=24, ge=1, le=30 * 24)
    log_level: str = "INFO"
    #: Who answers for the data (the controller, its data-protection officer): named in
    #: /privacy. Empty: people are sent to their partnership's coordinators.
    privacy_contact: str = ""
    #: A text file that replaces the built-in privacy notice; `{language}` in its name picks
    #: one file per language (privacy.{language}.txt), the notice in the person's language
    #: standing in for a language without its file.
    privacy_notice_file: str = ""
    #: Where the daily backup and `python -m bot backup` write; no daily backup without it.
    backup_dir: Path | None = None
    #: How many backups to keep in backup_dir (older ones are removed).
    backup_keep: int = Field(default=7, ge=1, le=1000)
    #: The hour (UTC) of the daily backup.
    backup_hour: int = Field(default=3, ge=0, le=23)
    #: `json`: one JSON object a line, for log collectors.
    log_format: LogFormat = LogFormat.TEXT
    #: `/healthz` and `/metrics` are served on this port when set (bot/health.py).
    health_port: int | None = Field(default=None, ge=1, le=65535)
    health_listen: str = "127.0.0.1"

    _known_language = field_validator("default_language")(shipped_language)
    _known_timezone = field_validator("default_timezone")(known_timezone)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        bot_id, _, secret = value.get_secret_value().partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("looks wrong: a token is '<digits>:<secret>' as @BotFather gives it")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not _SECRET_CHARACTERS.fullmatch(value.get_secret_value()):
            raise ValueError(
                "may hold only letters A-Z and a-z, digits, _ and -, at most 256 of them"
                f" (Telegram's rule); make one with {MAKE_A_SECRET}"
            )
        return value

    @field_validator("backup_dir", mode="before")
    @classmethod
    def _no_backup_dir(cls, value: object) -> object:
        # BACKUP_DIR= (empty, as in .env.example) means no backups, not the current directory.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("health_port", mode="before")
    @classmethod
    def _empty_port(cls, value: object) -> object:
        # `HEALTH_PORT=` as in .env.example: not served.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value

    @model_validator(mode="after")
    def _webhook_complete(self) -> Settings:
        if self.mode is Mode.WEBHOOK:
            url = urlparse(self.webhook_url or "")
            # Telegram posts only to https; a local Bot API server may post to loopback http.
            loopback = url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost", "::1")
            if url.scheme != "https" and not loopback:
                raise ValueError("webhook mode needs WEBHOOK_URL, a public https:// address")
            if self.bot_token is None:
                raise ValueError("webhook mode needs BOT_TOKEN")
            secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
            if len(secret) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"webhook mode needs WEBHOOK_SECRET, a random string of at least"
                    f" {MIN_SECRET_LENGTH} characters (letters, digits, _ and -) that Telegram"
                    " sends with every update, so that forged requests are refused; make one"
                    f" with {MAKE_A_SECRET}"
                )
        return self


def explain(error: ValidationError) -> str:
    """One paragraph telling a person which settings are wrong and how to fix them."""
    problems = []
    for item in error.errors():
        name = "_".join(str(part) for part in item["loc"]).upper() or "settings"
        message = str(item["msg"]).removeprefix("Value error, ")
        problems.append(f"{name} {message}" if item["loc"] else message)
    return (
        "Partnerbot cannot start because its configuration is invalid: "
        + "; ".join(problems)
        + ". Settings come from the environment or from a .env file in the working directory;"
        " .env.example lists every setting with an example value."
    )
