"""Services against a real SQLite file: invites, roles, partnerships, scoping."""

from __future__ import annotations

import asyncio

import pytest

from domain.models import Partnership, PartnershipKind, Role
from services.access import TelegramIdentity
from services.container import Services
from services.errors import InvalidInput, InviteRefused, LastAdmin, NotAllowed, NotFound
from storage import audit
from tests.fakes import FakeClock


def person(user_id: int, name: str = "Person", language: str | None = "en") -> TelegramIdentity:
    return TelegramIdentity(user_id, name, None, language)


async def make_partnership(services: Services, name: str = "COP Mauritanie") -> Partnership:
    return await services.partnerships.create(
        name=name, kind=PartnershipKind.COP, countries=("Mauritania",),
        timezone="Africa/Nouakchott", language="fr",
    )  # fmt: skip


async def test_partnership_fields_are_checked(services: Services) -> None:
    created = await make_partnership(services)
    assert created.slug == "cop-mauritanie"
    with pytest.raises(InvalidInput, match="taken"):
        await make_partnership(services)
    for bad in ({"timezone": "Mars/Base"}, {"language": "de"}, {"name": "  "}):
        arguments = {
            "name": "Other", "kind": PartnershipKind.JIT, "countries": (),
            "timezone": "UTC", "language": "en", **bad,
        }  # fmt: skip
        with pytest.raises(InvalidInput):
            await services.partnerships.create(**arguments)  # type: ignore[arg-type]


async def test_redeeming_checks_every_rule_inside_one_transaction(
    services: Services, clock: FakeClock
) -> None:
    partnership = await make_partnership(services)
    invite = await services.invites.create(partnership, role=Role.MEMBER, max_uses=3)
    # Five people race for three uses: exactly three get in.
    results = await asyncio.gather(
        *(services.invites.redeem(invite.code, person(10 + n)) for n in range(5)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, Exception) for r in results) == 3
    assert all(isinstance(r, InviteRefused) for r in results if isinstance(r, Exception))


async def test_an_invite_never_lowers_a_role(services: Services) -> None:
    partnership = await make_partnership(services)
    await services.partnerships.add_member(partnership, user_id=1, name="A", role=Role.ADMIN)
    invite = await services.invites.create(partnership, role=Role.OBSERVER)
    membership = await services.invites.redeem(invite.code, person(1))
    assert membership.role is Role.ADMIN


async def test_coordinators_may_invite_members_not_admins(services: Services) -> None:
    partnership = await make_partnership(services)
    await services.partnerships.add_member(partnership, user_id=2, name="C", role=Role.COORDINATOR)
    coordinator = await services.access.identify(person(2, "C"))
    await services.invites.create(partnership, role=Role.MEMBER, created_by=coordinator)
    with pytest.raises(NotAllowed):
        await services.invites.create(partnership, role=Role.ADMIN, created_by=coordinator)
    with pytest.raises(InvalidInput):
        await services.invites.create(partnership, role=Role.MEMBER, max_uses=0)


async def test_no_one_acts_on_another_partnership(services: Services) -> None:
    first = await make_partnership(services, "COP A")
    second = await make_partnership(services, "COP B")
    await services.partnerships.add_member(first, user_id=1, name="Admin A", role=Role.ADMIN)
    await services.partnerships.add_member(second, user_id=2, name="Member B", role=Role.MEMBER)
    admin_of_first = await services.access.identify(person(1, "Admin A"))
    with pytest.raises(NotFound):
        await services.members.change_role(admin_of_first, 2, Role.OBSERVER)
    with pytest.raises(NotFound):
        await services.members.remove(admin_of_first, 2)
    with pytest.raises(NotAllowed):
        await services.invites.create(second, role=Role.MEMBER, created_by=admin_of_first)
    page = await services.members.page(admin_of_first, 0)
    assert [m.member_id for m in page.members] == [1]


async def test_last_admin_cannot_leave_or_be_demoted(services: Services) -> None:
    partnership = await make_partnership(services)
    await services.partnerships.add_member(partnership, user_id=1, name="A", role=Role.ADMIN)
    admin = await services.access.identify(person(1, "A"))
    with pytest.raises(LastAdmin):
        await services.members.change_role(admin, 1, Role.MEMBER)
    await services.partnerships.add_member(partnership, user_id=3, name="B", role=Role.ADMIN)
    await services.members.change_role(admin, 3, Role.MEMBER)


async def test_changes_are_audited(services: Services, clock: FakeClock) -> None:
    partnership = await make_partnership(services)
    invite = await services.invites.create(partnership, role=Role.MEMBER)
    await services.invites.redeem(invite.code, person(7))
    entries = await audit.recent(services.db, partnership.id)
    assert [e.action for e in entries] == ["invite.redeem", "invite.create", "partnership.create"]
    assert entries[0].actor_id == 7 and entries[0].at == clock.now


async def test_member_pages_are_clamped(services: Services) -> None:
    partnership = await make_partnership(services)
    await services.partnerships.add_member(partnership, user_id=1, name="A", role=Role.ADMIN)
    for n in range(25):
        await services.partnerships.add_member(
            partnership, user_id=100 + n, name=f"M{n:02}", role=Role.MEMBER
        )
    admin = await services.access.identify(person(1, "A"))
    last = await services.members.page(admin, 99)
    assert (last.page, last.pages, last.total, len(last.members)) == (2, 3, 26, 6)


async def test_identify_follows_telegram_name_and_language_changes(services: Services) -> None:
    partnership = await make_partnership(services)
    await services.partnerships.add_member(partnership, user_id=5, name="Old", role=Role.MEMBER)
    caller = await services.access.identify(person(5, "New name", "pt-br"))
    assert caller.member is not None and caller.member.name == "New name"
    assert caller.language("en") == "pt"
    await services.access.set_language(caller, "ar")
    again = await services.access.identify(person(5, "New name", "pt-br"))
    assert again.language("en") == "ar"


async def test_a_taken_partnership_name_suggests_a_free_slug(services: Services) -> None:
    for _ in range(2):
        await services.partnerships.create(
            name="COP Mali", kind=PartnershipKind.COP, countries=(), timezone="UTC",
            language="fr", plan=None, slug="cop-mali" if _ == 0 else "cop-mali-2",
        )  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        await services.partnerships.create(
            name="COP Mali", kind=PartnershipKind.COP, countries=(), timezone="UTC", language="fr"
        )
    assert "--slug cop-mali-3" in str(refused.value)
