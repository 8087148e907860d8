"""What reporters type about challenges: personal data, the one-message form, dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.challenges import Attachment, Category, Severity, Status
from services.challenges import next_statuses
from services.challenges_input import (
    CATEGORY_WORDS,
    SEVERITY_WORDS,
    ChallengeDraft,
    Observed,
    PersonalData,
    QuickFlag,
    parse_observed,
    parse_quick,
    personal_data,
    split_quick_text,
)
from services.errors import InvalidInput

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "kind", "excerpt"),
    [
        ("Call him on +221 77 123 45 67 tomorrow", PersonalData.PHONE, "+221 77 123 45 67"),
        ("numéro 0612345678", PersonalData.PHONE, "0612345678"),
        ("contact 06.12.34.56.78", PersonalData.PHONE, "06.12.34.56.78"),
        ("00221771234567 on WhatsApp", PersonalData.PHONE, "00221771234567"),
        ("passport AB1234567 seen at the border", PersonalData.PASSPORT, "AB1234567"),
        ("Passeport n° 12345678", PersonalData.PASSPORT, "12345678"),
        ("جواز رقم 98765432", PersonalData.PASSPORT, "98765432"),
        ("CNI: 1 751 1990 00123", PersonalData.ID_NUMBER, "1 751 1990 00123"),
        ("DNI 12345678Z", PersonalData.ID_NUMBER, "12345678Z"),
        ("a card numbered P1234567", PersonalData.PASSPORT, "P1234567"),
    ],
)
def test_personal_data_is_found(text: str, kind: PersonalData, excerpt: str) -> None:
    found = personal_data([text])
    assert [(f.kind, f.excerpt) for f in found] == [(kind, excerpt)]


@pytest.mark.parametrize(
    "text",
    [
        "Buses bringing groups to the border near Rosso",
        "On 2026-11-30 10:00 at 14.6928, -17.4467",
        "Observed 29/09/2021 and 30.11.26 at 15h30",
        "EUR 8 000 000, then 210 000 000",
        "COM(2021) 591 adopted; NETCOP 2021-2025",
        "Route N1 km 120, flight AF718, A1 road",
        "ids 12 and id 123",
    ],
)
def test_ordinary_numbers_are_not_personal_data(text: str) -> None:
    assert personal_data([text]) == []


def test_the_one_message_form_reads_severity_and_category_in_either_order() -> None:
    def quick_of(text: str) -> QuickFlag | None:
        return parse_quick(text, categories=CATEGORY_WORDS, severities=SEVERITY_WORDS)

    quick = quick_of("high instrumentalisation Buses near X")
    assert quick is not None
    assert (quick.severity, quick.category, quick.text) == (
        Severity.HIGH,
        Category.INSTRUMENTALISATION,
        "Buses near X",
    )
    quick = quick_of("sea crit Boat capsized\nTwelve people missing")
    assert quick is not None and (quick.severity, quick.category) == (
        Severity.CRITICAL,
        Category.MARITIME,
    )
    assert quick.text == "Boat capsized\nTwelve people missing"
    assert quick_of("Buses near X") is None
    assert quick_of("high") is None
    # "in" is too short to name anything; "fr" neither.
    assert quick_of("high in X") is None


def test_translated_names_are_understood() -> None:
    categories = {Category.DOCUMENTS: ("Fraude documentaire ou aux visas",)}
    severities = {Severity.CRITICAL: ("Critique",), Severity.HIGH: ("Élevée",)}
    quick = parse_quick(
        "élevée fraude Faux visas vendus", categories=categories, severities=severities
    )
    assert quick is not None
    assert (quick.severity, quick.category) == (Severity.HIGH, Category.DOCUMENTS)


def test_a_long_one_message_text_becomes_title_and_description() -> None:
    long = "Smugglers advertise crossings " * 10
    title, description = split_quick_text(long)
    assert len(title) <= 120 and title.endswith("…")
    assert description == long.strip()
    assert split_quick_text("Short\nMore lines\nhere") == ("Short", "More lines\nhere")


def test_observed_dates_are_lenient_in_the_past_only() -> None:
    def parsed(text: str, language: str = "en") -> Observed:
        return parse_observed(text, language=language, now=NOW, timezone="Africa/Dakar")

    assert parsed("yesterday") == Observed(datetime(2026, 11, 29, tzinfo=UTC), False)
    assert parsed("hier 14h", "fr") == Observed(datetime(2026, 11, 29, 14, tzinfo=UTC), True)
    assert parsed("28/11").at.day == 28
    for future in ("tomorrow", "today 23:00", "2027-01-01"):
        with pytest.raises(InvalidInput) as error:
            parsed(future)
        assert error.value.problem == "future"
    with pytest.raises(InvalidInput) as error:
        parsed("next blue moon")
    assert error.value.problem == "unreadable"


def test_drafts_survive_json() -> None:
    draft = ChallengeDraft(
        category=Category.ROUTE,
        severity=Severity.LOW,
        title="T",
        place="Agadez",
        latitude=16.97,
        longitude=7.99,
        observed=Observed(NOW, True),
        restricted=True,
        attachments=[Attachment("photo", "f1"), Attachment("document", "f2", "a.pdf")],
    )
    assert ChallengeDraft.from_json(draft.as_json()) == draft
    assert ChallengeDraft.from_json({"category": "gone", "severity": None}) == ChallengeDraft()


def test_the_lifecycle_moves_forward_or_dismisses() -> None:
    assert next_statuses(Status.REPORTED) == [
        Status.ACKNOWLEDGED, Status.CORROBORATED, Status.CONFIRMED, Status.RESOLVED,
        Status.DISMISSED,
    ]  # fmt: skip
    assert next_statuses(Status.CONFIRMED) == [Status.RESOLVED, Status.DISMISSED]
    assert next_statuses(Status.RESOLVED) == next_statuses(Status.DISMISSED) == []
