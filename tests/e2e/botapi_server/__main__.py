"""`python -m tests.e2e.botapi_server --port 0`: serve until SIGTERM, the bound port printed
on the first line of stdout, the statistics on stderr at the end."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Sequence

from tests.e2e.botapi_server.records import DEFAULT_BOT_USERNAME, DEFAULT_TOKEN
from tests.e2e.botapi_server.server import BotApiServer


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.e2e.botapi_server",
        description="Serve the local Bot API test server until SIGTERM; prints the port first.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--username", default=DEFAULT_BOT_USERNAME)
    parser.add_argument(
        "--rate-limits", action="store_true", help="enforce Telegram's flood limits (429)"
    )
    parser.add_argument(
        "--no-call-log", action="store_true", help="keep counters only (long benchmarks)"
    )
    arguments = parser.parse_args(argv)
    asyncio.run(_serve(arguments))


async def _serve(arguments: argparse.Namespace) -> None:
    server = BotApiServer(
        token=arguments.token,
        bot_username=arguments.username,
        keep_calls=not arguments.no_call_log,
    )
    if arguments.rate_limits:
        server.enforce_rate_limits()
    await server.start(arguments.port, arguments.host)
    print(server.port, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    await stop.wait()
    await server.stop()
    print(json.dumps(server.stats.as_dict()), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
