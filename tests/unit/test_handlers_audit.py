"""/audit: the audit log for the partnership's admins, in their language, page by page and
filtered, with only the details that may be shown."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.callbacks import AuditKinds, AuditPage, AuditPeople
from bot.i18n import translator
from bot.local_api import LocalUser
from bot.views import audit as views
from bot.views.render import format_moment
from bot.views.texts import role_name
from domain.models import Partnership, Role
from services.audit import AuditFamily
from storage import audit
from tests.fakes import BotDriver, FakeClock, texts
from tests.people import ADMIN, COORDINATOR, MEMBER, OBSERVER
from tests.unit.test_audit_export import PERSONAL, record_hostile_entries

FR = translator("fr")
#: Carlos with a Telegram username, as he appears once he writes to the bot.
CARLOS = LocalUser(COORDINATOR.id, COORDINATOR.first_name, username="carlos_c", language_code="en")


async def record(driver: BotDriver, partnership: Partnership, action: str, actor: int | None,
                 at: datetime | None = None, **detail: Any) -> None:  # fmt: skip
    async with driver.app.services.db.transaction() as tx:
        await audit.record(
            tx,
            action=action,
            now=at or driver.app.services.clock(),
            partnership_id=partnership.id,
            actor_id=actor,
            **detail,
        )


async def in_french(driver: BotDriver, person: LocalUser) -> None:
    caller = await driver.app.services.access.identify_known(person.id)
    assert caller is not None
    await driver.app.services.access.set_language(caller, "fr")


async def test_an_admin_reads_the_newest_entries_in_french(
    driver: BotDriver, partnership: Partnership
) -> None:
    await in_french(driver, ADMIN)
    await record(driver, partnership, "member.role", ADMIN.id, member_id=MEMBER.id,
                 old="member", new="coordinator")  # fmt: skip
    await record(driver, partnership, "challenge.status", COORDINATOR.id, challenge_id=7,
                 old="reported", new="acknowledged")  # fmt: skip
    await record(driver, partnership, "made.up", None, detail="x")
    text = texts(await driver.send(ADMIN, "/audit"))
    assert "COP Sénégal" in text
    lines = text.split("\n\n", 1)[1].splitlines()
    # Newest first: the unknown action by its name, then the status, then the role.
    assert "<b>Partnerbot</b> made.up" in lines[0]
    assert f"<b>Carlos</b> {FR(views.ACTION_PHRASES['challenge.status'])}" in lines[1]
    assert str(FR(views.DETAIL_LABELS["challenge_id"], value=7)) in lines[1]
    role_line = lines[2]
    assert f"<b>Aminata</b> {FR(views.ACTION_PHRASES['member.role'])}" in role_line
    coordinator = role_name(FR, Role.COORDINATOR)
    assert f"(<b>Moussa</b>, {role_name(FR, Role.MEMBER)} → {coordinator})" in role_line
    # When, in the partnership's time zone and French dates.
    when = format_moment(driver.app.services.clock(), "Africa/Dakar", "fr")
    assert role_line.startswith(when)
    # The partnership's creation and its members' arrival are the bot's.
    assert f"<b>Partnerbot</b> {FR(views.ACTION_PHRASES['member.add'])}" in text


async def test_only_admins_read_the_log_and_only_in_private(
    driver: BotDriver, partnership: Partnership
) -> None:
    for person in (COORDINATOR, MEMBER, OBSERVER):
        assert "Only admins" in texts(await driver.send(person, "/audit")), person
        assert "Only admins" in texts(await driver.send(person, "/audit 30")), person
        await driver.press_forged(person, AuditPage(0, 0, "-", 0).pack())
        assert "Only admins" in driver.answers()[-1]
        await driver.press_forged(person, AuditPeople("-", 0).pack())
        assert "Only admins" in driver.answers()[-1]
        await driver.press_forged(person, AuditKinds(0, 0).pack())
        assert "Only admins" in driver.answers()[-1]
    group = {"id": -100123, "type": "supergroup", "title": "COP"}
    answer = texts(await driver.send(ADMIN, "/audit", chat=group))
    assert "Aminata" not in answer and "Partnerbot</b>" not in answer


async def test_pages_of_fifteen_and_filters_by_person_kind_and_period(
    driver: BotDriver, partnership: Partnership, clock: FakeClock
) -> None:
    old = clock()
    await record(driver, partnership, "meeting.create", COORDINATOR.id, at=old, meeting_id=1,
                 restricted=False)  # fmt: skip
    clock.advance(days=40)
    for number in range(20):
        await record(driver, partnership, "challenge.flag", MEMBER.id, challenge_id=number + 1,
                     severity="high", category="route")  # fmt: skip
    await record(driver, partnership, "member.role", ADMIN.id, member_id=MEMBER.id,
                 old="member", new="coordinator")  # fmt: skip
    # 21 new entries, the meeting, and the fixture's 5 (creation, 4 members): 27, two pages.
    first = texts(await driver.send(ADMIN, "/audit"))
    assert "Page 1 of 2." in first
    assert first.count("flagged a challenge") == 14
    await driver.press(ADMIN, "›")
    second = driver.text_of(ADMIN.id)
    assert "Page 2 of 2." in second and "challenge #1," in second and "logged a meeting" in second
    await driver.press(ADMIN, "‹")
    assert "Page 1 of 2." in driver.text_of(ADMIN.id)
    # A period: the last 30 days leave the meeting and the fixture's entries out.
    recent = texts(await driver.send(ADMIN, "/audit 30"))
    assert "Last 30 days" in recent and "logged a meeting" not in recent
    assert "Page 1 of 2." in recent  # 21 entries
    # By person, with the username he is known by.
    await driver.send(CARLOS, "/help")
    carlos = texts(await driver.send(ADMIN, "/audit @carlos_c"))
    assert "by Carlos" in carlos and "logged a meeting" in carlos
    assert "flagged a challenge" not in carlos
    assert "could not find" in texts(await driver.send(ADMIN, "/audit @nobody"))
    assert "Write /audit" in texts(await driver.send(ADMIN, "/audit everything"))
    # By person and by kind, from the buttons.
    await driver.send(ADMIN, "/audit")
    await driver.press(ADMIN, "👤")
    await driver.press(ADMIN, "Moussa")
    moussa = driver.text_of(ADMIN.id)
    assert "by Moussa" in moussa and "changed a member's role" not in moussa
    await driver.press(ADMIN, "🗂")
    await driver.press(ADMIN, "Members and invites")
    members = driver.text_of(ADMIN.id)
    assert "No entries match these filters." in members
    await driver.press(ADMIN, "👤")
    await driver.press(ADMIN, "Anyone")
    members = driver.text_of(ADMIN.id)
    assert "changed a member's role" in members and "flagged" not in members


async def test_forged_page_buttons_are_refused_or_bounded(
    driver: BotDriver, partnership: Partnership
) -> None:
    await record(driver, partnership, "challenge.flag", MEMBER.id, challenge_id=3)
    other = await driver.app.services.partnerships.create(
        name="JIT Niger", kind=partnership.kind, countries=("Niger",), timezone="UTC",
        language="fr", plan=None,
    )  # fmt: skip
    stranger = LocalUser(301, "Secretive Sam", language_code="en")
    await driver.app.services.partnerships.add_member(
        other, user_id=stranger.id, name="Secretive Sam", role=Role.ADMIN
    )
    await record(driver, other, "challenge.flag", stranger.id, challenge_id=99)
    # Someone who never acted in this partnership: no name, no entries.
    await driver.press_forged(ADMIN, AuditPage(0, stranger.id, "-", 0).pack())
    assert "could not find" in driver.answers()[-1]
    await driver.press_forged(ADMIN, AuditKinds(stranger.id, 0).pack())
    await driver.press(ADMIN, "Challenges")
    assert "could not find" in driver.answers()[-1]
    # A page past the end shows the last one; an endless period is refused.
    await driver.press_forged(ADMIN, AuditPage(999, 0, "-", 0).pack())
    shown = driver.text_of(ADMIN.id)
    assert "challenge #3" in shown and "Secretive" not in shown and "#99" not in shown
    await driver.press_forged(ADMIN, AuditPage(0, 0, AuditFamily.CHALLENGES, 99999).pack())
    assert "did not work" in driver.answers()[-1]
    assert "Secretive" not in texts(driver.api.sent_to(ADMIN.id))


async def test_personal_details_and_codes_never_show(
    driver: BotDriver, partnership: Partnership
) -> None:
    await record_hostile_entries(driver.app.services.db, partnership.id, COORDINATOR.id)
    text = texts(await driver.send(ADMIN, "/audit"))
    for secret in PERSONAL:
        assert secret not in text, secret
    assert "contact #5" in text and "meeting #4" in text and "uses: 3" in text
    assert "made.up" in text
