"""The foundation's flows and menus, as people use them: buttons, typed answers, restarts."""

from __future__ import annotations

from bot.callbacks import (
    LanguageChosen,
    LanguageCode,
    MemberRemoveConfirmed,
    MemberRole,
)
from bot.config import Settings
from bot.local_api import LocalUser
from domain.models import Partnership, PartnershipKind, Role
from storage import audit
from tests.fakes import BotDriver, FakeClock, texts
from tests.helpers import bot_process, buttons, jit_niger
from tests.people import ADMIN, COORDINATOR, MEMBER, OBSERVER


async def test_invite_flow_with_buttons_gives_a_working_deep_link(
    driver: BotDriver, partnership: Partnership
) -> None:
    roles = await driver.send(COORDINATOR, "/invite")
    assert "no invite can be used" in texts(roles)
    assert buttons(roles[-1]) == ["member", "observer"]  # coordinators cannot make admins
    await driver.press(COORDINATOR, "member")
    # The invite vouches for the organisation and country of everyone who joins with it.
    await driver.send(COORDINATOR, "DPAF <Dakar>")
    await driver.press(COORDINATOR, "Senegal")
    await driver.press(COORDINATOR, "5")
    await driver.press(COORDINATOR, "7")
    review = driver.text_of(COORDINATOR.id)
    assert "Organisation: DPAF &lt;Dakar&gt;" in review and "Number of people: 5" in review
    await driver.press(COORDINATOR, "Create the invite")
    final = driver.text_of(COORDINATOR.id)
    assert "https://t.me/partnerbot_test_bot?start=" in final
    assert "Confirmed for everyone who joins with it: DPAF &lt;Dakar&gt;, Senegal." in final
    code = final.split("?start=")[1].split()[0]
    joined = texts(await driver.send(LocalUser(600, "Zeinab"), f"/start {code}"))
    assert "You joined as member" in joined
    coordinator = await driver.app.services.access.identify_known(COORDINATOR.id)
    assert coordinator is not None
    membership = await driver.app.services.members.get(coordinator, 600)
    assert (membership.confirmed_organisation, membership.confirmed_country) == (
        "DPAF <Dakar>",
        "Senegal",
    )
    assert not membership.awaiting_confirmation


async def test_a_button_with_a_value_no_button_carries_is_stale_and_the_step_stays(
    driver: BotDriver, partnership: Partnership
) -> None:
    roles = await driver.send(ADMIN, "/invite")
    await driver.press_data(ADMIN, roles[-1], "inv:role:king")  # forged: no such role
    assert "no longer active" in driver.answers()[-1]
    await driver.press(ADMIN, "observer")  # the step is still the role's
    assert "one organisation" in driver.text_of(ADMIN.id)


async def test_invite_flow_typed_numbers_and_bad_input_keep_the_step(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(ADMIN, "/invite")
    await driver.press(ADMIN, "observer")
    await driver.send(ADMIN, "/back")  # the role is a step of its own
    assert "choose" in texts(await driver.send(ADMIN, "coordinator please")).lower()
    await driver.press(ADMIN, "coordinator")
    assert "up to 100 characters" in texts(await driver.send(ADMIN, "x" * 101))
    await driver.send(ADMIN, "Guardia Civil")
    assert "up to 60 characters" in texts(await driver.send(ADMIN, "y" * 61))
    await driver.send(ADMIN, "/skip")  # no country
    await driver.send(ADMIN, "/back")  # back to the country...
    assert "one organisation" in texts(await driver.send(ADMIN, "/back"))  # ...and further
    await driver.send(ADMIN, "/skip")
    assert "How many people" in texts(await driver.send(ADMIN, "/skip"))
    for bad in ("zero", "0", "501", "1" * 50, "<b>3</b>"):
        assert "between 1 and 500" in texts(await driver.send(ADMIN, bad))
    photo = [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]
    assert "expected a text" in texts(await driver.send_content(ADMIN, photo=photo))
    assert "You are in the middle of" in texts(await driver.send(ADMIN, "/members"))
    await driver.send(ADMIN, "3")
    assert "between 1 and 90" in texts(await driver.send(ADMIN, "91"))
    await driver.send(ADMIN, "/back")  # back to the number of uses
    await driver.send(ADMIN, "2")
    await driver.send(ADMIN, "30")
    assert await driver.app.services.invites.active(partnership) == []  # not before Create
    await driver.press(ADMIN, "Create the invite")
    invites = await driver.app.services.invites.active(partnership)
    assert [(i.role, i.max_uses) for i in invites] == [(Role.COORDINATOR, 2)]


async def test_cancel_leaves_the_flow_and_old_buttons_expire(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(ADMIN, "/invite")
    await driver.press(ADMIN, "member")
    await driver.send(ADMIN, "/skip")
    countries_message = driver.last_keyboard_message(ADMIN.id)
    assert "Stopped" in texts(await driver.send(ADMIN, "/cancel"))
    await driver.press(ADMIN, "Senegal", message=countries_message)
    assert "no longer active" in driver.answers()[-1]
    assert await driver.app.services.invites.active(partnership) == []


async def test_restart_in_the_middle_of_a_flow_resumes_at_the_same_step(
    settings: Settings, clock: FakeClock
) -> None:
    async with bot_process(settings, clock) as driver:
        created = await jit_niger(driver.app.services, (ADMIN, Role.ADMIN))
        await driver.send(ADMIN, "/invite")
        await driver.press(ADMIN, "observer")
        await driver.send(ADMIN, "/skip")
        await driver.send(ADMIN, "/skip")
        stale_keyboard = driver.last_keyboard_message(ADMIN.id)
    # A new process: nothing in memory survives, only the SQLite file.
    async with bot_process(settings, clock, first_update_id=1000) as driver:
        await driver.press(ADMIN, "5", message=stale_keyboard)  # after restart
        await driver.send(ADMIN, "10")
        await driver.press(ADMIN, "Create the invite")
        invites = await driver.app.services.invites.active(created)
        assert [(i.role, i.max_uses) for i in invites] == [(Role.OBSERVER, 5)]


async def test_language_switch_answers_in_french_and_sets_the_menu(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(MEMBER, "/language")
    await driver.press(MEMBER, "Français")
    assert driver.text_of(MEMBER.id) != ""
    menu = driver.calls("setMyCommands")[-1].params
    assert menu["scope"] == {"type": "chat", "chat_id": MEMBER.id}
    caller = await driver.app.services.access.identify_known(MEMBER.id)
    assert caller is not None and caller.member is not None and caller.member.language == "fr"
    # Pressing the same button again changes nothing and raises nothing.
    french = {"text": "Français", "callback_data": LanguageChosen(LanguageCode("fr")).pack()}
    await driver.press(MEMBER, "Français", message=driver.api.sent_to(MEMBER.id)[-1] | {
        "reply_markup": {"inline_keyboard": [[french]]}
    })  # fmt: skip


async def test_partnership_switch_for_people_in_two(
    driver: BotDriver, partnership: Partnership
) -> None:
    services = driver.app.services
    other = await services.partnerships.create(
        name="NETCOP", kind=PartnershipKind.NETWORK, countries=(), timezone="UTC", language="en"
    )
    await services.partnerships.add_member(
        other, user_id=MEMBER.id, name="Moussa", role=Role.COORDINATOR
    )
    assert "/members" not in texts(await driver.send(MEMBER, "/help"))
    await driver.send(MEMBER, "/partnership")
    await driver.press(MEMBER, "NETCOP")
    assert "You now work in <b>NETCOP</b> as coordinator" in driver.text_of(MEMBER.id)
    assert "/members" in texts(await driver.send(MEMBER, "/help"))
    assert "only" in texts(await driver.send(OBSERVER, "/partnership"))


async def test_member_management_change_role_and_remove(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(MEMBER, "/help")  # the bot learns Moussa's Telegram language
    await driver.send(ADMIN, "/members")
    await driver.press(ADMIN, "Moussa")
    await driver.press(ADMIN, "coordinator")
    assert "Your role in <b>COP Sénégal</b> is now coordinator." in driver.text_of(MEMBER.id)
    assert "/members" in texts(await driver.send(MEMBER, "/help"))
    await driver.press(ADMIN, "Remove")
    confirm = driver.last_keyboard_message(ADMIN.id)
    yes = confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await driver.press(ADMIN, "Yes, remove")
    assert "You were removed" in driver.text_of(MEMBER.id)
    assert "invitation only" in texts(await driver.send(MEMBER, "/help"))
    await driver.press_data(ADMIN, confirm, yes)  # pressed twice
    assert "could not find" in driver.answers()[-1]


async def test_coordinators_cannot_touch_admins_and_the_last_admin_stays(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(COORDINATOR, "/members")
    listing = driver.last_keyboard_message(COORDINATOR.id)
    await driver.press_data(COORDINATOR, listing, MemberRole(ADMIN.id, Role.MEMBER, 0).pack())
    assert "Only admins" in driver.answers()[-1]
    await driver.press_forged(MEMBER, MemberRemoveConfirmed(COORDINATOR.id, 0).pack())
    assert "Only coordinators and admins" in driver.answers()[-1]
    await driver.send(ADMIN, "/members")
    await driver.press_data(
        ADMIN, driver.last_keyboard_message(ADMIN.id), MemberRole(ADMIN.id, Role.MEMBER, 0).pack()
    )
    assert "at least one admin" in driver.answers()[-1]


async def test_profile_flow_with_skip_back_buttons_and_bad_input(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(MEMBER, "/profile")
    assert "up to 100 characters" in texts(await driver.send(MEMBER, "x" * 5000))
    await driver.send(MEMBER, "DPAF <Sénégal> & co")
    await driver.send(MEMBER, "/back")
    await driver.send(MEMBER, "/skip")
    await driver.press(MEMBER, "Mali")
    saved = driver.text_of(MEMBER.id)
    assert "DPAF &lt;Sénégal&gt; &amp; co" in saved and "Mali" in saved


async def test_link_group_from_inside_the_group(
    driver: BotDriver, partnership: Partnership
) -> None:
    group = driver.updates.group_chat(-1001, "COP <team>")
    assert "linked to" in texts(await driver.send(ADMIN, "/linkgroup", chat=group))
    link = await driver.app.services.partnerships.group_link(-1001)
    assert link is not None and link.partnership_id == partnership.id
    assert "Only admins" in texts(await driver.send(COORDINATOR, "/linkgroup", chat=group))
    assert "inside the group" in texts(await driver.send(ADMIN, "/linkgroup"))
    assert "no longer linked" in texts(await driver.send(ADMIN, "/unlinkgroup", chat=group))
    assert "not linked" in texts(await driver.send(ADMIN, "/unlinkgroup", chat=group))
    # In groups the bot does not answer ordinary talk.
    assert await driver.send(MEMBER, "hello all", chat=group) == []


async def test_a_group_linked_to_another_partnership_cannot_be_taken_over(
    driver: BotDriver, partnership: Partnership
) -> None:
    services = driver.app.services
    other = await services.partnerships.create(
        name="JIT Niger", kind=PartnershipKind.JIT, countries=("Niger",),
        timezone="Africa/Niamey", language="fr", plan=None,
    )  # fmt: skip
    intruder = LocalUser(201, "Farid", language_code="es")
    await services.partnerships.add_member(other, user_id=intruder.id, name="Farid",
                                           role=Role.ADMIN)  # fmt: skip
    group = driver.updates.group_chat(-1003, "COP Sénégal ops")
    await driver.send(ADMIN, "/linkgroup", chat=group)
    refused = texts(await driver.send(intruder, "/linkgroup", chat=group))
    assert "ya está vinculado a otra asociación" in refused
    assert "COP Sénégal" not in refused and "Aminata" not in refused
    link = await services.partnerships.group_link(group["id"])
    assert link is not None and link.partnership_id == partnership.id
    await driver.send(intruder, "/unlinkgroup", chat=group)  # only an admin of the holder may
    assert (await services.partnerships.group_link(group["id"])) == link
    for own in (partnership.id, other.id):
        attempts = [e for e in await audit.recent(services.db, own)
                    if e.action == "group.link_refused"]  # fmt: skip
        assert [(e.actor_id, e.detail["chat_id"]) for e in attempts] == [(intruder.id, -1003)]
    # Once an admin of the holder unlinked it, the other partnership may link it.
    await driver.send(ADMIN, "/unlinkgroup", chat=group)
    assert "JIT Niger" in texts(await driver.send(intruder, "/linkgroup", chat=group))
    link = await services.partnerships.group_link(group["id"])
    assert link is not None and link.partnership_id == other.id


async def test_menus_are_set_per_language_and_per_role_at_start_up(
    driver: BotDriver, partnership: Partnership
) -> None:
    from bot.jobs import refresh_personal_menus

    defaults = {
        (c.params["scope"]["type"], c.params.get("language_code"))
        for c in driver.calls("setMyCommands")
    }
    for language in (None, "en", "fr", "ar", "pt", "es"):
        for scope in ("all_private_chats", "all_group_chats", "all_chat_administrators"):
            assert (scope, language) in defaults
    await refresh_personal_menus(driver.app)
    assert not [c for c in driver.calls("setMyCommands") if c.params["scope"]["type"] == "chat"]
    for person in (ADMIN, COORDINATOR, MEMBER):  # Telegram knows a chat once they wrote
        await driver.send(person, "/help")
    await refresh_personal_menus(driver.app)
    personal = {
        c.params["scope"]["chat_id"]: [command["command"] for command in c.params["commands"]]
        for c in driver.calls("setMyCommands")
        if c.params["scope"]["type"] == "chat"
    }
    assert set(personal) == {ADMIN.id, COORDINATOR.id}  # members use the default menu
    assert "members" in personal[COORDINATOR.id]


async def test_private_commands_in_a_group_point_to_the_private_chat(
    driver: BotDriver, partnership: Partnership
) -> None:
    group = driver.updates.group_chat(-1002, "Team")
    assert "@partnerbot_test_bot" in texts(await driver.send(ADMIN, "/members", chat=group))
    assert "You work in" in texts(await driver.send(MEMBER, "/start", chat=group))


async def test_one_flow_at_a_time(driver: BotDriver, partnership: Partnership) -> None:
    await driver.send(COORDINATOR, "/invite")
    await driver.press(COORDINATOR, "member")
    await driver.send(COORDINATOR, "/skip")
    await driver.send(COORDINATOR, "/skip")
    # Another flow's command does not start it: the open flow keeps its step.
    assert "You are in the middle of" in texts(await driver.send(COORDINATOR, "/profile"))
    assert "You are in the middle of" in texts(await driver.send(COORDINATOR, "/broadcast"))
    await driver.send(COORDINATOR, "4")  # still the invite's "how many people" step
    assert "For how many days" in driver.text_of(COORDINATOR.id)
    await driver.send(COORDINATOR, "/cancel")
    # Flows registered before the open one must not start either.
    await driver.send(COORDINATOR, "/broadcast")
    assert "You are in the middle of" in texts(await driver.send(COORDINATOR, "/invite"))
    assert "You are in the middle of" in texts(await driver.send(COORDINATOR, "/profile"))
    assert "Who should receive it?" in texts(await driver.send(COORDINATOR, "Still the message"))
    await driver.send(COORDINATOR, "/cancel")
    await driver.send(COORDINATOR, "/invite")
    # The same command starts its own flow afresh, and after /cancel any flow may start.
    assert "Invite people as" in texts(await driver.send(COORDINATOR, "/invite"))
    await driver.send(COORDINATOR, "/cancel")
    assert "Which organisation" in texts(await driver.send(COORDINATOR, "/profile"))


async def test_an_admin_is_not_offered_to_change_their_own_role(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(ADMIN, "/members")
    await driver.press(ADMIN, "Aminata")
    own = buttons(driver.last_keyboard_message(ADMIN.id))
    assert not any(label in own for label in ("coordinator", "member", "observer"))
    await driver.send(ADMIN, "/members")
    await driver.press(ADMIN, "Carlos")
    assert "member" in buttons(driver.last_keyboard_message(ADMIN.id))
