"""The authorization matrix: every command and every button of the handler list, tried by every
kind of person, in every kind of chat, against another partnership's data.

Nothing here lists the commands or buttons by hand: they are read from the registered
handlers, so a new command or button is tried as soon as it is registered. A button's callback
data is made from its handler's pattern, with every number replaced in turn by the ids of the
other partnership's meetings, challenges, contacts, milestones, members and deliveries.

Everything the other partnership holds carries a marker; the matrix asserts that the marker
never reaches anyone, that the other partnership's rows are unchanged, that no handler
fails, and that the French-speaking people tried never read an English sentence.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parser  # type: ignore[attr-defined]
from typing import Any

import pytest
from markupsafe import escape
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler

from bot.app import build_application
from bot.config import Settings
from bot.local_api import JSON, LocalBotApi, LocalUser
from domain.challenges import Category, Severity
from domain.meetings import MeetingKind, Participant
from domain.models import Partnership, PartnershipKind, Role
from services.access import TelegramIdentity
from services.challenges_input import ChallengeDraft
from services.contact_fields import ContactDraft
from services.meeting_fields import ActionDraft, MeetingDraft
from services.plan_file import parse_plan
from tests.fakes import BotDriver, FakeClock
from tests.helpers import bot_process
from tools import catalogs

SECRET = "ZZSECRETZZ"
#: What people type to search for it: the start of the marker, so that an echo of what
#: they typed is not taken for a leak.
TYPED = "zzsecr"

# The people tried: one per role in the own partnership, a removed member and a stranger;
# all of them read French, so any English sentence they get is a bug.
ADMIN = LocalUser(201, "Awa", language_code="fr")
COORDINATOR = LocalUser(202, "Boubacar", language_code="fr")
MEMBER = LocalUser(203, "Chantal", language_code="fr")
OBSERVER = LocalUser(204, "Djibril", language_code="fr")
REMOVED = LocalUser(205, "Edouard", language_code="fr")
STRANGER = LocalUser(206, "Fanta", language_code="fr")
PEOPLE = (ADMIN, COORDINATOR, MEMBER, OBSERVER, REMOVED, STRANGER)
# The other partnership's people.
OTHER_ADMIN = LocalUser(301, f"{SECRET} Admin", language_code="en")
OTHER_MEMBER = LocalUser(302, f"{SECRET} Member", username="zzsecretzz", language_code="en")

OTHER_PLAN = f"""
title: {SECRET} plan
pillars:
  - code: SX
    title: {SECRET} pillar
    milestones:
      - code: SX1
        title: {SECRET} milestone one
        due: 2026-12-20
        owner: {SECRET} agency
      - code: SX2
        title: {SECRET} milestone two
"""


# -- what the handler list holds --------------------------------------------------------------


def _handlers(handlers: list[BaseHandler[Any, Any, Any]]) -> Iterator[BaseHandler[Any, Any, Any]]:
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            yield from _handlers(list(handler.entry_points))
            for state in handler.states.values():
                yield from _handlers(list(state))
            yield from _handlers(list(handler.fallbacks))
        else:
            yield handler


def registered(application: Any) -> list[BaseHandler[Any, Any, Any]]:
    """Every handler of every group, flows opened up."""
    return [
        h for group in sorted(application.handlers) for h in _handlers(application.handlers[group])
    ]


def commands(application: Any) -> list[str]:
    """Every command some handler answers."""
    found = {
        c for h in registered(application) if isinstance(h, CommandHandler) for c in h.commands
    }
    return sorted(found)


def button_patterns(application: Any) -> list[re.Pattern[str]]:
    """Every callback-data pattern some handler answers (the catch-all has none)."""
    found: dict[str, re.Pattern[str]] = {}
    for handler in registered(application):
        if isinstance(handler, CallbackQueryHandler) and isinstance(handler.pattern, re.Pattern):
            found[handler.pattern.pattern] = handler.pattern
    return [found[key] for key in sorted(found)]


# -- callback data made from a pattern ----------------------------------------------------------

NUMBER = "\x00"
#: Words tried where a pattern takes letters: the most powerful role and a final status.
WORDS = ("admin", "resolved", "x")
LIMIT = 4


def _is_class(item: Any, allowed: str) -> bool:
    """True if a parsed `[...]` or `\\d` only admits characters of `allowed`."""
    op, value = item
    if op is sre_constants.IN:
        return all(_is_class(part, allowed) for part in value)
    if op is sre_constants.CATEGORY:
        return allowed == "digits" and value is sre_constants.CATEGORY_DIGIT
    if op is sre_constants.RANGE:
        low, high = value
        span = {chr(c) for c in range(low, high + 1)}
        return span <= set("0123456789" if allowed == "digits" else "abcdefghijklmnopqrstuvwxyz")
    if op is sre_constants.LITERAL:
        return allowed == "letters" and chr(value) in "_-"
    return False


def _repeated(item: Any) -> list[str]:
    if len(item) == 1 and _is_class(item[0], "digits"):
        return [NUMBER]
    if len(item) == 1 and _is_class(item[0], "letters"):
        return list(WORDS)
    return _samples(item)


def _options(op: Any, value: Any) -> list[str]:
    if op is sre_constants.LITERAL:
        return [chr(value)]
    if op in (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT):
        return [""]
    if op is sre_constants.SUBPATTERN:
        return _samples(value[-1])
    if op is sre_constants.BRANCH:
        return [sample for branch in value[1] for sample in _samples(branch)]
    if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
        low, _high, item = value
        return [sample * max(low, 1) for sample in _repeated(item)]
    if op is sre_constants.IN:
        if _is_class((op, value), "digits"):
            return ["0"]
        first_op, first = value[0]
        return [chr(first[0] if first_op is sre_constants.RANGE else first)]
    return ["x"]


def _samples(items: Any) -> list[str]:
    results = [""]
    for op, value in items:
        results = [done + more for done in results for more in _options(op, value)][:LIMIT]
    return results


def button_data(pattern: re.Pattern[str], numbers: list[int]) -> list[str]:
    """Callback data the pattern accepts, each number slot filled with each of `numbers`."""
    found = []
    for template in _samples(sre_parser.parse(pattern.pattern)):
        for number in numbers:
            # A pattern that only excludes (a flow's stale buttons) takes anything else.
            data = template.replace(NUMBER, str(number)) or "x"
            if data and len(data.encode()) <= 64 and pattern.match(data):
                found.append(data)
    return sorted(set(found))


def test_every_button_pattern_yields_callback_data() -> None:
    """The generator itself: each pattern of the handler list gets data it accepts."""
    application = build_application(
        Settings(_env_file=None, database_path=":memory:"),  # type: ignore[call-arg,arg-type]
        request=LocalBotApi(),
    )
    for pattern in button_patterns(application):
        assert button_data(pattern, [7]), f"no callback data for {pattern.pattern!r}"


# -- the world the matrix runs in ---------------------------------------------------------------


async def _caller(driver: BotDriver, person: LocalUser) -> Any:
    return await driver.app.services.access.identify(
        TelegramIdentity(person.id, person.first_name, person.username, person.language_code)
    )


async def _other_partnership(driver: BotDriver) -> Partnership:
    """Another partnership with something of every kind, each carrying the marker."""
    services = driver.app.services
    other = await services.partnerships.create(
        name=f"{SECRET} partnership",
        kind=PartnershipKind.JIT,
        countries=("Niger",),
        timezone="Africa/Niamey",
        language="en",
        plan=parse_plan(OTHER_PLAN),
    )
    for person, role in ((OTHER_ADMIN, Role.ADMIN), (OTHER_MEMBER, Role.MEMBER)):
        await services.partnerships.add_member(
            other, user_id=person.id, name=person.first_name, role=role
        )
    await driver.introduce(OTHER_ADMIN, OTHER_MEMBER)
    admin = await _caller(driver, OTHER_ADMIN)
    await services.meetings.save(
        admin,
        other.id,
        MeetingDraft(
            held_at=services.clock() - timedelta(days=1),
            title=f"{SECRET} meeting",
            kind=MeetingKind.OPERATIONAL,
            participants=(Participant(f"{SECRET} person", f"{SECRET} org", OTHER_MEMBER.id),),
            summary=f"{SECRET} summary",
            actions=(ActionDraft(f"{SECRET} action", OTHER_MEMBER.id, "x"),),
            restricted=False,
        ),
    )
    for restricted in (False, True):
        await services.challenges.submit(
            await _caller(driver, OTHER_MEMBER),
            ChallengeDraft(
                category=Category.ROUTE,
                severity=Severity.CRITICAL,
                title=f"{SECRET} challenge",
                description=f"{SECRET} description",
                place=f"{SECRET} place",
                latitude=13.5,
                longitude=2.1,
                restricted=restricted,
            ),
            key=f"matrix-{restricted}",
        )
    await services.contacts.add_drafts(
        other,
        [ContactDraft(f"{SECRET} contact", f"{SECRET} org", phone="+22790000001")],
        source="t",
    )
    await services.invites.create(other, role=Role.MEMBER)
    group = driver.updates.group_chat(-100301, f"{SECRET} group")
    await driver.send(OTHER_ADMIN, "/linkgroup", chat=group)
    await driver.settle()
    return other


async def _own_partnership(driver: BotDriver) -> Partnership:
    services = driver.app.services
    own = await services.partnerships.create(
        name="POC Sénégal",
        kind=PartnershipKind.COP,
        countries=("Senegal",),
        timezone="Africa/Dakar",
        language="fr",
    )
    for person, role in (
        (ADMIN, Role.ADMIN),
        (COORDINATOR, Role.COORDINATOR),
        (MEMBER, Role.MEMBER),
        (OBSERVER, Role.OBSERVER),
        (REMOVED, Role.MEMBER),
    ):
        await services.partnerships.add_member(
            own, user_id=person.id, name=person.first_name, role=role
        )
    await driver.introduce(*PEOPLE)
    await services.members.remove(await _caller(driver, ADMIN), REMOVED.id)
    await driver.send(ADMIN, "/linkgroup", chat=driver.updates.group_chat(-100201, "POC team"))
    return own


async def _rows_of(driver: BotDriver, partnership_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the other partnership owns, directly or through a parent row (its audit
    log aside), and its people."""
    db = driver.app.services.db
    tables = [
        row["name"]
        for row in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    scoped = {
        table
        for table in tables
        if "partnership_id" in [c["name"] for c in await db.fetchall(f"PRAGMA table_info({table})")]
    }
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for table in tables:
        if table == "audit_log":
            continue
        if table in scoped:
            found = await db.fetchall(
                f"SELECT * FROM {table} WHERE partnership_id = ? ORDER BY rowid", (partnership_id,)
            )
            rows[table] = [tuple(row) for row in found]
            continue
        for key in await db.fetchall(f"PRAGMA foreign_key_list({table})"):
            if key["table"] in scoped:
                found = await db.fetchall(
                    f"SELECT c.* FROM {table} c JOIN {key['table']} p"
                    f" ON p.{key['to']} = c.{key['from']} WHERE p.partnership_id = ?"
                    " ORDER BY c.rowid",
                    (partnership_id,),
                )
                rows[f"{table} by {key['from']}"] = [tuple(row) for row in found]
    members = await db.fetchall(
        "SELECT * FROM members WHERE id IN (?, ?)", (OTHER_ADMIN.id, OTHER_MEMBER.id)
    )
    rows["members"] = [tuple(row) for row in members]
    return rows


async def _ids_of(driver: BotDriver, partnership_id: int) -> list[int]:
    """The numbers a forged button could name: every id of the other partnership."""
    db = driver.app.services.db
    ids = {OTHER_ADMIN.id, OTHER_MEMBER.id, 0}
    for table in ("meetings", "challenges", "contacts", "milestones", "pillars", "broadcasts"):
        for row in await db.fetchall(
            f"SELECT id FROM {table} WHERE partnership_id = ?", (partnership_id,)
        ):
            ids.add(int(row["id"]))
    for row in await db.fetchall(
        "SELECT d.id FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id"
        " WHERE b.partnership_id = ?",
        (partnership_id,),
    ):
        ids.add(int(row["id"]))
    return sorted(ids)


def _english_sentences() -> list[str]:
    """English sentences of the catalogs that French translates: a French reader must never
    get one (as sent, that is HTML-escaped where it is HTML)."""
    french = catalogs.load("fr")
    found = []
    for message in french:
        if (
            isinstance(message.id, str)
            and len(message.id) >= 30
            and "{" not in message.id
            and message.string
            and message.string != message.id
        ):
            found.append(message.id)
    return found


@pytest.fixture
async def world(tmp_path: Any) -> AsyncIterator[tuple[BotDriver, Partnership, Partnership]]:
    settings = Settings(_env_file=None, database_path=tmp_path / "matrix.sqlite3")  # type: ignore[call-arg]
    async with bot_process(settings, FakeClock()) as driver:
        other = await _other_partnership(driver)
        own = await _own_partnership(driver)
        yield driver, own, other


def _leaks(calls: list[Any], english: list[str]) -> list[str]:
    problems = []
    for call in calls:
        sent = str(call.params)
        if SECRET in sent or SECRET.lower() in sent:
            problems.append(f"{call.method} shows the other partnership: {sent[:300]}")
        for sentence in english:
            if sentence in sent or str(escape(sentence)) in sent:
                problems.append(f"{call.method} in English: {sentence!r}")
                break
    return problems


async def test_nobody_reaches_another_partnership_by_any_command_or_button(
    world: tuple[BotDriver, Partnership, Partnership],
) -> None:
    driver, _own, other = world
    application = driver.app
    before = await _rows_of(driver, other.id)
    ids = await _ids_of(driver, other.id)
    english = _english_sentences()
    start = len(driver.api.calls)
    chats: dict[str, JSON | None] = {
        "private": None,
        "own group": driver.updates.group_chat(-100201, "POC team"),
        "other partnership's group": driver.updates.group_chat(-100301, f"{SECRET} group"),
        "foreign group": driver.updates.group_chat(-100999, "Random group"),
    }
    tried = 0
    for command in commands(application):
        for text in (f"/{command}", f"/{command} {TYPED}", f"/{command} SX1"):
            for person in PEOPLE:
                for chat in chats.values():
                    await driver.send(person, text, chat=chat)
                    tried += 1
                await driver.send(person, "/cancel")  # whatever flow it opened
    # Buttons: everyone in their private chat; in groups, the most and the least powerful
    # of those the gate lets through (a press there answers a message meant for them).
    presses = [(person, None) for person in PEOPLE] + [
        (person, chat) for person in (ADMIN, OBSERVER) for chat in list(chats.values())[1:]
    ]
    for pattern in button_patterns(application):
        for data in button_data(pattern, ids):
            for person, chat in presses:
                await driver.press_forged(person, data, chat)
                tried += 1
    for person in PEOPLE:
        await driver.inline(person, TYPED)
        await driver.send_content(person, location={"latitude": 13.5, "longitude": 2.1})
        await driver.send_content(
            person, contact={"phone_number": "+22790000001", "first_name": TYPED}
        )
        await driver.send_document(person, f"name,organisation\n{TYPED},x\n".encode(), "c.csv")
        tried += 4
    await driver.settle()
    calls = driver.api.calls[start:]
    # Nothing anyone did here writes to the other partnership's people.
    others = {OTHER_ADMIN.id, OTHER_MEMBER.id}
    assert [c for c in calls if int(c.params.get("chat_id", 0) or 0) in others] == []
    assert sorted(set(_leaks(calls, english))) == []
    assert await _rows_of(driver, other.id) == before
    assert tried > 1000  # the matrix really ran
