"""The fields of a partner contact: what each accepts, and how typed values are normalised.

Phone numbers are checked with `phonenumbers` and kept in E.164; a number written without
its country code is read in the contact's country when that country is recognised. Languages
are kept as ISO 639 codes and may be typed as codes or as names in any shipped language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from functools import cache
from typing import Any

from babel import Locale

from domain.models import LANGUAGES, cldr_locale
from services.errors import InvalidInput
from services.text import clean


class OrganisationType(StrEnum):
    """The kinds of organisation a partner contact works for."""

    BORDER_POLICE = "border_police"
    JUDICIAL_POLICE = "judicial_police"
    GENDARMERIE = "gendarmerie"
    CUSTOMS = "customs"
    FINANCIAL_INTELLIGENCE = "financial_intelligence"
    JUDICIARY = "judiciary"
    NATIONAL_COMMITTEE = "national_committee"
    MEMBER_STATE_POLICE = "member_state_police"
    IMPLEMENTER = "implementer"
    EU_DELEGATION = "eu_delegation"
    EU_AGENCY = "eu_agency"
    EU_MISSION = "eu_mission"
    INTERPOL = "interpol"
    INTERNATIONAL_ORGANISATION = "international_organisation"


class Field(StrEnum):
    """A contact's fields, in the order the guided flow asks for them."""

    NAME = "name"
    ORGANISATION = "organisation"
    ORGANISATION_TYPE = "organisation_type"
    COUNTRY = "country"
    ROLE = "role"
    EXPERTISE = "expertise"
    LANGUAGES = "languages"
    PHONE = "phone"
    EMAIL = "email"
    TELEGRAM = "telegram"
    NOTES = "notes"


REQUIRED = frozenset({Field.NAME, Field.ORGANISATION})
MAX_LENGTH = {
    Field.NAME: 120,
    Field.ORGANISATION: 150,
    Field.COUNTRY: 60,
    Field.ROLE: 120,
    Field.NOTES: 500,
}
MAX_TOPICS = 10
MAX_TOPIC_LENGTH = 80
MAX_LANGUAGES = 10
MAX_EMAIL_LENGTH = 254

_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}"
)
# Arabic writes its own comma (،) and semicolon (؛).
_LIST_SEPARATORS = re.compile(r"[;,\n،؛]+")
_LANGUAGE_SEPARATORS = re.compile(r"[;,/\n،؛]+")


class Problem(StrEnum):
    """Why a value was refused."""

    REQUIRED = "required"
    TOO_LONG = "too_long"
    TOO_MANY = "too_many"
    PHONE = "phone"
    PHONE_COUNTRY = "phone_country"  # a local number, and no recognised country to read it in
    EMAIL = "email"
    USERNAME = "username"
    LANGUAGE = "language"
    ORGANISATION_TYPE = "organisation_type"


class InvalidField(InvalidInput):
    """A contact field's value is not acceptable; `value` is the offending part, if any."""

    def __init__(self, field: Field, problem: Problem, value: str = "") -> None:
        super().__init__(field.value, problem.value)
        self.contact_field = field
        self.reason = problem
        self.value = value

    def describe(self) -> str:
        """In English, for the command line and logs."""
        value = repr(self.value)
        explanations = {
            Problem.REQUIRED: "is required",
            Problem.TOO_LONG: f"is longer than {self.value} characters",
            Problem.TOO_MANY: f"has more than {self.value} items",
            Problem.PHONE: f"{value} is not a valid phone number",
            Problem.PHONE_COUNTRY: f"{value} needs its country code (+...)",
            Problem.EMAIL: f"{value} is not a valid e-mail address",
            Problem.USERNAME: f"{value} is not a Telegram username",
            Problem.LANGUAGE: f"{value} is not a known language",
            Problem.ORGANISATION_TYPE: f"{value} is not a known organisation type",
        }
        return f"{self.contact_field.value}: {explanations[self.reason]}"


@dataclass(frozen=True, slots=True)
class ContactDraft:
    """A contact's values, each already normalised (what a flow or an import row gives)."""

    name: str = ""
    organisation: str = ""
    organisation_type: OrganisationType | None = None
    country: str = ""
    role: str = ""
    expertise: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    phone: str | None = None
    email: str | None = None
    telegram: str | None = None
    notes: str = ""

    def as_json(self) -> dict[str, object]:
        """Plain values, for drafts kept across restarts."""
        data: dict[str, object] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            data[item.name] = list(value) if isinstance(value, tuple) else value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ContactDraft:
        """Rebuild a draft written by `as_json` (unknown keys ignored)."""
        values: dict[str, Any] = {}
        for item in fields(cls):
            if item.name not in data:
                continue
            value = data[item.name]
            if item.name in {"expertise", "languages"}:
                value = tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()
            elif item.name == "organisation_type":
                value = OrganisationType(str(value)) if value else None
            values[item.name] = value
        return cls(**values)

    def with_value(self, field: Field, value: object) -> ContactDraft:
        """A copy with one field replaced by a value `parse_field` gave."""
        values: dict[str, Any] = {field.value: value}
        return replace(self, **values)


def fold(text: str) -> str:
    """Text compared ignoring case, accents, apostrophes and spacing: 'Côte d’Ivoire' ->
    'cote divoire'."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    bare = re.sub(r"['’‘`-]", "", bare)
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


def identity_key(name: str, organisation: str) -> str:
    """What makes two contacts of a partnership the same person."""
    return f"{fold(name)}|{fold(organisation)}"


def _clean(value: str, *, keep_lines: bool = False) -> str:
    """Cleaned text (services.text); spaces folded (per line, if lines are kept)."""
    value = clean(value)
    if keep_lines:
        lines = (" ".join(line.split()) for line in value.splitlines())
        return "\n".join(line for line in lines if line)
    return " ".join(value.split())


def clean_text(field: Field, value: str | None) -> str:
    """A free-text field, trimmed and checked for length (and presence, if required)."""
    text = _clean(value or "", keep_lines=field is Field.NOTES)
    if not text and field in REQUIRED:
        raise InvalidField(field, Problem.REQUIRED)
    limit = MAX_LENGTH[field]
    if len(text) > limit:
        raise InvalidField(field, Problem.TOO_LONG, str(limit))
    return text


def organisation_type(value: str | None) -> OrganisationType | None:
    """A type by its code or its English words ('border police'); None when empty."""
    text = fold(value or "").replace("_", " ")
    if not text:
        return None
    for kind in OrganisationType:
        if text == kind.value.replace("_", " "):
            return kind
    raise InvalidField(Field.ORGANISATION_TYPE, Problem.ORGANISATION_TYPE, value or "")


def expertise(value: str | None) -> tuple[str, ...]:
    """Topics separated by semicolons, commas (Latin or Arabic) or line breaks."""
    topics: list[str] = []
    for part in _LIST_SEPARATORS.split(value or ""):
        topic = _clean(part)
        if not topic or topic.casefold() in (t.casefold() for t in topics):
            continue
        if len(topic) > MAX_TOPIC_LENGTH:
            raise InvalidField(Field.EXPERTISE, Problem.TOO_LONG, str(MAX_TOPIC_LENGTH))
        topics.append(topic)
    if len(topics) > MAX_TOPICS:
        raise InvalidField(Field.EXPERTISE, Problem.TOO_MANY, str(MAX_TOPICS))
    return tuple(topics)


@cache
def _names(language: str) -> dict[str, str]:
    """Language names in one language, by ISO 639 code (regional variants left out)."""
    return {
        str(code): str(name)
        for code, name in Locale.parse(cldr_locale(language)).languages.items()
        if "_" not in str(code)
    }


@cache
def _language_codes() -> dict[str, str]:
    """Folded language names in every shipped language, and the codes themselves -> code."""
    codes: dict[str, str] = {}
    for shipped in LANGUAGES:
        for code, name in _names(shipped).items():
            codes.setdefault(fold(name), code)
    for shipped in LANGUAGES:
        for code in _names(shipped):
            codes.setdefault(code, code)
    return codes


def languages(value: str | None) -> tuple[str, ...]:
    """Language codes from codes or names ('fr, Wolof, anglais' -> fr, wo, en).

    Two- or three-letter codes the name lists lack are kept as ISO 639 codes (e.g. mnk).
    """
    known = _language_codes()
    codes: list[str] = []
    for part in _LANGUAGE_SEPARATORS.split(value or ""):
        words = fold(part)
        if not words:
            continue
        # "French English" typed without commas still means two languages.
        candidates = [words] if words in known else words.split()
        for candidate in candidates:
            code = known.get(candidate)
            if code is None and re.fullmatch(r"[a-z]{2,3}", candidate):
                code = candidate
            if code is None:
                raise InvalidField(Field.LANGUAGES, Problem.LANGUAGE, part.strip())
            if code not in codes:
                codes.append(code)
    if len(codes) > MAX_LANGUAGES:
        raise InvalidField(Field.LANGUAGES, Problem.TOO_MANY, str(MAX_LANGUAGES))
    return tuple(codes)


def language_name(code: str, language: str) -> str:
    """A language's name in the reader's language, or its code."""
    return _names(language).get(code, code)


def language_names(codes: tuple[str, ...]) -> str:
    """The names of languages in every shipped language, for the search index."""
    names: list[str] = []
    for code in codes:
        for shipped in LANGUAGES:
            name = _names(shipped).get(code)
            if name and name not in names:
                names.append(name)
    return " ".join(names)


@cache
def _regions() -> dict[str, str]:
    """Folded country names in every shipped language (and region codes) -> region code."""
    import phonenumbers  # with its metadata, when a phone number is first read or shown

    regions: dict[str, str] = {}
    supported = phonenumbers.SUPPORTED_REGIONS
    for shipped in LANGUAGES:
        for code, name in Locale.parse(shipped).territories.items():
            if code in supported:
                regions.setdefault(fold(name), code)
    for code in supported:
        regions.setdefault(code.lower(), code)
    return regions


def region_of(country: str) -> str | None:
    """The phone region of a country name ('Sénégal', 'Senegal', 'السنغال' -> SN)."""
    return _regions().get(fold(country))


def phone(value: str | None, country: str = "") -> str | None:
    """A valid phone number in E.164, or None when empty.

    Numbers starting with + or 00 are read as international; others in the country's plan.
    """
    text = _clean(value or "")
    if not text:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    region = None if text.startswith("+") else region_of(country)
    if not text.startswith("+") and region is None:
        raise InvalidField(Field.PHONE, Problem.PHONE_COUNTRY, text)
    import phonenumbers  # with its metadata, when a phone number is first read or shown

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidField(Field.PHONE, Problem.PHONE, text) from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidField(Field.PHONE, Problem.PHONE, text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def shared_card_phone(number: str) -> str | None:
    """The number of a phone contact card shared in Telegram, in E.164 (Telegram leaves out
    the +), or None when it is not a valid number."""
    digits = number.strip()
    try:
        return phone(digits if digits.startswith("+") else f"+{digits}")
    except InvalidField:
        return None


def phone_for_display(e164: str) -> str:
    """A stored number as people write it internationally: +221 77 000 22 01."""
    import phonenumbers  # with its metadata, when a phone number is first read or shown

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def email(value: str | None) -> str | None:
    """An e-mail address (domain lowercased), or None when empty."""
    text = _clean(value or "").removeprefix("mailto:")
    if not text:
        return None
    if len(text) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(text) or ".." in text:
        raise InvalidField(Field.EMAIL, Problem.EMAIL, text)
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def telegram(value: str | None) -> str | None:
    """A Telegram username without '@' (also from a t.me link), or None when empty."""
    text = _clean(value or "")
    text = re.sub(r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me)/", "", text).lstrip("@")
    text = text.rstrip("/")
    if not text:
        return None
    if not _USERNAME.fullmatch(text):
        raise InvalidField(Field.TELEGRAM, Problem.USERNAME, text)
    return text


def parse_field(field: Field, value: str | None, *, country: str = "") -> object:
    """One field's value from typed text (a flow step or a CSV cell), normalised."""
    match field:
        case Field.ORGANISATION_TYPE:
            return organisation_type(value)
        case Field.EXPERTISE:
            return expertise(value)
        case Field.LANGUAGES:
            return languages(value)
        case Field.PHONE:
            return phone(value, country)
        case Field.EMAIL:
            return email(value)
        case Field.TELEGRAM:
            return telegram(value)
        case _:
            return clean_text(field, value)


def parse_draft(values: Mapping[str, str | None]) -> tuple[ContactDraft, list[InvalidField]]:
    """A draft from raw texts (e.g. a CSV row), and every problem found on the way."""
    parsed: dict[str, Any] = {}
    problems: list[InvalidField] = []
    country = _clean(values.get(Field.COUNTRY.value) or "")
    for field in Field:
        try:
            parsed[field.value] = parse_field(field, values.get(field.value), country=country)
        except InvalidField as problem:
            problems.append(problem)
    return ContactDraft(**parsed), problems


def check_draft(draft: ContactDraft) -> ContactDraft:
    """Check a draft again as a whole before it is saved (the first problem is raised)."""
    values: dict[str, str | None] = {
        Field.NAME: draft.name,
        Field.ORGANISATION: draft.organisation,
        Field.ORGANISATION_TYPE: draft.organisation_type.value if draft.organisation_type else "",
        Field.COUNTRY: draft.country,
        Field.ROLE: draft.role,
        Field.EXPERTISE: "; ".join(draft.expertise),
        Field.LANGUAGES: ", ".join(draft.languages),
        Field.PHONE: draft.phone,
        Field.EMAIL: draft.email,
        Field.TELEGRAM: draft.telegram,
        Field.NOTES: draft.notes,
    }
    checked, problems = parse_draft(values)
    if problems:
        raise problems[0]
    return checked
