"""Calendar files: meetings, actions and milestones written by `services.calendars`, read back
with icalendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from domain.meetings import FollowUp, Meeting, MeetingKind, Participant
from domain.milestones import Milestone, MilestoneStatus
from services.calendars import (
    PRODID,
    CalendarEvent,
    action_event,
    calendar_file,
    meeting_event,
    milestone_event,
    sequence,
)

SLUG = "cop-senegal"
DAKAR = ZoneInfo("Africa/Dakar")
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
CREATED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

MEETING = Meeting(
    id=12,
    partnership_id=1,
    held_at=datetime(2026, 3, 4, 10, 0, tzinfo=DAKAR).astimezone(UTC),
    title="Comité de pilotage, session 1; Dakar",
    kind=MeetingKind.STEERING,
    location="Ministère de l'Intérieur, salle 2; Dakar",
    summary="Bilan du trimestre.\nLes équipes conjointes présentent leurs résultats, "
    "puis la coordination des patrouilles maritimes est revue.",
    decisions="Créer une équipe commune d'enquête; partager les listes, chaque mois.",
    restricted=False,
    author_id=100,
    created_at=CREATED,
    updated_by=None,
    updated_at=CREATED,
    deleted_at=None,
    participants=(Participant("Aminata Diallo", "Police"), Participant("أمينة ديالو")),
)
ARABIC_MEETING = replace(
    MEETING,
    id=13,
    title="لجنة التوجيه، الدورة الأولى",
    location="نواكشوط",
    summary="تبادل المعلومات حول شبكات التهريب بين داكار ونواذيبو؛ مراجعة الدوريات البحرية.",
    decisions="",
    restricted=True,
)


def follow_up(**changes: Any) -> FollowUp:
    values: dict[str, Any] = {
        "id": 40,
        "meeting_id": 12,
        "position": 1,
        "what": "Partager la liste des contacts, par pays",
        "owner_id": None,
        "owner_name": "Carlos",
        "due_on": date(2026, 3, 31),
        "done_at": None,
        "done_by": None,
        "reminded_at": None,
    }
    return FollowUp(**(values | changes))


def milestone(**changes: Any) -> Milestone:
    values: dict[str, Any] = {
        "id": 7,
        "partnership_id": 1,
        "pillar_id": 2,
        "code": "2.3",
        "position": 3,
        "title": "Former 40 enquêteurs",
        "description": "Deux sessions; Dakar et Saint-Louis.",
        "owner": None,
        "assignees": (),
        "due_on": date(2026, 6, 30),
        "date_inferred": False,
        "status": MilestoneStatus.IN_PROGRESS,
        "progress": 40,
        "completed_at": None,
        "updated_at": CREATED,
    }
    return Milestone(**(values | changes))


def write(*events: CalendarEvent | None, now: datetime = NOW, language: str = "fr") -> bytes:
    return calendar_file(
        "Réunions, COP Sénégal",
        [event for event in events if event is not None],
        timezone="Africa/Dakar",
        language=language,
        now=now,
    )


def vevents(data: bytes) -> dict[str, Any]:
    """The file's events by UID."""
    calendar = Calendar.from_ical(data)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def test_the_calendar_names_itself_and_its_producer() -> None:
    calendar = Calendar.from_ical(write(meeting_event(MEETING, SLUG)))
    assert str(calendar["prodid"]) == PRODID
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["calscale"]) == "GREGORIAN"
    assert str(calendar["method"]) == "PUBLISH"
    assert calendar.calendar_name == "Réunions, COP Sénégal"
    assert str(calendar["x-wr-timezone"]) == "Africa/Dakar"


def test_every_line_is_folded_and_ends_with_crlf() -> None:
    data = write(meeting_event(MEETING, SLUG), meeting_event(ARABIC_MEETING, SLUG))
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(lines) and b"\r" not in b"".join(lines)
    assert all(len(line) <= 75 for line in lines)
    # Long texts were folded: continuation lines start with a space.
    assert any(line.startswith(b" ") for line in lines)


def test_uids_are_stable_across_writes() -> None:
    first = vevents(write(meeting_event(MEETING, SLUG), action_event(follow_up(), "x", SLUG)))
    later = vevents(
        write(
            meeting_event(MEETING, SLUG),
            action_event(follow_up(), "x", SLUG),
            now=NOW + timedelta(days=3),
        )
    )
    assert (
        set(first)
        == set(later)
        == {
            "meeting-12@cop-senegal.partnerbot",
            "action-40@cop-senegal.partnerbot",
        }
    )
    # DTSTAMP is when the file was written.
    assert later["meeting-12@cop-senegal.partnerbot"].decoded("dtstamp") == NOW + timedelta(days=3)


def test_meetings_are_written_in_utc() -> None:
    event = vevents(write(meeting_event(MEETING, SLUG)))["meeting-12@cop-senegal.partnerbot"]
    # Dakar keeps UTC all year: a meeting at 10:00 there is 10:00Z.
    assert event.decoded("dtstart") == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    assert b"DTSTART:20260304T100000Z" in write(meeting_event(MEETING, SLUG))
    paris = replace(MEETING, held_at=datetime(2026, 3, 4, 10, 0, tzinfo=PARIS))
    event = vevents(write(meeting_event(paris, SLUG, duration=timedelta(minutes=90))))
    assert event["meeting-12@cop-senegal.partnerbot"].decoded("dtstart") == datetime(
        2026, 3, 4, 9, 0, tzinfo=UTC
    )
    assert event["meeting-12@cop-senegal.partnerbot"].decoded("dtend") == datetime(
        2026, 3, 4, 10, 30, tzinfo=UTC
    )


def test_due_dates_are_all_day_events() -> None:
    data = write(action_event(follow_up(), MEETING.title, SLUG), milestone_event(milestone(), SLUG))
    events = vevents(data)
    action = events["action-40@cop-senegal.partnerbot"]
    assert action.decoded("dtstart") == date(2026, 3, 31)
    assert not isinstance(action.decoded("dtstart"), datetime)
    assert action.decoded("dtend") == date(2026, 4, 1)
    assert str(action["transp"]) == "TRANSPARENT"
    assert b"DTSTART;VALUE=DATE:20260331" in data
    assert b"DTEND;VALUE=DATE:20260401" in data
    plan = events["milestone-7@cop-senegal.partnerbot"]
    assert plan.decoded("dtstart") == date(2026, 6, 30)
    assert plan.decoded("dtend") == date(2026, 7, 1)
    assert str(plan["summary"]) == "2.3 Former 40 enquêteurs"
    assert str(plan["description"]) == "Deux sessions; Dakar et Saint-Louis."
    assert action_event(follow_up(due_on=None), MEETING.title, SLUG) is None
    assert milestone_event(milestone(due_on=None), SLUG) is None


def test_texts_are_escaped_and_read_back_unchanged() -> None:
    data = write(meeting_event(MEETING, SLUG, decisions_label="Décisions", category="Pilotage"))
    # Commas, semicolons and line breaks are escaped in the file.
    assert b"Comit\xc3\xa9 de pilotage\\, session 1\\; Dakar" in data
    assert b"Bilan du trimestre.\\n" in data
    event = vevents(data)["meeting-12@cop-senegal.partnerbot"]
    assert str(event["summary"]) == MEETING.title
    assert str(event["location"]) == MEETING.location
    assert str(event["description"]) == (f"{MEETING.summary}\n\nDécisions\n{MEETING.decisions}")
    assert [str(category) for category in event["categories"].cats] == ["Pilotage"]
    assert event["summary"].params["LANGUAGE"] == "fr"


def test_arabic_texts_round_trip() -> None:
    data = write(meeting_event(ARABIC_MEETING, SLUG), language="ar")
    event = vevents(data)["meeting-13@cop-senegal.partnerbot"]
    assert str(event["summary"]) == "لجنة التوجيه، الدورة الأولى"
    assert str(event["location"]) == "نواكشوط"
    assert str(event["description"]) == ARABIC_MEETING.summary
    assert event["description"].params["LANGUAGE"] == "ar"
    # Folding never splits a character's bytes: every line decodes on its own.
    for line in data.split(b"\r\n"):
        line.decode("utf-8")


def test_descriptions_carry_no_participants() -> None:
    event = vevents(write(meeting_event(MEETING, SLUG)))["meeting-12@cop-senegal.partnerbot"]
    description = str(event["description"])
    assert MEETING.summary in description and MEETING.decisions in description
    assert "Aminata" not in description and "أمينة" not in description
    assert [str(category) for category in event["categories"].cats] == ["steering"]


def test_restricted_meetings_are_confidential() -> None:
    events = vevents(write(meeting_event(MEETING, SLUG), meeting_event(ARABIC_MEETING, SLUG)))
    assert str(events["meeting-12@cop-senegal.partnerbot"]["class"]) == "PUBLIC"
    assert str(events["meeting-13@cop-senegal.partnerbot"]["class"]) == "CONFIDENTIAL"


def test_an_updated_meeting_keeps_its_uid_with_a_higher_sequence() -> None:
    before = vevents(write(meeting_event(MEETING, SLUG)))["meeting-12@cop-senegal.partnerbot"]
    edited = replace(
        MEETING,
        title="Comité de pilotage (reporté)",
        held_at=MEETING.held_at + timedelta(days=1),
        updated_at=CREATED + timedelta(minutes=5),
    )
    after = vevents(write(meeting_event(edited, SLUG)))
    assert list(after) == ["meeting-12@cop-senegal.partnerbot"]
    updated = after["meeting-12@cop-senegal.partnerbot"]
    assert updated.decoded("sequence") > before.decoded("sequence") > 0
    assert updated.decoded("last-modified") == CREATED + timedelta(minutes=5)
    assert str(updated["summary"]) == "Comité de pilotage (reporté)"
    assert str(updated["status"]) == "CONFIRMED"
    # Deleting it is one more change: the event is cancelled.
    deleted = replace(edited, deleted_at=CREATED + timedelta(hours=1))
    gone = vevents(write(meeting_event(deleted, SLUG)))["meeting-12@cop-senegal.partnerbot"]
    assert str(gone["status"]) == "CANCELLED"
    assert gone.decoded("sequence") > updated.decoded("sequence")


def test_done_actions_and_milestones_are_marked() -> None:
    done = follow_up(done_at=CREATED + timedelta(days=2), done_by=100)
    open_event = action_event(follow_up(), MEETING.title, SLUG, updated=CREATED)
    done_event = action_event(done, MEETING.title, SLUG, updated=CREATED)
    assert open_event is not None and done_event is not None
    assert done_event.title == "✓ Partager la liste des contacts, par pays"
    assert sequence(done_event.updated) > sequence(open_event.updated)
    assert done_event.description == f"{MEETING.title}\nCarlos"
    reached = milestone_event(milestone(status=MilestoneStatus.DONE), SLUG)
    assert reached is not None and reached.title.startswith("✓ 2.3")
    dropped = vevents(write(milestone_event(milestone(status=MilestoneStatus.CANCELLED), SLUG)))
    assert str(dropped["milestone-7@cop-senegal.partnerbot"]["status"]) == "CANCELLED"


def test_events_without_changes_start_at_sequence_zero() -> None:
    event = CalendarEvent(uid="x@y", title="Jour férié", start=date(2026, 4, 4), end=None)
    read_back = vevents(write(event))["x@y"]
    assert read_back.decoded("sequence") == 0
    assert "last-modified" not in read_back
    assert "description" not in read_back and "location" not in read_back


def test_naive_or_mixed_times_are_refused() -> None:
    naive = CalendarEvent(uid="n@y", title="t", start=datetime(2026, 3, 4, 10), end=None)
    with pytest.raises(ValueError, match="tz-aware"):
        write(naive)
    mixed = CalendarEvent(uid="m@y", title="t", start=NOW, end=date(2026, 3, 11))
    with pytest.raises(ValueError, match="timed end"):
        write(mixed)
