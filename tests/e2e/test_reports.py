"""Reports, minutes and calendars over real HTTP: each file is one the strict server accepts
(sendDocument within Telegram's limits) and that its reader opens."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import docx
import openpyxl
from icalendar import Calendar
from pypdf import PdfReader

from domain.meetings import MeetingKind
from domain.models import PartnershipKind, Role
from services.access import TelegramIdentity
from services.container import Services
from services.meeting_fields import ActionDraft, MeetingDraft
from tests.e2e.botapi_server import BotApiServer
from tests.e2e.partnerbot import person, polling, until
from tests.e2e.users import BotMessage, TestUser
from tests.people import COORDINATOR, MEMBER


async def seed(services: Services) -> None:
    """COP Sénégal with a coordinator and a member, and a meeting held last month."""
    cop = await services.partnerships.create(
        name="COP Sénégal", kind=PartnershipKind.COP, countries=("Senegal",),
        timezone="Africa/Dakar", language="fr",
    )  # fmt: skip
    for who, role in ((COORDINATOR, Role.COORDINATOR), (MEMBER, Role.MEMBER)):
        await services.partnerships.add_member(cop, user_id=who.id, name=who.first_name, role=role)
    member = await services.access.identify(TelegramIdentity(MEMBER.id, "Moussa", None, "en"))
    last_month = services.clock() - timedelta(days=services.clock().day + 3)
    await services.meetings.save(
        member,
        cop.id,
        MeetingDraft(
            held_at=last_month,
            title="Comité de pilotage",
            kind=MeetingKind.STEERING,
            decisions="Ouvrir un bureau de liaison à Rosso",
            actions=(
                ActionDraft(
                    "Envoyer le plan", MEMBER.id, "Moussa", date.today() + timedelta(days=30)
                ),
            ),
        ),
    )


async def document_for(user: TestUser) -> BotMessage:
    """The next document the bot sends (drawing and writing one may take seconds)."""
    while True:
        message = await user.next_message(timeout=60)
        if message.document is not None:
            return message


def starting(message: BotMessage, prefix: str) -> str:
    """The label of the message's button that starts with `prefix`."""
    return next(b.text for row in message.buttons for b in row if b.text.startswith(prefix))


async def test_each_format_reaches_the_coordinator_as_a_file_its_reader_opens(
    botapi: BotApiServer, tmp_path: Path
) -> None:
    async with polling(botapi, tmp_path / "bot.sqlite3") as app:
        await seed(app.services)
        coordinator = person(botapi, COORDINATOR)
        for label, check in (
            (
                "📕 PDF (to forward)",
                lambda data: PdfReader(io.BytesIO(data)).pages[0].extract_text(),
            ),
            ("📘 Word (to edit)", lambda data: docx.Document(io.BytesIO(data)).paragraphs),
            (
                "📗 Excel (the data)",
                lambda data: openpyxl.load_workbook(io.BytesIO(data)).sheetnames,
            ),
        ):
            await coordinator.send("/report")
            question = await until(coordinator, "Which period?")
            await coordinator.press(starting(question, "Last month"))
            await until(coordinator, "Which file?")
            await coordinator.press(label)
            await until(coordinator, "In which language")
            await coordinator.press("English")
            await until(coordinator, "Include restricted")
            await coordinator.press("Leave them out")
            sent = await document_for(coordinator)
            assert sent.document is not None
            content = botapi.file(sent.document["file_id"]).content
            assert check(content)
            assert sent.document["file_name"].startswith("cop-senegal-report-")

        # The meeting's minutes and its calendar file, from its own buttons.
        await coordinator.send("/meetings")
        await until(coordinator, "Comité de pilotage")
        await coordinator.press("1")
        assert "Ouvrir un bureau" in (await coordinator.next_edit()).content
        await coordinator.press("📝 Minutes (PDF)")
        minutes = await document_for(coordinator)
        assert minutes.document is not None
        text = PdfReader(io.BytesIO(botapi.file(minutes.document["file_id"]).content))
        assert "Ouvrir un bureau de liaison à Rosso" in "".join(
            page.extract_text() for page in text.pages
        )
        member = person(botapi, MEMBER)
        await member.send("/calendar")
        calendar = await until(member, "The calendar of COP Sénégal")
        assert calendar.document is not None
        parsed = Calendar.from_ical(botapi.file(calendar.document["file_id"]).content)
        summaries = sorted(str(e["SUMMARY"]) for e in parsed.walk("VEVENT"))
        assert "Comité de pilotage" in summaries and "Envoyer le plan" in summaries
