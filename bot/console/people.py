"""The people the console acts as: the demo members, and strangers made up on the spot."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from bot.console.errors import LineFailed
from bot.local_api import LocalUser
from services.container import Services
from services.demo import DemoData, DemoMember

#: Strangers get user ids far from the demo people's.
FIRST_STRANGER_ID = 990_000_001


@dataclass(frozen=True, slots=True)
class Person:
    """Someone the console can act as: a demo member or a stranger made up on the spot."""

    user: LocalUser
    phone: str
    demo: DemoMember | None = None

    @property
    def name(self) -> str:
        """Full name, as Telegram shows it."""
        return " ".join(part for part in (self.user.first_name, self.user.last_name) if part)


def person_of(member: DemoMember) -> Person:
    """The Telegram user behind a demo member, speaking their Telegram language."""
    first, _, last = member.name.partition(" ")
    user = LocalUser(member.user_id, first, last or None, member.username, member.language)
    return Person(user, member.phone or fake_phone(member.user_id), member)


def fake_phone(user_id: int) -> str:
    """An E.164-shaped number in the unassigned +999 range, for people without one."""
    return f"+999{user_id % 10**9:09d}"


def fold(text: str) -> str:
    """Text compared ignoring case, accents and repeated spaces: 'Aïssatou' == 'aissatou'."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


class Cast:
    """The demo members, and the strangers named so far, in the order they appeared."""

    def __init__(self, demo: DemoData) -> None:
        self.demo = demo
        self.members = [person_of(member) for member in demo.members]
        self.strangers: dict[str, Person] = {}

    @property
    def first_admin(self) -> Person:
        """Whom the console acts as when it starts."""
        return self.members[self.demo.members.index(self.demo.first_admin)]

    def everyone(self) -> list[Person]:
        """The demo members, then the strangers."""
        return [*self.members, *self.strangers.values()]

    def find(self, wanted: str) -> Person:
        """A demo member by full name, @username or first name; else a stranger."""
        key = fold(wanted)
        if key.startswith("@"):
            handle = key[1:]
            for person in self.members:
                if fold(person.user.username or "") == handle:
                    return person
            raise LineFailed(f"no demo member is {wanted}; ::who lists them")
        for person in self.members:
            if key in {fold(person.name), fold(person.user.username or "")}:
                return person
        same_first = [p for p in self.members if fold(p.user.first_name) == key]
        if len(same_first) == 1:
            return same_first[0]
        if same_first:
            names = ", ".join(p.name for p in same_first)
            raise LineFailed(f"{wanted!r} could be {names}; give the full name")
        if key not in self.strangers:
            first, _, last = " ".join(wanted.split()).partition(" ")
            user_id = FIRST_STRANGER_ID + len(self.strangers)
            user = LocalUser(user_id, first, last or None, None, "en")
            self.strangers[key] = Person(user, fake_phone(user_id))
        return self.strangers[key]

    def chat_name(self, chat_id: int) -> str:
        """The demo group's title, or the name of the person a private chat is with."""
        if self.demo.group is not None and chat_id == self.demo.group.chat_id:
            return self.demo.group.title
        for person in self.everyone():
            if person.user.id == chat_id:
                return person.name
        return f"chat {chat_id}"


async def describe(services: Services, person: Person) -> str:
    """Who someone is, with their language and roles as the database has them now."""
    access = services.access
    caller = await access.identify_known(person.user.id)
    languages = f"Telegram language {person.user.language_code}"
    if caller is not None and caller.member is not None and caller.member.language:
        languages += f", chose {caller.member.language}"
    handle = f"@{person.user.username}, " if person.user.username else ""
    who = f"{person.name} ({handle}{languages})"
    if caller is None or caller.membership is None:
        kind = "a stranger" if person.demo is None else "a demo member"
        return f"{who}, {kind} in no partnership (user id {person.user.id})"
    memberships = await access.memberships(caller)
    active = caller.membership.partnership_id
    roles = "; ".join(
        f"{m.role.value} of {m.partnership.name}"
        + (" (active)" if len(memberships) > 1 and m.partnership_id == active else "")
        for m in memberships
    )
    return f"{who}, {roles}"
