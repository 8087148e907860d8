"""Joining by invite, strangers, /help per role, duplicates, fallbacks: through process_update."""

from __future__ import annotations

from datetime import timedelta

from bot.commands import commands_for
from bot.local_api import LocalUser
from domain.models import Partnership, Role
from tests.fakes import BotDriver, FakeClock, texts
from tests.people import ADMIN, COORDINATOR, HOSTILE, MEMBER, OBSERVER, STRANGER


async def test_stranger_is_told_how_to_join_and_sees_nothing(
    driver: BotDriver, partnership: Partnership
) -> None:
    for text in ("/help", "/members", "hello", "/start", "/invite", "/language"):
        reply = texts(await driver.send(STRANGER, text))
        assert "invitation only" in reply
        assert partnership.name not in reply
    assert await driver.app.services.access.identify_known(STRANGER.id) is None


async def test_stranger_pressing_a_button_gets_an_alert_only(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(ADMIN, "/members")
    message = driver.last_keyboard_message(ADMIN.id)
    sent = await driver.press_data(
        STRANGER, message, message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    )
    assert sent == []
    assert "invitation only" in driver.answers()[-1]


async def test_invite_deep_link_makes_a_member_with_the_invites_role(
    driver: BotDriver, partnership: Partnership
) -> None:
    invite = await driver.app.services.invites.create(partnership, role=Role.COORDINATOR)
    newcomer = LocalUser(500, "Fatou", language_code="en")
    reply = texts(await driver.send(newcomer, f"/start {invite.code}"))
    assert "Welcome to <b>COP Sénégal</b>! You joined as coordinator." in reply
    assert "/invite" in reply and "/members" in reply
    menus = [
        c for c in driver.calls("setMyCommands") if c.params.get("scope", {}).get("chat_id") == 500
    ]
    menu = [c["command"] for c in menus[-1].params["commands"]]
    # Exactly the coordinator's private-chat commands, in the order of bot/commands.py.
    assert menu == [c.name for c in commands_for(Role.COORDINATOR)]
    assert menu[0] == "help" and menu[-1] == "cancel"
    assert {"invite", "members"} <= set(menu) and "linkgroup" not in menu


async def test_used_expired_and_unknown_invites_grant_nothing(
    driver: BotDriver, partnership: Partnership, clock: FakeClock
) -> None:
    services = driver.app.services
    single = await services.invites.create(partnership, role=Role.MEMBER, max_uses=1)
    first, second = LocalUser(501, "Ana"), LocalUser(502, "Bruno")
    await driver.send(first, f"/start {single.code}")
    assert "already been used" in texts(await driver.send(second, f"/start {single.code}"))
    assert "already joined with this invite" in texts(
        await driver.send(first, f"/start {single.code}")
    )

    expiring = await services.invites.create(partnership, role=Role.ADMIN, valid_days=1)
    clock.advance(days=1, seconds=1)
    assert "expired" in texts(await driver.send(second, f"/start {expiring.code}"))
    assert "not valid" in texts(await driver.send(second, "/start nonsense-code-123"))
    assert "not valid" in texts(await driver.send(second, "/start <b>&amp;"))
    assert await services.access.identify_known(second.id) is None


async def test_help_lists_exactly_what_each_role_may_use(
    driver: BotDriver, partnership: Partnership
) -> None:
    admin = texts(await driver.send(ADMIN, "/help"))
    coordinator = texts(await driver.send(COORDINATOR, "/help"))
    member = texts(await driver.send(MEMBER, "/help"))
    observer = texts(await driver.send(OBSERVER, "/help"))
    assert "/linkgroup" in admin and "/members" in admin
    assert "/members" in coordinator and "/linkgroup" not in coordinator
    for reply in (member, observer):
        assert "/help" in reply and "/invite" not in reply and "/members" not in reply


async def test_members_below_coordinator_are_refused_tools(
    driver: BotDriver, partnership: Partnership
) -> None:
    assert "Only coordinators and admins" in texts(await driver.send(MEMBER, "/invite"))
    assert "Only coordinators and admins" in texts(await driver.send(OBSERVER, "/members"))


async def test_an_update_delivered_twice_is_handled_once(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(MEMBER, "/help")
    sent_before = len(driver.api.sent_to(MEMBER.id))
    await driver.resend_last()
    assert len(driver.api.sent_to(MEMBER.id)) == sent_before


async def test_unknown_commands_text_and_media_get_a_pointer_to_help(
    driver: BotDriver, partnership: Partnership
) -> None:
    assert "I do not know the command /frobnicate" in texts(
        await driver.send(MEMBER, "/frobnicate now")
    )
    assert "Send /help" in texts(await driver.send(MEMBER, "what is this?"))
    photo = [{"file_id": "p1", "file_unique_id": "u1", "width": 10, "height": 10}]
    assert "Send /help" in texts(await driver.send_content(MEMBER, photo=photo))
    location = {"latitude": 14.7, "longitude": -17.4}
    assert "Send /help" in texts(await driver.send_content(MEMBER, location=location))


async def test_cancel_outside_a_flow(driver: BotDriver, partnership: Partnership) -> None:
    assert "nothing to cancel" in texts(await driver.send(MEMBER, "/cancel"))


async def test_hostile_names_are_escaped_everywhere(
    driver: BotDriver, partnership: Partnership
) -> None:
    invite = await driver.app.services.invites.create(partnership, role=Role.MEMBER)
    reply = texts(await driver.send(HOSTILE, f"/start {invite.code}"))
    assert "<script>" not in reply
    await driver.send(ADMIN, "/members")
    listing = driver.last_keyboard_message(ADMIN.id)
    assert any(
        "<script>" in b["text"] for row in listing["reply_markup"]["inline_keyboard"] for b in row
    )
    opened = await driver.press(ADMIN, "<script>", message=listing)
    assert opened == []  # the list message was edited in place
    shown = driver.text_of(ADMIN.id)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;/b&gt;" in shown


async def test_a_bug_gets_an_apology_without_internals(
    driver: BotDriver, partnership: Partnership, monkeypatch
) -> None:
    async def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(driver.app.services.members, "page", broken)
    driver.bugs_expected = True
    reply = texts(await driver.send(ADMIN, "/members"))
    assert "something went wrong" in reply
    assert "secret" not in reply and "Traceback" not in reply


async def test_edited_messages_change_nothing(driver: BotDriver, partnership: Partnership) -> None:
    data = driver.updates.text(MEMBER, "/help")
    data["edited_message"] = data.pop("message")
    data["edited_message"]["edit_date"] = data["edited_message"]["date"]
    await driver.app.process_update(driver.updates.as_update(data, driver.app.bot))
    assert driver.api.sent_to(MEMBER.id) == []


async def test_invite_codes_expire_by_the_clock(
    driver: BotDriver, partnership: Partnership, clock: FakeClock
) -> None:
    invite = await driver.app.services.invites.create(partnership, role=Role.MEMBER, valid_days=7)
    assert invite.expires_at == clock.now + timedelta(days=7)


async def test_people_are_answered_in_their_telegram_language_then_the_partnerships(
    driver: BotDriver, partnership: Partnership
) -> None:
    invite = await driver.app.services.invites.create(partnership, role=Role.MEMBER, max_uses=3)
    spanish = LocalUser(701, "Lucía", language_code="es")
    arabic = LocalUser(702, "Layla", language_code="ar")
    german = LocalUser(703, "Jonas", language_code="de")
    assert "¡Le damos la bienvenida" in texts(await driver.send(spanish, f"/start {invite.code}"))
    welcome = texts(await driver.send(arabic, f"/start {invite.code}"))
    assert "مرحبًا بك في" in welcome and "\u2068" in welcome  # values isolated in RTL text
    # German is not shipped: the partnership's language (French) is used.
    assert "Bienvenue dans" in texts(await driver.send(german, f"/start {invite.code}"))
    # A stranger with an unshipped language gets the default language.
    assert "invitation only" in texts(
        await driver.send(LocalUser(704, "X", language_code="de"), "/help")
    )


async def test_help_in_a_group_lists_only_what_works_there(
    driver: BotDriver, partnership: Partnership
) -> None:
    group = driver.updates.group_chat(-100321, "COP team")
    await driver.send(ADMIN, "/linkgroup", chat=group)
    in_group = texts(await driver.send(MEMBER, "/help", chat=group))
    assert "/digest" in in_group and "/meeting" in in_group
    assert "/contacts" not in in_group and "/mycard" not in in_group
    assert "/contacts" in texts(await driver.send(MEMBER, "/help"))
