"""The period report and the minutes of a meeting, as documents in the reader's language.

`report_document` and `minutes_document` build the format-neutral outline (model.Document)
that the Word and PDF writers render; `report_workbook` the sheets of the Excel workbook.
Everything here is plain text already translated; nothing is sent from here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.documents.model import (
    Block,
    Bullets,
    CellValue,
    Document,
    Fields,
    Heading,
    Image,
    PageBreak,
    Paragraph,
    Sheet,
    Span,
    Table,
    Workbook,
)
from bot.i18n import N_, Translator
from bot.views import challenges as challenge_views
from bot.views import meetings as meeting_views
from bot.views import milestones as milestone_views
from bot.views.render import country_name, format_moment, period_text
from bot.views.texts import person_name
from domain.challenges import Category, ChallengeEvent, EventKind, Severity
from domain.meetings import AttachmentKind, Meeting, MeetingKind, Participant
from domain.models import Partnership
from services.reports import ReportData

RESTRICTED = N_("RESTRICTED")
PAGE_LABEL = N_("page {page} / {pages}")
PERSONAL_DATA_REMINDER = N_(
    "Reminder: no personal data on suspects or migrants belongs in this document. Operational"
    " intelligence goes through official channels, such as Europol's SIENA."
)
ATTACHMENT_KINDS = {
    AttachmentKind.PHOTO: N_("Photo"),
    AttachmentKind.DOCUMENT: N_("Document"),
    AttachmentKind.VOICE: N_("Voice message"),
    AttachmentKind.AUDIO: N_("Audio"),
    AttachmentKind.VIDEO: N_("Video"),
}
#: Open actions listed in a report at the most (the workbook holds them all).
LISTED_ACTIONS = 200


def _t(_: Translator, message: str, **values: object) -> str:
    """A message as plain text (documents are not HTML), its placeholders filled."""
    return _.text(message).format(**values) if values else _.text(message)


def _day(value: date, _: Translator) -> str:
    return milestone_views.day(value, _.language)


def _moment(value: datetime, partnership: Partnership, _: Translator) -> str:
    return format_moment(value, partnership.timezone, _.language)


def _local(value: datetime, partnership: Partnership) -> datetime:
    """A moment as the partnership's clock shows it, without a time zone (for spreadsheets)."""
    return value.astimezone(ZoneInfo(partnership.timezone)).replace(tzinfo=None)


def _lines(text: str) -> list[str]:
    """The lines of a free text that say something (a decision per line)."""
    return [line.strip(" -•*\t") for line in text.splitlines() if line.strip(" -•*\t")]


def file_name(data: ReportData, extension: str) -> str:
    """`<partnership>-report-<from>-<to>[-restricted].<ext>`."""
    marking = "-restricted" if data.restricted else ""
    period = f"{data.period.start.isoformat()}-{data.period.end.isoformat()}"
    return f"{data.partnership.slug}-report-{period}{marking}.{extension}"


# -- the period report --------------------------------------------------------------------------


def report_document(
    data: ReportData,
    _: Translator,
    *,
    chart_png: bytes | None = None,
    map_png: bytes | None = None,
) -> Document:
    """The period report: cover, summary in numbers, meetings with their decisions, open
    actions, challenges with their history, the plan's progress, the map, and an annex of what
    was left out for confidentiality."""
    period = _period_text(data, _)
    body: list[Block] = [
        *_summary(data, _),
        PageBreak(),
        *_meetings(data, _),
        *_open_actions(data, _),
        PageBreak(),
        *_challenges(data, _),
        PageBreak(),
        *_plan(data, _, chart_png),
    ]
    if map_png is not None:
        caption = _t(_, N_("Challenges of the period with a location, by severity."))
        body += [
            Heading(_t(_, N_("Map of the challenges")), 1),
            Image(map_png, caption, width=0.85),
        ]
    body += _annex(data, _)
    return Document(
        title=_t(_, N_("Activity report")),
        language=_.language,
        rtl=_.rtl,
        cover=_cover(data, _, period),
        body=tuple(body),
        footer=f"{data.partnership.name} · {period}",
        marking=_t(_, RESTRICTED) if data.restricted else None,
        created=data.made_at,
        page_label=_.text(PAGE_LABEL),
    )


def _period_text(data: ReportData, _: Translator) -> str:
    return period_text(data.period.start, data.period.end, _.language)


def _cover(data: ReportData, _: Translator, period: str) -> tuple[Block, ...]:
    classification = (
        _t(
            _,
            N_(
                "Restricted: it includes restricted meetings and challenges. Share it only"
                " with people entitled to see them."
            ),
        )
        if data.restricted
        else _t(_, N_("Not restricted: no restricted meeting or challenge is included."))
    )
    fields = [
        (_t(_, N_("Partnership")), data.partnership.name),
        (_t(_, N_("Period")), period),
        (_t(_, N_("Prepared on")), _moment(data.made_at, data.partnership, _)),
        (_t(_, N_("Prepared by")), data.requester),
        (_t(_, N_("Classification")), classification),
    ]
    if data.plan is not None:
        fields.insert(1, (_t(_, N_("Action plan")), data.plan.title(_.language)))
    return (
        Fields(tuple(fields)),
        Paragraph.of(_t(_, PERSONAL_DATA_REMINDER), "warning"),
    )


def _summary(data: ReportData, _: Translator) -> list[Block]:
    kinds = Counter(m.kind for m in data.meetings)
    decisions = sum(len(_lines(m.decisions)) for m in data.meetings)
    rows: list[tuple[str, str]] = [(_t(_, N_("Meetings held")), str(len(data.meetings)))]
    rows += [
        ("   " + meeting_views.kind_name(_, kind), str(kinds[kind]))
        for kind in MeetingKind
        if kinds[kind]
    ]
    rows += [
        (_t(_, N_("Decisions recorded")), str(decisions)),
        (_t(_, N_("Follow-up actions agreed")), str(data.actions_opened)),
        (_t(_, N_("… of which done")), str(data.actions_done)),
        (_t(_, N_("Follow-up actions open today")), str(len(data.open_actions))),
        (_t(_, N_("… of which overdue")), str(data.overdue_actions)),
        (_t(_, N_("Challenges flagged")), str(len(data.challenges))),
    ]
    tally = data.overall
    rows += [
        (_t(_, N_("Milestones done")), str(tally.done)),
        (_t(_, N_("Milestones in progress")), str(tally.in_progress)),
        (_t(_, N_("Milestones overdue")), str(tally.overdue)),
    ]
    blocks: list[Block] = [
        Heading(_t(_, N_("Summary in numbers")), 1),
        Table(
            (_t(_, N_("Item")), _t(_, N_("Count"))),
            tuple(rows),
            (4, 1),
            (False, True),
        ),
    ]
    by_category = Counter((r.challenge.category, r.challenge.severity) for r in data.challenges)
    categories = [c for c in Category if any(by_category[c, s] for s in Severity)]
    severities = [challenge_views.severity_name(_, s) for s in Severity]
    blocks += [
        Heading(_t(_, N_("Challenges by category and severity")), 2),
        Table(
            (_t(_, N_("Category")), *severities, _t(_, N_("Total"))),
            tuple(
                (
                    challenge_views.category_name(_, category),
                    *(str(by_category[category, s]) for s in Severity),
                    str(sum(by_category[category, s] for s in Severity)),
                )
                for category in categories
            ),
            (3.6, 1.2, 1.4, 1.2, 1.3, 1.1),
            (False, True, True, True, True, True),
            empty=_t(_, N_("No challenge was flagged in this period.")),
        ),
    ]
    return blocks


def _meetings(data: ReportData, _: Translator) -> list[Block]:
    blocks: list[Block] = [Heading(_t(_, N_("Meetings")), 1)]
    if not data.meetings:
        return [*blocks, Paragraph.of(_t(_, N_("No meetings in this period.")))]
    for meeting in data.meetings:
        blocks += _meeting_blocks(meeting, data.partnership, _, level=2)
    return blocks


def _meeting_blocks(
    meeting: Meeting, partnership: Partnership, _: Translator, *, level: int
) -> list[Block]:
    when = _moment(meeting.held_at, partnership, _)
    heading = f"{when} — {meeting.title}"
    fields = [(_t(_, N_("Kind")), meeting_views.kind_name(_, meeting.kind))]
    if meeting.location:
        fields.append((_t(_, N_("Place")), meeting.location))
    if meeting.participants:
        fields.append((_t(_, N_("Participants")), _participants(meeting, _)))
    if meeting.restricted:
        fields.append((_t(_, N_("Confidentiality")), _t(_, RESTRICTED)))
    blocks: list[Block] = [Heading(heading, 2 if level == 2 else 1), Fields(tuple(fields))]
    if meeting.summary:
        blocks.append(Paragraph.of(meeting.summary))
    decisions = _lines(meeting.decisions)
    if decisions:
        blocks += [Paragraph((Span(_t(_, N_("Decisions")), bold=True),)), Bullets(tuple(decisions))]
    if meeting.actions:
        blocks.append(_actions_table(meeting, _))
    return blocks


def _actions_table(meeting: Meeting, _: Translator, empty: str = "") -> Table:
    """A meeting's follow-up actions: what, who, when, done or open."""
    return Table(
        (_t(_, N_("Action")), _t(_, N_("Owner")), _t(_, N_("Due")), _t(_, N_("Status"))),
        tuple(
            (
                action.what,
                person_name(_, action.owner_name),
                _day(action.due_on, _) if action.due_on else "",
                _t(_, N_("done")) if action.done else _t(_, N_("open")),
            )
            for action in meeting.actions
        ),
        (5, 2, 1.5, 1),
        empty=empty,
    )


def _participants(meeting: Meeting, _: Translator) -> str:
    return _.join(_participant(p, _) for p in meeting.participants)


def _participant(participant: Participant, _: Translator) -> str:
    name = person_name(_, participant.name)
    return f"{name} ({participant.organisation})" if participant.organisation else name


def _open_actions(data: ReportData, _: Translator) -> list[Block]:
    listed = data.open_actions[:LISTED_ACTIONS]
    rows = tuple(
        (
            record.action.what,
            person_name(_, record.action.owner_name),
            _day(record.action.due_on, _) if record.action.due_on else "",
            record.meeting.title,
            _t(_, N_("overdue")) if record.overdue else _t(_, N_("open")),
        )
        for record in listed
    )
    blocks: list[Block] = [
        Heading(_t(_, N_("Open and overdue follow-up actions")), 1),
        Table(
            (
                _t(_, N_("Action")),
                _t(_, N_("Owner")),
                _t(_, N_("Due")),
                _t(_, N_("Meeting")),
                _t(_, N_("Status")),
            ),
            rows,
            (4, 2, 1.5, 3, 1.2),
            empty=_t(_, N_("No follow-up action is open.")),
        ),
    ]
    hidden = len(data.open_actions) - len(listed)
    if hidden > 0:
        blocks.append(
            Paragraph.of(
                _.plural(
                    "… and {count} more: the workbook (XLSX) lists them all.",
                    "… and {count} more: the workbook (XLSX) lists them all.",
                    hidden,
                ).unescape(),
                "note",
            )
        )
    return blocks


def _challenges(data: ReportData, _: Translator) -> list[Block]:
    blocks: list[Block] = [Heading(_t(_, N_("Challenges")), 1)]
    if not data.challenges:
        return [*blocks, Paragraph.of(_t(_, N_("No challenge was flagged in this period.")))]
    partnership = data.partnership
    for record in data.challenges:
        challenge = record.challenge
        fields = [
            (_t(_, N_("Category")), challenge_views.category_name(_, challenge.category)),
            (_t(_, N_("Severity")), challenge_views.severity_name(_, challenge.severity)),
            (_t(_, N_("Status")), challenge_views.status_name(_, challenge.status)),
            (
                _t(_, N_("Flagged")),
                _t(
                    _,
                    N_("{when} by {name}"),
                    when=_moment(challenge.created_at, partnership, _),
                    name=person_name(_, record.reporter) or "—",
                ),
            ),
        ]
        if challenge.place:
            fields.append((_t(_, N_("Place")), challenge.place))
        if challenge.latitude is not None and challenge.longitude is not None:
            where = challenge_views.coordinates_text(challenge.latitude, challenge.longitude)
            fields.append((_t(_, N_("Location")), where))
        if challenge.route:
            fields.append((_t(_, N_("Route")), challenge.route))
        if challenge.restricted:
            fields.append((_t(_, N_("Confidentiality")), _t(_, RESTRICTED)))
        blocks += [Heading(f"#{challenge.id} — {challenge.title}", 2), Fields(tuple(fields))]
        if challenge.description:
            blocks.append(Paragraph.of(challenge.description))
        history = [_event_line(event, partnership, _) for event in record.events]
        if history:
            blocks += [Paragraph((Span(_t(_, N_("History")), bold=True),)), Bullets(tuple(history))]
    return blocks


def _event_line(event: ChallengeEvent, partnership: Partnership, _: Translator) -> str:
    when, what = _moment(event.at, partnership, _), _step(event, _)
    who = person_name(_, event.actor_name)
    line = f"{when} — {what} ({who})" if who else f"{when} — {what}"
    return f"{line}: {event.note}" if event.note else line


def _plan(data: ReportData, _: Translator, chart_png: bytes | None) -> list[Block]:
    blocks: list[Block] = [Heading(_t(_, N_("Action plan progress")), 1)]
    if data.plan is not None:
        blocks.append(Paragraph.of(data.plan.title(_.language)))
    if chart_png:
        caption = _t(_, N_("Progress by pillar, and planned versus done."))
        # The chart is drawn tall, for phones: narrower, it fits under the heading.
        blocks.append(Image(chart_png, caption, width=0.6))
    blocks.append(
        Table(
            (
                _t(_, N_("Pillar")),
                _t(_, N_("Done")),
                _t(_, N_("In progress")),
                _t(_, N_("Planned")),
                _t(_, N_("Overdue")),
                _t(_, N_("Progress")),
            ),
            tuple(
                (
                    milestone_views.pillar_name(record.pillar, _.language),
                    str(record.tally.done),
                    str(record.tally.in_progress),
                    str(record.tally.planned),
                    str(record.tally.overdue),
                    f"{record.tally.progress} %",
                )
                for record in data.pillars
            ),
            (4, 1.3, 1.6, 1.4, 1.4, 1.5),
            (False, True, True, True, True, True),
            empty=_t(_, N_("The partnership has no action plan yet.")),
        )
    )
    overdue = [m for r in data.pillars for m in r.milestones if m.overdue(data.today)]
    if overdue:
        blocks += [
            Heading(_t(_, N_("Overdue milestones")), 2),
            Table(
                (_t(_, N_("Milestone")), _t(_, N_("Owner")), _t(_, N_("Due"))),
                tuple(
                    (f"{m.code} {m.title}", m.owner or "", _day(m.due_on, _) if m.due_on else "")
                    for m in overdue
                ),
                (6, 2, 1.5),
            ),
        ]
    updates = data.milestone_updates
    blocks += [
        Heading(_t(_, N_("Milestone updates in the period")), 2),
        Table(
            (
                _t(_, N_("Date")),
                _t(_, N_("Milestone")),
                _t(_, N_("Status")),
                _t(_, N_("Progress")),
                _t(_, N_("Note")),
            ),
            tuple(
                (
                    _day(update.at.astimezone(ZoneInfo(data.partnership.timezone)).date(), _),
                    milestone.code,
                    milestone_views.status_name(_, update.status),
                    f"{update.progress} %",
                    update.note,
                )
                for milestone, update in updates
            ),
            (1.7, 1.5, 1.6, 1.5, 4.2),
            (False, False, False, True, False),
            empty=_t(_, N_("No milestone was updated in this period.")),
        ),
    ]
    return blocks


def _annex(data: ReportData, _: Translator) -> list[Block]:
    if not (data.left_out_meetings or data.left_out_challenges):
        text = _t(_, N_("Nothing was left out for confidentiality."))
    else:
        text = " ".join(
            [
                _.plural(
                    "{count} restricted meeting of the period is left out.",
                    "{count} restricted meetings of the period are left out.",
                    data.left_out_meetings,
                ).unescape(),
                _.plural(
                    "{count} restricted challenge of the period is left out.",
                    "{count} restricted challenges of the period are left out.",
                    data.left_out_challenges,
                ).unescape(),
                _t(
                    _,
                    N_("A coordinator or admin may include them in a restricted report."),
                ),
            ]
        )
    return [
        PageBreak(),
        Heading(_t(_, N_("Annex: left out for confidentiality")), 1),
        Paragraph.of(text),
    ]


# -- the minutes of one meeting -----------------------------------------------------------------


def minutes_document(meeting: Meeting, partnership: Partnership, _: Translator) -> Document:
    """The minutes of a meeting: title, date, place, participants, summary, decisions, the
    actions table and the attachments listed."""
    when = _moment(meeting.held_at, partnership, _)
    fields = [
        (_t(_, N_("Partnership")), partnership.name),
        (_t(_, N_("Meeting")), meeting.title),
        (_t(_, N_("Date")), when),
        (_t(_, N_("Kind")), meeting_views.kind_name(_, meeting.kind)),
    ]
    if meeting.location:
        fields.append((_t(_, N_("Place")), meeting.location))
    body: list[Block] = [Heading(_t(_, N_("Participants")), 1)]
    body.append(
        Bullets(tuple(_participant(p, _) for p in meeting.participants))
        if meeting.participants
        else Paragraph.of(_t(_, N_("No participant was recorded.")))
    )
    body += [
        Heading(_t(_, N_("Summary")), 1),
        Paragraph.of(meeting.summary or _t(_, N_("No summary was recorded."))),
        Heading(_t(_, N_("Decisions")), 1),
    ]
    decisions = _lines(meeting.decisions)
    body.append(
        Bullets(tuple(decisions))
        if decisions
        else Paragraph.of(_t(_, N_("No decision was recorded.")))
    )
    body += [
        Heading(_t(_, N_("Follow-up actions")), 1),
        _actions_table(meeting, _, empty=_t(_, N_("No follow-up action was agreed."))),
    ]
    if meeting.attachments:
        body += [
            Heading(_t(_, N_("Attachments")), 1),
            Bullets(tuple(a.name or _t(_, ATTACHMENT_KINDS[a.kind]) for a in meeting.attachments)),
        ]
    return Document(
        title=_t(_, N_("Minutes")),
        language=_.language,
        rtl=_.rtl,
        cover=(Fields(tuple(fields)), Paragraph.of(_t(_, PERSONAL_DATA_REMINDER), "note")),
        body=tuple(body),
        footer=f"{partnership.name} · {meeting.title} · {when}",
        marking=_t(_, RESTRICTED) if meeting.restricted else None,
        created=meeting.updated_at,
        page_label=_.text(PAGE_LABEL),
    )


def minutes_file_name(meeting: Meeting, partnership: Partnership, extension: str) -> str:
    """`<partnership>-minutes-<day>-<meeting number>.<ext>`."""
    day = meeting.held_at.astimezone(ZoneInfo(partnership.timezone)).date().isoformat()
    return f"{partnership.slug}-minutes-{day}-{meeting.id}.{extension}"


# -- the workbook -------------------------------------------------------------------------------


def report_workbook(data: ReportData, _: Translator) -> Workbook:
    """A sheet per kind: meetings, decisions, actions, challenges and their history,
    milestones and their updates, and the contacts for coordinators and admins."""
    partnership = data.partnership

    def local(value: datetime | None) -> datetime | None:
        return None if value is None else _local(value, partnership)

    yes, no = _t(_, N_("yes")), _t(_, N_("no"))
    sheets = [
        _sheet(
            _,
            N_("Meetings"),
            (
                N_("Date"),
                N_("Title"),
                N_("Kind"),
                N_("Place"),
                N_("Restricted"),
                N_("Participants"),
                N_("Summary"),
                N_("Decisions"),
            ),
            (
                (
                    local(m.held_at),
                    m.title,
                    meeting_views.kind_name(_, m.kind),
                    m.location,
                    yes if m.restricted else no,
                    _participants(m, _),
                    m.summary,
                    m.decisions,
                )
                for m in data.meetings
            ),
        ),
        _sheet(
            _,
            N_("Decisions"),
            (N_("Date"), N_("Meeting"), N_("Decision")),
            (
                (local(m.held_at), m.title, line)
                for m in data.meetings
                for line in _lines(m.decisions)
            ),
        ),
        _sheet(
            _,
            N_("Actions"),
            (
                N_("Meeting date"),
                N_("Meeting"),
                N_("Action"),
                N_("Owner"),
                N_("Due"),
                N_("Done on"),
                N_("Status"),
            ),
            _action_rows(data, _, local),
        ),
        _sheet(
            _,
            N_("Challenges"),
            (
                N_("No."),
                N_("Flagged on"),
                N_("Category"),
                N_("Severity"),
                N_("Status"),
                N_("Title"),
                N_("Description"),
                N_("Place"),
                N_("Latitude"),
                N_("Longitude"),
                N_("Route"),
                N_("Observed on"),
                N_("Restricted"),
                N_("Flagged by"),
            ),
            (
                (
                    r.challenge.id,
                    local(r.challenge.created_at),
                    challenge_views.category_name(_, r.challenge.category),
                    challenge_views.severity_name(_, r.challenge.severity),
                    challenge_views.status_name(_, r.challenge.status),
                    r.challenge.title,
                    r.challenge.description,
                    r.challenge.place,
                    r.challenge.latitude,
                    r.challenge.longitude,
                    r.challenge.route,
                    local(r.challenge.observed_at),
                    yes if r.challenge.restricted else no,
                    r.reporter,
                )
                for r in data.challenges
            ),
        ),
        _sheet(
            _,
            N_("Challenge history"),
            (N_("No."), N_("Date"), N_("Step"), N_("By"), N_("Note")),
            (
                (r.challenge.id, local(e.at), _step(e, _), person_name(_, e.actor_name), e.note)
                for r in data.challenges
                for e in r.events
            ),
        ),
        _sheet(
            _,
            N_("Milestones"),
            (
                N_("Code"),
                N_("Pillar"),
                N_("Title"),
                N_("Owner"),
                N_("Due"),
                N_("Status"),
                N_("Progress (%)"),
                N_("Done on"),
                N_("Overdue"),
            ),
            (
                (
                    m.code,
                    milestone_views.pillar_name(r.pillar, _.language),
                    m.title,
                    m.owner,
                    m.due_on,
                    milestone_views.status_name(_, m.status),
                    m.progress,
                    local(m.completed_at),
                    yes if m.overdue(data.today) else no,
                )
                for r in data.pillars
                for m in r.milestones
            ),
        ),
        _sheet(
            _,
            N_("Milestone updates"),
            (N_("Date"), N_("Code"), N_("Status"), N_("Progress (%)"), N_("Note"), N_("By")),
            (
                (
                    local(u.at),
                    m.code,
                    milestone_views.status_name(_, u.status),
                    u.progress,
                    u.note,
                    person_name(_, u.author_name),
                )
                for m, u in data.milestone_updates
            ),
        ),
    ]
    if data.contacts is not None:
        sheets.append(
            _sheet(
                _,
                N_("Contacts"),
                (
                    N_("Name"),
                    N_("Organisation"),
                    N_("Country"),
                    N_("Role"),
                    N_("Phone"),
                    N_("E-mail"),
                    N_("Telegram"),
                    N_("Languages"),
                    N_("Expertise"),
                ),
                (
                    (
                        c.name,
                        c.organisation,
                        country_name(c.country, _.language) if c.country else "",
                        c.role,
                        c.phone,
                        c.email,
                        f"@{c.telegram}" if c.telegram else "",
                        ", ".join(c.languages),
                        "; ".join(c.expertise),
                    )
                    for c in data.contacts
                ),
            )
        )
    return Workbook(
        sheets=tuple(sheets),
        language=_.language,
        rtl=_.rtl,
        title=f"{_t(_, N_('Activity report'))} — {partnership.name} — {_period_text(data, _)}",
        marking=_t(_, RESTRICTED) if data.restricted else None,
        created=data.made_at,
    )


def _sheet(
    _: Translator,
    title: str,
    header: Sequence[str],
    rows: Iterable[tuple[CellValue, ...]],
) -> Sheet:
    return Sheet(_.text(title), tuple(_.text(h) for h in header), tuple(rows))


def _action_rows(
    data: ReportData, _: Translator, local: Callable[[datetime | None], datetime | None]
) -> Iterable[tuple[CellValue, ...]]:
    for meeting in data.meetings:
        for action in meeting.actions:
            overdue = not action.done and action.due_on is not None and action.due_on < data.today
            status = N_("done") if action.done else N_("overdue") if overdue else N_("open")
            yield (
                local(meeting.held_at),
                meeting.title,
                action.what,
                person_name(_, action.owner_name),
                action.due_on,
                local(action.done_at),
                _.text(status),
            )


def _step(event: ChallengeEvent, _: Translator) -> str:
    if event.kind is EventKind.EDIT:
        return _t(_, N_("changed: {fields}"), fields=challenge_views.changes_text(_, event))
    if event.kind is EventKind.REOPEN:
        return _t(_, N_("reopened: {status}"), status=challenge_views.status_name(_, event.status))
    return challenge_views.status_name(_, event.status)
