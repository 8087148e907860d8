"""Retention: each rule clears exactly what is older than its limit, across restarts of the
store; a second run changes nothing; a dry run changes nothing and counts what the real run
then clears; /retention is for admins, who change the rules with its buttons."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.app import make_services
from bot.callbacks import RemovedList
from bot.cli import main
from bot.config import Settings
from bot.handlers.retention import SHORT, period
from bot.i18n import translator
from bot.jobs.retention import run_retention
from bot.local_api import LocalUser
from domain.models import Partnership, PartnershipKind, Role
from services.access import TelegramIdentity
from services.container import Services
from services.errors import InvalidInput, NotAllowed
from services.retention import Rule, months_before
from storage.db import Database, to_db_time
from tests.fakes import BotDriver, FakeClock, texts
from tests.people import ADMIN, COORDINATOR, MEMBER

Dump = dict[str, Any]


@asynccontextmanager
async def opened(settings: Settings, clock: FakeClock) -> AsyncIterator[Services]:
    """The services over the test's file, open for one step: each step is a new process."""
    db = Database(settings.database_path)
    await db.open()
    try:
        yield make_services(db, clock=clock)
    finally:
        await db.close()


async def _partnership(services: Services, name: str, people: dict[int, Role]) -> Partnership:
    created = await services.partnerships.create(
        name=name, kind=PartnershipKind.COP, countries=(), timezone="UTC", language="en"
    )
    for user_id, role in people.items():
        await services.partnerships.add_member(
            created, user_id=user_id, name=f"Person {user_id}", role=role
        )
    return created


async def _remove(services: Services, admin: int, member_id: int) -> None:
    caller = await services.access.identify(TelegramIdentity(admin, f"Person {admin}", None, "en"))
    await services.members.remove(caller, member_id)


class World:
    """What the test stores, by name, and how old each thing is (at the clock's start)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.ids: dict[str, int] = {}

    def ago(self, days: float = 0, months: int = 0) -> str:
        return to_db_time(months_before(self.now, months) - timedelta(days=days))


async def _broadcast(
    services: Services,
    world: World,
    name: str,
    partnership_id: int | None,
    created: str,
    deliveries: list[tuple[str, str, str | None]],
) -> None:
    """A broadcast and its deliveries: (name, status, sent_at)."""
    async with services.db.transaction() as tx:
        world.ids[name] = await tx.insert(
            "INSERT INTO broadcasts (partnership_id, kind, body, created_at)"
            " VALUES (?, 'broadcast', ?, ?)",
            (partnership_id, f"body of {name}", created),
        )
        for delivery, status, sent_at in deliveries:
            world.ids[delivery] = await tx.insert(
                "INSERT INTO deliveries (broadcast_id, chat_id, member_id, language, text,"
                " media_kind, media_file_id, buttons, status, next_attempt_at, sent_at,"
                " created_at) VALUES (?, 7, 7, 'en', ?, 'photo', 'file-1', ?, ?, ?, ?, ?)",
                (
                    world.ids[name],
                    f"text of {delivery}",
                    json.dumps([["Open", "ch:open:1"]]),
                    status,
                    created,
                    sent_at,
                    created,
                ),
            )


async def _challenge(
    services: Services,
    world: World,
    name: str,
    partnership_id: int,
    status: str,
    closed: str | None,
    *,
    files: int,
    pin: bool,
) -> None:
    async with services.db.transaction() as tx:
        world.ids[name] = challenge_id = await tx.insert(
            "INSERT INTO challenges (partnership_id, category, severity, status, title,"
            " latitude, longitude, created_at, updated_at)"
            " VALUES (?, 'route', 'high', ?, ?, ?, ?, ?, ?)",
            (
                partnership_id,
                status,
                f"challenge {name}",
                14.7 if pin else None,
                -17.4 if pin else None,
                world.ago(days=900),
                closed or world.ago(days=900),
            ),
        )
        if closed is not None:
            await tx.execute(
                "INSERT INTO challenge_events (challenge_id, status, at) VALUES (?, ?, ?)",
                (challenge_id, status, closed),
            )
        for position in range(files):
            await tx.execute(
                "INSERT INTO challenge_attachments (challenge_id, position, kind, file_id)"
                " VALUES (?, ?, 'photo', ?)",
                (challenge_id, position, f"{name}-{position}"),
            )


def _draft(touched: str, **where: Any) -> Dump:
    return {"draft": {"title": "unfinished"}, "token": "ab12", "touched": touched, **where}


async def _store_world(settings: Settings, clock: FakeClock) -> World:
    """Partnership A with shorter rules, B with the defaults, and one thing on each side of
    every limit."""
    world = World(clock.now)
    start = clock.now
    async with opened(settings, clock) as services:
        a = await _partnership(
            services, "COP A", {1: Role.ADMIN, 11: Role.MEMBER, 12: Role.MEMBER, 13: Role.MEMBER}
        )
        b = await _partnership(services, "COP B", {2: Role.ADMIN, 13: Role.MEMBER, 21: Role.MEMBER})
        world.ids.update(a=a.id, b=b.id)
        await services.retention.set_partnership_rule(a, Rule.SENT_MESSAGES, 7)
        await services.retention.set_partnership_rule(a, Rule.DRAFTS, 7)
        await services.retention.set_partnership_rule(a, Rule.CHALLENGE_FILES, 6)
        await services.retention.set_partnership_rule(a, Rule.DEPARTED_MEMBERS, 30)

        # Texts: A keeps 7 days, B and the outbox of no partnership 30 (the default).
        await _broadcast(services, world, "a-old", a.id, world.ago(8), [
            ("a-old-sent", "sent", world.ago(8)),
            ("a-old-dead", "dead", None),
            ("a-old-sent-later", "sent", world.ago(6)),
        ])  # fmt: skip
        await _broadcast(services, world, "a-waiting", a.id, world.ago(40), [
            ("a-waiting-sent", "sent", world.ago(40)),
            ("a-waiting-pending", "pending", None),
        ])  # fmt: skip
        await _broadcast(services, world, "b-old", b.id, world.ago(31), [
            ("b-old-sent", "sent", world.ago(31)),
        ])  # fmt: skip
        await _broadcast(services, world, "b-recent", b.id, world.ago(29), [
            ("b-recent-sent", "sent", world.ago(29)),
        ])  # fmt: skip
        await _broadcast(services, world, "none-old", None, world.ago(31), [
            ("none-old-sent", "sent", world.ago(31)),
        ])  # fmt: skip

        # Drafts: A's 7 days, B's 30, the default 30 where the partnership is not known.
        drafts = {
            11: {
                "flag": _draft(world.ago(8), partnership=a.id),
                "meeting": _draft(world.ago(6), partnership=a.id),
                "ch:list": {"0badcafe": {"words": "north"}},  # a kept list, not a draft
            },
            12: {"broadcast": _draft(world.ago(31))},
            13: {"profile": _draft(world.ago(29), extra={"partnership": b.id})},
            21: {"flag": _draft(world.ago(8), partnership=b.id)},
        }
        async with services.db.transaction() as tx:
            for user_id, data in drafts.items():
                await tx.execute(
                    "INSERT INTO user_data (user_id, data) VALUES (?, ?)",
                    (user_id, json.dumps(data)),
                )

        # Challenges: A clears files 6 months after closing; B never (the default).
        await _challenge(services, world, "a-resolved-7m", a.id, "resolved",
                         world.ago(months=7), files=2, pin=True)  # fmt: skip
        await _challenge(services, world, "a-dismissed-7m", a.id, "dismissed",
                         world.ago(months=7), files=0, pin=True)  # fmt: skip
        await _challenge(services, world, "a-resolved-5m", a.id, "resolved",
                         world.ago(months=5), files=1, pin=True)  # fmt: skip
        await _challenge(services, world, "a-open", a.id, "confirmed", None, files=1, pin=True)
        await _challenge(services, world, "b-resolved-3y", b.id, "resolved",
                         world.ago(days=1100), files=1, pin=True)  # fmt: skip

        # Departures: A anonymises after 30 days, B after 90 (the default).
        clock.now = start - timedelta(days=31)
        await _remove(services, 1, 11)  # left A 31 days ago, in no partnership: anonymised
        await _remove(services, 1, 13)  # left A, still in B: kept
        clock.now = start - timedelta(days=29)
        await _remove(services, 1, 12)  # left A 29 days ago: kept
        clock.now = start - timedelta(days=91)
        await _remove(services, 2, 21)  # left B 91 days ago: anonymised
        clock.now = start
        async with services.db.transaction() as tx:
            await tx.execute("UPDATE members SET username = 'kept_name' WHERE id IN (11, 12)")
    return world


async def _snapshot(services: Services) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the rules may touch, to compare before and after."""
    queries = {
        "deliveries": "SELECT id, text, buttons, media_file_id, status FROM deliveries",
        "broadcasts": "SELECT id, body FROM broadcasts",
        "user_data": "SELECT user_id, data FROM user_data",
        "attachments": "SELECT challenge_id, position, file_id FROM challenge_attachments",
        "challenges": "SELECT id, latitude, longitude, title, status FROM challenges",
        "members": "SELECT id, name, username FROM members",
    }
    return {
        name: [tuple(row) for row in await services.db.fetchall(sql + " ORDER BY 1, 2")]
        for name, sql in queries.items()
    }


async def test_each_rule_clears_exactly_what_is_older_than_its_limit_across_restarts(
    settings: Settings, clock: FakeClock
) -> None:
    world = await _store_world(settings, clock)
    ids = world.ids
    a, b = ids["a"], ids["b"]

    # A dry run, in its own process: counts, changes nothing.
    async with opened(settings, clock) as services:
        before = await _snapshot(services)
        audits = await services.db.fetchvalue("SELECT COUNT(*) FROM audit_log")
        dry = await services.retention.apply(dry_run=True)
        assert dry.dry_run
        assert await _snapshot(services) == before
        assert await services.db.fetchvalue("SELECT COUNT(*) FROM audit_log") == audits

    expected = {
        # a-old-sent, a-old-dead, the body of a-old (all finished), a-waiting-sent; not
        # a-old-sent-later (6 days) nor the body of a-waiting (a delivery still pending).
        (a, Rule.SENT_MESSAGES): 4,
        (b, Rule.SENT_MESSAGES): 2,  # b-old-sent and its body
        (None, Rule.SENT_MESSAGES): 2,
        (a, Rule.DRAFTS): 1,  # 11's flag draft (8 days), not their meeting (6 days)
        (b, Rule.DRAFTS): 0,  # 13's profile draft: 29 days of B's 30
        (None, Rule.DRAFTS): 1,  # 12's broadcast draft, of no known partnership: 31 days
        (a, Rule.CHALLENGE_FILES): 2,  # resolved and dismissed 7 months ago
        (b, Rule.CHALLENGE_FILES): 0,  # off in B
        (a, Rule.DEPARTED_MEMBERS): 1,  # 11; not 12 (29 days), not 13 (still in B)
        (b, Rule.DEPARTED_MEMBERS): 1,  # 21, 91 days
    }
    # 21's flag draft of B, 8 days old, is kept (B keeps drafts 30 days).
    for (partnership_id, rule), count in expected.items():
        assert dry.count(rule, partnership_id) == count, (partnership_id, rule)

    # The real run, in another process, clears what the dry run counted.
    async with opened(settings, clock) as services:
        report = await services.retention.apply()
        assert not report.dry_run
        assert report.counts == dry.counts

    async with opened(settings, clock) as services:
        db = services.db

        async def delivery(name: str) -> Dump:
            row = await db.fetchone("SELECT * FROM deliveries WHERE id = ?", (ids[name],))
            assert row is not None
            return dict(row)

        for name in ("a-old-sent", "a-old-dead", "a-waiting-sent", "b-old-sent", "none-old-sent"):
            row = await delivery(name)
            assert (row["text"], row["buttons"], row["media_file_id"]) == ("", "[]", None), name
        for name in ("a-old-sent-later", "a-waiting-pending", "b-recent-sent"):
            row = await delivery(name)
            assert row["text"] == f"text of {name}" and row["media_file_id"] == "file-1", name
        assert (await delivery("a-old-sent"))["status"] == "sent"  # the row stays for counts
        bodies = {row["id"]: row["body"] for row in await db.fetchall("SELECT * FROM broadcasts")}
        assert bodies == {
            ids["a-old"]: "",
            ids["a-waiting"]: "body of a-waiting",
            ids["b-old"]: "",
            ids["b-recent"]: "body of b-recent",
            ids["none-old"]: "",
        }

        data = {
            row["user_id"]: json.loads(row["data"])
            for row in await db.fetchall("SELECT * FROM user_data")
        }
        assert sorted(data) == [11, 13, 21]  # 12 had nothing else: the row is gone
        assert sorted(data[11]) == ["ch:list", "meeting"]
        assert sorted(data[13]) == ["profile"] and sorted(data[21]) == ["flag"]

        files = await db.fetchall("SELECT challenge_id FROM challenge_attachments")
        assert sorted(row[0] for row in files) == sorted(
            [ids["a-resolved-5m"], ids["a-open"], ids["b-resolved-3y"]]
        )
        pins = {
            row["id"]: row["latitude"] is not None
            for row in await db.fetchall("SELECT id, latitude FROM challenges")
        }
        assert pins == {
            ids["a-resolved-7m"]: False,
            ids["a-dismissed-7m"]: False,
            ids["a-resolved-5m"]: True,
            ids["a-open"]: True,
            ids["b-resolved-3y"]: True,
        }
        titles = [row[0] for row in await db.fetchall("SELECT title FROM challenges")]
        assert len(titles) == 5  # the challenges themselves stay

        people = {
            row["id"]: (row["name"], row["username"])
            for row in await db.fetchall("SELECT * FROM members")
        }
        assert people[11] == ("Former member", None)
        assert people[21] == ("Former member", None)
        assert people[12] == ("Person 12", "kept_name")
        assert people[13] == ("Person 13", None)

        # Audited per partnership, with counts and nothing personal.
        entries = await db.fetchall(
            "SELECT partnership_id, detail FROM audit_log WHERE action = 'retention.apply'"
            " ORDER BY partnership_id"
        )
        audited = {row[0]: json.loads(row[1]) for row in entries}
        assert audited == {
            None: {"counts": {"sent_messages": 2, "drafts": 1}},
            a: {
                "counts": {
                    "sent_messages": 4,
                    "drafts": 1,
                    "challenge_files": 2,
                    "departed_members": 1,
                }
            },
            b: {"counts": {"sent_messages": 2, "departed_members": 1}},
        }
        closed = await db.fetchall(
            "SELECT detail FROM audit_log WHERE action = 'retention.challenge_files'"
        )
        assert sorted(json.loads(row[0])["challenge_id"] for row in closed) == sorted(
            [ids["a-resolved-7m"], ids["a-dismissed-7m"]]
        )

    # A second run, in yet another process, finds nothing, and records nothing.
    async with opened(settings, clock) as services:
        after = await _snapshot(services)
        audits = await services.db.fetchvalue("SELECT COUNT(*) FROM audit_log")
        assert (await services.retention.apply(dry_run=True)).counts == ()
        again = await services.retention.apply()
        assert again.counts == () and again.total == 0
        assert await _snapshot(services) == after
        assert await services.db.fetchvalue("SELECT COUNT(*) FROM audit_log") == audits

    # Two days later, what was just inside its limit is due; nothing else.
    clock.advance(days=2)
    async with opened(settings, clock) as services:
        later = await services.retention.apply()
        assert {(c.partnership.id if c.partnership else None, c.rule, c.count)
                for c in later.counts} == {
            (a, Rule.SENT_MESSAGES, 1),  # a-old-sent-later, 8 days
            (a, Rule.DRAFTS, 1),  # 11's meeting draft, 8 days
            (a, Rule.DEPARTED_MEMBERS, 1),  # 12, 31 days
            (b, Rule.SENT_MESSAGES, 2),  # b-recent-sent and its body, 31 days
            (b, Rule.DRAFTS, 1),  # 13's profile draft, 31 days
        }  # fmt: skip


async def test_rules_have_safe_defaults_and_only_admins_set_them(
    services: Services, clock: FakeClock
) -> None:
    cop = await _partnership(services, "COP", {1: Role.ADMIN, 2: Role.COORDINATOR, 3: Role.MEMBER})
    rules = await services.retention.rules(cop)
    assert [rules[rule] for rule in Rule] == [30, 30, None, 90]

    def caller(user_id: int) -> Callable[[], Any]:
        return lambda: services.access.identify(TelegramIdentity(user_id, "P", None, "en"))

    for user_id in (2, 3):
        with pytest.raises(NotAllowed):
            await services.retention.set_rule(await caller(user_id)(), Rule.DRAFTS, 7)
    admin = await caller(1)()
    with pytest.raises(InvalidInput):  # drafts never stay for ever
        await services.retention.set_rule(admin, Rule.DRAFTS, None)
    with pytest.raises(InvalidInput):
        await services.retention.set_rule(admin, Rule.SENT_MESSAGES, 0)
    changed = await services.retention.set_rule(admin, Rule.SENT_MESSAGES, None)
    assert changed[Rule.SENT_MESSAGES] is None
    entry = await services.db.fetchone(
        "SELECT actor_id, detail FROM audit_log WHERE action = 'retention.rule'"
    )
    assert entry is not None and entry["actor_id"] == 1
    assert json.loads(entry["detail"]) == {"rule": "sent_messages", "value": None, "unit": "days"}


def test_months_are_counted_on_the_calendar() -> None:
    moment = datetime.fromisoformat("2026-03-31T10:00:00+00:00")
    assert months_before(moment, 1).isoformat() == "2026-02-28T10:00:00+00:00"
    assert months_before(moment, 15).isoformat() == "2024-12-31T10:00:00+00:00"


def test_the_command_line_shows_sets_and_applies(
    settings: Settings,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    world = asyncio.run(_store_world(settings, clock))
    monkeypatch.setenv("DATABASE_PATH", str(settings.database_path))

    async def look() -> tuple[str, dict[str, list[tuple[Any, ...]]]]:
        async with opened(settings, clock) as services:
            slug = (await services.partnerships.get(world.ids["b"])).slug
            return slug, await _snapshot(services)

    slug, before = asyncio.run(look())

    assert main(["retention", "show", "--partnership", slug]) == 0
    shown = capsys.readouterr().out
    assert "drafts: 30 days (default)" in shown and "challenge_files: off (default)" in shown

    rule = ["--partnership", slug, "--rule", "challenge_files"]
    assert main(["retention", "set", *rule, "--days", "30"]) == 2  # a rule in months
    assert "use --months" in capsys.readouterr().err
    assert main(["retention", "set", *rule, "--months", "24"]) == 0
    assert "challenge_files: 24 months" in capsys.readouterr().out

    # The command line runs on the real clock, not earlier than the fake one.
    assert main(["retention", "apply", "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "dry run, nothing changed" in dry and f"{slug} challenge_files: would clear 1" in dry
    assert asyncio.run(look())[1] == before
    assert main(["retention", "apply"]) == 0
    applied = capsys.readouterr().out
    assert applied == dry.replace("dry run, nothing changed", "applied").replace(
        "would clear", "cleared"
    )
    assert main(["retention", "apply"]) == 0
    assert "nothing to clear" in capsys.readouterr().out


# -- /retention ----------------------------------------------------------------------------------


async def test_retention_is_refused_to_coordinators_and_members(
    driver: BotDriver, partnership: Partnership
) -> None:
    for person in (COORDINATOR, MEMBER):
        replies = texts(await driver.send(person, "/retention"))
        assert "Only admins of the partnership can do that." in replies
    assert await driver.app.services.db.fetchvalue("SELECT COUNT(*) FROM retention_rules") == 0


async def test_an_admin_changes_a_rule_with_the_buttons_in_french(
    driver: BotDriver, partnership: Partnership
) -> None:
    admin = LocalUser(ADMIN.id, ADMIN.first_name, language_code="fr")
    fr = translator("fr")
    shown = await driver.send(admin, "/retention")
    buttons = [b["text"] for row in shown[-1]["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["✎ " + fr.text(SHORT[rule]) for rule in Rule]
    assert str(period(fr, Rule.DEPARTED_MEMBERS, 90)) in texts(shown)

    await driver.press(admin, "✎ " + fr.text(SHORT[Rule.DRAFTS]))
    choices = driver.last_keyboard_message(admin.id)
    labels = [b["text"] for row in choices["reply_markup"]["inline_keyboard"] for b in row]
    assert "✓ " + str(period(fr, Rule.DRAFTS, 30)) in labels
    assert "‹ Retour" in labels  # translated already: the menu speaks French
    assert str(period(fr, Rule.DRAFTS, 7)) in labels

    await driver.press(admin, str(period(fr, Rule.DRAFTS, 7)))
    rules = await driver.app.services.retention.rules(partnership)
    assert rules[Rule.DRAFTS] == 7
    assert str(period(fr, Rule.DRAFTS, 7)) in driver.text_of(admin.id)

    # A coordinator pressing the same button (forged) is refused.
    await driver.press_forged(COORDINATOR, "rt:set:drafts:90")
    assert (await driver.app.services.retention.rules(partnership))[Rule.DRAFTS] == 7


async def test_the_job_drops_an_old_draft_from_the_running_bot_and_its_flow_ends(
    driver: BotDriver, partnership: Partnership, clock: FakeClock
) -> None:
    await driver.send(MEMBER, "/flag")
    assert "flag" in driver.app.user_data[MEMBER.id]
    assert (await driver.app.services.retention.rules(partnership))[Rule.DRAFTS] == 30

    clock.advance(days=29)
    report = await run_retention(driver.app)
    assert report.count(Rule.DRAFTS, partnership.id) == 0
    assert "flag" in driver.app.user_data[MEMBER.id]

    clock.advance(days=2)
    report = await run_retention(driver.app)
    assert report.count(Rule.DRAFTS, partnership.id) == 1
    assert "flag" not in driver.app.user_data[MEMBER.id]
    await driver.app.update_persistence()
    stored = await driver.app.services.db.fetchvalue(
        "SELECT data FROM user_data WHERE user_id = ?", (MEMBER.id,)
    )
    assert stored is None or "flag" not in json.loads(stored)

    # The flow was still open: the next answer ends it, saying why.
    replies = texts(await driver.send(MEMBER, "Pirogues leaving at night"))
    assert "left unused too long and has been removed" in replies
    replies = texts(await driver.send(MEMBER, "/flag"))
    assert "unfinished draft" not in replies


async def test_an_anonymised_person_reads_as_a_former_member_in_the_admins_language(
    driver: BotDriver, partnership: Partnership, clock: FakeClock
) -> None:
    services = driver.app.services
    admin = LocalUser(ADMIN.id, ADMIN.first_name, language_code="fr")
    await driver.send(admin, "/help")
    caller = await services.access.identify(TelegramIdentity(ADMIN.id, "Aminata", None, "fr"))
    await services.members.remove(caller, MEMBER.id)
    clock.advance(days=91)
    report = await run_retention(driver.app)
    assert report.count(Rule.DEPARTED_MEMBERS, partnership.id) == 1
    assert await services.members.name_of(MEMBER.id) == "Former member"

    await driver.press_forged(admin, RemovedList(0).pack())
    shown = driver.last_keyboard_message(admin.id)
    labels = [b["text"] for row in shown["reply_markup"]["inline_keyboard"] for b in row]
    assert translator("fr").text("Former member") in labels
    assert MEMBER.first_name not in texts([shown]) + " ".join(labels)
