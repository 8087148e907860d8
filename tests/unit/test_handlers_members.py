"""/members: the organisation and country coordinators vouch for, removals, readmissions."""

from __future__ import annotations

import asyncio

import pytest

from bot.callbacks import (
    CallbackData,
    MemberConfirm,
    MemberOpen,
    MemberSet,
    ReadmitAsked,
    ReadmitConfirmed,
    RemovedList,
    ValueDigest,
)
from bot.cli import main
from bot.local_api import LocalUser
from domain.models import Membership, Partnership, PartnershipKind, Role
from services.members import value_digest
from storage import audit
from tests.fakes import BotDriver, texts
from tests.people import ADMIN, COORDINATOR, MEMBER, OBSERVER

#: The coordinator of another partnership, who must not reach into this one.
FOREIGN = LocalUser(201, "Farid", language_code="en")


async def other_partnership(driver: BotDriver) -> Partnership:
    services = driver.app.services
    other = await services.partnerships.create(
        name="JIT Niger", kind=PartnershipKind.JIT, countries=("Niger",),
        timezone="Africa/Niamey", language="fr", plan=None,
    )  # fmt: skip
    await services.partnerships.add_member(
        other, user_id=FOREIGN.id, name="Farid", role=Role.COORDINATOR
    )
    return other


async def membership_of(driver: BotDriver, member_id: int) -> Membership:
    caller = await driver.app.services.access.identify_known(ADMIN.id)
    assert caller is not None
    return await driver.app.services.members.get(caller, member_id)


async def declare(driver: BotDriver, person: LocalUser, organisation: str, country: str) -> None:
    await driver.send(person, "/profile")
    await driver.send(person, organisation)
    await driver.send(person, country)


async def test_coordinators_confirm_set_and_withdraw_what_a_member_declared(
    driver: BotDriver, partnership: Partnership
) -> None:
    await declare(driver, MEMBER, "Europol", "Mali")
    listing = await driver.send(COORDINATOR, "/members")
    assert "❔ marks an organisation or country" in texts(listing)
    await driver.press(COORDINATOR, "Moussa · member ❔")
    detail = driver.text_of(COORDINATOR.id)
    assert "Organisation: Europol (unconfirmed)" in detail
    assert "Country: Mali (unconfirmed)" in detail
    drawn = driver.last_keyboard_message(COORDINATOR.id)
    # The member changes his mind after the button was drawn: it confirms nothing now.
    await declare(driver, MEMBER, "Frontex", "/skip")
    await driver.press(COORDINATOR, "Confirm organisation: Europol", message=drawn)
    assert "could not find" in driver.answers()[-1]
    member = await membership_of(driver, MEMBER.id)
    assert member.confirmed_organisation is None
    # Opened again, the button shows (and confirms) what he says now.
    await driver.press(COORDINATOR, "«")
    await driver.press(COORDINATOR, "Moussa")
    await driver.press(COORDINATOR, "Confirm organisation: Frontex")
    assert "Organisation: Frontex ✓ confirmed" in driver.text_of(COORDINATOR.id)
    # Setting a value: a typed step, or one of the partnership's countries.
    await driver.press(COORDINATOR, "Set country")
    assert "Which country does <b>Moussa</b> work for?" in driver.text_of(COORDINATOR.id)
    assert "up to 60 characters" in texts(await driver.send(COORDINATOR, "z" * 61))
    await driver.press(COORDINATOR, "Senegal")  # the question becomes the member's details
    assert "Country: Senegal ✓ confirmed" in driver.last_keyboard_message(COORDINATOR.id)["text"]
    await driver.press(COORDINATOR, "Set organisation")
    shown = texts(await driver.send(COORDINATOR, "Police <nationale> & co"))
    assert "Organisation: Police &lt;nationale&gt; &amp; co ✓ confirmed" in shown
    # Withdrawing leaves the member's value as unconfirmed, granting nothing.
    await driver.press(COORDINATOR, "Set organisation")
    await driver.press(COORDINATOR, "Withdraw the confirmation")
    assert "Organisation: Police &lt;nationale&gt; &amp; co (unconfirmed)" in driver.text_of(
        COORDINATOR.id
    )
    # A member's own change shows beside the confirmed value, which stays.
    await declare(driver, MEMBER, "/skip", "Mali")
    await driver.press(COORDINATOR, "«")
    await driver.press(COORDINATOR, "Moussa")
    assert "Country: Mali (unconfirmed); confirmed: Senegal" in driver.text_of(COORDINATOR.id)
    entries = await audit.recent(driver.app.services.db, partnership.id)
    vouched = [
        (e.action, e.actor_id, e.detail["field"], e.detail["value"])
        for e in reversed(entries)
        if e.action in ("member.confirm", "member.set", "member.withdraw")
    ]
    assert vouched == [
        ("member.confirm", COORDINATOR.id, "organisation", "Frontex"),
        ("member.set", COORDINATOR.id, "country", "Senegal"),
        ("member.set", COORDINATOR.id, "organisation", "Police <nationale> & co"),
        ("member.withdraw", COORDINATOR.id, "organisation", None),
    ]


async def test_forged_confirm_and_set_buttons_are_refused(
    driver: BotDriver, partnership: Partnership
) -> None:
    await other_partnership(driver)
    await declare(driver, MEMBER, "Europol", "Mali")
    await declare(driver, ADMIN, "DPAF", "Senegal")
    await declare(driver, OBSERVER, "Frontex", "Mali")
    digest = ValueDigest(value_digest("Europol"))
    forged: tuple[tuple[LocalUser, CallbackData, str], ...] = (
        # A member confirms an organisation, or sets one, for himself or anyone.
        (MEMBER, MemberConfirm(MEMBER.id, "o", digest, 0), "Only coordinators"),
        (MEMBER, MemberSet(OBSERVER.id, "o", 0), "Only coordinators"),
        # A coordinator vouches for members, not for admins.
        (
            COORDINATOR,
            MemberConfirm(ADMIN.id, "o", ValueDigest(value_digest("DPAF")), 0),
            "Only admins",
        ),
        (COORDINATOR, MemberSet(ADMIN.id, "c", 0), "Only admins"),
        # Another partnership's coordinator finds nobody here.
        (FOREIGN, MemberConfirm(MEMBER.id, "o", digest, 0), "could not find"),
        (FOREIGN, MemberSet(MEMBER.id, "o", 0), "could not find"),
        (FOREIGN, MemberOpen(MEMBER.id, 0), "could not find"),
    )
    for person, data, refusal in forged:
        await driver.press_forged(person, data.pack())
        assert refusal in driver.answers()[-1], data
    for person in (MEMBER, ADMIN):
        member = await membership_of(driver, person.id)
        assert member.confirmed_organisation is None
    # A typed answer after a refused Set does not land anywhere.
    assert "Send /help" in texts(await driver.send(FOREIGN, "Europol"))


async def test_a_removed_member_comes_back_only_when_an_admin_readmits_them(
    driver: BotDriver, partnership: Partnership
) -> None:
    services = driver.app.services
    await other_partnership(driver)
    invite = await services.invites.create(partnership, role=Role.MEMBER, max_uses=50)
    fatou = LocalUser(600, "Fatou", language_code="fr")
    await driver.send(fatou, f"/start {invite.code}")
    await driver.send(COORDINATOR, "/members")
    await driver.press(COORDINATOR, "Fatou")
    await driver.press(COORDINATOR, "Remove")
    await driver.press(COORDINATOR, "Yes, remove")
    # The same multi-use invite, or a new one, does not bring her back.
    fresh = await services.invites.create(partnership, role=Role.OBSERVER)
    for code in (invite.code, fresh.code):
        refused = texts(await driver.send(fatou, f"/start {code}"))
        assert "Vous avez été retiré" in refused and "administrateur" in refused
    kept_out = await services.access.identify_known(fatou.id)
    assert kept_out is not None and kept_out.membership is None
    assert [i.uses for i in await services.invites.active(partnership)] == [0, 1]
    # Coordinators remove, but only admins see who is kept out and readmit them.
    listing = texts(await driver.send(COORDINATOR, "/members"))
    assert "Removed" not in str(driver.last_keyboard_message(COORDINATOR.id))
    assert "Fatou" not in listing
    for person, data, refusal in (
        (COORDINATOR, RemovedList(0), "Only admins"),
        (COORDINATOR, ReadmitConfirmed(fatou.id, 0), "Only admins"),
        (MEMBER, ReadmitAsked(fatou.id, 0), "Only admins"),
        (FOREIGN, ReadmitConfirmed(fatou.id, 0), "Only admins"),
    ):
        await driver.press_forged(person, data.pack())
        assert refusal in driver.answers()[-1], data
    assert "Vous avez été retiré" in texts(await driver.send(fatou, f"/start {invite.code}"))
    await driver.send(ADMIN, "/members")
    await driver.press(ADMIN, "🚫 Removed: 1")
    assert "no invite lets them back in" in driver.text_of(ADMIN.id)
    await driver.press(ADMIN, "Fatou")
    assert "Readmit <b>Fatou</b> to <b>COP Sénégal</b>?" in driver.text_of(ADMIN.id)
    await driver.press(ADMIN, "Yes, readmit")
    assert "Fatou</b> may join again with an invite." in driver.text_of(ADMIN.id)
    assert "Nobody removed from" in driver.text_of(ADMIN.id)
    assert "Vous avez rejoint" in texts(await driver.send(fatou, f"/start {invite.code}"))
    actions = [e.action for e in await audit.recent(services.db, partnership.id)]
    assert actions.count("invite.refused") == 3 and "member.readmit" in actions


async def test_the_command_line_readmits_too(
    driver: BotDriver,
    partnership: Partnership,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    services = driver.app.services
    admin = await services.access.identify_known(ADMIN.id)
    assert admin is not None
    await services.members.remove(admin, MEMBER.id)
    invite = await services.invites.create(partnership, role=Role.MEMBER)
    assert "readmit" in texts(await driver.send(MEMBER, f"/start {invite.code}"))
    monkeypatch.setenv("DATABASE_PATH", str(driver.app.settings.database_path))
    readmit = ["member", "readmit", "--partnership", partnership.slug, "--user-id"]
    # (in a thread: the command line runs its own event loop)
    assert await asyncio.to_thread(main, [*readmit, str(MEMBER.id)]) == 0
    assert f"User {MEMBER.id} may join COP Sénégal again" in capsys.readouterr().out
    assert await asyncio.to_thread(main, [*readmit, str(MEMBER.id)]) == 1
    assert "nothing to readmit" in capsys.readouterr().err
    assert "You joined as member" in texts(await driver.send(MEMBER, f"/start {invite.code}"))
    entry = (await audit.recent(services.db, partnership.id))[1]
    assert (entry.action, entry.actor_id, entry.detail) == (
        "member.readmit",
        None,
        {"member_id": MEMBER.id},
    )
