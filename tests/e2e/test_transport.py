"""Partnerbot's HTTP client (bot/transport.py) against the strict local Bot API server.

Every other end-to-end test runs over it too (it is the bot's default); these pin down what
the rest only exercise on the way: uploads and downloads byte for byte, the mapping of
failures to python-telegram-bot's errors, and the choice of python-telegram-bot's own client.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.transport import AiohttpRequest
from domain.models import PartnershipKind, Role
from tests.e2e.botapi_server import BotApiServer
from tests.e2e.partnerbot import person, polling, until
from tests.people import MEMBER


async def test_texts_files_and_downloads_arrive_whole(botapi: BotApiServer) -> None:
    ana = botapi.user(started=True)
    content = "Réunion à Niamey — اجتماع\n".encode() * 2000  # ~90 kB, not ASCII
    async with botapi.bot(request=AiohttpRequest()) as bot:
        await bot.send_message(ana.id, "<b>Niamey &amp; Agadez</b> ✅", parse_mode="HTML")
        sent = await bot.send_document(
            ana.id, content, filename="compte-rendu été.txt", caption="Procès-verbal"
        )
        assert sent.document is not None
        downloaded = await (await bot.get_file(sent.document.file_id)).download_as_bytearray()
    text, document = await ana.messages(2)
    assert text.text == "Niamey & Agadez ✅"
    assert document.document is not None
    assert document.document["file_name"] == "compte-rendu été.txt"
    assert document.caption == "Procès-verbal"
    assert bytes(downloaded) == content
    assert botapi.violations == []


async def test_failures_become_python_telegram_bot_errors(botapi: BotApiServer) -> None:
    ana = botapi.user(started=True)
    botapi.faults.timeout("sendMessage")
    botapi.faults.add("sendMessage", 502)
    botapi.faults.add("sendMessage", 429, retry_after=1)
    async with botapi.bot(request=AiohttpRequest(read_timeout=0.2)) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(ana.id, "held until the client gives up")
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(ana.id, "bad gateway")
        with pytest.raises(RetryAfter):
            await bot.send_message(ana.id, "too many")
        await bot.send_message(ana.id, "fine")
    assert [m.text for m in ana.history] == ["fine"]


async def test_a_server_that_is_not_there_is_a_network_error(botapi: BotApiServer) -> None:
    request = AiohttpRequest(connect_timeout=1)
    await request.initialize()
    try:
        # A port nobody listens on: the connection is refused.
        with pytest.raises(NetworkError, match="aiohttp"):
            await request.post("http://127.0.0.1:9/bot1:x/getMe")
    finally:
        await request.shutdown()
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(f"{botapi.base_url}{botapi.token}/getMe")


@pytest.mark.parametrize("client", ["aiohttp", "httpx"])
async def test_the_bot_answers_over_either_client(
    botapi: BotApiServer, tmp_path: Path, client: str
) -> None:
    async with polling(botapi, tmp_path / "bot.sqlite3", http_client=client) as app:
        partnership = await app.services.partnerships.create(
            name="COP Niger",
            kind=PartnershipKind.COP,
            countries=("Niger",),
            timezone="UTC",
            language="en",
        )
        await app.services.partnerships.add_member(
            partnership, user_id=MEMBER.id, name=MEMBER.first_name, role=Role.MEMBER
        )
        member = person(botapi, MEMBER)
        await member.send("/help")
        await until(member, "/contacts")
    assert botapi.violations == []
