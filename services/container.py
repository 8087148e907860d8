"""All services, built once per application over one database and one clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from services.access import AccessService
from services.audit import AuditService
from services.broadcasts import BroadcastService
from services.challenges import ChallengeMessages, ChallengeService
from services.clock import Clock, utc_now
from services.contacts import ContactService, LinkMessages
from services.digest_sources import ChallengeActivity, MeetingActivity
from services.digests import DigestService
from services.erasure import ErasureService
from services.invites import InviteService
from services.meetings import MeetingService
from services.members import MemberService
from services.milestones import MilestoneService
from services.outbox import OutboxService
from services.partnerships import PartnershipService
from services.personal_data import PersonalDataService
from services.reports import ReportService
from services.retention import RetentionService
from services.throttle import LIMITS, Expense, Limit, Throttle
from services.updates import UpdateLog
from storage.db import Database


@dataclass(frozen=True, slots=True)
class Wording:
    """How the messages services send on their own read, in any language: the bot writes
    them (services know no Telegram and no HTML)."""

    challenges: ChallengeMessages
    contact_links: LinkMessages


@dataclass(frozen=True, slots=True)
class Services:
    """What handlers, jobs and the command line call."""

    db: Database
    clock: Clock
    wording: Wording
    default_language: str
    access: AccessService
    invites: InviteService
    members: MemberService
    partnerships: PartnershipService
    updates: UpdateLog
    contacts: ContactService
    outbox: OutboxService
    broadcasts: BroadcastService
    challenges: ChallengeService
    meetings: MeetingService
    reports: ReportService
    personal_data: PersonalDataService
    erasure: ErasureService
    audit: AuditService
    milestones: MilestoneService
    digests: DigestService
    retention: RetentionService
    throttle: Throttle

    @classmethod
    def create(
        cls,
        db: Database,
        *,
        wording: Wording,
        default_language: str,
        clock: Clock = utc_now,
        limits: Mapping[Expense, Limit] = LIMITS,
    ) -> Services:
        """Wire every service to the same database and clock, once: `wording` of the
        messages they send, `default_language` for people whose language nobody knows,
        `limits` on expensive requests (none: unlimited)."""
        outbox = OutboxService(db, clock)
        return cls(
            db=db,
            outbox=outbox,
            broadcasts=BroadcastService(db, clock, outbox, default_language),
            challenges=ChallengeService(db, clock, outbox, wording.challenges, default_language),
            clock=clock,
            wording=wording,
            default_language=default_language,
            access=AccessService(db, clock),
            invites=InviteService(db, clock),
            members=MemberService(db, clock),
            partnerships=PartnershipService(db, clock),
            updates=UpdateLog(db, clock),
            contacts=ContactService(db, clock, outbox, wording.contact_links, default_language),
            meetings=MeetingService(db, clock, default_language),
            milestones=MilestoneService(db, clock),
            reports=ReportService(db, clock),
            personal_data=PersonalDataService(db, clock),
            erasure=ErasureService(db, clock),
            audit=AuditService(db, clock),
            digests=DigestService(db, clock, sources=[MeetingActivity(db), ChallengeActivity(db)]),
            retention=RetentionService(db, clock),
            throttle=Throttle(clock, limits),
        )

    def on_clock(self, clock: Clock) -> Services:
        """The same services over the same database on another clock, without limits: to
        write records dated in the past (the demo's history). Their outbox is their own, so
        what they queue wakes no delivery worker."""
        return Services.create(
            self.db,
            wording=self.wording,
            default_language=self.default_language,
            clock=clock,
            limits={},
        )

    @classmethod
    @asynccontextmanager
    async def opened(
        cls, path: Path | str, *, wording: Wording, default_language: str, clock: Clock = utc_now
    ) -> AsyncIterator[Services]:
        """Every service over the SQLite file at `path`, open (and migrated) for the block:
        for programs that run once, such as the command line."""
        db = Database(path)
        await db.open()
        try:
            yield cls.create(db, wording=wording, default_language=default_language, clock=clock)
        finally:
            await db.close()
