"""What a meeting is made of as people type it: the draft, each field's checks and limits,
names matched to members, and the one-message form (`/meeting` followed by lines).

Nothing here touches the database: the service (services/meetings.py) stores what these
functions accept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from domain.meetings import (
    ActionValues,
    Attachment,
    AttachmentKind,
    MeetingKind,
    MeetingValues,
    Participant,
)
from domain.models import MemberInPartnership
from services.dates import Prefer, parse_moment
from services.errors import InvalidInput
from services.text import clean, fold, one_line

MAX_TITLE = 200
MAX_LOCATION = 200
MAX_SUMMARY = 3000
MAX_DECISIONS = 2000
MAX_PARTICIPANTS = 30
MAX_PERSON = 120
MAX_ACTIONS = 15
MAX_WHAT = 300
MAX_OWNER = 100
MAX_ATTACHMENTS = 20
MAX_ATTACHMENT_NAME = 200
#: Meetings are logged afterwards or planned a little ahead; beyond these it is a typo.
MEETING_AHEAD = timedelta(days=366)
MEETING_BEHIND = timedelta(days=20 * 366)
DUE_AHEAD = timedelta(days=5 * 366)
DUE_BEHIND = timedelta(days=366)


class Field(StrEnum):
    """The fields of a meeting, in the order the guided flow asks for them."""

    WHEN = "when"
    TITLE = "title"
    KIND = "kind"
    PARTICIPANTS = "participants"
    LOCATION = "location"
    SUMMARY = "summary"
    DECISIONS = "decisions"
    ACTIONS = "actions"
    CONFIDENTIALITY = "confidentiality"
    ATTACHMENTS = "attachments"


REQUIRED = frozenset({Field.WHEN, Field.TITLE, Field.KIND})
TEXT_LIMITS = {
    Field.TITLE: MAX_TITLE,
    Field.LOCATION: MAX_LOCATION,
    Field.SUMMARY: MAX_SUMMARY,
    Field.DECISIONS: MAX_DECISIONS,
}


class Problem(StrEnum):
    """Why an answer was not accepted."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    TOO_MANY = "too_many"
    UNREADABLE_DATE = "unreadable_date"
    TOO_FAR_AHEAD = "too_far_ahead"
    TOO_FAR_BACK = "too_far_back"
    UNKNOWN_KIND = "unknown_kind"
    UNKNOWN_CONFIDENTIALITY = "unknown_confidentiality"
    UNPLACED = "unplaced"


class InvalidMeetingField(InvalidInput):
    """An answer for one field of a meeting that cannot be kept, and why."""

    def __init__(
        self, meeting_field: Field | str, problem: Problem, *, length: int = 0, limit: int = 0
    ) -> None:
        super().__init__(str(meeting_field), problem.value)
        self.meeting_field = str(meeting_field)
        self.kind = problem
        self.length = length
        self.limit = limit


@dataclass(frozen=True, slots=True)
class ActionDraft:
    """A follow-up action being written; `id` and `done` come from a stored action."""

    what: str
    owner_id: int | None = None
    owner_name: str = ""
    due_on: date | None = None
    id: int | None = None
    done: bool = False

    def as_json(self) -> dict[str, Any]:
        """For the persisted draft."""
        return {
            "what": self.what,
            "owner_id": self.owner_id,
            "owner_name": self.owner_name,
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "id": self.id,
            "done": self.done,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ActionDraft:
        """Back from the persisted draft."""
        due = data.get("due_on")
        return cls(
            what=str(data.get("what", "")),
            owner_id=data.get("owner_id"),
            owner_name=str(data.get("owner_name", "")),
            due_on=date.fromisoformat(due) if due else None,
            id=data.get("id"),
            done=bool(data.get("done")),
        )


@dataclass(frozen=True, slots=True)
class MeetingDraft:
    """A meeting as entered so far; every field may still be missing."""

    held_at: datetime | None = None
    title: str = ""
    kind: MeetingKind | None = None
    participants: tuple[Participant, ...] = ()
    location: str = ""
    summary: str = ""
    decisions: str = ""
    actions: tuple[ActionDraft, ...] = ()
    restricted: bool = False
    attachments: tuple[Attachment, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        """For the persisted draft (plain JSON types only)."""
        return {
            "held_at": self.held_at.isoformat() if self.held_at else None,
            "title": self.title,
            "kind": self.kind.value if self.kind else None,
            "participants": [[p.name, p.organisation, p.member_id] for p in self.participants],
            "location": self.location,
            "summary": self.summary,
            "decisions": self.decisions,
            "actions": [a.as_json() for a in self.actions],
            "restricted": self.restricted,
            "attachments": [[a.kind.value, a.file_id, a.name] for a in self.attachments],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MeetingDraft:
        """Back from the persisted draft."""
        held = data.get("held_at")
        kind = data.get("kind")
        return cls(
            held_at=datetime.fromisoformat(held) if held else None,
            title=str(data.get("title", "")),
            kind=MeetingKind(kind) if kind else None,
            participants=tuple(
                Participant(str(n), str(o), m) for n, o, m in data.get("participants", [])
            ),
            location=str(data.get("location", "")),
            summary=str(data.get("summary", "")),
            decisions=str(data.get("decisions", "")),
            actions=tuple(ActionDraft.from_json(a) for a in data.get("actions", [])),
            restricted=bool(data.get("restricted")),
            attachments=tuple(
                Attachment(AttachmentKind(k), str(f), str(n))
                for k, f, n in data.get("attachments", [])
            ),
        )

    def missing(self) -> list[Field]:
        """Required fields without a value, in the flow's order."""
        found = []
        if self.held_at is None:
            found.append(Field.WHEN)
        if not self.title:
            found.append(Field.TITLE)
        if self.kind is None:
            found.append(Field.KIND)
        return found

    def values(self) -> MeetingValues:
        """What is stored; InvalidMeetingField for the first required field missing."""
        for missing in self.missing():
            raise InvalidMeetingField(missing, Problem.EMPTY)
        assert self.held_at is not None and self.kind is not None
        return MeetingValues(
            held_at=self.held_at,
            title=check_text(Field.TITLE, self.title),
            kind=self.kind,
            location=check_text(Field.LOCATION, self.location),
            summary=check_text(Field.SUMMARY, self.summary),
            decisions=check_text(Field.DECISIONS, self.decisions),
            restricted=self.restricted,
            participants=self.participants[:MAX_PARTICIPANTS],
            actions=tuple(
                ActionValues(a.what, a.owner_id, a.owner_name, a.due_on, a.id)
                for a in self.actions[:MAX_ACTIONS]
            ),
            attachments=tuple(
                replace(a, name=one_line(a.name)[:MAX_ATTACHMENT_NAME])
                for a in self.attachments[:MAX_ATTACHMENTS]
            ),
        )

    def with_action(self, index: int, action: ActionDraft) -> MeetingDraft:
        """The draft with action `index` replaced (or appended at the end)."""
        actions = list(self.actions)
        if 0 <= index < len(actions):
            actions[index] = action
        else:
            actions.append(action)
        return replace(self, actions=tuple(actions))


# -- text -------------------------------------------------------------------------------------


def paragraphs(text: str) -> str:
    """Cleaned text (services.text): lines stripped, at most one empty line in a row, none at
    either end."""
    lines = [line.strip() for line in clean(text).strip().splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip()


def check_text(meeting_field: Field | str, text: str, limit: int | None = None) -> str:
    """A text field cleaned; InvalidMeetingField if it is too long (or an empty title)."""
    name = Field(meeting_field) if meeting_field in {f.value for f in Field} else None
    multiline = name in (Field.SUMMARY, Field.DECISIONS)
    cleaned = paragraphs(text) if multiline else one_line(text)
    most = limit if limit is not None else TEXT_LIMITS.get(name or Field.TITLE, MAX_TITLE)
    if len(cleaned) > most:
        raise InvalidMeetingField(meeting_field, Problem.TOO_LONG, length=len(cleaned), limit=most)
    if name is Field.TITLE and not cleaned:
        raise InvalidMeetingField(Field.TITLE, Problem.EMPTY)
    return cleaned


# -- dates ------------------------------------------------------------------------------------


def parse_when(text: str, *, language: str, now: datetime, timezone: str) -> datetime:
    """When a meeting was held (or will be, up to a year ahead), in UTC."""
    try:
        moment = parse_moment(
            text, language=language, now=now, timezone=timezone, prefer=Prefer.PAST
        )
    except InvalidInput as error:
        raise InvalidMeetingField(Field.WHEN, Problem.UNREADABLE_DATE) from error
    if moment > now + MEETING_AHEAD:
        raise InvalidMeetingField(Field.WHEN, Problem.TOO_FAR_AHEAD)
    if moment < now - MEETING_BEHIND:
        raise InvalidMeetingField(Field.WHEN, Problem.TOO_FAR_BACK)
    return moment


def parse_due(text: str, *, language: str, now: datetime, timezone: str) -> date:
    """A follow-up action's due day, in the partnership's calendar."""
    try:
        moment = parse_moment(
            text, language=language, now=now, timezone=timezone, prefer=Prefer.FUTURE
        )
    except InvalidInput as error:
        raise InvalidMeetingField("due", Problem.UNREADABLE_DATE) from error
    if moment > now + DUE_AHEAD:
        raise InvalidMeetingField("due", Problem.TOO_FAR_AHEAD)
    if moment < now - DUE_BEHIND:
        raise InvalidMeetingField("due", Problem.TOO_FAR_BACK)
    return moment.astimezone(ZoneInfo(timezone)).date()


def local_today(now: datetime, timezone: str) -> date:
    """Today in a timezone."""
    return now.astimezone(ZoneInfo(timezone)).date()


# -- people -----------------------------------------------------------------------------------


def find_member(text: str, members: Sequence[MemberInPartnership]) -> MemberInPartnership | None:
    """The member an `@username` names, as Telegram knows them right now; None for any
    other text. A name is a claim anyone can make in Telegram: it links nobody by itself
    (see `suggested_member`)."""
    wanted = fold(text.strip())
    if not wanted.startswith("@"):
        return None
    handle = wanted[1:]
    return next((m for m in members if m.username and fold(m.username) == handle), None)


def suggested_member(
    text: str, members: Sequence[MemberInPartnership]
) -> MemberInPartnership | None:
    """The member a typed name may mean: the full name, or a first name only one member
    has (case and accents ignored). Only a suggestion, which the author confirms."""
    wanted = fold(text.strip())
    if not wanted or wanted.startswith("@"):
        return None
    exact = [m for m in members if fold(m.name) == wanted]
    if len(exact) == 1:
        return exact[0]
    if exact:
        return None
    first = [m for m in members if fold(m.name).split(" ")[:1] == [wanted]]
    return first[0] if len(first) == 1 else None


_ORGANISATION = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<org>[^()]*)\)$")
_DASHED = re.compile(r"^(?P<name>.+?)\s+[-–—/]\s+(?P<org>.+)$")


def parse_participants(
    text: str, members: Sequence[MemberInPartnership]
) -> tuple[Participant, ...]:
    """People and organisations separated by commas, semicolons or lines; each may be
    `Name (Organisation)` or `Name - Organisation`. An `@username` is the member it names;
    other names stay as typed until the author links them (`link_participant`)."""
    # Arabic writes its own comma (،) and semicolon (؛), as contact lists accept.
    items = [one_line(item) for item in re.split(r"[,;\n،؛]", text)]
    items = [item for item in items if item]
    if not items:
        raise InvalidMeetingField(Field.PARTICIPANTS, Problem.EMPTY)
    if len(items) > MAX_PARTICIPANTS:
        raise InvalidMeetingField(
            Field.PARTICIPANTS, Problem.TOO_MANY, length=len(items), limit=MAX_PARTICIPANTS
        )
    people = []
    for item in items:
        if len(item) > MAX_PERSON:
            raise InvalidMeetingField(
                Field.PARTICIPANTS, Problem.TOO_LONG, length=len(item), limit=MAX_PERSON
            )
        match = _ORGANISATION.match(item) or _DASHED.match(item)
        name, organisation = (match["name"].strip(), match["org"].strip()) if match else (item, "")
        member = find_member(name, members)
        if member is not None:
            people.append(
                Participant(
                    member.name, organisation or member.organisation or "", member.member_id
                )
            )
        else:
            people.append(Participant(name or organisation, organisation if name else ""))
    return tuple(people)


def parse_owner(text: str, members: Sequence[MemberInPartnership]) -> tuple[int | None, str]:
    """Who an action is for: (member id, name) for an `@username` of a member, (None, text)
    otherwise."""
    cleaned = one_line(text)
    if not cleaned:
        raise InvalidMeetingField("owner", Problem.EMPTY)
    if len(cleaned) > MAX_OWNER:
        raise InvalidMeetingField("owner", Problem.TOO_LONG, length=len(cleaned), limit=MAX_OWNER)
    member = find_member(cleaned, members)
    return (member.member_id, member.name) if member else (None, cleaned)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A typed name that may be a member: linked only if the author says so.

    `target` is `p<n>` for the n-th participant, `a<n>` for the owner of the n-th action."""

    target: str
    typed: str
    member: MemberInPartnership


def link_suggestions(
    draft: MeetingDraft, members: Sequence[MemberInPartnership]
) -> list[Suggestion]:
    """Participants and action owners typed as names that may be members."""
    linked = {p.member_id for p in draft.participants if p.member_id is not None}
    found: list[Suggestion] = []
    for index, participant in enumerate(draft.participants):
        member = None if participant.member_id else suggested_member(participant.name, members)
        if member is not None and member.member_id not in linked:
            found.append(Suggestion(f"p{index}", participant.name, member))
    for index, action in enumerate(draft.actions):
        member = None if action.owner_id else suggested_member(action.owner_name, members)
        if member is not None:
            found.append(Suggestion(f"a{index}", action.owner_name, member))
    return found


def link(draft: MeetingDraft, suggestion: Suggestion) -> MeetingDraft:
    """The draft with a suggestion the author confirmed: the name becomes the member."""
    member = suggestion.member
    index = int(suggestion.target[1:])
    if suggestion.target.startswith("p"):
        people = list(draft.participants)
        organisation = people[index].organisation or member.organisation or ""
        people[index] = Participant(member.name, organisation, member.member_id)
        return replace(draft, participants=tuple(people))
    action = draft.actions[index]
    return draft.with_action(
        index, replace(action, owner_id=member.member_id, owner_name=member.name)
    )


def check_what(text: str) -> str:
    """What a follow-up action is."""
    cleaned = one_line(text)
    if not cleaned:
        raise InvalidMeetingField("what", Problem.EMPTY)
    if len(cleaned) > MAX_WHAT:
        raise InvalidMeetingField("what", Problem.TOO_LONG, length=len(cleaned), limit=MAX_WHAT)
    return cleaned


# -- words people type for kinds, confidentiality and form keys, in the five languages -----

_KIND_WORDS: dict[MeetingKind, tuple[str, ...]] = {
    MeetingKind.STEERING: (
        "steering", "steering committee", "copil", "comite de pilotage", "pilotage",
        "comite directivo", "comite de direccion", "comite de seguimiento", "comite diretor",
        "comite de direcao", "لجنة توجيهية", "لجنة التوجيه",
    ),
    MeetingKind.BILATERAL: ("bilateral", "bilaterale", "ثنائي", "ثنائية"),
    MeetingKind.OPERATIONAL: (
        "operational", "joint investigation", "investigation", "operation", "operationnel",
        "operationnelle", "enquete conjointe", "enquete", "operativo", "operativa",
        "operacional", "investigacion conjunta", "investigacao conjunta", "عملياتي", "تحقيق مشترك",
    ),
    MeetingKind.TRAINING: (
        "training", "workshop", "seminar", "formation", "atelier", "seminaire", "formacion",
        "taller", "seminario", "formacao", "oficina", "capacitacion", "تدريب", "ورشة", "ورشة عمل",
    ),
    MeetingKind.OTHER: ("other", "autre", "otro", "otra", "outro", "outra", "أخرى", "آخر"),
}  # fmt: skip
_RESTRICTED_WORDS = (
    "restricted", "confidential", "restreint", "restreinte", "confidentiel", "confidentielle",
    "restringido", "restringida", "confidencial", "restrito", "restrita", "مقيد", "سري",
)  # fmt: skip
_OPEN_WORDS = (
    "partnership", "partnership-wide", "all", "everyone", "open", "public", "partenariat",
    "tous", "ouvert", "todos", "asociacion", "abierto", "parceria", "aberto", "الجميع", "عام",
    "الشراكة",
)  # fmt: skip
_KEYS: dict[Field, tuple[str, ...]] = {
    Field.WHEN: ("when", "date", "quand", "cuando", "fecha", "quando", "data", "متى", "التاريخ"),
    Field.TITLE: ("title", "titre", "titulo", "العنوان"),
    Field.KIND: ("kind", "type", "tipo", "النوع"),
    Field.PARTICIPANTS: (
        "participants", "attendees", "with", "present", "presents", "avec", "participantes",
        "asistentes", "con", "presentes", "com", "المشاركون", "الحضور",
    ),
    Field.LOCATION: ("location", "where", "place", "venue", "lieu", "ou", "lugar", "donde",
                     "local", "onde", "المكان"),
    Field.SUMMARY: ("summary", "notes", "resume", "resumen", "resumo", "notas", "الملخص"),
    Field.DECISIONS: ("decisions", "decided", "decision", "decisiones", "decisoes", "القرارات"),
    Field.ACTIONS: (
        "action", "actions", "todo", "follow-up", "followup", "suivi", "accion", "acciones",
        "acao", "acoes", "seguimiento", "إجراء", "متابعة",
    ),
    Field.CONFIDENTIALITY: (
        "confidentiality", "visibility", "confidentialite", "visibilite", "confidencialidad",
        "confidencialidade", "السرية",
    ),
}  # fmt: skip
_KEY_OF = {word: Field(name) for name, words in _KEYS.items() for word in words}
_KEYED_LINE = re.compile(r"^\s*(?P<key>[^:：]{1,30}?)\s*[:：]\s*(?P<value>.*)$")


def parse_kind(text: str) -> MeetingKind:
    """A meeting kind from its code or a word for it in any shipped language."""
    wanted = fold(text).strip(" .!")
    for kind, words in _KIND_WORDS.items():
        if wanted == kind.value or wanted in {fold(w) for w in words}:
            return kind
    raise InvalidMeetingField(Field.KIND, Problem.UNKNOWN_KIND)


def parse_restricted(text: str) -> bool:
    """True for a restricted meeting, False for a partnership-wide one."""
    wanted = fold(text).strip(" .!")
    if wanted in {fold(w) for w in _RESTRICTED_WORDS}:
        return True
    if wanted in {fold(w) for w in _OPEN_WORDS}:
        return False
    raise InvalidMeetingField(Field.CONFIDENTIALITY, Problem.UNKNOWN_CONFIDENTIALITY)


# -- the one-message form ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormResult:
    """What a one-message form gave: the draft, the fields to ask about (with why), and the
    lines that fit no field (never dropped: the person places or drops each)."""

    draft: MeetingDraft
    ask: list[tuple[str, InvalidMeetingField | None]]
    unplaced: list[str]


def parse_form(
    text: str,
    *,
    language: str,
    now: datetime,
    timezone: str,
    members: Sequence[MemberInPartnership],
) -> FormResult:
    """Read `Title` / `when: ...` / `summary: ...` / `action: what; who; due` lines.

    A line without a known key is the title when none was given, continues the summary or
    the decisions right above it, and is otherwise kept aside as unplaced. Anything that
    cannot be read is asked for afterwards; a missing date means now.
    """
    text = clean(text)  # lines that fit no field are shown back as they are
    draft = MeetingDraft()
    ask: list[tuple[str, InvalidMeetingField | None]] = []
    unplaced: list[str] = []
    continuing: Field | None = None
    values: dict[Field, list[str]] = {}
    actions: list[ActionDraft] = []
    due_asks: list[tuple[str, InvalidMeetingField | None]] = []

    for number, raw in enumerate(text.splitlines()):
        line = raw.strip()
        if not line:
            continuing = None
            continue
        keyed = _KEYED_LINE.match(line)
        meeting_field = _KEY_OF.get(fold(keyed["key"])) if keyed else None
        if keyed is None or meeting_field is None:
            if continuing in (Field.SUMMARY, Field.DECISIONS):
                values[continuing].append(line)
            # The first line is the title even with a colon in it; later, only a line
            # that does not look like an unknown "key: value".
            elif Field.TITLE not in values and (number == 0 or keyed is None):
                values[Field.TITLE] = [line]
            else:
                unplaced.append(line)
            continue
        assert keyed is not None
        value = keyed["value"].strip()
        continuing = meeting_field
        if meeting_field is Field.ACTIONS:
            action, problem = _form_action(value, language, now, timezone, members)
            if action is None:
                unplaced.append(line)
            else:
                actions.append(action)
                if problem is not None:
                    due_asks.append((f"due:{len(actions) - 1}", problem))
            continue
        values.setdefault(meeting_field, []).append(value)

    draft = replace(draft, held_at=now)
    for meeting_field, parts in values.items():
        joined = "\n".join(p for p in parts if p)
        try:
            draft = _with_form_value(draft, meeting_field, joined, language, now, timezone, members)
        except InvalidMeetingField as problem:
            ask.append((meeting_field.value, problem))
    draft = replace(draft, actions=tuple(actions[:MAX_ACTIONS]))
    for missing in draft.missing():
        if missing.value not in {name for name, _ in ask}:
            ask.append((missing.value, None))
    order = list(Field)
    ask.sort(key=lambda item: order.index(Field(item[0])))
    return FormResult(draft, ask + due_asks, unplaced)


def _with_form_value(
    draft: MeetingDraft,
    meeting_field: Field,
    value: str,
    language: str,
    now: datetime,
    timezone: str,
    members: Sequence[MemberInPartnership],
) -> MeetingDraft:
    if meeting_field is Field.WHEN:
        return replace(
            draft, held_at=parse_when(value, language=language, now=now, timezone=timezone)
        )
    if meeting_field is Field.KIND:
        return replace(draft, kind=parse_kind(value))
    if meeting_field is Field.PARTICIPANTS:
        return replace(draft, participants=parse_participants(value, members))
    if meeting_field is Field.CONFIDENTIALITY:
        return replace(draft, restricted=parse_restricted(value))
    if meeting_field is Field.TITLE:
        return replace(draft, title=check_text(Field.TITLE, value))
    cleaned = check_text(meeting_field, value)
    if meeting_field is Field.LOCATION:
        return replace(draft, location=cleaned)
    if meeting_field is Field.SUMMARY:
        return replace(draft, summary=cleaned)
    return replace(draft, decisions=cleaned)


def _form_action(
    value: str,
    language: str,
    now: datetime,
    timezone: str,
    members: Sequence[MemberInPartnership],
) -> tuple[ActionDraft | None, InvalidMeetingField | None]:
    """`what; who; due` (who and due optional). None when even `what` is unusable."""
    parts = [part.strip() for part in value.split(";")]
    try:
        what = check_what(parts[0])
    except InvalidMeetingField:
        return None, None
    action = ActionDraft(what)
    if len(parts) > 1 and parts[1]:
        try:
            owner_id, owner_name = parse_owner(parts[1], members)
            action = replace(action, owner_id=owner_id, owner_name=owner_name)
        except InvalidMeetingField:
            return None, None
    if len(parts) > 2 and parts[2]:
        try:
            due = parse_due("; ".join(parts[2:]), language=language, now=now, timezone=timezone)
        except InvalidMeetingField as problem:
            return action, problem
        action = replace(action, due_on=due)
    return action, None


# -- date ranges of the meeting list ----------------------------------------------------------

_RANGE_SEPARATOR = re.compile(
    r"\s+(?:-|–|—|to|until|au|a|à|al|ate|até|hasta|إلى)\s+|\s*(?:–|—|\.\.)\s*", re.IGNORECASE
)
_SINCE = ("since", "from", "after", "depuis", "du", "a partir du", "desde", "de", "منذ", "من")
_UNTIL = ("until", "till", "before", "to", "jusqu'au", "jusqu'a", "avant", "hasta", "antes de",
          "ate", "até", "حتى", "قبل")  # fmt: skip


def parse_range(
    text: str, *, language: str, now: datetime, timezone: str
) -> tuple[date | None, date | None]:
    """Days from and to, in the partnership's calendar: `1/11 - 30/11`, `since 1/11`,
    `until 30/11`, or one day (`30/11`)."""
    cleaned = one_line(text)

    def day(part: str) -> date:
        try:
            moment = parse_moment(
                part, language=language, now=now, timezone=timezone, prefer=Prefer.PAST
            )
        except InvalidInput as error:
            raise InvalidMeetingField("range", Problem.UNREADABLE_DATE) from error
        return moment.astimezone(ZoneInfo(timezone)).date()

    parts = [p for p in _RANGE_SEPARATOR.split(cleaned, maxsplit=1) if p.strip()]
    if len(parts) == 2:
        first, last = day(_without(parts[0], _SINCE)), day(parts[1])
        return (first, last) if first <= last else (last, first)
    folded = fold(cleaned)
    for words, since in ((_SINCE, True), (_UNTIL, False)):
        for word in sorted(words, key=len, reverse=True):
            if folded.startswith(fold(word) + " "):
                found = day(cleaned[len(word) :].strip())
                return (found, None) if since else (None, found)
    single = day(cleaned)
    return single, single


def _without(text: str, words: Sequence[str]) -> str:
    """`text` without one of the leading words."""
    folded = fold(text)
    for word in sorted(words, key=len, reverse=True):
        if folded.startswith(fold(word) + " "):
            return text[len(word) :].strip()
    return text
