"""`python -m bot run`, with the rate limiter spacing requests evenly: for measurement only.

bot/app.py builds `AIORateLimiter(max_retries=3)`, whose defaults allow 30 requests per 1 s
period in a burst. This runs the same bot with 1 request per 1/30 s instead (the same mean
rate, no burst), so `python -m benchmarks.broadcast --only limits --even-limiter` can show what
that change would do, without editing the bot.
"""

from __future__ import annotations

import functools
from unittest.mock import patch

from telegram.ext import AIORateLimiter

import bot.app
from bot.cli import main

TELEGRAM_RATE = 30


def run() -> int:
    """Run the bot as `python -m bot run` does, with the evenly spaced limiter."""
    even = functools.partial(
        AIORateLimiter, overall_max_rate=1, overall_time_period=1 / TELEGRAM_RATE
    )
    # build_application looks the name up in bot.app when it runs, so this replaces it there.
    with patch.object(bot.app, "AIORateLimiter", even):
        return main(["run"])


if __name__ == "__main__":
    raise SystemExit(run())
