"""The contact directory's search, on a real SQLite file: accents, apostrophes, prefixes,
several words, filters, ranking, partnerships kept apart, and the index kept in step."""

from __future__ import annotations

import pytest

from domain.models import Partnership, PartnershipKind, Role
from services.access import Caller, TelegramIdentity
from services.contact_fields import ContactDraft, OrganisationType
from services.contacts import FILTERS, DuplicateContact, parse_query
from services.container import Services
from services.errors import NotAllowed, NotAMember, NotFound
from storage import audit
from tests.people import ADMIN, MEMBER, STRANGER

T = OrganisationType

DIRECTORY = [
    ContactDraft("Aïssatou Ndiaye", "Police nationale — DPAF", T.BORDER_POLICE, "Sénégal",
                 "Commissaire", ("fraude documentaire", "départs en pirogue"), ("fr", "wo"),
                 "+221770000001"),
    ContactDraft("Koffi N'Guessan", "CENTIF", T.FINANCIAL_INTELLIGENCE, "Côte d'Ivoire",
                 "Chef de l'analyse", ("finance illicite",), ("fr", "en"), "+2250701000002"),
    ContactDraft("Hawa Kourouma", "Gendarmerie nationale", T.GENDARMERIE, "Guinée",
                 "Commandante de poste frontière", ("routes terrestres",), ("fr",)),
    ContactDraft("João Gonçalves", "Polícia Judiciária", T.JUDICIAL_POLICE, "Guiné-Bissau",
                 "Inspetor", ("tráfico de migrantes",), ("pt",)),
    ContactDraft("María José Núñez", "Guardia Civil", T.MEMBER_STATE_POLICE, "España",
                 "Oficial de enlace", ("vigilancia marítima",), ("es", "fr")),
    ContactDraft("محمد ولد أحمد", "الإدارة العامة للأمن الوطني", T.BORDER_POLICE, "موريتانيا",
                 "رئيس وحدة مكافحة التهريب", ("الطريق الأطلسي",), ("ar", "fr")),
    ContactDraft("Abdoulaye Issoufou", "Police nationale — DST", T.BORDER_POLICE, "Niger",
                 "Analyste", ("route d'Agadez",), ("fr", "ha")),
    ContactDraft("Ngozi Okafor", "Nigeria Police Force", T.BORDER_POLICE, "Nigeria",
                 "Analyst", ("online advertisements",), ("en",)),
    ContactDraft("Babacar Gueye", "Parquet de Dakar", T.JUDICIARY, "Sénégal",
                 "Deputy prosecutor", ("smuggling prosecutions",), ("fr",)),
    ContactDraft("Piotr Zieliński", "Frontex", T.EU_AGENCY, "Poland",
                 "Risk analysis officer", ("Western African route",), ("en", "pl")),
    ContactDraft("Claire Frontier", "Europol — EMSC", T.EU_AGENCY, "Netherlands",
                 "Specialist", ("Frontex liaison",), ("en", "fr")),
]  # fmt: skip


@pytest.fixture
async def senegal(services: Services) -> Partnership:
    """A partnership with the directory above; Aminata is its admin, Moussa a member."""
    created = await services.partnerships.create(
        name="COP Sénégal", kind=PartnershipKind.COP, countries=("Sénégal",),
        timezone="Africa/Dakar", language="fr",
    )  # fmt: skip
    await services.partnerships.add_member(created, user_id=ADMIN.id, name="A", role=Role.ADMIN)
    await services.partnerships.add_member(created, user_id=MEMBER.id, name="M", role=Role.MEMBER)
    report = await services.contacts.add_drafts(created, DIRECTORY, source="test")
    assert report.created == len(DIRECTORY) and not report.problems
    return created


async def caller(services: Services, user_id: int) -> Caller:
    found = await services.access.identify_known(user_id)
    assert found is not None
    return found


async def names(services: Services, query: str, user_id: int = MEMBER.id) -> list[str]:
    page = await services.contacts.search(await caller(services, user_id), query)
    return [contact.name for contact in page.contacts]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("senegal dpaf", "Aïssatou Ndiaye"),  # French accents ignored
        ("SÉNÉGAL commissaire", "Aïssatou Ndiaye"),
        ("aissatou", "Aïssatou Ndiaye"),
        ("guinee", "Hawa Kourouma"),
        ("joao goncalves", "João Gonçalves"),  # Portuguese
        ("policia judiciaria", "João Gonçalves"),
        ("trafico", "João Gonçalves"),
        ("nunez", "María José Núñez"),  # Spanish
        ("espana maritima", "María José Núñez"),
        ("محمد", "محمد ولد أحمد"),  # Arabic
        ("موريت", "محمد ولد أحمد"),
        ("cote divoire", "Koffi N'Guessan"),  # apostrophes, typed without
        ("côte d’ivoire", "Koffi N'Guessan"),  # or with a typographic one
        ("cote d ivoire", "Koffi N'Guessan"),
        ("nguessan", "Koffi N'Guessan"),
        ("N'Guessan", "Koffi N'Guessan"),
        ("guine bissau", "João Gonçalves"),
        ("guinebissau", "João Gonçalves"),
        ("gend", "Hawa Kourouma"),  # beginnings of words
        ("pol jud", "João Gonçalves"),
        ("wolof", "Aïssatou Ndiaye"),  # languages, by name in any shipped language
        ("haoussa", "Abdoulaye Issoufou"),
        ("portugués", "João Gonçalves"),
        ("border police niger", "Abdoulaye Issoufou"),  # the organisation's type
        ("financial intelligence", "Koffi N'Guessan"),
    ],
)
async def test_search_ignores_case_accents_apostrophes_and_finds_beginnings(
    services: Services, senegal: Partnership, query: str, expected: str
) -> None:
    assert (await names(services, query))[:1] == [expected]


async def test_several_words_must_all_match_and_exact_words_rank_first(
    services: Services, senegal: Partnership
) -> None:
    # "niger" also begins "Nigeria": both match, the exact country first.
    assert await names(services, "police niger") == ["Abdoulaye Issoufou", "Ngozi Okafor"]
    assert await names(services, "analyste niger") == ["Abdoulaye Issoufou"]
    assert await names(services, "nationale dakar") == []
    # A word in the name counts more than the same word among the expertise topics.
    assert (await names(services, "frontex"))[:2] == ["Piotr Zieliński", "Claire Frontier"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("country:niger", ["Abdoulaye Issoufou"]),  # whole words: Nigeria is left out
        ("country:nigeria", ["Ngozi Okafor"]),
        ('country:"côte d\'ivoire"', ["Koffi N'Guessan"]),
        ("country:“Côte d'Ivoire”", ["Koffi N'Guessan"]),  # quotes a phone may type
        ("pays:senegal role:deputy", ["Babacar Gueye"]),
        ("org:frontex", ["Piotr Zieliński"]),  # not the contact whose topic names Frontex
        ('org:"guardia civil"', ["María José Núñez"]),
        ("org:gend", ["Hawa Kourouma"]),  # the last word of org: may be a beginning
        ("role:prosecutor", ["Babacar Gueye"]),
        ("police country:senegal", ["Aïssatou Ndiaye"]),
        ("type:gendarmerie", ["Hawa Kourouma"]),
        ("lang:pt", ["João Gonçalves"]),
        ("country:mali", []),
        ("colour:blue", []),  # not a filter: searched as words
    ],
)
async def test_filters_narrow_a_search(
    services: Services, senegal: Partnership, query: str, expected: list[str]
) -> None:
    assert await names(services, query) == expected


async def test_nothing_found_and_nothing_to_search(
    services: Services, senegal: Partnership
) -> None:
    for query in ("xyzzy", "senegal xyzzy", "", "   ", '"', "- ' *", "country:"):
        page = await services.contacts.search(await caller(services, MEMBER.id), query)
        assert (page.total, page.contacts) == (0, [])


def test_queries_are_read_into_words_and_filters() -> None:
    terms = parse_query('gend  country:"Côte d\'Ivoire" ORG:frontex role:« chef » x:y')
    assert terms.words == ("gend", "x:y")
    assert terms.filters == (
        ("country", "Côte d'Ivoire", False),
        ("organisation", "frontex", True),
        ("role", "chef", True),
    )
    assert parse_query("*").empty and not parse_query("a").empty
    # Every filter name is recognised as typed, Arabic ones with hamza included.
    for name, (column, _prefix) in FILTERS.items():
        assert parse_query(f"{name}:x").filters[0][0] == column, name


async def test_long_results_come_in_pages(services: Services, senegal: Partnership) -> None:
    more = [
        ContactDraft(f"Agent {n:02d}", "Douanes sénégalaises", T.CUSTOMS, "Sénégal")
        for n in range(1, 21)
    ]
    await services.contacts.add_drafts(senegal, more, source="test")
    member = await caller(services, MEMBER.id)
    first = await services.contacts.search(member, "douanes")
    assert (first.total, first.pages, len(first.contacts)) == (20, 3, 8)
    last = await services.contacts.search(member, "douanes", page=2)
    assert len(last.contacts) == 4
    pages = [await services.contacts.search(member, "douanes", page=p) for p in range(3)]
    seen = {contact.id for page in pages for contact in page.contacts}
    assert len(seen) == 20
    # A page that no longer exists shows the last one.
    assert (await services.contacts.search(member, "douanes", page=9)).page == 2


async def test_browsing_by_exact_country_and_organisation(
    services: Services, senegal: Partnership
) -> None:
    member = await caller(services, MEMBER.id)
    countries = dict(await services.contacts.countries(member))
    assert countries["Sénégal"] == 2 and "Nigeria" in countries
    page = await services.contacts.search(member, country="Sénégal")
    assert [c.name for c in page.contacts] == ["Aïssatou Ndiaye", "Babacar Gueye"]
    page = await services.contacts.search(member, organisation="CENTIF")
    assert [c.name for c in page.contacts] == ["Koffi N'Guessan"]


async def test_a_member_of_another_partnership_finds_nothing_of_this_one(
    services: Services, senegal: Partnership
) -> None:
    other = await services.partnerships.create(
        name="JIT Niger", kind=PartnershipKind.JIT, countries=("Niger",),
        timezone="Africa/Niamey", language="fr",
    )  # fmt: skip
    outsider_id = 4242
    await services.partnerships.add_member(other, user_id=outsider_id, name="O", role=Role.ADMIN)
    outsider = await caller(services, outsider_id)
    for query in ("niger", "issoufou", "country:niger", "police"):
        assert (await services.contacts.search(outsider, query)).total == 0
        assert (await services.contacts.search_everywhere(outsider, query))[0] == []
    assert (await services.contacts.directory(outsider)).total == 0
    member = await caller(services, MEMBER.id)
    niger_contact = (await services.contacts.search(member, "issoufou")).contacts[0]
    with pytest.raises(NotFound):
        await services.contacts.get(outsider, niger_contact.id)
    # Someone in both partnerships finds both directories in inline mode, and only those.
    await services.partnerships.add_member(other, user_id=MEMBER.id, name="M", role=Role.MEMBER)
    await services.contacts.add_drafts(
        other, [ContactDraft("Ibrahim Souley", "Police nationale", T.BORDER_POLICE, "Niger")],
        source="test",
    )  # fmt: skip
    member = await caller(services, MEMBER.id)
    found, _next = await services.contacts.search_everywhere(member, "country:niger")
    assert {c.name for c in found} == {"Abdoulaye Issoufou", "Ibrahim Souley"}
    found, _next = await services.contacts.search_everywhere(outsider, "country:niger")
    assert [c.name for c in found] == ["Ibrahim Souley"]


async def test_strangers_cannot_search(services: Services, senegal: Partnership) -> None:
    stranger = await services.access.identify(TelegramIdentity(STRANGER.id, "S", None, "en"))
    with pytest.raises(NotAMember):
        await services.contacts.search(stranger, "police")
    with pytest.raises(NotAMember):
        await services.contacts.search_everywhere(stranger, "police")


async def test_the_index_follows_edits_deletions_and_members_leaving(
    services: Services, senegal: Partnership
) -> None:
    admin = await caller(services, ADMIN.id)
    hawa = (await services.contacts.search(admin, "kourouma")).contacts[0]
    draft = ContactDraft("Hawa Kourouma", "Gendarmerie nationale", T.GENDARMERIE, "Mali")
    await services.contacts.save(admin, draft, hawa.id)
    assert await names(services, "country:mali") == ["Hawa Kourouma"]
    assert await names(services, "guinee") == []
    await services.contacts.delete(admin, hawa.id)
    assert await names(services, "kourouma") == []

    member = await caller(services, MEMBER.id)
    await services.contacts.save_own_card(member, ContactDraft("Moussa Diallo", "DPAF"))
    assert await names(services, "moussa", ADMIN.id) == ["Moussa Diallo"]
    await services.members.remove(admin, MEMBER.id)
    assert await names(services, "moussa", ADMIN.id) == []

    actions = [entry.action for entry in await audit.recent(services.db, senegal.id)]
    assert {"contact.update", "contact.delete", "contact.own_card", "contact.import"} <= set(
        actions
    )
    integrity = "INSERT INTO contacts_fts (contacts_fts) VALUES ('integrity-check')"
    async with services.db.transaction() as tx:
        await tx.execute(integrity)


async def test_the_search_benchmark_runs_on_a_small_directory(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from benchmarks.contacts_search import QUERIES, run

    await run(contacts=300, runs=2, seed=1)
    out = capsys.readouterr().out
    assert "300 contacts indexed" in out and "all queries: p50" in out
    assert all(f"| {query}" in out for query in QUERIES)


async def test_a_members_card_never_takes_over_an_entry_a_coordinator_links_it(
    services: Services, senegal: Partnership
) -> None:
    admin, member = await caller(services, ADMIN.id), await caller(services, MEMBER.id)
    made = await services.contacts.save(
        admin, ContactDraft("Moussa Diallo", "DPAF", email="moussa@dpaf.sn", phone="+221770000077")
    )
    # The member types the same phone (or name and organisation) with another e-mail.
    for claimed in (
        ContactDraft("Someone", "Else", email="evil@example.org", phone="+221770000077"),
        ContactDraft("moussa diallo", "Dpaf", email="evil@example.org"),
    ):
        with pytest.raises(DuplicateContact) as refused:
            await services.contacts.save_own_card(member, claimed)
        assert refused.value.existing.id == made.id and refused.value.linkable
    entry = await services.contacts.get(admin, made.id)
    assert (entry.email, entry.member_id) == ("moussa@dpaf.sn", None)  # nothing overwritten
    # A member cannot link it themselves, even with a forged button.
    with pytest.raises(NotAllowed):
        await services.contacts.link_to_member(member, made.id, MEMBER.id)
    # Asking reaches the admin (no coordinator here), once.
    assert await services.contacts.ask_to_link(member, made.id) == 1
    assert await services.contacts.ask_to_link(member, made.id) == 1
    queued = await services.db.fetchall("SELECT chat_id, text FROM deliveries")
    assert [row["chat_id"] for row in queued] == [ADMIN.id]
    assert "<b>M</b>, membre de COP Sénégal" in queued[0]["text"]  # the partnership's language
    assert "<b>Moussa Diallo</b>" in queued[0]["text"]
    linked = await services.contacts.link_to_member(admin, made.id, MEMBER.id)
    assert (linked.member_id, linked.email) == (MEMBER.id, "moussa@dpaf.sn")
    with pytest.raises(NotFound):  # now the member's own: coordinators no longer edit it
        await services.contacts.save(admin, ContactDraft("Moussa Diallo", "DPAF"), made.id)
    with pytest.raises(NotFound):  # linked once only
        await services.contacts.link_to_member(admin, made.id, MEMBER.id)
    # A card that exists already is never linked to another entry.
    other = await services.contacts.save(admin, ContactDraft("Awa Sy", "Douanes"))
    with pytest.raises(DuplicateContact) as refused:
        await services.contacts.save_own_card(member, ContactDraft("Awa Sy", "Douanes"))
    assert not refused.value.linkable
    with pytest.raises(NotFound):
        await services.contacts.link_to_member(admin, other.id, MEMBER.id)
    # Another member cannot take the same card.
    await services.partnerships.add_member(senegal, user_id=4343, name="X", role=Role.MEMBER)
    with pytest.raises(DuplicateContact):
        await services.contacts.save_own_card(
            await caller(services, 4343), ContactDraft("Moussa Diallo", "DPAF")
        )
