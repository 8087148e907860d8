"""Retention: how long each partnership keeps what it no longer needs, and the daily clean-up.

Four rules, each set per partnership by its admins (or on the command line), each with a
default that applies until someone sets it:

- `sent_messages`: texts of the outbox (what was sent, and what could never be sent) are
  blanked N days after sending; the rows stay for the counts and acknowledgements;
- `drafts`: drafts of the guided flows untouched for N days are removed (drafts belong to
  people: the rule of the partnership the draft was started in, else the default);
- `challenge_files`: attachments and location pins of resolved or dismissed challenges are
  removed N months after they were closed (off unless an admin turns it on);
- `departed_members`: people in no partnership any more lose their name, username and phone
  N days after they left or were removed (the rule of the partnership they left last).

`apply` is idempotent: what it cleared no longer matches, so a second run changes nothing.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.models import Partnership
from services.access import Caller, Capability
from services.clock import Clock
from services.errors import InvalidInput
from storage import audit
from storage import partnerships as partnership_store
from storage import retention as store
from storage.db import Database, Transaction
from storage.rows import Reader

#: The name a departed member has once anonymised (the bot shows it translated).
FORMER_MEMBER = store.FORMER_MEMBER


class Rule(StrEnum):
    """What a retention rule clears."""

    SENT_MESSAGES = "sent_messages"
    DRAFTS = "drafts"
    CHALLENGE_FILES = "challenge_files"
    DEPARTED_MEMBERS = "departed_members"


class Unit(StrEnum):
    """What a rule's number counts."""

    DAYS = "days"
    MONTHS = "months"


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule's unit, default (None: off), the values offered as buttons, whether it may be
    turned off, and the largest value taken."""

    unit: Unit
    default: int | None
    choices: tuple[int, ...]
    may_be_off: bool
    maximum: int


SPECS: dict[Rule, RuleSpec] = {
    Rule.SENT_MESSAGES: RuleSpec(Unit.DAYS, 30, (7, 30, 90, 365), True, 3650),
    # A draft is a person's own unfinished work: it never stays for ever.
    Rule.DRAFTS: RuleSpec(Unit.DAYS, 30, (7, 30, 90), False, 365),
    # Evidence of a closed challenge may be needed later: the admin decides.
    Rule.CHALLENGE_FILES: RuleSpec(Unit.MONTHS, None, (3, 6, 12, 24), True, 120),
    Rule.DEPARTED_MEMBERS: RuleSpec(Unit.DAYS, 90, (30, 90, 365), True, 3650),
}


@dataclass(frozen=True, slots=True)
class Rules:
    """A partnership's rules: each value in its rule's unit, None when off."""

    values: Mapping[Rule, int | None]

    def __getitem__(self, rule: Rule) -> int | None:
        return self.values[rule]

    def is_default(self, rule: Rule) -> bool:
        """True if the rule has its default value."""
        return self.values[rule] == SPECS[rule].default


DEFAULT_RULES = Rules({rule: spec.default for rule, spec in SPECS.items()})


@dataclass(frozen=True, slots=True)
class RetentionCount:
    """How many records one rule cleared (or would clear) in one partnership; `partnership`
    is None for records of no known partnership (the defaults applied)."""

    partnership: Partnership | None
    rule: Rule
    count: int


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What a run cleared, or (dry run) would clear: only non-zero counts."""

    at: datetime
    dry_run: bool
    counts: tuple[RetentionCount, ...]

    @property
    def total(self) -> int:
        """Every record cleared."""
        return sum(c.count for c in self.counts)

    def count(self, rule: Rule, partnership_id: int | None = None) -> int:
        """The records one rule cleared in one partnership (None: of no partnership)."""
        return sum(
            c.count
            for c in self.counts
            if c.rule is rule
            and (c.partnership.id if c.partnership is not None else None) == partnership_id
        )


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day if it is
    shorter)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def cutoff(rule: Rule, value: int, now: datetime) -> datetime:
    """The moment before which a rule with this value clears records."""
    if SPECS[rule].unit is Unit.MONTHS:
        return months_before(now, value)
    return now - timedelta(days=value)


@dataclass(slots=True)
class _Plan:
    """What one run clears, per partnership id (None: of no partnership)."""

    deliveries: dict[int | None, list[int]] = field(default_factory=lambda: defaultdict(list))
    broadcasts: dict[int | None, list[int]] = field(default_factory=lambda: defaultdict(list))
    drafts: dict[int | None, list[store.StoredDraft]] = field(
        default_factory=lambda: defaultdict(list)
    )
    challenges: dict[int | None, list[store.ClosedChallengeFiles]] = field(
        default_factory=lambda: defaultdict(list)
    )
    members: dict[int | None, list[int]] = field(default_factory=lambda: defaultdict(list))

    def counts(self) -> dict[tuple[int | None, Rule], int]:
        found: dict[tuple[int | None, Rule], int] = defaultdict(int)
        for key, ids in self.deliveries.items():
            found[key, Rule.SENT_MESSAGES] += len(ids)
        for key, ids in self.broadcasts.items():
            found[key, Rule.SENT_MESSAGES] += len(ids)
        for key, drafts in self.drafts.items():
            found[key, Rule.DRAFTS] += len(drafts)
        for key, challenges in self.challenges.items():
            found[key, Rule.CHALLENGE_FILES] += len(challenges)
        for key, members in self.members.items():
            found[key, Rule.DEPARTED_MEMBERS] += len(members)
        return {key: count for key, count in found.items() if count}


class RetentionService:
    """The rules of each partnership, and their daily application."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def rules(self, partnership: Partnership) -> Rules:
        """A partnership's rules, defaults filled in."""
        return (await self._all_rules(self._db)).get(partnership.id, DEFAULT_RULES)

    async def set_rule(self, caller: Caller, rule: Rule, value: int | None) -> Rules:
        """An admin sets a rule of their active partnership (None: off, where allowed)."""
        membership = caller.require(Capability.MANAGE_RETENTION)
        return await self._set(membership.partnership, rule, value, caller.identity.user_id)

    async def set_partnership_rule(
        self, partnership: Partnership, rule: Rule, value: int | None
    ) -> Rules:
        """Set a partnership's rule from the command line (whoever runs it operates the bot)."""
        return await self._set(partnership, rule, value, None)

    async def _set(
        self, partnership: Partnership, rule: Rule, value: int | None, by: int | None
    ) -> Rules:
        spec = SPECS[rule]
        if value is None and not spec.may_be_off:
            raise InvalidInput(rule.value, "may not be turned off")
        if value is not None and not 1 <= value <= spec.maximum:
            raise InvalidInput(rule.value, f"between 1 and {spec.maximum} {spec.unit.value}")
        now = self._clock()
        async with self._db.transaction() as tx:
            await store.set_rule(tx, partnership.id, rule.value, value, by=by, now=now)
            await audit.record(
                tx,
                action="retention.rule",
                now=now,
                partnership_id=partnership.id,
                actor_id=by,
                rule=rule.value,
                value=value,
                unit=spec.unit.value,
            )
        return await self.rules(partnership)

    async def expired_drafts(
        self, user_data: Mapping[int, Mapping[str, Any]], now: datetime
    ) -> dict[int, list[str]]:
        """Per person, the flows whose drafts in `user_data` (a running bot's copy of what
        the store keeps) are older than their rule: what `apply` removes from the store."""
        rules = await self._all_rules(self._db)
        expired: dict[int, list[str]] = {}
        for user_id, data in user_data.items():
            for draft in store.drafts_in(user_id, dict(data)):
                if self._draft_due(draft, rules, now):
                    expired.setdefault(user_id, []).append(draft.flow)
        return expired

    async def apply(self, now: datetime | None = None, dry_run: bool = False) -> RetentionReport:
        """Clear what every rule of every partnership says is due at `now` (the clock's time
        by default), audited per partnership with its counts; a dry run only counts."""
        now = now or self._clock()
        if dry_run:
            plan = await self._plan(self._db, now)
            return await self._report(plan, now, dry_run=True)
        async with self._db.transaction() as tx:
            plan = await self._plan(tx, now)
            await self._carry_out(tx, plan, now)
        return await self._report(plan, now, dry_run=False)

    # -- what is due ------------------------------------------------------------------------

    async def _all_rules(self, conn: Reader) -> dict[int, Rules]:
        partnerships = await partnership_store.list_all(conn)
        values: dict[int, dict[Rule, int | None]] = {
            p.id: dict(DEFAULT_RULES.values) for p in partnerships
        }
        known = set(Rule)
        for stored in await store.rules(conn):
            if stored.partnership_id in values and stored.rule in known:
                values[stored.partnership_id][Rule(stored.rule)] = stored.value
        return {pid: Rules(v) for pid, v in values.items()}

    @staticmethod
    def _draft_due(draft: store.StoredDraft, rules: Mapping[int, Rules], now: datetime) -> bool:
        own = rules.get(draft.partnership_id) if draft.partnership_id is not None else None
        days = (own or DEFAULT_RULES)[Rule.DRAFTS]
        return days is not None and draft.touched <= cutoff(Rule.DRAFTS, days, now)

    async def _plan(self, conn: Reader, now: datetime) -> _Plan:
        rules = await self._all_rules(conn)
        plan = _Plan()
        scopes: list[tuple[int | None, Rules]] = [*rules.items(), (None, DEFAULT_RULES)]
        for partnership_id, own in scopes:
            days = own[Rule.SENT_MESSAGES]
            if days is not None:
                deliveries, broadcasts = await store.find_sent_texts(
                    conn, partnership_id, cutoff(Rule.SENT_MESSAGES, days, now)
                )
                plan.deliveries[partnership_id] += deliveries
                plan.broadcasts[partnership_id] += broadcasts
            months = own[Rule.CHALLENGE_FILES]
            if months is not None and partnership_id is not None:
                plan.challenges[partnership_id] += await store.find_challenge_files(
                    conn, partnership_id, cutoff(Rule.CHALLENGE_FILES, months, now)
                )
        for draft in await store.all_drafts(conn):
            if self._draft_due(draft, rules, now):
                key = draft.partnership_id if draft.partnership_id in rules else None
                plan.drafts[key].append(draft)
        for departure in await store.find_departed(conn):
            key = departure.partnership_id if departure.partnership_id in rules else None
            days = (rules.get(departure.partnership_id) or DEFAULT_RULES)[Rule.DEPARTED_MEMBERS]
            if days is not None and departure.at <= cutoff(Rule.DEPARTED_MEMBERS, days, now):
                plan.members[key].append(departure.member_id)
        return plan

    async def _carry_out(self, tx: Transaction, plan: _Plan, now: datetime) -> None:
        for partnership_id in plan.deliveries.keys() | plan.broadcasts.keys():
            await store.blank_texts(
                tx, plan.deliveries.get(partnership_id, []), plan.broadcasts.get(partnership_id, [])
            )
        for drafts in plan.drafts.values():
            await store.delete_drafts(tx, drafts)
        for partnership_id, challenges in plan.challenges.items():
            await store.clear_challenge_files(tx, [c.challenge_id for c in challenges])
            for challenge in challenges:
                # The challenge's own trace of what was removed: counts, never the files.
                await audit.record(
                    tx,
                    action="retention.challenge_files",
                    now=now,
                    partnership_id=partnership_id,
                    challenge_id=challenge.challenge_id,
                    attachments=challenge.attachments,
                    pin=challenge.pinned,
                )
        for members in plan.members.values():
            await store.anonymise(tx, members, now)
        by_partnership: dict[int | None, dict[str, int]] = defaultdict(dict)
        for (partnership_id, rule), count in plan.counts().items():
            by_partnership[partnership_id][rule.value] = count
        for partnership_id, counts in by_partnership.items():
            await audit.record(
                tx,
                action="retention.apply",
                now=now,
                partnership_id=partnership_id,
                counts=counts,
            )

    async def _report(self, plan: _Plan, now: datetime, *, dry_run: bool) -> RetentionReport:
        partnerships = {p.id: p for p in await partnership_store.list_all(self._db)}
        counts = [
            RetentionCount(partnerships.get(pid) if pid is not None else None, rule, count)
            for (pid, rule), count in plan.counts().items()
        ]
        counts.sort(
            key=lambda c: (
                c.partnership is None,
                c.partnership.slug if c.partnership else "",
                list(Rule).index(c.rule),
            )
        )
        return RetentionReport(now, dry_run, tuple(counts))
