"""How meetings and follow-up actions read: the card (review and detail), list lines,
prompts of the guided flow, problems with answers, and the owners' reminder."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from markupsafe import Markup, escape

from bot.i18n import FIRST_STRONG_ISOLATE, N_, POP_DIRECTIONAL_ISOLATE, Translator, Verbatim
from bot.views.render import bold, shorten
from bot.views.texts import person_name
from domain.meetings import AttachmentKind, FollowUp, Meeting, MeetingKind
from services.meeting_fields import (
    ActionDraft,
    Field,
    InvalidMeetingField,
    MeetingDraft,
    Problem,
    Suggestion,
)

KIND_NAMES = {
    MeetingKind.STEERING: N_("Steering committee"),
    MeetingKind.BILATERAL: N_("Bilateral meeting"),
    MeetingKind.OPERATIONAL: N_("Joint investigation / operational"),
    MeetingKind.TRAINING: N_("Training or workshop"),
    MeetingKind.OTHER: N_("Other"),
}
FIELD_LABELS = {
    Field.WHEN: N_("Date"),
    Field.TITLE: N_("Title"),
    Field.KIND: N_("Kind"),
    Field.PARTICIPANTS: N_("Participants"),
    Field.LOCATION: N_("Location"),
    Field.SUMMARY: N_("Summary"),
    Field.DECISIONS: N_("Decisions"),
    Field.ACTIONS: N_("Follow-up actions"),
    Field.CONFIDENTIALITY: N_("Confidentiality"),
    Field.ATTACHMENTS: N_("Attachments"),
}
PROMPTS = {
    Field.WHEN: N_(
        "When was the meeting? Send a date and time, e.g. 28/11 10:00, yesterday 15h,"
        " 2026-11-28 or monday."
    ),
    Field.TITLE: N_("What is the meeting's title?"),
    Field.KIND: N_("What kind of meeting was it?"),
    Field.PARTICIPANTS: N_(
        "Who took part? Send names and organisations separated by commas, e.g."
        " Amina (DPAF), Carlos (Guardia Civil), Europol. A member's @username links that"
        " member; for other names that may be members, the summary offers a button to link"
        " them."
    ),
    Field.LOCATION: N_("Where was it held? (a place, a city, or online)"),
    Field.SUMMARY: N_("Send a summary of the discussion."),
    Field.DECISIONS: N_("Which decisions were taken?"),
    Field.CONFIDENTIALITY: N_("Who may read this meeting?"),
    Field.ATTACHMENTS: N_(
        "Send photos, documents or voice notes to attach, one at a time. Press Done when finished."
    ),
}
EVERYONE = N_("The whole partnership")
RESTRICTED = N_("🔒 Coordinators and named participants")
SAVE = N_("Save")
DONE = N_("Done")
NO_MORE_ACTIONS = N_("No more actions")
NOBODY_YET = N_("Nobody yet")
NO_DUE_DATE = N_("No due date")
REMOVE_FILES = N_("Remove the attached files")
LEAVE_OUT = N_("Leave it out")
ACTION_LABEL = N_("Follow-up action")
EDIT = N_("Edit")
OPEN = N_("Open")
LOG = N_("Log a meeting")
DELETE = N_("Delete")
YES_DELETE = N_("Yes, delete")
NO_KEEP = N_("No, keep it")
ADD_ACTION = N_("Add an action")
BACK = N_("Back")
SEARCH = N_("Search")
BY_KIND = N_("Kind")
BY_DATE = N_("Dates")
CLEAR = N_("Clear the filters")
ANY_KIND = N_("Any kind")
FILES = N_("Files ({count})")
MINUTES_WORD = N_("📝 Minutes (Word)")
MINUTES_PDF = N_("📝 Minutes (PDF)")
ADD_TO_CALENDAR = N_("📅 Add to calendar")
MARKED_DONE = N_("✔️ Marked done:")
ALREADY_DONE = N_("✔️ Already marked done:")
ATTACHMENT_ICONS = {
    AttachmentKind.PHOTO: "🖼",
    AttachmentKind.DOCUMENT: "📄",
    AttachmentKind.VOICE: "🎙",
    AttachmentKind.AUDIO: "🎵",
    AttachmentKind.VIDEO: "🎬",
}
#: List lines show this much of a title.
LIST_TITLE = 70


def isolated(_: Translator, value: str) -> Markup:
    """A value people typed, escaped; in right-to-left languages kept in its own direction
    (as `_()` does for the values it fills in)."""
    if _.rtl:
        return Markup(FIRST_STRONG_ISOLATE) + escape(value) + Markup(POP_DIRECTIONAL_ISOLATE)
    return escape(value)


def kind_name(_: Translator, kind: MeetingKind) -> str:
    """A kind of meeting in the reader's language."""
    return _.text(KIND_NAMES[kind])


def full_moment(_: Translator, moment: datetime, timezone: str) -> Markup:
    """A date with its weekday and a time, in the partnership's timezone."""
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    return _(
        "{date}, {time}",
        date=format_date(local, "full", locale=_.locale),
        time=format_time(local, "short", tzinfo=zone, locale=_.locale),
    )


def full_day(_: Translator, day: date) -> str:
    """A day with its weekday, as people of the reader's language write it."""
    return format_date(day, "full", locale=_.locale)


def short_day(_: Translator, moment: datetime | date, timezone: str | None = None) -> str:
    """A short date for lists."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(ZoneInfo(timezone or "UTC")).date()
    return format_date(moment, "medium", locale=_.locale)


def problem(_: Translator, error: InvalidMeetingField) -> Markup:
    """What was wrong with an answer, and what to send instead."""
    due = error.meeting_field == "due"
    match error.kind:
        case Problem.UNREADABLE_DATE if due:
            return _(
                "I could not read that date. Send e.g. 15/12, 2026-12-15, next friday or tomorrow."
            )
        case Problem.UNREADABLE_DATE:
            return _(
                "I could not read that date. Send e.g. 28/11 10:00, yesterday 15h, 2026-11-28"
                " or monday."
            )
        case Problem.TOO_FAR_AHEAD if due:
            return _(
                "That due date is more than five years away. Check the year and send it again."
            )
        case Problem.TOO_FAR_AHEAD:
            return _(
                "That date is more than a year ahead. Meetings are logged once they are held"
                " or about to be: check the year and send it again."
            )
        case Problem.TOO_FAR_BACK if due:
            return _("That due date is more than a year ago. Check the year and send it again.")
        case Problem.TOO_FAR_BACK:
            return _("That date is more than twenty years ago. Check the year and send it again.")
        case Problem.EMPTY if error.meeting_field == Field.TITLE:
            return _("The title cannot be empty. Send a short title for the meeting.")
        case Problem.EMPTY if error.meeting_field == Field.KIND:
            return _("Choose the kind of meeting with the buttons.")
        case Problem.EMPTY if error.meeting_field == Field.WHEN:
            return _("The date of the meeting is missing.")
        case Problem.EMPTY:
            return _("That was empty. Send some text, or /skip.")
        case Problem.TOO_LONG:
            return _(
                "That has {length} characters; at most {limit} fit here. Shorten it and send"
                " it again.",
                length=error.length,
                limit=error.limit,
            )
        case Problem.TOO_MANY if error.meeting_field == Field.ACTIONS:
            return _.plural(
                "A meeting holds at most {count} follow-up action. Put this one in the summary"
                " instead, or leave it out.",
                "A meeting holds at most {count} follow-up actions. Put this one in the summary"
                " instead, or leave it out.",
                error.limit,
            )
        case Problem.TOO_MANY:
            return _(
                "That names {length} people; at most {limit} fit. Name organisations instead"
                " of everyone in them.",
                length=error.length,
                limit=error.limit,
            )
        case Problem.UNKNOWN_KIND:
            return _("I do not know that kind of meeting. Choose one with the buttons.")
        case Problem.UNKNOWN_CONFIDENTIALITY:
            return _("Choose who may read the meeting with the buttons.")
    return _("That did not work. Check what you sent and try again.")


def owner_text(_: Translator, action: ActionDraft | FollowUp) -> Markup:
    """Who an action is for ("not assigned yet" when nobody)."""
    if not action.owner_name:
        return _("not assigned yet")
    mark = Markup(" ✓") if action.owner_id is not None else Markup("")
    return Markup("{name}{mark}").format(
        name=isolated(_, person_name(_, action.owner_name)), mark=mark
    )


def action_line(_: Translator, number: int, action: ActionDraft, today: date | None) -> Markup:
    """One follow-up action of a meeting card."""
    status = Markup("✔️") if action.done else Markup("▫️")
    parts = [
        Markup("{status} {number}. {what}").format(
            status=status, number=number, what=isolated(_, action.what)
        ),
        _("for {owner}", owner=owner_text(_, action)),
    ]
    if action.due_on is not None:
        overdue = today is not None and not action.done and action.due_on < today
        parts.append(
            _("⚠️ overdue since {day}", day=short_day(_, action.due_on))
            if overdue
            else _("due {day}", day=short_day(_, action.due_on))
        )
    return Markup(" — ").join(parts)


def meeting_card(
    _: Translator,
    draft: MeetingDraft,
    timezone: str,
    *,
    today: date | None = None,
    author: str | None = None,
) -> Markup:
    """Everything about a meeting, one field per paragraph (the review and the detail)."""
    label = _field_label
    lines: list[Markup] = [
        Markup("📝 <b>{}</b>").format(isolated(_, draft.title or "…")),
        label(_, Field.WHEN)
        + (full_moment(_, draft.held_at, timezone) if draft.held_at else _("not set")),
        label(_, Field.KIND) + (kind_name(_, draft.kind) if draft.kind else _("not set")),
    ]
    if author:
        lines.append(_("Logged by {name}", name=author))
    lines.append(label(_, Field.CONFIDENTIALITY) + _(RESTRICTED if draft.restricted else EVERYONE))
    if draft.participants:
        people = Markup(", ").join(
            Markup("{name}{org}{mark}").format(
                name=isolated(_, person_name(_, p.name)),
                org=Markup(" ({})").format(isolated(_, p.organisation)) if p.organisation else "",
                mark=Markup(" ✓") if p.member_id is not None else "",
            )
            for p in draft.participants
        )
        lines.append(label(_, Field.PARTICIPANTS) + people)
    if draft.location:
        lines.append(label(_, Field.LOCATION) + isolated(_, draft.location))
    for name, value in ((Field.SUMMARY, draft.summary), (Field.DECISIONS, draft.decisions)):
        if value:
            lines.append(Markup("<b>{}</b>\n{}").format(_.text(FIELD_LABELS[name]), value))
    if draft.actions:
        lines.append(
            Markup("<b>{}</b>\n").format(_.text(FIELD_LABELS[Field.ACTIONS]))
            + Markup("\n").join(
                action_line(_, number, action, today)
                for number, action in enumerate(draft.actions, 1)
            )
        )
    if draft.attachments:
        icons = "".join(ATTACHMENT_ICONS[a.kind] for a in draft.attachments)
        lines.append(
            label(_, Field.ATTACHMENTS)
            + _.plural("{count} file", "{count} files", len(draft.attachments))
            + Markup(" ")
            + icons
        )
    if any(p.member_id is not None for p in draft.participants) or any(
        a.owner_id is not None for a in draft.actions
    ):
        lines.append(Markup("<i>{}</i>").format(_.text(MEMBER_MARK)))
    return Markup("\n\n").join(lines)


MEMBER_MARK = N_("✓ a member of the partnership")
LINK_HINT = N_(
    "🔗 A typed name is linked to a member only when you press its button below. Linked"
    " members are reminded of their actions and may read the meeting even when it is"
    " restricted."
)


def link_label(suggestion: Suggestion) -> str:
    """The button linking a typed name to the member it may be, with the member's handle."""
    member = suggestion.member
    handle = f" @{member.username}" if member.username else ""
    return shorten(f"🔗 {suggestion.typed} → {member.name}{handle}", 60)


def _field_label(_: Translator, meeting_field: Field) -> Markup:
    # Through the translator, for each language's spacing before the colon (French: « : »).
    name = Verbatim(Markup("<b>{}</b>").format(_.text(FIELD_LABELS[meeting_field])))
    return _("{label}: {value}", label=name, value=Verbatim(""))


def list_line(_: Translator, number: int, meeting: Meeting, timezone: str) -> Markup:
    """One meeting of the list: number, date, kind, title, a lock when restricted."""
    return Markup("{number}. {lock}{day} · {kind}\n   {title}").format(
        number=number,
        lock="🔒 " if meeting.restricted else "",
        day=short_day(_, meeting.held_at, timezone),
        kind=kind_name(_, meeting.kind),
        title=Markup("<b>{}</b>").format(isolated(_, shorten(meeting.title, LIST_TITLE))),
    )


def reminder_text(
    _: Translator,
    *,
    what: str,
    due: date,
    due_today: bool,
    title: str,
    held_at: datetime,
    timezone: str,
) -> Markup:
    """The owner's reminder of a follow-up action due tomorrow (or today)."""
    header = (
        _("⏰ A follow-up action of yours is due today, {day}:", day=full_day(_, due))
        if due_today
        else _("⏰ A follow-up action of yours is due tomorrow, {day}:", day=full_day(_, due))
    )
    return (
        header
        + Markup("\n")
        + bold(what)
        + Markup("\n\n")
        + _(
            "From the meeting {title} of {day}. Send /actions to see your actions and mark"
            " this one done.",
            title=bold(title),
            day=short_day(_, held_at, timezone),
        )
    )
