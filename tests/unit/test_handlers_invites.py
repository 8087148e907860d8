"""/invite: live invites with Revoke, invites that die with their creator's rights, and
invite codes that never reach the audit log."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.callbacks import InviteRef, InviteRevoke
from bot.cli import main
from bot.local_api import LocalUser
from domain.models import Invite, Partnership, PartnershipKind, Role, invite_ref
from services.access import Caller
from tests.fakes import BotDriver, texts
from tests.people import ADMIN, COORDINATOR, MEMBER

FOREIGN = LocalUser(201, "Farid", language_code="en")
SECOND_ADMIN = LocalUser(202, "Salif", language_code="en")


async def caller(driver: BotDriver, person: LocalUser) -> Caller:
    found = await driver.app.services.access.identify_known(person.id)
    assert found is not None
    return found


async def invite_by(
    driver: BotDriver,
    partnership: Partnership,
    person: LocalUser | None,
    role: Role,
    max_uses: int = 1,
) -> Invite:
    return await driver.app.services.invites.create(
        partnership,
        role=role,
        max_uses=max_uses,
        created_by=None if person is None else await caller(driver, person),
    )


async def live_codes(driver: BotDriver, partnership: Partnership) -> set[str]:
    return {i.code for i in await driver.app.services.invites.active(partnership)}


async def test_invite_lists_live_invites_and_revokes_them(
    driver: BotDriver, partnership: Partnership
) -> None:
    admins = await invite_by(driver, partnership, ADMIN, Role.COORDINATOR)
    carlos = await invite_by(driver, partnership, COORDINATOR, Role.MEMBER, max_uses=5)
    printed = await invite_by(driver, partnership, None, Role.OBSERVER, max_uses=2)
    await driver.send(LocalUser(600, "Ana"), f"/start {carlos.code}")
    shown = texts(await driver.send(COORDINATOR, "/invite"))
    # Coordinators see (and revoke) the invites of the roles they may grant, whoever made them.
    assert "<b>COP Sénégal</b>: 2 invites can still be used." in shown
    assert "1. observer · 2 uses left · until Dec 7, 2026" in shown
    assert "· by the command line" in shown
    assert "2. member · 4 uses left · until Dec 7, 2026" in shown and "· by Carlos" in shown
    assert "coordinator ·" not in shown
    message = driver.last_keyboard_message(COORDINATOR.id)
    labels = [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["✖ Revoke 1", "✖ Revoke 2", "member", "observer"]
    await driver.press(COORDINATOR, "✖ Revoke 2")
    after = driver.text_of(COORDINATOR.id)
    assert "Revoked: nobody can join with that invite any more." in after
    assert "1 invite can still be used" in after
    assert "withdrawn" in texts(await driver.send(LocalUser(601, "Bo"), f"/start {carlos.code}"))
    # The list's role buttons go on to a new invite.
    await driver.press(COORDINATOR, "member")
    assert "one organisation" in driver.text_of(COORDINATOR.id)
    await driver.send(COORDINATOR, "/cancel")
    # Admins see every invite, and revoke them all.
    shown = texts(await driver.send(ADMIN, "/invite"))
    assert "2 invites can still be used" in shown and "coordinator · 1 use left" in shown
    await driver.press(ADMIN, "✖ Revoke 1")
    await driver.press(ADMIN, "✖ Revoke 1")
    assert "no invite can be used at the moment" in driver.text_of(ADMIN.id)
    assert await live_codes(driver, partnership) == set()
    assert {admins.code, printed.code}.isdisjoint(await live_codes(driver, partnership))


async def test_forged_revoke_buttons_are_refused(
    driver: BotDriver, partnership: Partnership
) -> None:
    services = driver.app.services
    other = await services.partnerships.create(
        name="JIT Niger", kind=PartnershipKind.JIT, countries=("Niger",),
        timezone="Africa/Niamey", language="fr", plan=None,
    )  # fmt: skip
    await services.partnerships.add_member(other, user_id=FOREIGN.id, name="Farid", role=Role.ADMIN)
    for_coordinators = await invite_by(driver, partnership, ADMIN, Role.COORDINATOR)
    for_members = await invite_by(driver, partnership, ADMIN, Role.MEMBER)
    for person, invite, refusal in (
        (MEMBER, for_members, "Only coordinators"),
        (COORDINATOR, for_coordinators, "Only admins"),
        (FOREIGN, for_members, "could not find"),
        (FOREIGN, for_coordinators, "could not find"),
    ):
        await driver.press_forged(person, InviteRevoke(InviteRef(invite.ref)).pack())
        assert refusal in driver.answers()[-1]
    assert await live_codes(driver, partnership) == {for_coordinators.code, for_members.code}
    # An unknown reference finds nothing either.
    await driver.press_forged(ADMIN, InviteRevoke(InviteRef("0123456789ab")).pack())
    assert "could not find" in driver.answers()[-1]


async def test_invites_die_when_their_creator_is_removed_or_demoted(
    driver: BotDriver, partnership: Partnership
) -> None:
    services = driver.app.services
    await services.partnerships.add_member(
        partnership, user_id=SECOND_ADMIN.id, name="Salif", role=Role.ADMIN
    )
    carlos = [await invite_by(driver, partnership, COORDINATOR, Role.MEMBER) for _ in range(2)]
    salif_admin = await invite_by(driver, partnership, SECOND_ADMIN, Role.ADMIN)
    salif_member = await invite_by(driver, partnership, SECOND_ADMIN, Role.MEMBER)
    aminata = await invite_by(driver, partnership, ADMIN, Role.OBSERVER)
    # Salif becomes a coordinator: his invite for admins dies, the one for members lives.
    await driver.send(ADMIN, "/members")
    await driver.press(ADMIN, "Salif")
    await driver.press(ADMIN, "coordinator")
    assert await live_codes(driver, partnership) == {
        *(i.code for i in carlos),
        salif_member.code,
        aminata.code,
    }
    # Carlos becomes a member: none of his invites can be used any more.
    await driver.press(ADMIN, "«")
    await driver.press(ADMIN, "Carlos")
    await driver.press(ADMIN, "member")
    assert await live_codes(driver, partnership) == {salif_member.code, aminata.code}
    # Salif is removed: his last invite goes with him.
    await driver.press(ADMIN, "«")
    await driver.press(ADMIN, "Salif")
    await driver.press(ADMIN, "Remove")
    await driver.press(ADMIN, "Yes, remove")
    assert await live_codes(driver, partnership) == {aminata.code}
    refused = texts(await driver.send(LocalUser(602, "Cy"), f"/start {carlos[0].code}"))
    assert "withdrawn" in refused
    db = services.db
    rows = await db.fetchall(
        "SELECT actor_id, detail FROM audit_log WHERE action = 'invite.revoke' ORDER BY id"
    )
    revoked = [(row["actor_id"], json.loads(row["detail"])) for row in rows]
    assert [(actor, d["invite"], d["reason"]) for actor, d in revoked] == [
        (ADMIN.id, salif_admin.ref, "creator's role changed"),
        (ADMIN.id, carlos[0].ref, "creator's role changed"),
        (ADMIN.id, carlos[1].ref, "creator's role changed"),
        (ADMIN.id, salif_member.ref, "creator removed"),
    ]


async def test_invite_codes_never_reach_the_audit_log(
    driver: BotDriver,
    partnership: Partnership,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    services = driver.app.services
    codes: list[str] = []
    # Made in the bot, used, revoked in the bot.
    await driver.send(ADMIN, "/invite")
    await driver.press(ADMIN, "member")
    await driver.send(ADMIN, "/skip")
    await driver.send(ADMIN, "/skip")
    await driver.press(ADMIN, "5")
    await driver.press(ADMIN, "7")
    await driver.press(ADMIN, "Create the invite")
    codes.append(driver.text_of(ADMIN.id).split("?start=")[1].split()[0])
    await driver.send(LocalUser(603, "Di"), f"/start {codes[0]}")
    await driver.send(ADMIN, "/invite")
    await driver.press(ADMIN, "✖ Revoke 1")
    # Refused to someone removed.
    kept_out = await invite_by(driver, partnership, ADMIN, Role.MEMBER, max_uses=3)
    codes.append(kept_out.code)
    await driver.send(MEMBER, f"/start {kept_out.code}")  # already in: nothing written
    await services.members.remove(await caller(driver, ADMIN), MEMBER.id)
    await driver.send(MEMBER, f"/start {kept_out.code}")
    # Made and revoked on the command line.
    monkeypatch.setenv("DATABASE_PATH", str(driver.app.settings.database_path))
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    # (in a thread: the command line runs its own event loop)
    create = ["invite", "create", "--partnership", partnership.slug, "--role", "observer",
              "--organisation", "Guardia Civil", "--country", "Spain"]  # fmt: skip
    assert await asyncio.to_thread(main, create) == 0
    printed = capsys.readouterr().out
    assert "Confirmed for everyone who joins with it: Guardia Civil, Spain" in printed
    codes.append(printed.split("Invite code: ")[1].split()[0])
    assert await asyncio.to_thread(main, ["invite", "revoke", codes[-1]]) == 0
    rows = await services.db.fetchall("SELECT action, detail FROM audit_log")
    logged = [(row["action"], row["detail"]) for row in rows if row["action"].startswith("invite.")]
    assert {action for action, _detail in logged} == {
        "invite.create", "invite.redeem", "invite.revoke", "invite.refused",
    }  # fmt: skip
    for code in codes:
        assert not [d for _a, d in logged if code in d], f"invite code {code} in the audit log"
        assert [d for _a, d in logged if invite_ref(code) in d], "invites are named by reference"
    assert "Guardia Civil" in json.dumps([json.loads(d) for _a, d in logged])
