"""The right to erasure: after /leave (asked twice), or an admin's Erase, or the command line,
no table of the database holds the person's name, username or phone; the partnership's record
is whole, its author shown as a former member; reports and digests still render."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

from bot.documents.pdf import render_pdf
from bot.documents.report import report_document
from bot.i18n import translator
from bot.local_api import LocalUser
from domain.meetings import MeetingKind, Participant
from domain.models import Partnership
from services.access import TelegramIdentity
from services.meeting_fields import ActionDraft, MeetingDraft
from services.reports import Period
from tests.fakes import BotDriver, texts
from tests.helpers import alert_to, buttons
from tests.people import ADMIN, COORDINATOR, MEMBER

MOUSSA = LocalUser(MEMBER.id, "Moussa Diarra", username="moussa_dpaf", language_code="en")
PHONE = "+221775550011"


def holders(database: str, *words: str) -> list[str]:
    """Every table.column whose text holds one of the words (case-insensitive)."""
    found = []
    with sqlite3.connect(database) as conn:
        tables = [
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        for table in tables:
            for column in conn.execute(f"PRAGMA table_info({table})"):
                name = column[1]
                for word in words:
                    hit = conn.execute(
                        f"SELECT COUNT(*) FROM {table} WHERE CAST({name} AS TEXT) LIKE ?",
                        (f"%{word}%",),
                    ).fetchone()[0]
                    if hit:
                        found.append(f"{table}.{name} ({word})")
    return found


async def moussas_record(driver: BotDriver, partnership: Partnership) -> None:
    """Moussa's card with a phone, a meeting naming him (participant, owner, in its summary),
    a challenge he flagged (alerted to coordinators with his name)."""
    await driver.send(MOUSSA, "/mycard")
    await driver.send(MOUSSA, "/skip")  # name
    await driver.send(MOUSSA, "DPAF")
    for _ in range(5):
        await driver.send(MOUSSA, "/skip")
    await driver.send(MOUSSA, PHONE)
    for _ in range(3):
        await driver.send(MOUSSA, "/skip")
    await driver.press(MOUSSA, "✓ Save")
    services = driver.app.services
    coordinator = await services.access.identify(
        TelegramIdentity(COORDINATOR.id, "Carlos", None, "en")
    )
    await services.meetings.save(
        coordinator,
        partnership.id,
        MeetingDraft(
            held_at=datetime(2026, 11, 20, 9, tzinfo=UTC),
            title="Liaison",
            kind=MeetingKind.OPERATIONAL,
            summary="Moussa Diarra presented the route study.",
            participants=(Participant("Moussa Diarra", "DPAF", MEMBER.id),),
            actions=(
                ActionDraft("Share the study", MEMBER.id, "Moussa Diarra", date(2026, 12, 20)),
            ),
        ),
    )
    await driver.send(MOUSSA, "/flag high route Convoys near Rosso")
    await driver.press(MOUSSA, "✓")
    await driver.settle()


async def test_a_member_leaves_and_is_forgotten_and_the_record_stays_whole(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR)
    await moussas_record(driver, partnership)
    database = str(driver.app.services.db.path)
    assert holders(database, "Moussa Diarra", "moussa_dpaf", PHONE)  # before: in many places
    asked = texts(await driver.send(MOUSSA, "/leave"))
    assert "Leave COP Sénégal and be forgotten?" in asked
    await driver.press(MOUSSA, "Stay")
    assert "nothing changed" in driver.text_of(MEMBER.id)
    await driver.send(MOUSSA, "/leave")
    await driver.press(MOUSSA, "Leave and be forgotten")
    assert "cannot be undone" in driver.text_of(MEMBER.id)
    await driver.press(MOUSSA, "Yes, erase everything")
    assert "You left COP Sénégal and your data is erased" in driver.text_of(MEMBER.id)
    assert holders(database, "Moussa Diarra", "moussa_dpaf", "Moussa", PHONE[4:]) == []
    # The partnership's record is whole; his part shows as a former member, in French too.
    await driver.send(COORDINATOR, "/language")
    await driver.press(COORDINATOR, "Français")
    await driver.press(COORDINATOR, "Open", message=alert_to(driver, COORDINATOR))
    detail = driver.text_of(COORDINATOR.id)
    assert "Convoys near Rosso" in detail and "Signalé par Ancien membre" in detail
    services = driver.app.services
    coordinator = await services.access.identify(
        TelegramIdentity(COORDINATOR.id, "Carlos", None, "fr")
    )
    data = await services.reports.for_caller(
        coordinator, Period(date(2026, 11, 1), date(2026, 12, 31))
    )
    assert [m.title for m in data.meetings] == ["Liaison"] and len(data.challenges) == 1
    pdf = render_pdf(report_document(data, translator("fr")))
    assert pdf.startswith(b"%PDF")
    digest = texts(await driver.send(COORDINATOR, "/digest"))
    assert digest and "Moussa" not in digest
    # He is a stranger now; the audit log says an erasure happened, and nothing more.
    assert "Access is by invitation only" in texts(await driver.send(MOUSSA, "/help"))
    entry = await services.db.fetchone("SELECT detail FROM audit_log WHERE action = 'member.erase'")
    assert entry is not None and "Moussa" not in entry["detail"]


async def test_an_admin_erases_a_removed_member_and_the_last_admin_cannot_leave(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR)
    await moussas_record(driver, partnership)
    await driver.send(ADMIN, "/leave")
    await driver.press(ADMIN, "Leave and be forgotten")
    await driver.press(ADMIN, "Yes, erase everything")
    assert "You are the only admin of <b>COP Sénégal</b>" in driver.text_of(ADMIN.id)
    services = driver.app.services
    admin = await services.access.identify(TelegramIdentity(ADMIN.id, "Aminata", None, "en"))
    await services.members.remove(admin, MEMBER.id)
    await driver.send(ADMIN, "/members")
    await driver.press(ADMIN, "Removed")
    await driver.press(ADMIN, "Moussa Diarra")
    await driver.press(ADMIN, "Erase their data")
    await driver.press(ADMIN, "Yes, erase for good")
    assert "Erased." in driver.text_of(ADMIN.id)
    assert "Moussa Diarra" not in buttons(driver.last_keyboard_message(ADMIN.id))
    assert holders(str(services.db.path), "Moussa Diarra", "moussa_dpaf", PHONE[4:]) == []
