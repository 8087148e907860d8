"""A bare python-telegram-bot echo bot: the baseline Partnerbot is compared with.

An `Application` that long-polls and answers every text message with the same text, with
nothing else around it (no database, no handlers besides the echo). Settings come from the
command line or, failing that, from the same environment variables Partnerbot reads:

    python -m benchmarks.echo_bot --token 123:ABC... --base-url http://127.0.0.1:8081/bot
    BOT_TOKEN=... BOT_API_BASE_URL=... RATE_LIMITER=false python -m benchmarks.echo_bot

`--http-client aiohttp` (env HTTP_CLIENT) gives it Partnerbot's HTTP client (bot/transport.py)
instead of python-telegram-bot's own (httpx), the way bot/app.py sets it up.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

TELEGRAM = "https://api.telegram.org/bot"


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a text with the same text."""
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


def build(
    token: str, base_url: str, *, rate_limiter: bool, http_client: str = "httpx"
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The echo Application; with `rate_limiter`, paced exactly as Partnerbot paces itself."""
    builder = Application.builder().token(token).base_url(base_url)
    # Imported only when asked for: the bare bot loads nothing of Partnerbot's.
    if http_client == "aiohttp":
        from bot.transport import over_aiohttp

        builder = over_aiohttp(builder)
    if rate_limiter:
        # The limiter and retries bot/app.py builds, so the comparison is like for like.
        from bot.ratelimit import SlidingWindowRateLimiter

        limiter = SlidingWindowRateLimiter(max_retries=3)
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    return application


def _flag(value: str) -> bool:
    """true/false as the bot's settings spell them."""
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {value!r}")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the echo bot until SIGTERM or Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.echo_bot",
        description="A bare python-telegram-bot echo bot (long polling).",
    )
    parser.add_argument("--token", default=os.environ.get("BOT_TOKEN"), help="env BOT_TOKEN")
    parser.add_argument(
        "--base-url",
        default=os.environ.get("BOT_API_BASE_URL", TELEGRAM),
        help=f"env BOT_API_BASE_URL (default {TELEGRAM})",
    )
    parser.add_argument(
        "--rate-limiter",
        type=_flag,
        default=_flag(os.environ.get("RATE_LIMITER", "true")),
        metavar="true|false",
        help="pace calls with bot.ratelimit's limiter, env RATE_LIMITER (default true)",
    )
    parser.add_argument(
        "--poll-timeout",
        type=int,
        default=int(os.environ.get("POLL_TIMEOUT", "10")),
        help="seconds one long poll waits, env POLL_TIMEOUT (default 10)",
    )
    parser.add_argument(
        "--http-client",
        choices=("httpx", "aiohttp"),
        default=os.environ.get("HTTP_CLIENT", "httpx"),
        help="python-telegram-bot's own client or Partnerbot's, env HTTP_CLIENT (default httpx)",
    )
    arguments = parser.parse_args(argv)
    if not arguments.token:
        parser.error("a token is needed: --token or BOT_TOKEN")
    application = build(
        arguments.token,
        arguments.base_url,
        rate_limiter=arguments.rate_limiter,
        http_client=arguments.http_client,
    )
    application.run_polling(timeout=arguments.poll_timeout, allowed_updates=["message"])


if __name__ == "__main__":
    main()
