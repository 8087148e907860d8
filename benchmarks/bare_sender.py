"""A bare python-telegram-bot loop of `send_message`: the baseline of outbox throughput.

Sends one message to each of `--count` private chats (ids `--first-chat` upwards), at most
`--concurrency` at a time, with nothing around the calls (no database, no retries). The message
looks like a broadcast of Partnerbot's: HTML text and one inline Acknowledge button, so the
Bot API server does the same work for both.

It initialises the bot (getMe), prints `ready`, waits for a line on standard input, sends,
then prints one JSON line: {"sent": ..., "failed": ..., "seconds": ...}.

    python -m benchmarks.bare_sender --token T --base-url URL --first-chat 100000 --count 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import TelegramError

TEXT = "📣 <b>Benchmark network</b>\n\n{body}"
BUTTON = "✅ Acknowledge"


async def send_all(bot: Bot, chats: range, body: str, concurrency: int) -> tuple[int, int]:
    """Send to every chat, `concurrency` at a time; returns (sent, failed)."""
    gate = asyncio.Semaphore(concurrency)
    failed = 0

    async def one(chat_id: int) -> None:
        nonlocal failed
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(BUTTON, callback_data=f"ack:{chat_id}")]]
        )
        async with gate:
            try:
                await bot.send_message(
                    chat_id,
                    TEXT.format(body=body),
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard,
                )
            except TelegramError:
                failed += 1

    await asyncio.gather(*(one(chat_id) for chat_id in chats))
    return len(chats) - failed, failed


async def run(arguments: argparse.Namespace) -> None:
    """Start, wait for the signal on standard input, send, report."""
    bot = Bot(arguments.token, base_url=arguments.base_url)
    async with bot:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        started = time.perf_counter()
        chats = range(arguments.first_chat, arguments.first_chat + arguments.count)
        sent, failed = await send_all(bot, chats, arguments.body, arguments.concurrency)
        seconds = time.perf_counter() - started
    print(json.dumps({"sent": sent, "failed": failed, "seconds": seconds}), flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bare_sender", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--token", required=True)
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8081/bot")
    parser.add_argument("--first-chat", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=16, help="sends in flight (16)")
    parser.add_argument("--body", default="Benchmark broadcast")
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
