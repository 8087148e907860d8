"""Calendar files (services/calendars.py) with their words in the reader's language."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import N_, Translator
from bot.views import meetings as meeting_views
from domain.meetings import Meeting
from domain.models import Partnership
from services.calendars import (
    CalendarEvent,
    action_event,
    calendar_file,
    meeting_event,
    milestone_event,
)
from services.reports import CalendarItems

CALENDAR_NAME = N_("{partnership} (Partnerbot)")
DECISIONS = N_("Decisions:")


def _meeting(meeting: Meeting, partnership: Partnership, _: Translator) -> CalendarEvent:
    return meeting_event(
        meeting,
        partnership.slug,
        decisions_label=_.text(DECISIONS),
        category=meeting_views.kind_name(_, meeting.kind),
    )


def calendar_bytes(items: CalendarItems, _: Translator, now: datetime) -> tuple[bytes, str]:
    """The items as an .ics file, and the file's name."""
    partnership = items.partnership
    events = [_meeting(meeting, partnership, _) for meeting in items.meetings]
    for action, meeting in items.actions:
        event = action_event(action, meeting.title, partnership.slug, updated=meeting.updated_at)
        if event is not None:
            events.append(event)
    events += [
        event
        for event in (milestone_event(m, partnership.slug) for m in items.milestones)
        if event is not None
    ]
    name = _.text(CALENDAR_NAME).format(partnership=partnership.name)
    content = calendar_file(
        name, events, timezone=partnership.timezone, language=_.language, now=now
    )
    return content, f"{partnership.slug}-calendar.ics"


def meeting_calendar_bytes(
    meeting: Meeting, partnership: Partnership, _: Translator, now: datetime
) -> tuple[bytes, str]:
    """One meeting as an .ics file (its event has the same identifier as in /calendar's
    file, so either updates the other), and the file's name."""
    name = _.text(CALENDAR_NAME).format(partnership=partnership.name)
    content = calendar_file(
        name,
        [_meeting(meeting, partnership, _)],
        timezone=partnership.timezone,
        language=_.language,
        now=now,
    )
    return content, f"{partnership.slug}-meeting-{meeting.id}.ics"
