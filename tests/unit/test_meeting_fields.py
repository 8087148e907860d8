"""What people type about a meeting: dates, names, kinds, the one-message form, date ranges."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.i18n import Translator
from domain.meetings import Attachment, AttachmentKind, MeetingKind, Participant
from domain.models import MemberInPartnership, Role
from services.meeting_fields import (
    MAX_SUMMARY,
    ActionDraft,
    Field,
    InvalidMeetingField,
    MeetingDraft,
    Problem,
    check_text,
    find_member,
    link,
    link_suggestions,
    parse_due,
    parse_form,
    parse_kind,
    parse_participants,
    parse_range,
    parse_restricted,
    parse_when,
    suggested_member,
)

# Monday 30 November 2026, 09:00 in Dakar (UTC+0).
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
MEMBERS = [
    MemberInPartnership(1, "Amina Diallo", "amina_d", Role.MEMBER, "DPAF", "Senegal"),
    MemberInPartnership(2, "Carlos Ruiz", None, Role.COORDINATOR, "Guardia Civil", "Spain"),
    MemberInPartnership(3, "Carlos Pérez", None, Role.MEMBER, None, None),
    MemberInPartnership(4, "Élodie Martin", "elodie", Role.OBSERVER, None, None),
]


def when(text: str, language: str = "en", tz: str = "Africa/Dakar") -> str:
    return parse_when(text, language=language, now=NOW, timezone=tz).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("2026-11-28 10:00", "en", "2026-11-28 10:00"),
        ("28/11", "fr", "2026-11-28 00:00"),
        ("yesterday 15h", "en", "2026-11-29 15:00"),
        ("hier 9h30", "fr", "2026-11-29 09:30"),
        ("ayer a las 10:00", "es", "2026-11-29 10:00"),
        ("ontem", "pt", "2026-11-29 00:00"),
        ("أمس ١٥:٠٠", "ar", "2026-11-29 15:00"),
        ("friday", "en", "2026-11-27 00:00"),  # meetings lean to the past
        ("30/12", "fr", "2025-12-30 00:00"),  # a day not yet reached this year: last year's
        ("tomorrow 10:00", "en", "2026-12-01 10:00"),  # planned meetings are allowed
    ],
)
def test_meeting_dates_in_every_language(text: str, language: str, expected: str) -> None:
    assert when(text, language) == expected


def test_meeting_dates_are_local_to_the_partnership() -> None:
    assert when("2026-11-28 10:00", tz="Europe/Madrid") == "2026-11-28 09:00"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("soon-ish", Problem.UNREADABLE_DATE),
        ("31/02/2026", Problem.UNREADABLE_DATE),
        ("<b>", Problem.UNREADABLE_DATE),
        ("2090-01-01", Problem.TOO_FAR_AHEAD),
        ("1990-01-01", Problem.TOO_FAR_BACK),
    ],
)
def test_bad_meeting_dates_say_why(text: str, problem: Problem) -> None:
    with pytest.raises(InvalidMeetingField) as raised:
        when(text)
    assert raised.value.kind is problem and raised.value.meeting_field == "when"


def test_due_dates_lean_to_the_future_and_are_days() -> None:
    due = parse_due("friday", language="en", now=NOW, timezone="Africa/Dakar")
    assert due == date(2026, 12, 4)
    assert parse_due("15/12", language="fr", now=NOW, timezone="UTC") == date(2026, 12, 15)
    with pytest.raises(InvalidMeetingField) as raised:
        parse_due("2040-01-01", language="en", now=NOW, timezone="UTC")
    assert raised.value.kind is Problem.TOO_FAR_AHEAD


def test_text_limits_and_the_empty_title() -> None:
    with pytest.raises(InvalidMeetingField) as raised:
        check_text(Field.SUMMARY, "x" * 10_000)
    assert (raised.value.length, raised.value.limit) == (10_000, MAX_SUMMARY)
    with pytest.raises(InvalidMeetingField) as raised:
        check_text(Field.TITLE, "   \n ")
    assert raised.value.kind is Problem.EMPTY
    assert check_text(Field.SUMMARY, "  a  \n\n\n\n b ") == "a\n\nb"
    assert check_text(Field.TITLE, " COP  <b>  \n x") == "COP <b> x"


def test_only_an_at_username_names_a_member_and_names_are_suggestions() -> None:
    assert find_member("@AMINA_D", MEMBERS).member_id == 1
    assert find_member("@elodie", MEMBERS).member_id == 4
    assert find_member("@nobody", MEMBERS) is None
    # A name anyone can give themselves in Telegram links nobody by itself ...
    for typed in ("amina", "Amina Diallo", "Carlos Ruiz", "Europol"):
        assert find_member(typed, MEMBERS) is None
    # ... it is only a suggestion for the author to confirm.
    assert suggested_member("amina", MEMBERS).member_id == 1
    assert suggested_member("elodie martin", MEMBERS).member_id == 4  # accents ignored
    assert suggested_member("Carlos Ruiz", MEMBERS).member_id == 2
    assert suggested_member("Carlos", MEMBERS) is None  # two Carlos: ambiguous
    assert suggested_member("Europol", MEMBERS) is None
    assert suggested_member("@amina_d", MEMBERS) is None  # an @username is not a name


def test_the_author_links_a_suggested_name_and_nothing_else() -> None:
    draft = MeetingDraft(
        participants=parse_participants("Amina, Europol, @elodie", MEMBERS),
        actions=(ActionDraft("draft report", None, "Carlos Ruiz"), ActionDraft("call", None, "X")),
    )
    suggestions = link_suggestions(draft, MEMBERS)
    assert [(s.target, s.typed, s.member.member_id) for s in suggestions] == [
        ("p0", "Amina", 1),
        ("a0", "Carlos Ruiz", 2),
    ]
    linked = link(link(draft, suggestions[0]), suggestions[1])
    assert linked.participants[0] == Participant("Amina Diallo", "DPAF", 1)
    assert linked.participants[2] == Participant("Élodie Martin", "", 4)  # by @username
    assert (linked.actions[0].owner_id, linked.actions[0].owner_name) == (2, "Carlos Ruiz")
    assert link_suggestions(linked, MEMBERS) == []


def test_participants_with_organisations() -> None:
    people = parse_participants(
        "@amina_d, Carlos Ruiz (Guardia Civil); Europol\nJean - <Gendarmerie>", MEMBERS
    )
    assert people == (
        Participant("Amina Diallo", "DPAF", 1),
        Participant("Carlos Ruiz", "Guardia Civil", None),  # a name: only a suggestion
        Participant("Europol", "", None),
        Participant("Jean", "<Gendarmerie>", None),
    )
    with pytest.raises(InvalidMeetingField) as raised:
        parse_participants(", ".join(f"P{i}" for i in range(40)), MEMBERS)
    assert raised.value.kind is Problem.TOO_MANY


def test_participants_separated_by_arabic_commas_and_semicolons() -> None:
    # The Arabic question shows its example with « ، », so the parser must split on it.
    question = Translator("ar")(
        "Who took part? Send names and organisations separated by commas, e.g. Amina (DPAF),"
        " Carlos (Guardia Civil), Europol. A member's @username links that member; for other"
        " names that may be members, the summary offers a button to link them."
    )
    example = question.split("مثل: ")[1].split(". ")[0]
    expected = (
        Participant("Amina", "DPAF", None),
        Participant("Carlos", "Guardia Civil", None),
        Participant("Europol", "", None),
    )
    assert parse_participants(example, MEMBERS) == expected
    assert parse_participants("Amina (DPAF)؛ Carlos (Guardia Civil)، Europol", MEMBERS) == expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("steering committee", MeetingKind.STEERING),
        ("Comité de pilotage", MeetingKind.STEERING),
        ("bilatéral", MeetingKind.BILATERAL),
        ("atelier", MeetingKind.TRAINING),
        ("operativo", MeetingKind.OPERATIONAL),
        ("تدريب", MeetingKind.TRAINING),
        ("other", MeetingKind.OTHER),
    ],
)
def test_kinds_in_every_language(text: str, kind: MeetingKind) -> None:
    assert parse_kind(text) is kind


def test_confidentiality_words() -> None:
    assert parse_restricted("Restreint") is True
    assert parse_restricted("partnership") is False
    with pytest.raises(InvalidMeetingField):
        parse_restricted("maybe")


def test_one_message_form_fills_everything_it_can_read() -> None:
    result = parse_form(
        "Steering committee COP Mauritania\n"
        "when: 2026-11-28 10:00\n"
        "kind: steering\n"
        "with: @amina_d, Europol (EMSC)\n"
        "where: Nouakchott\n"
        "summary: Routes to the Canaries.\n"
        "More boats in October.\n"
        "decisions: Joint report\n"
        "action: draft joint report; @amina_d; 2026-12-15\n"
        "action: call Frontex; Frontex liaison\n"
        "confidentiality: restricted",
        language="en",
        now=NOW,
        timezone="Africa/Nouakchott",
        members=MEMBERS,
    )
    draft = result.draft
    assert result.ask == [] and result.unplaced == []
    assert draft.title == "Steering committee COP Mauritania"
    assert draft.held_at == datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert draft.kind is MeetingKind.STEERING and draft.restricted
    assert draft.location == "Nouakchott"
    assert draft.summary == "Routes to the Canaries.\nMore boats in October."
    assert [p.member_id for p in draft.participants] == [1, None]
    assert draft.actions == (
        ActionDraft("draft joint report", 1, "Amina Diallo", date(2026, 12, 15)),
        ActionDraft("call Frontex", None, "Frontex liaison"),
    )


def test_one_message_form_asks_for_what_it_cannot_read_and_keeps_stray_lines() -> None:
    result = parse_form(
        "when: the day after the storm\n"
        "summary: Talks\n"
        "\n"
        "Remember to book the room\n"
        "kind: picnic\n"
        "action: send minutes; Carlos Ruiz; someday\n"
        "action: ;nobody\n"
        "notes of the secretary: later",
        language="en",
        now=NOW,
        timezone="UTC",
        members=MEMBERS,
    )
    asked = dict(result.ask)
    assert list(asked) == ["when", "kind", "due:0"]
    assert asked["when"].kind is Problem.UNREADABLE_DATE
    assert asked["kind"].kind is Problem.UNKNOWN_KIND
    assert asked["due:0"].kind is Problem.UNREADABLE_DATE
    # The first line without a key became the title; nothing is dropped silently.
    assert result.draft.title == "Remember to book the room"
    assert result.unplaced == ["action: ;nobody", "notes of the secretary: later"]
    assert result.draft.actions == (ActionDraft("send minutes", None, "Carlos Ruiz"),)
    assert result.draft.held_at == NOW  # shown for confirmation, asked again


def test_one_message_form_without_a_title_asks_for_it() -> None:
    result = parse_form(
        "when: hier 10h\nrésumé: court", language="fr", now=NOW, timezone="UTC", members=[]
    )
    assert [step for step, _ in result.ask] == ["title", "kind"]
    assert result.draft.summary == "court"


def test_draft_survives_its_json_form() -> None:
    draft = MeetingDraft(
        held_at=NOW,
        title="T",
        kind=MeetingKind.BILATERAL,
        participants=(Participant("A", "B", 1),),
        actions=(ActionDraft("x", None, "Z", date(2026, 12, 1), 5, True),),
        restricted=True,
        attachments=(Attachment(AttachmentKind.VOICE, "file", "n"),),
    )
    assert MeetingDraft.from_json(draft.as_json()) == draft


def test_date_ranges_of_the_list() -> None:
    def days(text: str) -> tuple[date | None, date | None]:
        return parse_range(text, language="fr", now=NOW, timezone="UTC")

    assert days("1/11 - 30/11") == (date(2026, 11, 1), date(2026, 11, 30))
    assert days("du 1/11 au 15/11") == (date(2026, 11, 1), date(2026, 11, 15))
    assert days("since 1/11") == (date(2026, 11, 1), None)
    assert days("jusqu'au 20/11") == (None, date(2026, 11, 20))
    assert days("28/11") == (date(2026, 11, 28), date(2026, 11, 28))
    assert days("30/11 - 1/11") == (date(2026, 11, 1), date(2026, 11, 30))
    with pytest.raises(InvalidMeetingField):
        days("last summer")
