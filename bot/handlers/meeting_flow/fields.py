"""The steps of a meeting's own fields: date, title, kind, participants, location, summary,
decisions, confidentiality and attachments (photos, documents, voice notes, audio, video,
each added as it comes until Done)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from markupsafe import Markup
from telegram import Message

from bot.flows.engine import Choice, Invalid, Step, Turn
from bot.i18n import N_, Translator
from bot.messaging import reply
from bot.views import meetings as views
from bot.views import texts
from bot.views.render import shorten
from domain.meetings import Attachment, AttachmentKind, MeetingKind
from domain.models import MemberInPartnership
from services.meeting_fields import (
    MAX_ATTACHMENT_NAME,
    MAX_ATTACHMENTS,
    REQUIRED,
    Field,
    InvalidMeetingField,
    MeetingDraft,
    Problem,
    check_text,
    parse_participants,
    parse_when,
)

Meeting = Turn[MeetingDraft]
#: The fields whose answer is free text kept as typed (cleaned).
TEXTS = (Field.LOCATION, Field.SUMMARY, Field.DECISIONS)
KEEP_WHEN = N_("Keep this date and time")


async def people(turn: Meeting) -> list[MemberInPartnership]:
    """The members of the draft's partnership: for @usernames, owners and suggestions."""
    return await turn.context.services.meetings.people(int(turn.extra["partnership"]))


def timezone(turn: Meeting) -> str:
    """The partnership's timezone, in which dates are read and shown."""
    return str(turn.extra.get("timezone") or "UTC")


def refused(turn: Meeting, error: InvalidMeetingField) -> Invalid:
    """An answer the field does not take, said in the person's language."""
    return Invalid(views.problem(turn._, error))


def ask_again(turn: Meeting, name: str) -> None:
    """Ask `name` next, before whatever was queued (another file, the menu again)."""
    turn.state["queue"] = [name, *(turn.state.get("queue") or [])]


def never(draft: MeetingDraft) -> bool:
    """For `Step.asked_if`: a step the guided order asks only through another, unnumbered."""
    return False


def always(draft: MeetingDraft) -> bool:
    """For `Step.on_review_if`: a step offered on every review."""
    return True


def buttons_only(_: Translator) -> Markup:
    """/skip at a step answered with its buttons only."""
    return _("Please choose with the buttons above, or send /cancel.")


def with_text(values: MeetingDraft, meeting_field: Field, text: str) -> MeetingDraft:
    """The draft with its title, location, summary or decisions replaced."""
    if meeting_field is Field.TITLE:
        return replace(values, title=text)
    if meeting_field is Field.LOCATION:
        return replace(values, location=text)
    if meeting_field is Field.SUMMARY:
        return replace(values, summary=text)
    return replace(values, decisions=text)


_ATTRIBUTE = {
    Field.TITLE: "title",
    Field.LOCATION: "location",
    Field.SUMMARY: "summary",
    Field.DECISIONS: "decisions",
}


# -- questions and current values ---------------------------------------------------------------


def _question(meeting_field: Field) -> Callable[[Meeting], Awaitable[Markup]]:
    async def question(turn: Meeting) -> Markup:
        return turn._(views.PROMPTS[meeting_field])

    return question


async def _attachments_question(turn: Meeting) -> Markup:
    if turn.extra.pop("attached", False):
        return turn._.plural(
            "Attached: {count} file. Send more, or press Done.",
            "Attached: {count} files. Send more, or press Done.",
            len(turn.draft.attachments),
        )
    return turn._(views.PROMPTS[Field.ATTACHMENTS])


def _current(meeting_field: Field) -> Callable[[Meeting], str | Markup | None]:
    def current(turn: Meeting) -> str | Markup | None:
        _, values = turn._, turn.draft
        if meeting_field is Field.WHEN:
            return views.full_moment(_, values.held_at, timezone(turn)) if values.held_at else None
        return _shown(_, meeting_field, values)

    return current


def _shown(_: Translator, meeting_field: Field, values: MeetingDraft) -> str | Markup | None:
    if meeting_field is Field.KIND:
        return views.kind_name(_, values.kind) if values.kind is not None else None
    if meeting_field is Field.PARTICIPANTS:
        return _.join(p.name for p in values.participants) or None
    if meeting_field is Field.CONFIDENTIALITY:
        return _.text(views.RESTRICTED if values.restricted else views.EVERYONE)
    if meeting_field is Field.ATTACHMENTS:
        count = len(values.attachments)
        return _.plural("{count} file", "{count} files", count) if count else None
    text = getattr(values, _ATTRIBUTE[meeting_field])
    return shorten(text, 300) if text else None


# -- typed answers --------------------------------------------------------------------------------


async def _read_when(turn: Meeting, text: str) -> MeetingDraft:
    """A lenient date, echoed back in full so a misreading shows at once."""
    services = turn.context.services
    try:
        held = parse_when(
            text, language=turn._.language, now=services.clock(), timezone=timezone(turn)
        )
    except InvalidMeetingField as error:
        raise refused(turn, error) from error
    when = views.full_moment(turn._, held, timezone(turn))
    echo = turn._("📅 {when}", when=when)
    if held > services.clock():
        # Meetings are logged once held: a date ahead is most often a slip.
        echo += Markup("\n") + turn._(
            "⚠️ This is in the future: the meeting is logged as held then. If it has not"
            " taken place yet, log it afterwards, or send another date."
        )
    await reply(turn.update, echo)
    return replace(turn.draft, held_at=held)


def _text_reader(meeting_field: Field) -> Callable[[Meeting, str], Awaitable[MeetingDraft]]:
    async def reads(turn: Meeting, text: str) -> MeetingDraft:
        try:
            return with_text(turn.draft, meeting_field, check_text(meeting_field, text))
        except InvalidMeetingField as error:
            raise refused(turn, error) from error

    return reads


async def _read_participants(turn: Meeting, text: str) -> MeetingDraft:
    try:
        return replace(turn.draft, participants=parse_participants(text, await people(turn)))
    except InvalidMeetingField as error:
        raise refused(turn, error) from error


async def _read_attachments_text(turn: Meeting, text: str) -> MeetingDraft:
    raise Invalid(
        turn._(
            "Send a photo, a document or a voice note to attach, or press Done (/skip) to go on."
        )
    )


# -- buttons --------------------------------------------------------------------------------------


async def _kinds(turn: Meeting) -> list[Choice]:
    return [Choice(views.kind_name(turn._, kind), kind.value) for kind in MeetingKind]


async def _kind_chosen(turn: Meeting, value: str) -> MeetingDraft:
    if value not in {kind.value for kind in MeetingKind}:
        raise Invalid(texts.expired(turn._))
    return replace(turn.draft, kind=MeetingKind(value))


async def _confidentiality(turn: Meeting) -> list[Choice]:
    _ = turn._
    mark = ("", "✓ ") if turn.draft.restricted else ("✓ ", "")
    return [
        Choice(mark[0] + _.text(views.EVERYONE), "0"),
        Choice(mark[1] + _.text(views.RESTRICTED), "1"),
    ]


async def _confidentiality_chosen(turn: Meeting, value: str) -> MeetingDraft:
    return replace(turn.draft, restricted=value == "1")


async def _attachment_buttons(turn: Meeting) -> list[Choice]:
    choices = [Choice("✓ " + turn._.text(views.DONE), "done")]
    if turn.draft.attachments:
        choices.append(Choice(turn._.text(views.REMOVE_FILES), "clear"))
    return choices


async def _attachment_pressed(turn: Meeting, value: str) -> MeetingDraft:
    if value == "clear":
        ask_again(turn, Field.ATTACHMENTS.value)
        return replace(turn.draft, attachments=())
    return turn.draft  # Done


async def _take_pin(turn: Meeting, message: Message) -> MeetingDraft | None:
    """A location pin where the place is asked: its coordinates become the place (a name can
    be added from the review); anything else is not this step's."""
    if message.location is None:
        return None
    pin = f"📍 {message.location.latitude:.5f}, {message.location.longitude:.5f}"
    return replace(turn.draft, location=check_text(Field.LOCATION, pin))


async def _take_attachment(turn: Meeting, message: Message) -> MeetingDraft:
    """A photo, document, voice note, audio or video: added; the step asks for more."""
    attachment = attachment_of(message)
    if attachment is None:
        raise Invalid(turn._("Send a photo, a document or a voice note, or press Done."))
    values = turn.draft
    if len(values.attachments) >= MAX_ATTACHMENTS:
        raise Invalid(
            turn._.plural(
                "A meeting holds at most {count} file. Press Done (/skip) to go on.",
                "A meeting holds at most {count} files. Press Done (/skip) to go on.",
                MAX_ATTACHMENTS,
            )
        )
    turn.extra["attached"] = True
    ask_again(turn, Field.ATTACHMENTS.value)
    return replace(values, attachments=(*values.attachments, attachment))


def attachment_of(message: Message) -> Attachment | None:
    """The file a message carries, with its caption or file name (shortened)."""
    caption = (message.caption or "")[:MAX_ATTACHMENT_NAME]
    if message.photo:
        return Attachment(AttachmentKind.PHOTO, message.photo[-1].file_id, caption)
    if message.document:
        name = message.document.file_name or caption
        return Attachment(
            AttachmentKind.DOCUMENT, message.document.file_id, name[:MAX_ATTACHMENT_NAME]
        )
    if message.voice:
        return Attachment(AttachmentKind.VOICE, message.voice.file_id, caption)
    if message.audio:
        name = message.audio.file_name or message.audio.title or caption
        return Attachment(AttachmentKind.AUDIO, message.audio.file_id, name[:MAX_ATTACHMENT_NAME])
    if message.video:
        return Attachment(AttachmentKind.VIDEO, message.video.file_id, caption)
    return None


async def _keep_when(turn: Meeting) -> list[Choice]:
    """The date it has (now, when the flow starts), accepted with one press."""
    if turn.draft.held_at is None:
        return []
    return [Choice("✓ " + turn._.text(KEEP_WHEN), "keep")]


async def _when_kept(turn: Meeting, value: str) -> MeetingDraft:
    return turn.draft


# -- the steps ------------------------------------------------------------------------------------


def field_step(meeting_field: Field) -> Step[MeetingDraft]:
    """The step of one of the meeting's own fields."""
    readers = {
        Field.WHEN: _read_when,
        Field.PARTICIPANTS: _read_participants,
        Field.ATTACHMENTS: _read_attachments_text,
        **{f: _text_reader(f) for f in (Field.TITLE, *TEXTS)},
    }
    choices = {
        Field.WHEN: _keep_when,
        Field.KIND: _kinds,
        Field.CONFIDENTIALITY: _confidentiality,
        Field.ATTACHMENTS: _attachment_buttons,
    }
    chosen = {
        Field.WHEN: _when_kept,
        Field.KIND: _kind_chosen,
        Field.CONFIDENTIALITY: _confidentiality_chosen,
        Field.ATTACHMENTS: _attachment_pressed,
    }
    attachments = meeting_field is Field.ATTACHMENTS
    return Step(
        name=meeting_field.value,
        label=views.FIELD_LABELS[meeting_field],
        question=_attachments_question if attachments else _question(meeting_field),
        current=_current(meeting_field),
        reads=readers.get(meeting_field),
        choices=choices.get(meeting_field),
        chosen=chosen.get(meeting_field),
        takes={Field.ATTACHMENTS: _take_attachment, Field.LOCATION: _take_pin}.get(meeting_field),
        required=meeting_field in REQUIRED,
        required_message=lambda _: views.problem(
            _, InvalidMeetingField(meeting_field, Problem.EMPTY)
        ),
        per_row=1 if meeting_field in choices else 2,
    )
