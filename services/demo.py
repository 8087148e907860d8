"""The demo data of the console: a validated model of `data/demo.yaml` and its loader.

The file describes fictional people, the partnerships they belong to, a group chat and
partner contacts. Loading creates what is missing through the services, so the demo
partnerships obey the same rules as real ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from domain.models import LANGUAGES, PartnershipKind, Role
from services.contact_fields import ContactDraft, OrganisationType
from services.container import Services
from services.demo_history import HistoryDataError, HistoryLoaded, load_history
from services.partnerships import MAX_NAME_LENGTH, SLUG_PATTERN
from services.validation import MAX_COUNTRY, MAX_ORGANISATION, known_timezone, shipped_language
from storage import members as member_store

#: E.164: a plus sign, a country code not starting with 0, at most 15 digits in all.
E164 = r"^\+[1-9][0-9]{6,14}$"
#: Telegram usernames: 5 to 32 letters, digits and underscores, starting with a letter.
USERNAME = r"^[A-Za-z][A-Za-z0-9_]{4,31}$"
#: Demo addresses must stay on domains reserved for examples (RFC 2606), so no real
#: mailbox can ever receive anything sent to a demo contact.
FICTIONAL_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)*example\.(?:org|com|net)$")

Text = Annotated[str, Field(min_length=1, max_length=200)]


class DemoDataError(ValueError):
    """The demo file is missing, is not YAML, or does not describe valid demo data."""


class _Strict(BaseModel):
    # Unknown keys are refused so that a misspelt key is reported, not silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class PersonModel(_Strict):
    """A fictional Telegram user."""

    id: int = Field(gt=0, description="Telegram user id")
    name: str = Field(min_length=1, max_length=120)
    username: str = Field(pattern=USERNAME)
    language: str = Field(description="Telegram language: en, fr, ar, pt or es")
    phone: str | None = Field(default=None, pattern=E164)

    @field_validator("language")
    @classmethod
    def _shipped_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value


class MembershipModel(_Strict):
    """A person's place in a partnership."""

    person: str = Field(description="username of an entry of `people`")
    role: Role
    organisation: str | None = Field(default=None, max_length=MAX_ORGANISATION)
    country: str | None = Field(default=None, max_length=MAX_COUNTRY)


class PartnershipModel(_Strict):
    """A demo partnership and its members."""

    slug: str = Field(pattern=SLUG_PATTERN.pattern)
    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    kind: PartnershipKind
    countries: list[Annotated[str, Field(min_length=1, max_length=MAX_COUNTRY)]]
    timezone: str
    language: str
    members: list[MembershipModel] = Field(min_length=1)

    @field_validator("countries")
    @classmethod
    def _no_commas(cls, value: list[str]) -> list[str]:
        # Countries are stored comma-separated.
        if any("," in country for country in value):
            raise ValueError("country names cannot contain commas")
        return value

    _known_timezone = field_validator("timezone")(known_timezone)
    _shipped_language = field_validator("language")(shipped_language)

    @model_validator(mode="after")
    def _has_an_admin(self) -> Self:
        if not any(m.role is Role.ADMIN for m in self.members):
            raise ValueError(f"partnership {self.slug!r} needs at least one admin")
        people = [m.person for m in self.members]
        repeated = sorted({p for p in people if people.count(p) > 1})
        if repeated:
            raise ValueError(f"partnership {self.slug!r} lists {', '.join(repeated)} twice")
        return self


class GroupModel(_Strict):
    """The group chat the console can switch to."""

    chat_id: int = Field(lt=0, description="group chat ids are negative")
    title: str = Field(min_length=1, max_length=128)


class ContactModel(_Strict):
    """A partner contact of a demo partnership's directory."""

    partnership: str = Field(description="slug of an entry of `partnerships`")
    name: Text
    organisation: Text
    organisation_type: OrganisationType
    country: str = Field(min_length=1, max_length=MAX_COUNTRY)
    role: Text
    expertise: list[Text] = Field(default_factory=list)
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]] = Field(min_length=1)
    phone: str | None = Field(default=None, pattern=E164)
    email: str | None = None
    telegram: str | None = Field(default=None, pattern=USERNAME)
    notes: str | None = Field(default=None, max_length=500)

    @field_validator("email")
    @classmethod
    def _fictional_email(cls, value: str | None) -> str | None:
        if value is not None and not FICTIONAL_EMAIL.match(value):
            raise ValueError("must be an address on example.org, example.com or example.net")
        return value

    def draft(self) -> ContactDraft:
        """The contact as the directory takes it."""
        return ContactDraft(
            name=self.name,
            organisation=self.organisation,
            organisation_type=self.organisation_type,
            country=self.country,
            role=self.role,
            expertise=tuple(self.expertise),
            languages=tuple(self.languages),
            phone=self.phone,
            email=self.email,
            telegram=self.telegram,
            notes=self.notes or "",
        )


class DemoFile(_Strict):
    """The whole demo file, with its cross-references checked."""

    people: list[PersonModel] = Field(min_length=1)
    partnerships: list[PartnershipModel] = Field(min_length=1)
    group: GroupModel | None = None
    contacts: list[ContactModel] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        _unique("people ids", [str(p.id) for p in self.people])
        _unique("usernames", [p.username.lower() for p in self.people])
        _unique("partnership slugs", [p.slug for p in self.partnerships])
        usernames = {p.username for p in self.people}
        slugs = {p.slug for p in self.partnerships}
        for partnership in self.partnerships:
            for member in partnership.members:
                if member.person not in usernames:
                    raise ValueError(
                        f"partnership {partnership.slug!r} lists {member.person!r},"
                        " who is not among `people` (refer to people by username)"
                    )
        for contact in self.contacts:
            if contact.partnership not in slugs:
                raise ValueError(
                    f"contact {contact.name!r} belongs to {contact.partnership!r},"
                    " which is not among `partnerships`"
                )
        return self


def _unique(what: str, values: list[str]) -> None:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{what} must be unique; repeated: {', '.join(repeated)}")


@dataclass(frozen=True, slots=True)
class DemoRole:
    """A demo member's role in one partnership."""

    partnership: str  # the partnership's name
    role: Role


@dataclass(frozen=True, slots=True)
class DemoMember:
    """A demo person the console can act as."""

    user_id: int
    name: str
    username: str
    language: str
    phone: str | None
    roles: tuple[DemoRole, ...]

    @property
    def role(self) -> Role | None:
        """Their role in the first partnership they belong to (their active one at first)."""
        return self.roles[0].role if self.roles else None


@dataclass(frozen=True, slots=True)
class DemoGroup:
    """The demo group chat."""

    chat_id: int
    title: str


@dataclass(frozen=True, slots=True)
class DemoData:
    """What the console needs to know about the demo."""

    members: tuple[DemoMember, ...]
    group: DemoGroup | None
    contacts: int
    created: tuple[str, ...]  # names of the partnerships this load created
    #: What this load wrote of the demo's history.
    history: HistoryLoaded = field(default_factory=HistoryLoaded)

    @property
    def first_admin(self) -> DemoMember:
        """The first person who is an admin somewhere: whom the console starts as."""
        return next(m for m in self.members if any(r.role is Role.ADMIN for r in m.roles))


def read_demo_file(path: Path) -> DemoFile:
    """Parse and validate a demo file; DemoDataError says what is wrong and where."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DemoDataError(f"{path}: demo data file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DemoDataError(f"{path}: cannot read the demo data file: {exc}") from exc
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc)
        raise DemoDataError(f"{path}: not valid YAML{where}: {problem}") from exc
    if not isinstance(raw, dict):
        raise DemoDataError(f"{path}: expected a mapping with people, partnerships and contacts")
    try:
        return DemoFile.model_validate(raw)
    except ValidationError as exc:
        raise DemoDataError(f"{path}: invalid demo data:\n{_describe(exc)}") from exc


def _describe(error: ValidationError) -> str:
    """One line per problem, each with its place in the file: `partnerships[0].kind: ...`."""
    lines = []
    for item in error.errors():
        place = ""
        for part in item["loc"]:
            place += f"[{part}]" if isinstance(part, int) else f".{part}"
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"  - {place.lstrip('.') or 'file'}: {message}")
    return "\n".join(lines)


async def load_demo(services: Services, path: Path, history: Path | None = None) -> DemoData:
    """Create the demo partnerships with their members, unless they exist already, fill
    the contact directory of each demo partnership that has no contact yet and, with a
    `history` file (services/demo_history.py), give each one untouched its year of meetings,
    challenges and milestone updates.

    A partnership whose slug exists is left exactly as it is (members removed or roles
    changed while trying the bot stay that way), so loading twice changes nothing.
    """
    demo = read_demo_file(path)
    people = {p.username: p for p in demo.people}
    existing = {p.slug for p in await services.partnerships.list_all()}
    created = []
    for entry in demo.partnerships:
        if entry.slug in existing:
            continue
        partnership = await services.partnerships.create(
            name=entry.name,
            kind=entry.kind,
            countries=tuple(entry.countries),
            timezone=entry.timezone,
            language=entry.language,
            slug=entry.slug,
        )
        for member in entry.members:
            person = people[member.person]
            await services.partnerships.add_member(
                partnership,
                user_id=person.id,
                name=person.name,
                role=member.role,
                username=person.username,
                organisation=member.organisation,
                country=member.country,
            )
            await _set_telegram_language(services, person)
        created.append(entry.name)
    await _load_contacts(services, demo)
    loaded = HistoryLoaded()
    if history is not None:
        try:
            loaded = await load_history(services, history, {p.username: p.id for p in demo.people})
        except HistoryDataError as error:
            raise DemoDataError(str(error)) from error
    return DemoData(
        members=tuple(_describe_member(person, demo) for person in demo.people),
        group=DemoGroup(demo.group.chat_id, demo.group.title) if demo.group else None,
        contacts=len(demo.contacts),
        created=tuple(created),
        history=loaded,
    )


async def _load_contacts(services: Services, demo: DemoFile) -> None:
    """Contacts of each demo partnership whose directory is empty (new, or made before the
    directory existed); a directory in use is left as it is."""
    for partnership in await services.partnerships.list_all():
        drafts = [c.draft() for c in demo.contacts if c.partnership == partnership.slug]
        if not drafts or await services.contacts.count(partnership) > 0:
            continue
        report = await services.contacts.add_drafts(partnership, drafts, source="demo")
        if report.problems:
            problems = "; ".join(problem.describe() for problem in report.problems)
            raise DemoDataError(f"demo contacts of {partnership.slug!r} refused: {problems}")


async def _set_telegram_language(services: Services, person: PersonModel) -> None:
    """Record the person's Telegram language, as their first update would, so that the bot
    greets them in it even before they write (menus, messages sent to them)."""
    async with services.db.transaction() as tx:
        await member_store.upsert(
            tx,
            member_id=person.id,
            name=person.name,
            username=person.username,
            telegram_language=person.language,
            now=services.clock(),
        )


def _describe_member(person: PersonModel, demo: DemoFile) -> DemoMember:
    roles = tuple(
        DemoRole(partnership.name, member.role)
        for partnership in demo.partnerships
        for member in partnership.members
        if member.person == person.username
    )
    return DemoMember(
        user_id=person.id,
        name=person.name,
        username=person.username,
        language=person.language,
        phone=person.phone,
        roles=roles,
    )
