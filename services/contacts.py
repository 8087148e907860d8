"""The partner contact directory: search, contact cards, guided edits, import and export of
files (CSV in several layouts, and vCards).

Every read and write is scoped to partnerships the caller belongs to; adding, editing,
deleting, importing and exporting need `Capability.MANAGE_CONTACTS`, while any member keeps
their own card (`save_own_card`). Every change is written to the audit log in the same
transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import partial
from typing import Protocol

from domain.contacts import Contact, ContactFields
from domain.models import Partnership, Role
from services.access import Caller, Capability, language_of
from services.clock import Clock
from services.contact_csv import write_csv
from services.contact_fields import (
    ContactDraft,
    Field,
    InvalidField,
    OrganisationType,
    check_draft,
    fold,
    identity_key,
    language_names,
)
from services.contact_files import Layout, read_contacts
from services.contact_rows import CsvRow
from services.contact_vcard import write_vcards
from services.errors import NotFound, ServiceError
from services.outbox import OutboxService, Recipient, Rendered
from services.text import clean
from storage import audit
from storage import contacts as store
from storage import members as member_store
from storage.db import Database, Transaction

PAGE_SIZE = 8
INLINE_PAGE_SIZE = 20
#: Past this many matches a search says "more than" this instead of counting them all.
COUNTED_MATCHES = 500
MAX_QUERY_LENGTH = 200

#: Filter names people may type before a colon (in the shipped languages), and the indexed
#: column each narrows. Country names are matched as whole words (Niger is not Nigeria);
#: the last word of the other filters may be the beginning of a word.
FILTERS: dict[str, tuple[str, bool]] = {
    **dict.fromkeys(("country", "pays", "pais", "بلد", "دولة"), ("country", False)),
    **dict.fromkeys(
        (
            *("org", "organisation", "organization", "organisme", "organizacion"),
            *("organizacao", "جهة", "منظمة", "هيئة"),
        ),
        ("organisation", True),
    ),
    **dict.fromkeys(
        ("role", "rol", "papel", "fonction", "funcao", "cargo", "منصب", "دور", "وظيفة"),
        ("role", True),
    ),
    **dict.fromkeys(("type", "tipo", "نوع"), ("kind", True)),
    **dict.fromkeys(("lang", "language", "langue", "idioma", "lingua", "لغة"), ("languages", True)),
}
#: Typed names are folded before the lookup, so the table's names are too (هيئة loses its hamza).
_FOLDED_FILTERS = {fold(name): target for name, target in FILTERS.items()}
_QUOTES = '"“”«»„'
_FILTER = re.compile(
    rf"(?P<key>[^\s:{_QUOTES}]+):(?:[{_QUOTES}](?P<quoted>[^{_QUOTES}]*)[{_QUOTES}]?|(?P<bare>\S+))"
)


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """A typed search: free words and column filters (`column`, `value`, `prefix`)."""

    words: tuple[str, ...] = ()
    filters: tuple[tuple[str, str, bool], ...] = ()

    @property
    def empty(self) -> bool:
        """True if nothing would narrow the search."""
        return store.match_expression(self.words, self.filters) is None


def parse_query(text: str) -> SearchTerms:
    """Free words and filters from what someone typed: `police country:"côte d'ivoire"`."""
    text = clean(text)[:MAX_QUERY_LENGTH]
    filters: list[tuple[str, str, bool]] = []
    rest: list[str] = []
    position = 0
    for found in _FILTER.finditer(text):
        known = _FOLDED_FILTERS.get(fold(found["key"]))
        if known is None:
            continue  # not a filter: its words are searched like any others
        rest.append(text[position : found.start()])
        position = found.end()
        value = found["quoted"] if found["quoted"] is not None else found["bare"]
        column, prefix = known
        filters.append((column, value.strip(), prefix))
    rest.append(text[position:])
    words = " ".join(rest).translate({ord(q): " " for q in _QUOTES}).split()
    return SearchTerms(tuple(words), tuple(filters))


@dataclass(frozen=True, slots=True)
class ContactPage:
    """One page of search results."""

    contacts: list[Contact]
    page: int
    pages: int  # with `more_than`, as many as are known: at least one past `page`
    total: int  # with `more_than`, how many were counted: more match
    more_than: int | None = None  # set when more than this many match, left uncounted


@dataclass(frozen=True, slots=True)
class Directory:
    """What a partnership's directory holds, for browsing."""

    partnership: Partnership
    total: int
    countries: list[tuple[str, int]]
    organisations: int


class DuplicateContact(ServiceError):
    """Another contact of the partnership has the same name and organisation, or phone.

    `linkable`: the other one is an entry a coordinator made, which a coordinator may link
    to the member saving their own card (see `ContactService.ask_to_link`)."""

    def __init__(self, existing: Contact, *, linkable: bool = False) -> None:
        super().__init__(f"same as contact {existing.id}")
        self.existing = existing
        self.linkable = linkable


@dataclass(frozen=True, slots=True)
class LinkRequest:
    """A member's word that a directory entry is them: a claim for a coordinator to check."""

    contact: Contact
    member_id: int
    member_name: str
    member_username: str | None
    partnership: Partnership


class LinkMessages(Protocol):
    """How the messages of linking an entry to a member read in a language."""

    def request(self, request: LinkRequest, language: str) -> Rendered:
        """To coordinators: a member says this entry is them (with a Link button)."""
        ...

    def linked(self, contact: Contact, language: str) -> Rendered:
        """To the member: a coordinator made the entry their card."""
        ...


class ExportFormat(StrEnum):
    """The files a directory is exported as."""

    CSV = "csv"  # Partnerbot's CSV layout, for spreadsheets (services.contact_csv)
    VCARD = "vcard"  # one .vcf of every contact, for phones (services.contact_vcard)


class RowProblem(StrEnum):
    """Why an import row was refused as a whole."""

    REPEATED = "repeated"  # the file has this contact on an earlier line
    AMBIGUOUS = "ambiguous"  # it matches two different contacts of the directory
    MEMBER_CARD = "member_card"  # it would change a member's own card


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """Something wrong on one line of an imported file (for vCards: on one card)."""

    line: int  # the line of a CSV file, or the card's number (from 1) in a vCard file
    problem: InvalidField | RowProblem
    detail: str = ""  # for REPEATED, the earlier line or card; for AMBIGUOUS/MEMBER_CARD, a name
    by_card: bool = False  # `line` and a REPEATED `detail` are card numbers

    def describe(self) -> str:
        """In English, for the command line and logs."""
        where = f"{'card' if self.by_card else 'line'} {self.line}"
        match self.problem:
            case RowProblem.REPEATED:
                earlier = f"{'card' if self.by_card else 'line'} {self.detail}"
                return f"{where}: the same contact as {earlier}"
            case RowProblem.AMBIGUOUS:
                return f"{where}: matches several contacts ({self.detail})"
            case RowProblem.MEMBER_CARD:
                return f"{where}: {self.detail} keeps their own card up to date"
            case InvalidField() as invalid:
                return f"{where}: {invalid.describe()}"


@dataclass(slots=True)
class ImportReport:
    """What an import did, or would have done."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    applied: bool = False  # False when invalid rows stopped the whole import
    layout: Layout | None = None  # the kind of file imported (None for drafts given directly)

    @property
    def invalid_rows(self) -> int:
        """How many rows had at least one problem."""
        return len({problem.line for problem in self.problems})


def _stored(draft: ContactDraft) -> ContactFields:
    return ContactFields(
        name=draft.name,
        organisation=draft.organisation,
        organisation_type=draft.organisation_type.value if draft.organisation_type else None,
        country=draft.country,
        role=draft.role,
        expertise=draft.expertise,
        languages=draft.languages,
        language_names=language_names(draft.languages),
        phone=draft.phone,
        email=draft.email,
        telegram=draft.telegram,
        notes=draft.notes,
        identity_key=identity_key(draft.name, draft.organisation),
    )


async def _known_countries(conn: Database | Transaction, partnership: Partnership) -> list[str]:
    """Countries as the partnership spells them: its own, then its contacts'."""
    known = list(partnership.countries)
    known += [name for name, _ in await store.tally(conn, partnership.id, "country")]
    return known


def _spelled_as_known(country: str, known: Sequence[str]) -> str:
    """`country` as one of `known` spells it, ignoring case and accents; else unchanged."""
    key = fold(country)
    return next((name for name in known if key and fold(name) == key), country)


def draft_of(contact: Contact) -> ContactDraft:
    """A stored contact as a draft (to edit it)."""
    kind = contact.organisation_type
    known = {member.value for member in OrganisationType}
    return ContactDraft(
        name=contact.name,
        organisation=contact.organisation,
        organisation_type=OrganisationType(kind) if kind in known else None,
        country=contact.country,
        role=contact.role,
        expertise=contact.expertise,
        languages=contact.languages,
        phone=contact.phone,
        email=contact.email,
        telegram=contact.telegram,
        notes=contact.notes,
    )


def changed_fields(before: ContactDraft, after: ContactDraft) -> list[str]:
    """Names of the fields that differ."""
    return [f.value for f in Field if getattr(before, f.value) != getattr(after, f.value)]


class ContactService:
    """The contact directories of partnerships."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        outbox: OutboxService,
        link_messages: LinkMessages,
        default_language: str,
    ) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox
        self._link_messages = link_messages
        self._default_language = default_language

    # -- reading --------------------------------------------------------------------------

    async def search(
        self,
        caller: Caller,
        text: str = "",
        *,
        country: str | None = None,
        organisation: str | None = None,
        page: int = 0,
        page_size: int = PAGE_SIZE,
    ) -> ContactPage:
        """A page of the active partnership's contacts matching `text` (words and filters)
        and exact `country` / `organisation` values (browsing); best matches first."""
        membership = caller.require(Capability.READ)
        terms = parse_query(text)
        query = store.Search(
            partnership_ids=(membership.partnership_id,),
            match=store.match_expression(terms.words, terms.filters),
            country=country,
            organisation=organisation,
        )
        if query.match is None and country is None and organisation is None:
            return ContactPage([], 0, 1, 0)
        page = max(page, 0)
        # Counting every match of a broad query costs as much as ranking them: past
        # COUNTED_MATCHES (or past this page) the count stops, one match beyond.
        counted = max(COUNTED_MATCHES, (page + 1) * page_size)
        found, total = await store.search(
            self._db, query, limit=page_size, offset=page * page_size, count_up_to=counted + 1
        )
        pages = max((total + page_size - 1) // page_size, 1)
        if not found and total and page >= pages:
            # The directory shrank since the page was shown: show its last page.
            return await self.search(
                caller,
                text,
                country=country,
                organisation=organisation,
                page=pages - 1,
                page_size=page_size,
            )
        more_than = COUNTED_MATCHES if total > counted else None
        return ContactPage(found, page, pages, total, more_than)

    async def search_everywhere(
        self, caller: Caller, text: str, *, offset: int = 0, limit: int = INLINE_PAGE_SIZE
    ) -> tuple[list[Contact], int | None]:
        """Contacts of every partnership the caller belongs to (inline mode), and the offset
        of the next page, if any."""
        caller.require(Capability.READ)
        memberships = await member_store.memberships_of(self._db, caller.identity.user_id)
        terms = parse_query(text)
        match = store.match_expression(terms.words, terms.filters)
        if match is None or not memberships:
            return [], None
        query = store.Search(tuple(m.partnership_id for m in memberships), match=match)
        offset = max(offset, 0)
        # Whether there is a next page is all inline mode shows: one match past this page.
        found, total = await store.search(
            self._db, query, limit=limit, offset=offset, count_up_to=offset + limit + 1
        )
        following = offset + len(found)
        return found, following if following < total else None

    async def matching_shared(self, caller: Caller, name: str, phone: str | None) -> list[Contact]:
        """The contacts a shared phone contact may be: same number first, then by name."""
        membership = caller.require(Capability.READ)
        found = await store.with_phone(self._db, membership.partnership_id, phone) if phone else []
        by_name = await self.search(caller, name, page_size=5) if name.strip() else None
        for contact in by_name.contacts if by_name else []:
            if all(contact.id != known.id for known in found):
                found.append(contact)
        return found[:5]

    async def directory(self, caller: Caller) -> Directory:
        """The active partnership's directory in figures, with its countries."""
        membership = caller.require(Capability.READ)
        partnership_id = membership.partnership_id
        return Directory(
            partnership=membership.partnership,
            total=await store.count(self._db, partnership_id),
            countries=await store.tally(self._db, partnership_id, "country"),
            organisations=len(await store.tally(self._db, partnership_id, "organisation")),
        )

    async def count(self, partnership: Partnership) -> int:
        """How many contacts a partnership's directory holds (command line, demo data)."""
        return await store.count(self._db, partnership.id)

    async def organisations(self, caller: Caller) -> list[tuple[str, int]]:
        """The organisations of the active partnership's contacts, most contacts first."""
        membership = caller.require(Capability.READ)
        return await store.tally(self._db, membership.partnership_id, "organisation")

    async def countries(self, caller: Caller) -> list[tuple[str, int]]:
        """The countries of the active partnership's contacts, most contacts first."""
        membership = caller.require(Capability.READ)
        return await store.tally(self._db, membership.partnership_id, "country")

    async def get(self, caller: Caller, contact_id: int) -> Contact:
        """One contact of the active partnership, or NotFound."""
        membership = caller.require(Capability.READ)
        found = await store.get(self._db, membership.partnership_id, contact_id)
        if found is None:
            raise NotFound("contact")
        return found

    async def own_card(self, caller: Caller) -> Contact | None:
        """The caller's own card in the active partnership."""
        membership = caller.require(Capability.READ)
        return await store.of_member(self._db, membership.partnership_id, caller.identity.user_id)

    async def canonical_country(self, caller: Caller, country: str) -> str:
        """A typed country as the partnership already spells it ('senegal' -> 'Sénégal')."""
        membership = caller.require(Capability.READ)
        known = await _known_countries(self._db, membership.partnership)
        return _spelled_as_known(country, known)

    # -- writing --------------------------------------------------------------------------

    async def save(
        self, caller: Caller, draft: ContactDraft, contact_id: int | None = None
    ) -> Contact:
        """Add a contact, or replace the fields of one (coordinators and admins)."""
        membership = caller.require(Capability.MANAGE_CONTACTS)
        partnership = membership.partnership
        draft = check_draft(draft)
        now = self._clock()
        async with self._db.transaction() as tx:
            draft = await self._with_country(tx, partnership, draft)
            stored = _stored(draft)
            others = [
                c
                for c in await store.same_as(
                    tx, partnership.id, identity_key=stored.identity_key, phone=draft.phone
                )
                if c.id != contact_id
            ]
            if others:
                raise DuplicateContact(others[0])
            if contact_id is None:
                contact_id = await store.insert(
                    tx,
                    partnership_id=partnership.id,
                    fields=stored,
                    now=now,
                    by=caller.identity.user_id,
                )
                await audit.record(
                    tx,
                    action="contact.create",
                    now=now,
                    partnership_id=partnership.id,
                    actor_id=caller.identity.user_id,
                    contact_id=contact_id,
                    name=draft.name,
                )
            else:
                before = await store.get(tx, partnership.id, contact_id)
                if before is None or before.member_id is not None:
                    # Members keep their own cards; nobody else edits them.
                    raise NotFound("contact")
                await store.update(
                    tx,
                    partnership_id=partnership.id,
                    contact_id=contact_id,
                    fields=stored,
                    now=now,
                    by=caller.identity.user_id,
                )
                await audit.record(
                    tx,
                    action="contact.update",
                    now=now,
                    partnership_id=partnership.id,
                    actor_id=caller.identity.user_id,
                    contact_id=contact_id,
                    fields=changed_fields(draft_of(before), draft),
                )
        saved = await store.get(self._db, partnership.id, contact_id)
        assert saved is not None
        return saved

    async def delete(self, caller: Caller, contact_id: int) -> Contact:
        """Remove a contact (coordinators and admins); members' own cards stay theirs."""
        membership = caller.require(Capability.MANAGE_CONTACTS)
        now = self._clock()
        async with self._db.transaction() as tx:
            found = await store.get(tx, membership.partnership_id, contact_id)
            if found is None or found.member_id is not None:
                raise NotFound("contact")
            await store.delete(tx, partnership_id=membership.partnership_id, contact_id=contact_id)
            await audit.record(
                tx,
                action="contact.delete",
                now=now,
                partnership_id=membership.partnership_id,
                actor_id=caller.identity.user_id,
                contact_id=contact_id,
                name=found.name,
            )
        return found

    async def save_own_card(self, caller: Caller, draft: ContactDraft) -> Contact:
        """Create or update the caller's own card in the active partnership.

        A card never takes over another entry: one with the same name and organisation or
        phone is refused (`DuplicateContact`), and only a coordinator may link an entry
        they made to the member (`ask_to_link`, `link_to_member`).
        """
        membership = caller.require(Capability.READ)
        partnership = membership.partnership
        member_id = caller.identity.user_id
        draft = check_draft(draft)
        now = self._clock()
        async with self._db.transaction() as tx:
            draft = await self._with_country(tx, partnership, draft)
            stored = _stored(draft)
            own = await store.of_member(tx, partnership.id, member_id)
            others = [
                c
                for c in await store.same_as(
                    tx, partnership.id, identity_key=stored.identity_key, phone=draft.phone
                )
                if own is None or c.id != own.id
            ]
            if others:
                # What a member types about themselves is a claim: it never overwrites an
                # entry. A coordinator may link the one entry made for them instead.
                linkable = own is None and len(others) == 1 and others[0].member_id is None
                raise DuplicateContact(others[0], linkable=linkable)
            if own is None:
                card_id = await store.insert(
                    tx,
                    partnership_id=partnership.id,
                    fields=stored,
                    now=now,
                    by=member_id,
                    member_id=member_id,
                )
            else:
                card_id = own.id
                await store.update(
                    tx,
                    partnership_id=partnership.id,
                    contact_id=card_id,
                    fields=stored,
                    now=now,
                    by=member_id,
                )
            await audit.record(
                tx,
                action="contact.own_card",
                now=now,
                partnership_id=partnership.id,
                actor_id=member_id,
                contact_id=card_id,
            )
        saved = await store.get(self._db, partnership.id, card_id)
        assert saved is not None
        return saved

    async def ask_to_link(self, caller: Caller, contact_id: int) -> int:
        """Ask the coordinators (the admins if there are none) to link an entry they made to
        the caller as their card; returns how many were asked. Asking again asks nobody."""
        membership = caller.require(Capability.READ)
        partnership = membership.partnership
        member_id = caller.identity.user_id
        entry = await store.get(self._db, partnership.id, contact_id)
        own = await store.of_member(self._db, partnership.id, member_id)
        if entry is None or entry.member_id is not None or own is not None:
            raise NotFound("contact")
        people = [
            (member, role)
            for member, role in await member_store.audience(self._db, partnership.id)
            if member.id != member_id and not member.unreachable
        ]
        asked = [m for m, role in people if role is Role.COORDINATOR] or [
            m for m, role in people if role is Role.ADMIN
        ]
        request = LinkRequest(
            entry, member_id, caller.identity.name, caller.identity.username, partnership
        )
        await self._outbox.enqueue(
            kind="contact_link",
            reference=str(contact_id),
            partnership_id=partnership.id,
            recipients=[
                Recipient(
                    m.id, m.id, language_of(m, partnership.language or self._default_language)
                )
                for m in asked
            ],
            render=partial(self._link_messages.request, request),
            author_id=member_id,
            body=entry.name,
            idempotency_key=f"contact-link:{partnership.id}:{contact_id}:{member_id}",
        )
        async with self._db.transaction() as tx:
            await audit.record(
                tx,
                action="contact.link_request",
                now=self._clock(),
                partnership_id=partnership.id,
                actor_id=member_id,
                contact_id=contact_id,
            )
        return len(asked)

    async def link_to_member(
        self,
        caller: Caller,
        contact_id: int,
        member_id: int,
    ) -> Contact:
        """A coordinator confirms that an entry they made is a member: it becomes that
        member's card, with the entry's values as they are, and the member is told."""
        membership = caller.require(Capability.MANAGE_CONTACTS)
        partnership = membership.partnership
        async with self._db.transaction() as tx:
            entry = await store.get(tx, partnership.id, contact_id)
            target = await member_store.membership(tx, member_id, partnership.id)
            if (
                entry is None
                or entry.member_id is not None
                or target is None
                or await store.of_member(tx, partnership.id, member_id) is not None
            ):
                raise NotFound("contact")
            await store.adopt(tx, partnership.id, contact_id, member_id)
            await audit.record(
                tx,
                action="contact.link",
                now=self._clock(),
                partnership_id=partnership.id,
                actor_id=caller.identity.user_id,
                contact_id=contact_id,
                member_id=member_id,
            )
        linked = await store.get(self._db, partnership.id, contact_id)
        assert linked is not None
        member = await member_store.get(self._db, member_id)
        if member is not None:
            await self._outbox.enqueue(
                kind="contact_linked",
                reference=str(contact_id),
                partnership_id=partnership.id,
                recipients=[
                    Recipient(
                        member.id,
                        member.id,
                        language_of(member, partnership.language or self._default_language),
                    )
                ],
                render=partial(self._link_messages.linked, linked),
                author_id=caller.identity.user_id,
                body=linked.name,
                idempotency_key=f"contact-linked:{partnership.id}:{contact_id}:{member_id}",
            )
        return linked

    async def delete_own_card(self, caller: Caller) -> bool:
        """Take the caller's own card out of the active partnership's directory."""
        membership = caller.require(Capability.READ)
        now = self._clock()
        async with self._db.transaction() as tx:
            own = await store.of_member(tx, membership.partnership_id, caller.identity.user_id)
            if own is None:
                return False
            await store.delete(tx, partnership_id=membership.partnership_id, contact_id=own.id)
            await audit.record(
                tx,
                action="contact.own_card_delete",
                now=now,
                partnership_id=membership.partnership_id,
                actor_id=caller.identity.user_id,
                contact_id=own.id,
            )
        return True

    async def _with_country(
        self, tx: Transaction, partnership: Partnership, draft: ContactDraft
    ) -> ContactDraft:
        known = await _known_countries(tx, partnership)
        return replace(draft, country=_spelled_as_known(draft.country, known))

    # -- files ----------------------------------------------------------------------------

    async def import_for(
        self,
        caller: Caller,
        data: bytes,
        *,
        filename: str | None = None,
        skip_invalid: bool = False,
    ) -> ImportReport:
        """Import a contacts file into the active partnership (coordinators and admins)."""
        membership = caller.require(Capability.MANAGE_CONTACTS)
        return await self.import_file(
            membership.partnership,
            data,
            filename,
            actor_id=caller.identity.user_id,
            skip_invalid=skip_invalid,
        )

    async def import_file(
        self,
        partnership: Partnership,
        data: bytes,
        filename: str | None = None,
        *,
        actor_id: int | None = None,
        skip_invalid: bool = False,
    ) -> ImportReport:
        """Import a contacts file: Partnerbot's CSV, Google's or Outlook's CSV export, or
        vCards (see services.contact_files for how it is recognised and read).

        Rows (cards) matching a contact of the partnership (same name and organisation, or
        same phone) update it. Nothing is written if a row is invalid, unless
        `skip_invalid`. A file that cannot be read at all raises CsvRefused.
        """
        read = read_contacts(data, filename)
        report = ImportReport(layout=read.layout)
        return await self._import(
            partnership, read.rows, actor_id, skip_invalid, read.layout.value, report, read.by_card
        )

    async def add_drafts(
        self, partnership: Partnership, drafts: Sequence[ContactDraft], *, source: str
    ) -> ImportReport:
        """Add or update contacts given as drafts (demo data); like an import of those rows."""
        rows = []
        for line, draft in enumerate(drafts, 1):
            try:
                rows.append(CsvRow(line, check_draft(draft), ()))
            except InvalidField as problem:
                rows.append(CsvRow(line, draft, (problem,)))
        return await self._import(partnership, rows, None, False, source, ImportReport(), False)

    async def _import(
        self,
        partnership: Partnership,
        rows: Iterable[CsvRow],
        actor_id: int | None,
        skip_invalid: bool,
        source: str,
        report: ImportReport,
        by_card: bool,
    ) -> ImportReport:
        now = self._clock()
        async with self._db.transaction() as tx:
            plan = await self._plan(tx, partnership, rows, report, by_card)
            report.applied = skip_invalid or not report.problems
            if not report.applied:
                return report
            creations: list[ContactFields] = []
            for contact_id, draft in plan:
                if contact_id is None:
                    creations.append(_stored(draft))
                    continue
                await store.update(
                    tx,
                    partnership_id=partnership.id,
                    contact_id=contact_id,
                    fields=_stored(draft),
                    now=now,
                    by=actor_id,
                )
            await store.insert_many(
                tx, partnership_id=partnership.id, rows=creations, now=now, by=actor_id
            )
            await audit.record(
                tx,
                action="contact.import",
                now=now,
                partnership_id=partnership.id,
                actor_id=actor_id,
                source=source,
                created=report.created,
                updated=report.updated,
                unchanged=report.unchanged,
                skipped_rows=report.invalid_rows,
            )
        return report

    async def _plan(
        self,
        tx: Transaction,
        partnership: Partnership,
        rows: Iterable[CsvRow],
        report: ImportReport,
        by_card: bool,
    ) -> list[tuple[int | None, ContactDraft]]:
        """What each valid row will do: (contact to update, or None to create; values).

        Counts go into `report`, and problems, by line (or card), too.
        """
        problem = partial(ImportProblem, by_card=by_card)
        plan: list[tuple[int | None, ContactDraft]] = []
        seen: dict[str, int] = {}  # identity key, phone or existing contact id -> first line
        countries = await _known_countries(tx, partnership)
        for row in rows:
            report.rows += 1
            if row.problems:
                report.problems += [problem(row.line, p) for p in row.problems]
                continue
            draft = replace(row.draft, country=_spelled_as_known(row.draft.country, countries))
            if draft.country and draft.country not in countries:
                countries.append(draft.country)
            stored = _stored(draft)
            matches = await store.same_as(
                tx, partnership.id, identity_key=stored.identity_key, phone=draft.phone
            )
            keys = [
                f"key:{stored.identity_key}",
                *([f"phone:{draft.phone}"] if draft.phone else []),
            ]
            keys += [f"id:{match.id}" for match in matches]
            earlier = next((seen[key] for key in keys if key in seen), None)
            if earlier is not None:
                report.problems.append(problem(row.line, RowProblem.REPEATED, str(earlier)))
                continue
            seen.update(dict.fromkeys(keys, row.line))
            if len(matches) > 1:
                names = ", ".join(match.name for match in matches)
                report.problems.append(problem(row.line, RowProblem.AMBIGUOUS, names))
                continue
            if not matches:
                report.created += 1
                plan.append((None, draft))
                continue
            existing = matches[0]
            if draft_of(existing) == draft:
                report.unchanged += 1
            elif existing.member_id is not None:
                report.problems.append(problem(row.line, RowProblem.MEMBER_CARD, existing.name))
            else:
                report.updated += 1
                plan.append((existing.id, draft))
        return plan

    async def export_for(
        self, caller: Caller, file_format: ExportFormat = ExportFormat.CSV
    ) -> tuple[bytes, int]:
        """The active partnership's directory as a file (CSV by default, or vCards), and how
        many contacts it holds."""
        membership = caller.require(Capability.MANAGE_CONTACTS)
        return await self.export_file(membership.partnership, file_format)

    async def export_file(
        self, partnership: Partnership, file_format: ExportFormat = ExportFormat.CSV
    ) -> tuple[bytes, int]:
        """A partnership's directory as a file that `import_file` reads back unchanged (CSV
        by default, or vCards), and how many contacts it holds."""
        contacts = await store.all_of(self._db, partnership.id)
        match file_format:
            case ExportFormat.CSV:
                return write_csv(contacts), len(contacts)
            case ExportFormat.VCARD:
                return write_vcards(contacts), len(contacts)
