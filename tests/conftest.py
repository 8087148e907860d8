"""Shared fixtures: a fresh SQLite file per test, services on it, and the running bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import make_services
from bot.config import Settings
from domain.models import Partnership, PartnershipKind, Role
from services.container import Services
from storage.db import Database
from tests.fakes import BotDriver, FakeClock
from tests.helpers import bot_process
from tests.people import ADMIN, COORDINATOR, MEMBER, OBSERVER


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, database_path=tmp_path / "partnerbot.sqlite3")  # type: ignore[call-arg]


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_path)
    await database.open()
    yield database
    await database.close()


@pytest.fixture
def services(db: Database, clock: FakeClock) -> Services:
    return make_services(db, clock=clock)


@pytest.fixture
async def driver(settings: Settings, clock: FakeClock) -> AsyncIterator[BotDriver]:
    async with bot_process(settings, clock) as running_bot:
        yield running_bot


@pytest.fixture
async def partnership(driver: BotDriver) -> Partnership:
    """A partnership with an admin (Aminata), a coordinator (Carlos), a member (Moussa)
    and an observer (Olga), on the running bot's services."""
    services = driver.app.services
    created = await services.partnerships.create(
        name="COP Sénégal",
        kind=PartnershipKind.COP,
        countries=("Senegal", "Mali"),
        timezone="Africa/Dakar",
        language="fr",
    )
    for user, role in ((ADMIN, Role.ADMIN), (COORDINATOR, Role.COORDINATOR),
                       (MEMBER, Role.MEMBER), (OBSERVER, Role.OBSERVER)):  # fmt: skip
        await services.partnerships.add_member(
            created, user_id=user.id, name=user.first_name, role=role
        )
    return created
