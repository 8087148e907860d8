"""/report, a meeting's minutes and calendar buttons, /calendar and /challenges map, as
coordinators and members use them; each file read back by the program that opens it."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import docx
import openpyxl
import pytest
from icalendar import Calendar
from pypdf import PdfReader

from domain.challenges import Category, Severity
from domain.meetings import MeetingKind, Participant
from domain.models import Partnership
from services.access import TelegramIdentity
from services.challenges_input import ChallengeDraft
from services.meeting_fields import ActionDraft, MeetingDraft
from storage import audit
from tests.fakes import BotDriver, FakeClock, texts
from tests.helpers import buttons, last
from tests.people import ADMIN, COORDINATOR, MEMBER, OBSERVER, STRANGER


@pytest.fixture
async def record(driver: BotDriver, partnership: Partnership, clock: FakeClock) -> Partnership:
    """November's record: an open meeting with a decision and actions, a restricted one, a
    challenge with a pin and a restricted one; today is 6 December."""
    services = driver.app.services
    member = await services.access.identify(TelegramIdentity(MEMBER.id, "Moussa", None, "en"))
    held = datetime(2026, 11, 12, 9, tzinfo=UTC)
    await services.meetings.save(
        member,
        partnership.id,
        MeetingDraft(
            held_at=held,
            title="Comité de pilotage",
            kind=MeetingKind.STEERING,
            location="Dakar",
            summary="Bilan du trimestre",
            decisions="Ouvrir un bureau de liaison à Rosso\n=SUM(A1) reste du texte",
            participants=(Participant("Moussa", "DPAF", MEMBER.id), Participant("Europol")),
            actions=(
                ActionDraft(
                    "Envoyer le plan de formation", MEMBER.id, "Moussa", date(2026, 11, 20)
                ),
            ),
        ),
    )
    await services.meetings.save(
        member,
        partnership.id,
        MeetingDraft(
            held_at=held + timedelta(days=1),
            title="Réunion confidentielle",
            kind=MeetingKind.OPERATIONAL,
            restricted=True,
        ),
    )
    for title, restricted in (("Convois près d'Agadez", False), ("Poste corrompu", True)):
        clock.now = datetime(2026, 11, 15, 12, tzinfo=UTC)
        await services.challenges.submit(
            member,
            ChallengeDraft(
                category=Category.ROUTE,
                severity=Severity.MEDIUM,
                title=title,
                latitude=16.97,
                longitude=7.99,
                restricted=restricted,
            ),
            key=title,
        )
    clock.now = datetime(2026, 12, 6, 9, tzinfo=UTC)
    await driver.settle()
    return partnership


def upload(driver: BotDriver) -> tuple[str, bytes, bool]:
    """The last document the bot sent: its name, content, and whether it is protected."""
    call = driver.calls("sendDocument")[-1]
    document = call.files["document"]
    return document.file_name, document.content, bool(call.params.get("protect_content"))


async def test_a_coordinator_makes_a_restricted_pdf_report_in_another_language(
    driver: BotDriver, record: Partnership
) -> None:
    await driver.introduce(COORDINATOR)
    asked = texts(await driver.send(COORDINATOR, "/report"))
    assert "Which period?" in asked
    assert "Last month (Nov 1\u2009–\u200930, 2026)" in buttons(
        driver.last_keyboard_message(COORDINATOR.id)
    )
    await driver.press(COORDINATOR, "Last month")
    await driver.press(COORDINATOR, "PDF")
    await driver.press(COORDINATOR, "Français")
    assert "Include restricted meetings and challenges?" in last(driver, COORDINATOR)
    await driver.press(COORDINATOR, "Include them")
    name, content, protected = upload(driver)
    assert name == "cop-senegal-report-2026-11-01-2026-11-30-restricted.pdf" and protected
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Réunion confidentielle" in text and "Poste corrompu" in text
    assert "Comité de pilotage" in text and "Ouvrir un bureau de liaison à Rosso" in text
    progress = [c.params["text"] for c in driver.calls("editMessageText")]
    assert any("charts and map" in t for t in progress) and "The report is ready." in progress
    entry = (await audit.recent(driver.app.services.db, record.id, 1))[0]
    assert entry.action == "report.export" and entry.detail["language"] == "fr"
    # The next report offers to start where this one ended.
    await driver.send(COORDINATOR, "/report")
    assert "Since the last report (Dec 1\u2009–\u20096, 2026)" in buttons(
        driver.last_keyboard_message(COORDINATOR.id)
    )


async def test_a_member_types_the_days_and_gets_word_and_excel_without_restricted_items(
    driver: BotDriver, record: Partnership
) -> None:
    await driver.introduce(MEMBER)
    await driver.send(MEMBER, "/report")
    assert "I could not read those days" in texts(await driver.send(MEMBER, "sometime soon"))
    await driver.send(MEMBER, "1/11/2026 - 30/11/2026")
    assert "Please choose one of the buttons" in texts(await driver.send(MEMBER, "pdf please"))
    await driver.press(MEMBER, "Word")
    await driver.press(MEMBER, "English")
    name, content, protected = upload(driver)
    assert name == "cop-senegal-report-2026-11-01-2026-11-30.docx" and not protected
    document = docx.Document(io.BytesIO(content))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Meetings" in headings and "Challenges" in headings
    body = "\n".join(p.text for p in document.paragraphs)
    assert "Comité de pilotage" in "\n".join(headings) and "Réunion confidentielle" not in body
    assert "1 restricted meeting of the period is left out." in body
    await driver.send(MEMBER, "/report")
    await driver.press(MEMBER, "Last month")
    await driver.press(MEMBER, "Excel")
    await driver.press(MEMBER, "English")
    name, content, _ = upload(driver)
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert "Contacts" not in workbook.sheetnames  # coordinators and admins only
    decisions = workbook["Decisions"]
    cells = [c for row in decisions.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert any(str(c.value).endswith("=SUM(A1) reste du texte") for c in cells)
    meetings = workbook["Meetings"]
    assert isinstance(meetings["A2"].value, datetime)


async def test_observers_are_not_offered_restricted_items_and_strangers_get_nothing(
    driver: BotDriver, record: Partnership
) -> None:
    await driver.send(OBSERVER, "/report")
    await driver.press(OBSERVER, "Last month")
    await driver.press(OBSERVER, "PDF")
    await driver.press(OBSERVER, "English")
    name, content, protected = upload(driver)
    assert not name.endswith("-restricted.pdf") and not protected
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Poste corrompu" not in text and "Convois" in text
    assert "Access is by invitation only" in texts(await driver.send(STRANGER, "/report"))
    assert not [c for c in driver.calls("sendDocument") if c.params["chat_id"] == STRANGER.id]


async def test_minutes_calendar_and_map(driver: BotDriver, record: Partnership) -> None:
    await driver.introduce(ADMIN)
    await driver.send(ADMIN, "/meetings")
    await driver.press(ADMIN, "1")
    await driver.press(ADMIN, "Minutes (Word)")
    name, content, _ = upload(driver)
    assert name.startswith("cop-senegal-minutes-2026-11-") and name.endswith(".docx")
    minutes = docx.Document(io.BytesIO(content))
    assert "Minutes" in [p.text for p in minutes.paragraphs]
    await driver.press(ADMIN, "Minutes (PDF)")
    name, content, _ = upload(driver)
    assert name.endswith(".pdf") and b"%PDF" in content[:8]
    await driver.send(ADMIN, "/calendar")
    name, content, _ = upload(driver)
    calendar = Calendar.from_ical(content)
    summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert "Comité de pilotage" in summaries and "Réunion confidentielle" not in summaries
    await driver.send(ADMIN, "/challenges map")
    photo = driver.calls("sendPhoto")[-1]
    assert photo.files["photo"].content.startswith(b"\x89PNG")
    assert photo.params.get("protect_content")  # the admin sees the restricted one
