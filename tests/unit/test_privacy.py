"""/privacy and /mydata: the notice in the person's language (or the operator's own), and
everything stored about a person, which holds what they may see and nothing else."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from domain.meetings import MeetingKind, Participant
from domain.models import Partnership
from services.access import TelegramIdentity
from services.meeting_fields import MeetingDraft
from tests.fakes import BotDriver, texts
from tests.people import ADMIN, COORDINATOR, MEMBER, OBSERVER, STRANGER


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_path=tmp_path / "bot.sqlite3",
        privacy_contact="dpo@example.org",
        privacy_notice_file=str(tmp_path / "privacy.{language}.txt"),
    )


def write_notice(settings: Settings, language: str, text: str) -> None:
    Path(settings.privacy_notice_file.replace("{language}", language)).write_text(
        text, encoding="utf-8"
    )


async def test_the_notice_says_what_is_kept_and_how_to_see_it_in_the_persons_language(
    driver: BotDriver, partnership: Partnership, settings: Settings
) -> None:
    notice = texts(await driver.send(MEMBER, "/privacy"))
    assert "What Partnerbot keeps about you" in notice
    assert "/mydata" in notice and "write to dpo@example.org" in notice
    await driver.send(MEMBER, "/language")
    await driver.press(MEMBER, "Français")
    assert "/mydata" in texts(await driver.send(MEMBER, "/privacy"))
    assert "What Partnerbot keeps" not in texts(await driver.send(MEMBER, "/privacy"))
    # The operator's own notice, per language, replaces it; others keep the built-in one.
    write_notice(settings, "fr", "Notre <politique> & vos droits")
    replaced = texts(await driver.send(MEMBER, "/privacy"))
    assert replaced == "Notre &lt;politique&gt; &amp; vos droits"
    assert "What Partnerbot keeps" in texts(await driver.send(ADMIN, "/privacy"))


async def test_my_data_holds_the_restricted_meeting_i_am_named_in_and_nothing_i_may_not_see(
    driver: BotDriver, partnership: Partnership
) -> None:
    services = driver.app.services
    coordinator = await services.access.identify(
        TelegramIdentity(COORDINATOR.id, "Carlos", None, "en")
    )
    held = datetime(2026, 11, 20, 9, tzinfo=UTC)
    for title, named in (("Named in it", MEMBER.id), ("Not for Moussa", OBSERVER.id)):
        await services.meetings.save(
            coordinator,
            partnership.id,
            MeetingDraft(
                held_at=held,
                title=title,
                kind=MeetingKind.OPERATIONAL,
                restricted=True,
                participants=(Participant("Someone", "DPAF", named),),
            ),
        )
    await driver.send(ADMIN, "/invite")  # an invite made by someone else stays out
    await driver.send(MEMBER, "/mydata")
    call = driver.calls("sendDocument")[-1]
    assert call.params["chat_id"] == MEMBER.id
    data = json.loads(call.files["document"].content)
    tables = data["tables"]
    assert [m["title"] for m in tables["meetings"]] == ["Named in it"]
    assert tables["members"][0]["id"] == MEMBER.id
    assert [m["role"] for m in tables["memberships"]] == ["member"]
    assert "Not for Moussa" not in call.files["document"].content.decode()
    summary = driver.text_of(MEMBER.id)
    assert "Meetings you logged or are named in: 1" in summary
    # Invite codes never leave: not even the one a person used.
    for table in ("invites", "invite_uses"):
        assert all("code" not in row for row in tables[table])
    assert "Access is by invitation only" in texts(await driver.send(STRANGER, "/mydata"))
