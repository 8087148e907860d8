"""The data of every inline button: one small class per family of buttons.

A family has a fixed prefix and typed fields. `pack()` writes a button's callback data
(`prefix:value:value`), `pattern()` is what the family's handler in bot/handlers/__init__.py
matches, and `parse()` and `of()` read a pressed button's data back into typed values. Values
are strict: data whose values a family does not accept (a word that is no role, a token of
the wrong length) does not match, and goes to the stale-button answer.

The data is the button's whole state, in the format the bot has always written: the
buttons of alerts sent long ago keep working, and nothing depends on a cache a restart
would lose. Telegram takes 1 to 64 bytes of callback data; `pack()` refuses more.
"""

from __future__ import annotations

import dataclasses
import re
import types
from collections.abc import Callable, Iterable
from enum import Enum
from typing import (
    Any,
    ClassVar,
    Literal,
    NewType,
    Self,
    Union,
    dataclass_transform,
    get_args,
    get_origin,
    get_type_hints,
)

from telegram import Update

from domain.challenges import Category, Severity, Status
from domain.meetings import MeetingKind
from domain.models import Role
from services.audit import AuditFamily
from services.contacts import ExportFormat
from services.digests import Frequency
from services.retention import Rule as RetentionRuleName

CALLBACK_LIMIT = 64

#: The key of a list kept for its buttons (a search, a meeting list's filters): 8 hex.
ListKey = NewType("ListKey", str)
#: The token of a meeting draft: its buttons say which draft they belong to. 4 hex.
DraftToken = NewType("DraftToken", str)
#: An invite's reference, from which its code cannot be recovered: 12 hex.
InviteRef = NewType("InviteRef", str)
#: A short fingerprint of a value the button showed (a name, a declared organisation): 8 hex.
ValueDigest = NewType("ValueDigest", str)
#: A free value of a flow's button (a step, a choice, an action), which the flow reads.
Word = NewType("Word", str)
#: The name of a guided flow (bot/flows): its buttons say which flow they belong to.
FlowName = NewType("FlowName", str)
#: A language code: the service refuses the ones not shipped.
LanguageCode = NewType("LanguageCode", str)
#: A day of the week, 0 = Monday.
Weekday = NewType("Weekday", int)
#: An hour of the day.
Hour = NewType("Hour", int)

_NEW_TYPES: dict[object, str] = {
    ListKey: "[0-9a-f]{8}",
    DraftToken: "[0-9a-f]{4}",
    InviteRef: "[0-9a-f]{12}",
    ValueDigest: "[0-9a-f]{8}",
    Word: "[a-z0-9_-]+",
    FlowName: "[a-z_]+",
    LanguageCode: "[a-z]{2}",
    Weekday: "[0-6]",
    Hour: r"\d{1,2}",
}


@dataclasses.dataclass(frozen=True)
class _Codec:
    """How one field reads: its regex, and the value of text that matches it."""

    regex: str
    read: Callable[[str], object]


def _codec(hint: Any, where: str) -> _Codec:
    if hint is bool:
        return _Codec("[01]", lambda text: text == "1")
    if hint is int:
        return _Codec(r"\d+", int)
    if isinstance(hint, NewType) and hint in _NEW_TYPES:
        read: Callable[[str], object] = int if hint.__supertype__ is int else str
        return _Codec(_NEW_TYPES[hint], read)
    if isinstance(hint, type) and issubclass(hint, Enum):
        values = {str(member.value): member for member in hint}
        return _Codec(_alternation(values), values.__getitem__)
    if get_origin(hint) is Literal:
        choices = {str(value): value for value in get_args(hint)}
        return _Codec(_alternation(choices), choices.__getitem__)
    if get_origin(hint) in (Union, types.UnionType):
        return _union(get_args(hint), where)
    raise TypeError(f"{where}: {hint!r} cannot be callback data")


def _union(hints: Iterable[Any], where: str) -> _Codec:
    """A field that takes any of the hints' values; the first that reads one is used."""
    arms = [_codec(hint, where) for hint in hints]
    if len(arms) == 1:
        return arms[0]
    return _Codec("|".join(f"(?:{arm.regex})" for arm in arms), _first_of(arms))


def _alternation(values: Iterable[str]) -> str:
    return "|".join(re.escape(value) for value in values)


def _first_of(arms: list[_Codec]) -> Callable[[str], object]:
    def read(text: str) -> object:
        arm = next(arm for arm in arms if re.fullmatch(arm.regex, text))
        return arm.read(text)

    return read


def _text(value: object) -> str:
    """A field's value as it is written in callback data."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


#: Every family, in the order they were declared.
FAMILIES: list[type[CallbackData]] = []


@dataclass_transform(frozen_default=True)
class CallbackData:
    """A family of buttons: subclass it with `prefix=` and typed fields.

    Fields may be `int`, `bool` (written 1/0), a `StrEnum`, a `Literal`, one of the token
    types above, or a union of these; `X | None = None` only for trailing fields, which are
    written all together or not at all (`mt:o:5` and `mt:o:5:0badcafe:2`).
    """

    prefix: ClassVar[str]
    #: Answers in the presser's own private chat, by the presser's own rights, and leaves
    #: the pressed message as it is: anyone in a group may press it (the gate asks).
    answers_in_private: ClassVar[bool] = False
    #: On messages that arrive on their own (alerts): works in the middle of any flow.
    arrives_alone: ClassVar[bool] = False
    _codecs: ClassVar[dict[str, _Codec]]
    _optional: ClassVar[frozenset[str]]
    _pattern: ClassVar[re.Pattern[str]]

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not re.fullmatch(r"[a-z]+(:[a-z]+)*", prefix):
            raise TypeError(f"{cls.__name__}: prefix {prefix!r} is not lower-case words")
        cls.prefix = prefix
        dataclasses.dataclass(frozen=True)(cls)
        hints = get_type_hints(cls)
        cls._codecs, optional = {}, []
        for field in dataclasses.fields(cls):  # type: ignore[arg-type]
            where = f"{cls.__name__}.{field.name}"
            hint = hints[field.name]
            if type(None) in get_args(hint):
                if field.default is not None:
                    raise TypeError(f"{where}: an optional field defaults to None")
                arms = [arm for arm in get_args(hint) if arm is not type(None)]
                cls._codecs[field.name] = _union(arms, where)
                optional.append(field.name)
                continue
            if optional:
                raise TypeError(f"{where}: only trailing fields may be optional")
            cls._codecs[field.name] = _codec(hint, where)
        cls._optional = frozenset(optional)
        groups = {name: f":(?P<{name}>{codec.regex})" for name, codec in cls._codecs.items()}
        required = "".join(groups[name] for name in cls._codecs if name not in optional)
        trailing = "".join(groups[name] for name in optional)
        body = re.escape(prefix) + required + (f"(?:{trailing})?" if trailing else "")
        cls._pattern = re.compile(rf"^{body}\Z")
        FAMILIES.append(cls)

    def pack(self) -> str:
        """The callback data of this button; refuses values the family would not read."""
        values = [getattr(self, name) for name in self._codecs]
        data = ":".join([self.prefix, *(_text(value) for value in values if value is not None)])
        if not self._pattern.match(data):
            raise ValueError(f"{self!r} does not make {type(self).__name__} callback data")
        if len(data.encode()) > CALLBACK_LIMIT:
            raise ValueError(f"callback data over Telegram's {CALLBACK_LIMIT} bytes: {data!r}")
        return data

    @classmethod
    def pattern(cls) -> re.Pattern[str]:
        """The data of this family's buttons, for its CallbackQueryHandler."""
        return cls._pattern

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        """The button the data stands for; None if it is not this family's."""
        found = cls._pattern.match(data or "")
        if found is None:
            return None
        values = {
            name: codec.read(text)
            for name, codec in cls._codecs.items()
            if (text := found.group(name)) is not None
        }
        return cls(**values)

    @classmethod
    def pattern_with(cls, **fixed: object) -> re.Pattern[str]:
        """The family's pattern with fields fixed to one value each (one flow's buttons)."""
        pattern = cls._pattern.pattern
        for name, value in fixed.items():
            group = f"(?P<{name}>{cls._codecs[name].regex})"
            if group not in pattern:
                raise TypeError(f"{cls.__name__} has no field {name}")
            pattern = pattern.replace(group, f"(?P<{name}>{re.escape(_text(value))})", 1)
        return re.compile(pattern)

    @classmethod
    def of(cls, update: Update) -> Self:
        """The pressed button (its handler's pattern matched, so it reads)."""
        query = update.callback_query
        found = cls.parse(query.data if query is not None else None)
        if found is None:
            raise ValueError(f"not a {cls.__name__} button press")
        return found


def answered_in_private(data: str | None) -> bool:
    """True if the data is a button that answers in the presser's private chat."""
    return any(f.parse(data) is not None for f in FAMILIES if f.answers_in_private)


def starting_with(families: Iterable[type[CallbackData]]) -> str:
    """A regex for the start of any of the families' data, e.g. for a lookahead."""
    prefixes = "|".join(re.escape(family.prefix) for family in families)
    return rf"(?:{prefixes})(?::|\Z)"


# -- /language, /partnership, /profile -----------------------------------------------------------


class LanguageChosen(CallbackData, prefix="lang"):
    code: LanguageCode


class PartnershipChosen(CallbackData, prefix="ps"):
    partnership_id: int


# -- /members and the vouch flow -----------------------------------------------------------------

#: One letter per vouched attribute: organisation, country.
AttributeCode = Literal["o", "c"]


class MemberList(CallbackData, prefix="mem:page"):
    page: int


class MemberOpen(CallbackData, prefix="mem:open"):
    member_id: int
    page: int


class MemberRole(CallbackData, prefix="mem:role"):
    member_id: int
    role: Role
    page: int


class MemberRemove(CallbackData, prefix="mem:rm"):
    member_id: int
    page: int


class MemberRemoveConfirmed(CallbackData, prefix="mem:rmok"):
    member_id: int
    page: int


class MemberConfirm(CallbackData, prefix="mem:cf"):
    member_id: int
    attribute: AttributeCode
    seen: ValueDigest  # of the value the button showed
    page: int


class MemberSet(CallbackData, prefix="mem:set"):
    member_id: int
    attribute: AttributeCode
    page: int


class VouchChoice(CallbackData, prefix="mem:sv"):
    choice: int | Literal["x"]  # a country's index, or x: withdraw the confirmation


class RemovedList(CallbackData, prefix="mem:rmd"):
    page: int


class ReadmitAsked(CallbackData, prefix="mem:ra"):
    member_id: int
    page: int


class ReadmitConfirmed(CallbackData, prefix="mem:raok"):
    member_id: int
    page: int


class EraseAsked(CallbackData, prefix="mem:er"):
    member_id: int
    page: int


class EraseConfirmed(CallbackData, prefix="mem:erok"):
    member_id: int
    page: int


class LeaveConfirmed(CallbackData, prefix="leave"):
    #: 1: the first answer; 2: the second, which erases.
    step: int


class StayHere(CallbackData, prefix="stay"):
    pass


# -- /invite -------------------------------------------------------------------------------------


class InviteRevoke(CallbackData, prefix="inv:rv"):
    ref: InviteRef


class InviteRole(CallbackData, prefix="inv:role"):
    role: Role


# -- /broadcast, acknowledgements, /alerts -------------------------------------------------------


class Acknowledge(CallbackData, prefix="ack"):
    arrives_alone = True
    delivery_id: int


class AlertList(CallbackData, prefix="al:list"):
    pass


class AlertOpen(CallbackData, prefix="al:open"):
    broadcast_id: int


# -- the contact flow ----------------------------------------------------------------------------


class ContactAdd(CallbackData, prefix="ct:add"):
    pass


class ContactAddShared(CallbackData, prefix="ct:addsh"):
    """Add a contact someone shared in the chat (kept under `key` by the bot)."""

    key: ListKey


class ContactEdit(CallbackData, prefix="ct:edit"):
    contact_id: int


# -- /contacts -----------------------------------------------------------------------------------


class ContactResults(CallbackData, prefix="ct:page"):
    list_key: ListKey
    page: int


class ContactOpen(CallbackData, prefix="ct:open"):
    contact_id: int
    list_key: ListKey | None = None  # the results to go back to
    page: int | None = None


class ContactDirectory(CallbackData, prefix="ct:menu"):
    pass


class ContactsOfCountry(CallbackData, prefix="ct:bc"):
    country: ValueDigest


class ContactOrganisations(CallbackData, prefix="ct:orgs"):
    page: int


class ContactsOfOrganisation(CallbackData, prefix="ct:bo"):
    organisation: ValueDigest


class ContactDelete(CallbackData, prefix="ct:del"):
    contact_id: int


class ContactDeleteConfirmed(CallbackData, prefix="ct:delok"):
    contact_id: int


class ContactLink(CallbackData, prefix="ct:link"):
    arrives_alone = True
    contact_id: int
    member_id: int


class ContactImportValidRows(CallbackData, prefix="ct:imp"):
    pass


class ContactExport(CallbackData, prefix="ct:exp"):
    file_format: ExportFormat


# -- the meeting flow ----------------------------------------------------------------------------


class MeetingEdit(CallbackData, prefix="mt:edit"):
    meeting_id: int


# -- /meetings and /actions ----------------------------------------------------------------------


class MeetingSearch(CallbackData, prefix="mt:q"):
    list_key: ListKey


class MeetingDates(CallbackData, prefix="mt:d"):
    list_key: ListKey


class MeetingList(CallbackData, prefix="mt:p"):
    list_key: ListKey
    page: int


class MeetingOpen(CallbackData, prefix="mt:o"):
    meeting_id: int
    list_key: ListKey | None = None  # the list to go back to
    page: int | None = None


class MeetingKindMenu(CallbackData, prefix="mt:k"):
    list_key: ListKey


class MeetingKindChosen(CallbackData, prefix="mt:kf"):
    list_key: ListKey
    kind: MeetingKind | Literal["any"]


class MeetingClearFilters(CallbackData, prefix="mt:x"):
    pass


class MeetingDelete(CallbackData, prefix="mt:del"):
    meeting_id: int


class MeetingDeleteConfirmed(CallbackData, prefix="mt:delok"):
    meeting_id: int


class MeetingFiles(CallbackData, prefix="mt:files"):
    meeting_id: int


class MeetingMinutes(CallbackData, prefix="mt:min"):
    meeting_id: int
    file_format: Literal["pdf", "docx"]


class MeetingCalendar(CallbackData, prefix="mt:ics"):
    meeting_id: int


class ActionList(CallbackData, prefix="ac:p"):
    page: int


class ActionDone(CallbackData, prefix="ac:done"):
    action_id: int
    page: int


# -- the action plan -----------------------------------------------------------------------------


class MilestonesOverview(CallbackData, prefix="ms:o"):
    pass


class PillarPage(CallbackData, prefix="ms:p"):
    pillar_id: int
    page: int


class MilestoneOpen(CallbackData, prefix="ms:m"):
    milestone_id: int


class MilestonesChart(CallbackData, prefix="ms:c"):
    pass


class MilestoneUpdateAsked(CallbackData, prefix="ms:u"):
    milestone_id: int


# -- /digest -------------------------------------------------------------------------------------


class DigestSettingsMenu(CallbackData, prefix="dg:s"):
    pass


class DigestHours(CallbackData, prefix="dg:hours"):
    pass


class DigestFrequencyChosen(CallbackData, prefix="dg:f"):
    frequency: Frequency


class DigestDayChosen(CallbackData, prefix="dg:d"):
    weekday: Weekday


class DigestHourChosen(CallbackData, prefix="dg:h"):
    hour: Hour


class DigestFollowPartnership(CallbackData, prefix="dg:reset"):
    pass


# -- challenges ----------------------------------------------------------------------------------


class ChallengeOpen(CallbackData, prefix="ch:open"):
    answers_in_private = True
    arrives_alone = True
    challenge_id: int


class ChallengeMap(CallbackData, prefix="ch:map"):
    answers_in_private = True
    arrives_alone = True
    challenge_id: int


class ChallengeFiles(CallbackData, prefix="ch:att"):
    answers_in_private = True
    arrives_alone = True
    challenge_id: int


class ChallengeStatusChange(CallbackData, prefix="ch:st"):
    challenge_id: int
    status: Status


class ChallengeEdit(CallbackData, prefix="ch:ed"):
    challenge_id: int


class ChallengeReopen(CallbackData, prefix="ch:ro"):
    challenge_id: int


#: A list's statuses: the open ones, all, or one.
StatusFilter = Status | Literal["open", "all"]


class ChallengeList(CallbackData, prefix="ch:ls"):
    category: Category | Literal["-"]  # - for any
    severity: Severity | Literal["-"]
    statuses: StatusFilter
    days: int  # 0 for any time
    page: int


class ChallengeSearch(CallbackData, prefix="ch:lq"):
    """A page of a challenge list with searched words: its filters are kept for the list's
    buttons under `key` (they would not fit in callback data)."""

    key: ListKey
    page: int


#: The filters of a challenge list, each with a menu.
ChallengeFilterField = Literal["cat", "sev", "st", "days"]


class ChallengeFilterMenu(CallbackData, prefix="ch:lf"):
    field: ChallengeFilterField
    category: Category | Literal["-"]
    severity: Severity | Literal["-"]
    statuses: StatusFilter
    days: int


class ChallengeSearchFilterMenu(CallbackData, prefix="ch:lqf"):
    field: ChallengeFilterField
    key: ListKey


class ChallengeSummary(CallbackData, prefix="ch:sum"):
    days: int


class ChallengeAlertsSwitch(CallbackData, prefix="ch:mute"):
    muted: bool


class EscalationDelay(CallbackData, prefix="ch:cfg:min"):
    minutes: int


class EscalationScope(CallbackData, prefix="ch:cfg:high"):
    include_high: bool


# -- the audit log ---------------------------------------------------------------------------------

#: A filter of the audit log by family of actions; - for any.
AuditFamilyFilter = AuditFamily | Literal["-"]


class AuditPage(CallbackData, prefix="au:p"):
    """A page of the audit log with its filters: one person (0 for anyone), one family, the
    last days (0 for any time)."""

    page: int
    actor: int
    family: AuditFamilyFilter
    days: int


class AuditPeople(CallbackData, prefix="au:w"):
    """The people who acted, to show the entries of one."""

    family: AuditFamilyFilter
    days: int


class AuditKinds(CallbackData, prefix="au:k"):
    """The families of actions, to show the entries of one."""

    actor: int
    days: int


# -- retention (/retention, admins) -------------------------------------------------------------


class RetentionMenu(CallbackData, prefix="rt:menu"):
    pass


class RetentionRule(CallbackData, prefix="rt:rule"):
    rule: RetentionRuleName


class RetentionSet(CallbackData, prefix="rt:set"):
    rule: RetentionRuleName
    #: In the rule's unit; 0: off.
    value: int


# -- guided flows (bot/flows/engine.py): one family each for every flow's buttons ------------------


class FlowChoice(CallbackData, prefix="fl:c"):
    """A choice of a step: `value` is read by the step (bot/flows)."""

    flow: FlowName
    token: DraftToken
    step: Word
    value: Word


class FlowEdit(CallbackData, prefix="fl:e"):
    """A step's button on a flow's review: ask it again."""

    flow: FlowName
    token: DraftToken
    step: Word


class FlowSave(CallbackData, prefix="fl:s"):
    """Save on a flow's review."""

    flow: FlowName
    token: DraftToken


class FlowAction(CallbackData, prefix="fl:a"):
    """A flow's own button (delete my card, ask a coordinator, ...), with a value."""

    flow: FlowName
    token: DraftToken
    action: Word
    value: Word


class FlowResume(CallbackData, prefix="fl:r"):
    """Continue a flow's kept draft (from /resume)."""

    flow: FlowName
    token: DraftToken
