"""The foundation end to end: the real bot over real HTTP, people acting as on Telegram."""

from __future__ import annotations

import itertools
import secrets
import sqlite3
from pathlib import Path

import httpx
import pytest

from bot.app import make_services
from bot.local_api import LocalUser
from domain.models import PartnershipKind, Role
from services.clock import utc_now
from services.container import Services
from storage.db import Database
from tests.e2e.botapi_server import BotApiServer
from tests.e2e.partnerbot import BotProcess, person, polling, stored_state, stored_step
from tests.fakes import FakeClock
from tests.people import ADMIN, COORDINATOR, MEMBER, OBSERVER, STRANGER


async def seed(services: Services) -> str:
    """A partnership with one person per role; returns a fresh 3-use member invite code."""
    partnership = await services.partnerships.create(
        name="COP Sénégal", kind=PartnershipKind.COP, countries=("Senegal",),
        timezone="Africa/Dakar", language="fr",
    )  # fmt: skip
    for who, role in ((ADMIN, Role.ADMIN), (COORDINATOR, Role.COORDINATOR),
                      (MEMBER, Role.MEMBER), (OBSERVER, Role.OBSERVER)):  # fmt: skip
        await services.partnerships.add_member(
            partnership, user_id=who.id, name=who.first_name, role=role
        )
    invite = await services.invites.create(partnership, role=Role.MEMBER, max_uses=3)
    return invite.code


async def test_join_by_deep_link_and_refusals(botapi: BotApiServer, tmp_path: Path) -> None:
    clock = FakeClock(now=utc_now())
    async with polling(botapi, tmp_path / "bot.sqlite3", clock=clock) as app:
        code = await seed(app.services)
        newcomer = botapi.user(id=500, first_name="Fatou", language_code="en")
        await newcomer.send(f"/start {code}")
        welcome = await newcomer.next_message()
        assert "Welcome to COP Sénégal! You joined as member." in welcome.text
        assert "/help" in welcome.text and "/members" not in welcome.text
        # The invite's deep link is what a coordinator shares.
        coordinator = person(botapi, COORDINATOR)
        await coordinator.send("/invite")
        await coordinator.next_message()
        await coordinator.press("member")
        await coordinator.next_message()  # each step is a message of its own
        for _step in ("organisation", "country"):  # the invite vouches for neither
            await coordinator.send("/skip")
            await coordinator.next_message()
        await coordinator.press("1")
        await coordinator.next_message()
        await coordinator.press("1")
        await coordinator.next_message()  # the review
        await coordinator.press("✓ Create the invite")
        link = (await coordinator.next_edit()).text
        single = link.split("?start=")[1].split()[0]
        first, second = botapi.user(id=501, first_name="Ana"), botapi.user(id=502, first_name="Ben")
        await first.send(f"/start {single}")
        assert "You joined as member" in (await first.next_message()).text
        await second.send(f"/start {single}")
        assert "already been used" in (await second.next_message()).text
        expiring = await app.services.invites.create(
            (await app.services.partnerships.by_slug("cop-senegal")), role=Role.ADMIN, valid_days=1
        )
        clock.advance(days=2)
        await second.send(f"/start {expiring.code}")
        assert "expired" in (await second.next_message()).text
        await second.send("/help")
        assert "invitation only" in (await second.next_message()).text


async def test_a_stranger_sees_nothing(botapi: BotApiServer, tmp_path: Path) -> None:
    async with polling(botapi, tmp_path / "bot.sqlite3") as app:
        await seed(app.services)
        stranger = person(botapi, STRANGER)
        for text in ("/start", "/help", "/members", "hello", "/alerts"):
            await stranger.send(text)
            reply = await stranger.next_message()
            assert "invitation only" in reply.text and "COP" not in reply.text
        answer = await stranger.inline_query("police")
        assert answer.results == []


async def test_help_per_role(botapi: BotApiServer, tmp_path: Path) -> None:
    async with polling(botapi, tmp_path / "bot.sqlite3") as app:
        await seed(app.services)
        expected = {
            ADMIN: {"/invite", "/members", "/broadcast", "/linkgroup"},
            COORDINATOR: {"/invite", "/members", "/broadcast"},
            MEMBER: set(),
            OBSERVER: set(),
        }
        for who, extra in expected.items():
            user = person(botapi, who)
            await user.send("/help")
            text = (await user.next_message()).text
            for command in ("/invite", "/members", "/broadcast", "/linkgroup"):
                assert (command in text) == (command in extra), (who.first_name, command)


async def test_language_switch_changes_replies_and_the_menu(
    botapi: BotApiServer, tmp_path: Path
) -> None:
    async with polling(botapi, tmp_path / "bot.sqlite3") as app:
        await seed(app.services)
        member = person(botapi, MEMBER)
        await member.send("/language")
        await member.next_message()
        await member.press("Français")
        assert "Français" in (await member.next_edit()).text
        await member.send("/help")
        help_text = (await member.next_message()).text
        assert "Ce que vous pouvez faire" in help_text
        menu = botapi.my_commands({"type": "chat", "chat_id": MEMBER.id})
        assert {"command": "language", "description": "Choisir votre langue"} in menu
        # Telegram's own French menu for every private chat was set at start-up too.
        french = botapi.my_commands({"type": "all_private_chats"}, "fr")
        assert any(c["command"] == "help" for c in french)


HOSTILE_NAMES = [
    "<script>alert(1)</script>",
    "Tom & Jerry </b>",
    "عائشة <i>بنت</i> & محمد",
    "x" * 64,
]


async def test_hostile_names_and_texts_never_break_a_reply(
    botapi: BotApiServer, tmp_path: Path
) -> None:
    async with polling(botapi, tmp_path / "bot.sqlite3") as app:
        code = await seed(app.services)
        partnership = await app.services.partnerships.by_slug("cop-senegal")
        invite = await app.services.invites.create(partnership, role=Role.MEMBER, max_uses=10)
        admin = person(botapi, ADMIN)
        for number, name in enumerate(HOSTILE_NAMES):
            hostile = botapi.user(
                id=900 + number,
                first_name=name,
                last_name="</b>&amp;<",
                language_code="ar" if number % 2 else "en",
            )
            await hostile.send(f"/start {invite.code}")
            await hostile.next_message()
            await hostile.send("/profile")
            await hostile.next_message()
            await hostile.send("<b>unclosed & " + "ص" * 20)
            await hostile.next_message()
            await hostile.send("y" * 5000)
            assert "60" in (await hostile.next_message()).text
            await hostile.send("<Côte d'Ivoire> & co")
            assert "Côte d'Ivoire" in (await hostile.next_message()).text
            await hostile.send("</i>" * 100)
            await hostile.next_message()
        await admin.send("/members")
        listing = await admin.next_message()
        hostile_button = next(b for row in listing.buttons for b in row if "<script>" in b.text)
        await admin.press(hostile_button.data or "")
        detail = await admin.next_edit()
        assert "<script>alert(1)</script> </b>&amp;<" in detail.text  # shown as typed
        assert "&lt;script&gt;" in detail.html  # and sent escaped
        assert code


async def test_an_update_delivered_twice_is_handled_once(
    botapi: BotApiServer, tmp_path: Path
) -> None:
    async with polling(botapi, tmp_path / "bot.sqlite3") as app:
        await seed(app.services)
        member = person(botapi, MEMBER)
        incoming = await member.send("/help")
        await member.next_message()
        botapi.redeliver(incoming)
        await member.send(
            "/language"
        )  # sent after the repeat: its reply proves the repeat was read
        assert "Choose your language" in (await member.next_message()).text
        await member.expect_no_message(within=0.2)


async def _seed_file(database: Path) -> str:
    """Seed a database file as `seed` does; returns its invite code."""
    db = Database(database)
    await db.open()
    try:
        return await seed(make_services(db))
    finally:
        await db.close()


async def test_killed_in_the_middle_of_a_flow_resumes_at_the_same_step(
    botapi: BotApiServer, tmp_path: Path
) -> None:
    database = tmp_path / "bot.sqlite3"
    await _seed_file(database)
    bot = BotProcess(botapi, database)
    await bot.start()
    try:
        admin = person(botapi, ADMIN)
        await admin.send("/invite")
        await admin.next_message()
        await admin.press("observer")
        await admin.next_message()
        await admin.send("/skip")  # no organisation
        await admin.next_message()
        await admin.send("/skip")  # no country
        uses_question = await admin.next_message()
        assert "How many people" in uses_question.text
        # Once the step is stored, the process dies without any clean-up.
        await botapi.wait_for(
            lambda: (
                stored_state(database, "invite") == ['"invite:ask"']
                and stored_step(database, ADMIN.id, "invite") == "uses"
            ),
            10,
            "the step to be stored",
        )
        await bot.kill()
        bot = BotProcess(botapi, database)
        await bot.start()
        await admin.press("5", uses_question)  # a button of the old message, after the restart
        assert "For how many days" in (await admin.next_message()).text
        await admin.send("12")
        await admin.next_message()  # the review
        await admin.press("✓ Create the invite")
        final = await admin.next_edit()
        assert "as observer, for 5 people" in final.text and "?start=" in final.text
    finally:
        await bot.stop()


SECRET = secrets.token_urlsafe(32)


def webhook_bot(botapi: BotApiServer, database: Path, port: int, **extra: str) -> BotProcess:
    """The bot as a process in webhook mode, Telegram's requests coming from the server."""
    settings = {
        "MODE": "webhook",
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_SECRET": SECRET,
    }
    return BotProcess(botapi, database, **(settings | extra))


async def test_webhook_mode(botapi: BotApiServer, tmp_path: Path, unused_tcp_port: int) -> None:
    database = tmp_path / "bot.sqlite3"
    await _seed_file(database)
    bot = webhook_bot(botapi, database, unused_tcp_port)
    await bot.start_webhook()
    try:
        member = person(botapi, MEMBER)
        await member.send("/help")
        assert "You work in COP Sénégal as member." in (await member.next_message()).text
        assert botapi.webhook.secret_token == SECRET
    finally:
        await bot.stop()


def forged_message(update_id: int, who: LocalUser, text: str) -> dict[str, object]:
    """A message update as Telegram would post it, written by someone who is not Telegram."""
    sender = {"id": who.id, "is_bot": False, "first_name": who.first_name, "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": int(utc_now().timestamp()),
            "from": sender,
            "chat": {"id": who.id, "type": "private", "first_name": who.first_name},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        },
    }


async def test_forged_webhook_requests_are_refused_and_change_nothing(
    botapi: BotApiServer, tmp_path: Path, unused_tcp_port: int
) -> None:
    database = tmp_path / "bot.sqlite3"
    code = await _seed_file(database)
    bot = webhook_bot(botapi, database, unused_tcp_port)
    await bot.start_webhook()
    try:
        admin, member = person(botapi, ADMIN), person(botapi, MEMBER)
        # Someone who learnt the address posts as the admin, and lets a stranger join.
        forged = [forged_message(900_001, ADMIN, "/invite"),
                  forged_message(900_002, STRANGER, f"/start {code}")]  # fmt: skip
        headers: list[dict[str, str]] = [
            {},
            {"X-Telegram-Bot-Api-Secret-Token": "wrong-" + SECRET[6:]},
            {"X-Telegram-Bot-Api-Secret-Token": ""},
        ]
        async with httpx.AsyncClient() as client:
            for update, header in itertools.product(forged, headers):
                response = await client.post(botapi.webhook.url, json=update, headers=header)
                assert response.status_code == 403
        # Telegram's own requests carry the secret and are handled; updates are handled in
        # order, so this reply means the forged ones would have been answered by now.
        await member.send("/help")
        assert "You work in COP Sénégal as member." in (await member.next_message()).text
        await admin.expect_no_message(within=0.2)
        forged_chats = (ADMIN.id, STRANGER.id)
        assert [call for call in botapi.calls if call.params.get("chat_id") in forged_chats] == []
        assert stored_state(database, "invite") == []
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
            handled = connection.execute("SELECT update_id FROM processed_updates").fetchall()
            stranger = connection.execute(
                "SELECT 1 FROM memberships WHERE member_id = ?", (STRANGER.id,)
            ).fetchall()
        assert len(handled) == 1 and stranger == []  # only the member's /help was handled
    finally:
        await bot.stop()


def test_webhook_mode_does_not_start_without_a_long_secret(
    botapi: BotApiServer, tmp_path: Path, unused_tcp_port: int
) -> None:
    for secret in ("", "s3cret-token", "x" * 40 + "!"):
        bot = webhook_bot(botapi, tmp_path / "bot.sqlite3", unused_tcp_port, WEBHOOK_SECRET=secret)
        assert bot.run_to_exit() == 2
        error = bot.stderr()
        assert "WEBHOOK_SECRET" in error and "secrets.token_urlsafe(32)" in error
    assert not botapi.webhook.url


@pytest.fixture
def unused_tcp_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
