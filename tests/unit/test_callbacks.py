"""The button families: every button's data reads back as it was packed, by its own family
only, within Telegram's 64 bytes; data already sent keeps reading; anything else does not."""

from __future__ import annotations

import dataclasses
import re
from enum import Enum
from typing import Any, Literal, NewType, get_args, get_origin, get_type_hints

import pytest
from telegram.ext import CallbackQueryHandler

from bot.app import build_application
from bot.callbacks import (
    FAMILIES,
    Acknowledge,
    AlertOpen,
    CallbackData,
    ChallengeFiles,
    ChallengeList,
    ChallengeMap,
    ChallengeOpen,
    ContactLink,
    DigestFrequencyChosen,
    DigestSettingsMenu,
    DraftToken,
    FlowName,
    Hour,
    InviteRef,
    LanguageCode,
    ListKey,
    MeetingList,
    MeetingOpen,
    MemberRole,
    MilestonesOverview,
    ValueDigest,
    VouchChoice,
    Weekday,
    Word,
    answered_in_private,
    starting_with,
)
from bot.config import Settings
from bot.local_api import LocalBotApi
from domain.challenges import Severity, Status
from domain.models import Role
from services.digests import Frequency
from tests.unit.test_authorization_matrix import registered

#: A value of each token type, as the bot makes them.
TOKENS: dict[object, list[object]] = {
    ListKey: [ListKey("0badcafe")],
    DraftToken: [DraftToken("beef")],
    InviteRef: [InviteRef("0123456789ab")],
    ValueDigest: [ValueDigest("5eed5eed")],
    Word: [Word("done"), Word("0"), Word("organisation_type")],
    LanguageCode: [LanguageCode("pt")],
    Weekday: [Weekday(0), Weekday(6)],
    Hour: [Hour(0), Hour(23)],
    FlowName: [FlowName("contact")],
}


def samples(hint: Any) -> list[object]:
    """Values a field of this type takes, the first a plain one."""
    if hint is bool:
        return [False, True]
    if hint is int:
        return [7, 0, 999_999]
    if isinstance(hint, NewType):
        return TOKENS[hint]
    if isinstance(hint, type) and issubclass(hint, Enum):
        return list(hint)
    if get_origin(hint) is Literal:
        return list(get_args(hint))
    if get_origin(hint) is not None:  # a union
        return [value for arm in get_args(hint) if arm is not type(None) for value in samples(arm)]
    raise AssertionError(f"no samples of {hint!r}")


def instances(family: type[CallbackData]) -> list[CallbackData]:
    """The family with plain values, then with each value of each field in turn."""
    hints = get_type_hints(family)
    fields = dataclasses.fields(family)  # type: ignore[arg-type]
    plain = {f.name: samples(hints[f.name])[0] for f in fields}
    made = [family(**plain)]
    for f in fields:
        made += [family(**{**plain, f.name: value}) for value in samples(hints[f.name])]
    longest = {f.name: max(samples(hints[f.name]), key=lambda v: len(str(v))) for f in fields}
    return [*made, family(**longest)]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family.__name__)
def test_each_family_reads_back_what_it_packs_and_no_other_family_reads_it(
    family: type[CallbackData],
) -> None:
    for sent in instances(family):
        data = sent.pack()
        assert 1 <= len(data.encode()) <= 64
        assert data.startswith(family.prefix)
        assert family.parse(data) == sent
        assert [f.__name__ for f in FAMILIES if f.parse(data) is not None] == [family.__name__]


def test_trailing_optional_fields_are_written_together_or_not_at_all() -> None:
    assert MeetingOpen(5).pack() == "mt:o:5"
    assert MeetingOpen(5, ListKey("0badcafe"), 2).pack() == "mt:o:5:0badcafe:2"
    assert MeetingOpen.parse("mt:o:5") == MeetingOpen(5)
    assert MeetingOpen.parse("mt:o:5:0badcafe:2") == MeetingOpen(5, ListKey("0badcafe"), 2)
    assert MeetingOpen.parse("mt:o:5:0badcafe") is None
    with pytest.raises(ValueError, match="does not make MeetingOpen callback data"):
        MeetingOpen(5, ListKey("0badcafe")).pack()


def test_buttons_of_messages_sent_long_ago_keep_reading() -> None:
    assert Acknowledge.parse("ack:12") == Acknowledge(12)
    assert ChallengeOpen.parse("ch:open:3") == ChallengeOpen(3)
    assert ChallengeMap.parse("ch:map:3") == ChallengeMap(3)
    assert ChallengeFiles.parse("ch:att:3") == ChallengeFiles(3)
    assert AlertOpen.parse("al:open:4") == AlertOpen(4)
    assert MilestonesOverview.parse("ms:o") == MilestonesOverview()
    assert DigestSettingsMenu.parse("dg:s") == DigestSettingsMenu()
    assert ContactLink.parse("ct:link:5:6") == ContactLink(5, 6)
    assert ChallengeList.parse("ch:ls:-:high:open:30:1") == ChallengeList(
        "-", Severity.HIGH, "open", 30, 1
    )
    assert DigestFrequencyChosen.parse("dg:f:weekly") == DigestFrequencyChosen(Frequency.WEEKLY)
    assert VouchChoice.parse("mem:sv:x") == VouchChoice("x")
    assert VouchChoice.parse("mem:sv:3") == VouchChoice(3)
    # A union reads a value as the first of its types that takes it.
    assert ChallengeList.parse("ch:ls:-:-:all:0:0") == ChallengeList("-", "-", "all", 0, 0)
    assert ChallengeList.parse("ch:ls:-:-:resolved:0:0") == ChallengeList(
        "-", "-", Status.RESOLVED, 0, 0
    )


@pytest.mark.parametrize(
    ("family", "data"),
    [
        (MemberRole, "mem:role:5:king:0"),  # no such role
        (MemberRole, "mem:role:5:Admin:0"),
        (MemberRole, "mem:role:5:admin"),  # a field missing
        (MemberRole, "mem:role:5:admin:0:1"),  # one too many
        (ChallengeList, "ch:ls:nosuch:-:open:0:0"),
        (MeetingList, "mt:p:0BADCAFE:1"),  # keys are lower-case hex
        (MeetingList, "mt:p:0badcaf:1"),
        (Acknowledge, "ack:-1"),
        (Acknowledge, "ack:5\n"),
        (Acknowledge, "ack:"),
        (Acknowledge, ""),
        (Acknowledge, None),
        (DigestSettingsMenu, "dg:s:1"),
        (VouchChoice, "mem:sv:y"),
    ],
)
def test_data_a_family_does_not_make_does_not_read(
    family: type[CallbackData], data: str | None
) -> None:
    assert family.parse(data) is None


def test_pack_refuses_values_its_family_would_not_read_and_data_over_64_bytes() -> None:
    with pytest.raises(ValueError, match="does not make MeetingList"):
        MeetingList(ListKey("not a key"), 0).pack()
    with pytest.raises(ValueError, match="does not make MemberRole"):
        MemberRole(-5, Role.MEMBER, 0).pack()
    with pytest.raises(ValueError, match="over Telegram's 64 bytes"):
        ChallengeList("-", "-", "open", 10**60, 0).pack()


def test_a_family_is_declared_with_types_it_can_write() -> None:
    with pytest.raises(TypeError, match="cannot be callback data"):

        class Named(CallbackData, prefix="zz:n"):
            name: str

    with pytest.raises(TypeError, match="only trailing fields may be optional"):

        class Gappy(CallbackData, prefix="zz:g"):
            first: int | None = None
            second: int = 0

    with pytest.raises(TypeError, match="is not lower-case words"):

        class Shouting(CallbackData, prefix="ZZ"):
            pass

    assert not {"Named", "Gappy", "Shouting"} & {f.__name__ for f in FAMILIES}


def test_only_open_map_and_files_answer_in_private() -> None:
    private = {f.__name__ for f in FAMILIES if f.answers_in_private}
    assert private == {"ChallengeOpen", "ChallengeMap", "ChallengeFiles"}
    assert answered_in_private("ch:open:5") and answered_in_private("ch:att:5")
    assert not answered_in_private("ack:5")
    assert not answered_in_private("ch:open:five")
    assert not answered_in_private(None)


def test_buttons_of_alerts_are_known_by_their_start() -> None:
    alone = [f for f in FAMILIES if f.arrives_alone]
    assert {f.__name__ for f in alone} == {
        "Acknowledge",
        "ChallengeOpen",
        "ChallengeMap",
        "ChallengeFiles",
        "ContactLink",
    }
    start = re.compile(starting_with(alone))
    assert start.match("ack:5") and start.match("ct:link:5:6") and start.match("ch:map:1")
    assert not start.match("ackx:5") and not start.match("ch:f:submit")


def test_every_family_has_a_handler() -> None:
    application = build_application(
        Settings(_env_file=None, database_path=":memory:"),  # type: ignore[call-arg,arg-type]
        request=LocalBotApi(),
    )
    patterns = [
        h.pattern
        for h in registered(application)
        if isinstance(h, CallbackQueryHandler) and isinstance(h.pattern, re.Pattern)
    ]
    unhandled = [
        family.__name__
        for family in FAMILIES
        if not any(p.match(sent.pack()) for p in patterns for sent in instances(family))
    ]
    assert unhandled == []
