"""Broad contact searches, on a real SQLite file: past 500 matches the total is not counted
through ("more than 500"), yet every match can still be reached page by page, in the order of
relevance then name, with filters still narrowing; in /contacts and in inline mode."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from bot.i18n import translator
from bot.views.render import bold
from domain.models import Partnership, PartnershipKind, Role
from services.access import Caller
from services.contact_fields import ContactDraft, OrganisationType
from services.contacts import COUNTED_MATCHES, PAGE_SIZE
from services.container import Services
from storage import contacts as store
from storage.db import Database
from tests.fakes import BotDriver
from tests.helpers import buttons
from tests.people import MEMBER

T = OrganisationType
COUNTRIES = ("Sénégal", "Niger", "Mali", "Guinée")
#: More customs officers than a search counts, spread over four countries, added in another
#: order than their names' (7 and 520 have no common divisor).
OFFICERS = [
    ContactDraft(f"Agent {n * 7 % 520:03d}", "Douanes", T.CUSTOMS, COUNTRIES[n % 4], "Inspecteur")
    for n in range(520)
]
#: Matches "douanes" in a name, which weighs most: first whatever its name.
HEAD = ContactDraft("Zoé Douanes", "Ministère des finances", T.JUDICIARY, "Mali", "Conseillère")


async def _fill(services: Services, name: str = "COP Sénégal") -> Partnership:
    created = await services.partnerships.create(
        name=name, kind=PartnershipKind.COP, countries=COUNTRIES,
        timezone="Africa/Dakar", language="fr",
    )  # fmt: skip
    report = await services.contacts.add_drafts(created, [*OFFICERS, HEAD], source="test")
    assert report.created == len(OFFICERS) + 1 and not report.problems
    return created


@pytest.fixture
async def member(services: Services) -> Caller:
    partnership = await _fill(services)
    await services.partnerships.add_member(
        partnership, user_id=MEMBER.id, name="M", role=Role.MEMBER
    )
    found = await services.access.identify_known(MEMBER.id)
    assert found is not None
    return found


async def _bm25_order(db: Database, partnership_id: int, match: str) -> list[int]:
    """Every match's id, best first: bm25 over the whole join, then name, then id."""
    weights = "10.0, 5.0, 3.0, 3.0, 6.0, 2.0, 1.0"
    rows = await db.fetchall(
        "SELECT c.id FROM contacts_fts CROSS JOIN contacts c ON c.id = contacts_fts.rowid"
        " WHERE c.partnership_id = ? AND contacts_fts MATCH ?"
        f" ORDER BY bm25(contacts_fts, {weights}), c.name COLLATE NOCASE, c.id",
        (partnership_id, match),
    )
    return [row[0] for row in rows]


async def test_past_500_matches_the_total_is_a_lower_bound_and_every_page_is_reachable(
    services: Services, db: Database, member: Caller
) -> None:
    first = await services.contacts.search(member, "douanes")
    assert first.more_than == COUNTED_MATCHES and first.total > COUNTED_MATCHES
    assert first.pages > 1 and len(first.contacts) == PAGE_SIZE
    assert first.contacts[0].name == "Zoé Douanes"
    seen = [c.id for c in first.contacts]
    page = first
    while page.page + 1 < page.pages:
        page = await services.contacts.search(member, "douanes", page=page.page + 1)
        assert page.contacts and page.pages > page.page
        seen += [c.id for c in page.contacts]
    # The last page, past the counted matches, is counted exactly.
    assert page.more_than is None and page.total == len(OFFICERS) + 1
    match = store.match_expression(["douanes"])
    assert match is not None
    expected = await _bm25_order(db, member.require_membership().partnership_id, match)
    assert seen == expected  # each match once, in the order of relevance then name
    # The count itself stops where it is told to, past the page it was asked for.
    own = store.Search((member.require_membership().partnership_id,), match=match)
    assert (await store.search(db, own, limit=PAGE_SIZE, count_up_to=501))[1] == 501
    assert (await store.search(db, own, limit=PAGE_SIZE))[1] == len(OFFICERS) + 1
    # A page past the end shows the last one, as before.
    beyond = await services.contacts.search(member, "douanes", page=1000)
    assert beyond.page == page.page
    assert [c.id for c in beyond.contacts] == expected[page.page * PAGE_SIZE :]


async def test_equal_matches_come_by_name_and_the_first_page_is_ranked_like_the_whole(
    services: Services, db: Database, member: Caller
) -> None:
    page = await services.contacts.search(member, "inspecteur douanes")
    names = [c.name for c in page.contacts]
    assert names == [f"Agent {n:03d}" for n in range(PAGE_SIZE)]
    partnership_id = member.require_membership().partnership_id
    beginning = await services.contacts.search(member, "dou")
    expected = await _bm25_order(db, partnership_id, '("dou" OR "dou"*)')
    assert expected[:PAGE_SIZE] != sorted(expected)[:PAGE_SIZE]  # not merely by id
    assert [c.id for c in beginning.contacts] == expected[:PAGE_SIZE]
    assert beginning.contacts[0].name == "Zoé Douanes"


async def test_filters_still_narrow_a_broad_search(services: Services, member: Caller) -> None:
    niger = await services.contacts.search(member, "douanes country:niger")
    assert niger.more_than is None and niger.total == len(OFFICERS) // 4
    assert {c.country for c in niger.contacts} == {"Niger"}
    pages = [await services.contacts.search(member, "douanes pays:niger", page=p) for p in (0, 1)]
    assert [c.id for c in pages[0].contacts] == [c.id for c in niger.contacts]
    assert not {c.id for c in pages[0].contacts} & {c.id for c in pages[1].contacts}
    mali = await services.contacts.search(member, "org:douanes", country="Mali")
    assert mali.more_than is None and mali.total == len(OFFICERS) // 4
    browsed = await services.contacts.search(member, country="Guinée")
    assert browsed.more_than is None and browsed.total == len(OFFICERS) // 4


async def test_a_broad_search_keeps_to_the_partnerships_it_may_look_in(
    services: Services, member: Caller
) -> None:
    await _fill(services, "JIT Niger")  # the same people, where the member is not
    page = await services.contacts.search(member, "douanes")
    own = member.require_membership().partnership_id
    assert page.more_than == COUNTED_MATCHES
    assert {c.partnership_id for c in page.contacts} == {own}
    last = await services.contacts.search(member, "douanes", page=page.pages * 100)
    assert last.total == len(OFFICERS) + 1


async def test_inline_mode_pages_through_a_broad_search(services: Services, member: Caller) -> None:
    offset: int | None = 0
    seen: list[int] = []
    while offset is not None:
        found, offset = await services.contacts.search_everywhere(member, "douanes", offset=offset)
        assert found and (offset is None or offset == len(seen) + len(found))
        seen += [c.id for c in found]
    assert len(seen) == len(set(seen)) == len(OFFICERS) + 1


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_contacts_says_more_than_500_and_still_pages(
    driver: BotDriver, partnership: Partnership, language: str
) -> None:
    services = driver.app.services
    await services.contacts.add_drafts(partnership, [*OFFICERS, HEAD], source="test")
    caller = await services.access.identify_known(MEMBER.id)
    assert caller is not None
    await services.access.set_language(caller, language)
    _ = translator(language)
    (first,) = await driver.send(MEMBER, "/contacts douanes")
    header = _.plural(
        "More than {count} contact matches {query}:",
        "More than {count} contacts match {query}:",
        COUNTED_MATCHES,
        query=bold("douanes"),
    )
    assert first["text"].startswith(header + Markup(" ") + _("Page {page}.", page=1))
    assert str(len(OFFICERS) + 1) not in first["text"]
    if language == "en":
        assert first["text"].startswith("More than 500 contacts match <b>douanes</b>: Page 1.")
    assert buttons(first)[0] == "1. Zoé Douanes" and buttons(first)[-1] == "»"
    await driver.press(MEMBER, "»")
    second = driver.api.sent_to(MEMBER.id)[-1]
    assert _("Page {page}.", page=2) in second["text"]
    assert buttons(second)[-2:] == ["«", "»"] and "9. Agent 007" in buttons(second)
