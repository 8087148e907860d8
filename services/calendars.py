"""Calendar files (iCalendar, RFC 5545) of a partnership's meetings, follow-up actions and
milestones, for people to import into Outlook, Google Calendar or a phone.

How it is used: turn what is to be shown into events with `meeting_event`, `action_event`
(all-day on the action's due date) and `milestone_event` (all-day on the milestone's due
date); the last two give None for what has no due date. Then `calendar_file` writes them as
one .ics file, named and labelled in the reader's language, which the bot sends as a document:

    events = [meeting_event(meeting, slug) for meeting in meetings]
    events += filter(None, (action_event(action, meeting.title, slug) for action in actions))
    data = calendar_file(name, events, timezone=partnership.timezone, language=language)

Each event's UID is derived from what it shows ("meeting-12@cop-senegal.partnerbot"), so the
same meeting always has the same UID and importing a newer file updates the event instead of
adding a second one; its SEQUENCE grows with its last change, which calendar programs need to
accept the update. A file holds what the caller chose to put in it: leave restricted meetings
out for people who may not read them (their events are marked CLASS:CONFIDENTIAL, which
calendar programs show as private, but that is a label, not a protection).

Times are written in UTC (meetings are stored in UTC): calendar programs show them in their
own time zone, and X-WR-TIMEZONE names the partnership's for those that show a calendar in
the zone it was published in. Texts are escaped, lines folded and ended as the RFC says by
the `icalendar` library.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from domain.meetings import FollowUp, Meeting
from domain.milestones import Milestone, MilestoneStatus

# icalendar (some 8 MB and 50 ms) is imported when a calendar is written, not at start.
if TYPE_CHECKING:
    from icalendar import Event

PRODID = "-//Partnerbot//Partnerbot//EN"
#: The domain that ends every UID, after the partnership's slug.
UID_DOMAIN = "partnerbot"
#: Put before the title of a done action or a reached milestone (the same in every language).
DONE_MARK = "✓ "
# SEQUENCE counts seconds from here to an event's last change: it grows with every change
# (times are stored to the second) and stays a 32-bit integer until 2088.
_SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class CalendarEvent:
    """One event of a calendar file, as plain values.

    `start` is a tz-aware datetime (a meeting) or a date (an all-day event such as a due
    date); `end` is of the same kind or None (an all-day event then lasts its one day; a timed
    one has no end). `updated` becomes LAST-MODIFIED and decides SEQUENCE, so a re-imported
    file updates the event. `restricted` events are CLASS:CONFIDENTIAL, others PUBLIC;
    `cancelled` ones STATUS:CANCELLED, which removes them from calendars that had them."""

    uid: str
    title: str
    start: datetime | date
    end: datetime | date | None
    description: str = ""
    location: str = ""
    categories: tuple[str, ...] = ()
    updated: datetime | None = None
    restricted: bool = False
    cancelled: bool = False


def calendar_file(
    name: str,
    events: Sequence[CalendarEvent],
    *,
    timezone: str,
    language: str,
    now: datetime | None = None,
) -> bytes:
    """The events as the bytes of an .ics file called `name` (its X-WR-CALNAME).

    `timezone` is the partnership's IANA zone (X-WR-TIMEZONE); `language` the code of the
    language the texts are in (each text's LANGUAGE). `now` is when the file is written
    (each event's DTSTAMP), the current time when not given. Raises ValueError for a naive
    datetime or an event whose start and end are not of the same kind."""
    from icalendar import Calendar, vText

    stamp = _utc(now, "now") if now is not None else datetime.now(UTC)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # Sets NAME (RFC 7986) and X-WR-CALNAME, which Outlook and Google read.
    calendar.calendar_name = _text(name)
    calendar.add("x-wr-timezone", vText(timezone))
    for event in events:
        calendar.add_component(_vevent(event, stamp, language))
    data: bytes = calendar.to_ical()
    return data


def meeting_event(
    meeting: Meeting,
    partnership_slug: str,
    *,
    duration: timedelta = timedelta(hours=2),
    decisions_label: str = "",
    category: str = "",
) -> CalendarEvent:
    """A meeting as a timed event of `duration` from its start.

    The description is the meeting's summary, then its decisions after a blank line,
    introduced by `decisions_label` when one is given (the word in the reader's language);
    participants are not listed. `category` is the kind of meeting in the reader's language,
    its code ("steering") when not given. A deleted meeting is a cancelled event."""
    decisions = meeting.decisions.strip()
    if decisions and decisions_label:
        decisions = f"{decisions_label}\n{decisions}"
    description = "\n\n".join(part for part in (meeting.summary.strip(), decisions) if part)
    start = meeting.held_at.astimezone(UTC)
    updated = meeting.updated_at
    if meeting.deleted_at is not None:
        updated = max(updated, meeting.deleted_at)
    return CalendarEvent(
        uid=_uid("meeting", meeting.id, partnership_slug),
        title=meeting.title,
        start=start,
        end=start + duration,
        description=description,
        location=meeting.location,
        categories=(category or meeting.kind.value,),
        updated=updated,
        restricted=meeting.restricted,
        cancelled=meeting.deleted_at is not None,
    )


def action_event(
    action: FollowUp,
    meeting_title: str,
    partnership_slug: str,
    *,
    updated: datetime | None = None,
) -> CalendarEvent | None:
    """A follow-up action as an all-day event on its due date, None without one.

    The title is what is to be done (marked ✓ once done); the description names the meeting
    it comes from and who owns it. Actions change with their meeting: `updated` is the
    meeting's last change, and the action's completion counts too when later."""
    if action.due_on is None:
        return None
    changes = [moment for moment in (updated, action.done_at) if moment is not None]
    description = "\n".join(part for part in (meeting_title, action.owner_name) if part)
    return CalendarEvent(
        uid=_uid("action", action.id, partnership_slug),
        title=(DONE_MARK if action.done else "") + action.what,
        start=action.due_on,
        end=None,
        description=description,
        updated=max(changes) if changes else None,
    )


def milestone_event(milestone: Milestone, partnership_slug: str) -> CalendarEvent | None:
    """A milestone as an all-day event on its due date, None without one: its code and
    title (marked ✓ once done), its description; a cancelled milestone is a cancelled
    event."""
    if milestone.due_on is None:
        return None
    title = f"{milestone.code} {milestone.title}" if milestone.code else milestone.title
    done = milestone.status is MilestoneStatus.DONE
    return CalendarEvent(
        uid=_uid("milestone", milestone.id, partnership_slug),
        title=(DONE_MARK if done else "") + title,
        start=milestone.due_on,
        end=None,
        description=milestone.description,
        updated=milestone.updated_at,
        cancelled=milestone.status is MilestoneStatus.CANCELLED,
    )


def sequence(updated: datetime | None) -> int:
    """The SEQUENCE of an event last changed at `updated`: larger for a later change, 0 for
    an event that never changed."""
    if updated is None:
        return 0
    return max(0, int((_utc(updated, "updated") - _SEQUENCE_EPOCH).total_seconds()))


def _uid(kind: str, identifier: int, partnership_slug: str) -> str:
    return f"{kind}-{identifier}@{partnership_slug}.{UID_DOMAIN}"


def _vevent(event: CalendarEvent, stamp: datetime, language: str) -> Event:
    from icalendar import Event

    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", stamp)
    start, end = _span(event)
    vevent.add("dtstart", start)
    if end is not None:
        vevent.add("dtend", end)
    texts = {"summary": event.title, "description": event.description, "location": event.location}
    for name, value in texts.items():
        if value.strip() or name == "summary":
            vevent.add(name, _text(value), parameters={"LANGUAGE": language})
    categories = [_text(category) for category in event.categories if category.strip()]
    if categories:
        vevent.add("categories", categories)
    if event.updated is not None:
        vevent.add("last-modified", _utc(event.updated, "updated"))
    vevent.add("sequence", sequence(event.updated))
    vevent.add("class", "CONFIDENTIAL" if event.restricted else "PUBLIC")
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    # A due date is a reminder, not time taken: it leaves the day free in schedulers.
    vevent.add("transp", "OPAQUE" if isinstance(start, datetime) else "TRANSPARENT")
    return vevent


def _span(event: CalendarEvent) -> tuple[datetime | date, datetime | date | None]:
    """DTSTART and DTEND: timed events in UTC; all-day ones end (exclusively) the next day
    or later."""
    if isinstance(event.start, datetime):
        start = _utc(event.start, "start")
        if event.end is None:
            return start, None
        if not isinstance(event.end, datetime):
            raise ValueError(f"event {event.uid}: a timed start needs a timed end")
        return start, max(start, _utc(event.end, "end"))
    if isinstance(event.end, datetime):
        raise ValueError(f"event {event.uid}: an all-day start needs an all-day end")
    next_day = event.start + timedelta(days=1)
    return event.start, next_day if event.end is None else max(next_day, event.end)


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a tz-aware datetime, not {moment.isoformat()}")
    return moment.astimezone(UTC)


def _text(value: str) -> str:
    # Line breaks are written as \n escapes: a carriage return would survive as a stray
    # character in some calendar programs.
    return value.replace("\r\n", "\n").replace("\r", "\n")
