"""The demo data: the shipped file is valid and fictional, loading is idempotent, and a
broken file is refused with an error naming the place of each problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.console import DEMO_FILE
from domain.models import LANGUAGES, Role
from services.container import Services
from services.demo import DemoDataError, load_demo, read_demo_file

MINIMAL = """
people:
  - {id: 11, name: Awa Diop, username: awa_diop, language: fr}
  - {id: 12, name: Seydou Keita, username: seydou_keita, language: en}
partnerships:
  - slug: demo-one
    name: Demo one
    kind: cop
    countries: [Senegal]
    timezone: Africa/Dakar
    language: fr
    members:
      - {person: awa_diop, role: admin}
      - {person: seydou_keita, role: member}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_demo_file_has_every_role_two_partnerships_and_fictional_contacts() -> None:
    demo = read_demo_file(DEMO_FILE)
    network, cop = demo.partnerships
    assert {m.role for m in network.members} == set(Role)
    assert len(cop.members) >= 2
    in_both = {m.person for m in network.members} & {m.person for m in cop.members}
    assert len(in_both) == 1
    assert {p.language for p in demo.people} == set(LANGUAGES)
    assert 25 <= len(demo.contacts) <= 40
    assert all(
        c.email is None or re.search(r"@example\.(org|com)$", c.email) for c in demo.contacts
    )
    assert all(c.phone is None or re.fullmatch(r"\+[1-9]\d{6,14}", c.phone) for c in demo.contacts)
    assert "fictional" in DEMO_FILE.read_text(encoding="utf-8")[:400].lower()


async def test_loading_creates_members_with_their_telegram_language_once(
    services: Services,
) -> None:
    first = await load_demo(services, DEMO_FILE)
    assert first.created == ("NETCOP demo — West Africa", "COP Mauritania demo")
    assert first.first_admin.name == "Aïssatou Ndiaye"
    mamadou = next(m for m in first.members if m.name == "Mamadou Ould Cheikh")
    assert [r.role for r in mamadou.roles] == [Role.MEMBER, Role.COORDINATOR]

    caller = await services.access.identify_known(mamadou.user_id)
    assert caller is not None and caller.member is not None
    assert caller.member.telegram_language == "ar" and caller.member.language is None
    assert caller.language("en") == "ar"
    assert caller.membership is not None
    assert caller.membership.partnership.slug == "netcop-demo"  # the first one joined
    assert caller.membership.organisation == "DGSN — direction de la police des frontières"
    assert len(await services.access.memberships(caller)) == 2

    # Changes made while trying the bot survive a reload, and nothing is created twice.
    admin = await services.access.identify_known(first.first_admin.user_id)
    assert admin is not None
    await services.members.remove(admin, mamadou.user_id)
    again = await load_demo(services, DEMO_FILE)
    assert again.created == ()
    assert [p.slug for p in await services.partnerships.list_all()] == [
        "cop-mauritania-demo",
        "netcop-demo",
    ]
    caller = await services.access.identify_known(mamadou.user_id)
    assert caller is not None
    assert [m.partnership.slug for m in await services.access.memberships(caller)] == [
        "cop-mauritania-demo"
    ]


async def test_a_minimal_file_loads(services: Services, tmp_path: Path) -> None:
    demo = await load_demo(services, write(tmp_path, MINIMAL))
    assert [m.name for m in demo.members] == ["Awa Diop", "Seydou Keita"]
    assert demo.group is None and demo.contacts == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("role: admin}", "role: boss}"), "partnerships[0].members[0].role: Input should be"),
        (("role: admin}", "role: member}"), "needs at least one admin"),
        (("person: seydou_keita", "person: nobody_here"), "'nobody_here', who is not among"),
        (("language: en}", "language: de}"), "people[1].language: must be one of en, fr"),
        (("Africa/Dakar", "Africa/Atlantis"), "partnerships[0].timezone: must be an IANA"),
        (("slug: demo-one", "slug: Demo One!"), "partnerships[0].slug: String should match"),
        (("id: 12", "id: 11"), "people ids must be unique; repeated: 11"),
        (("kind: cop", "kind: cop\n    colour: blue"), "partnerships[0].colour: Extra inputs"),
    ],
)
def test_a_broken_file_names_the_place_of_the_problem(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    path = write(tmp_path, MINIMAL.replace(*change, 1))
    with pytest.raises(DemoDataError) as caught:
        read_demo_file(path)
    assert str(path) in str(caught.value) and "invalid demo data" in str(caught.value)
    assert expected in str(caught.value)


def test_contacts_must_stay_fictional_and_refer_to_a_partnership(tmp_path: Path) -> None:
    contact = """
contacts:
  - partnership: {slug}
    name: Test Contact
    organisation: CENTIF
    organisation_type: financial_intelligence
    country: Senegal
    role: Analyst
    languages: [fr]
    phone: "{phone}"
    email: {email}
"""
    good = contact.format(slug="demo-one", phone="+221770000000", email="t@example.org")
    assert len(read_demo_file(write(tmp_path, MINIMAL + good)).contacts) == 1
    for bad, expected in (
        (dict(slug="demo-one", phone="+221770000000", email="t@gmail.com"), "example.org"),
        (dict(slug="demo-one", phone="0770000000", email="t@example.org"), "phone"),
        (dict(slug="demo-two", phone="+221770000000", email="t@example.org"), "'demo-two'"),
    ):
        with pytest.raises(DemoDataError, match=re.escape(expected)):
            read_demo_file(write(tmp_path, MINIMAL + contact.format(**bad)))


def test_not_yaml_and_missing_files_are_explained(tmp_path: Path) -> None:
    with pytest.raises(DemoDataError, match=r"not valid YAML at line 3, column \d+"):
        read_demo_file(write(tmp_path, "people:\n  - id: 1\n  name: [unclosed\n"))
    with pytest.raises(DemoDataError, match="expected a mapping"):
        read_demo_file(write(tmp_path, "- just a list\n"))
    with pytest.raises(DemoDataError, match="demo data file not found"):
        read_demo_file(tmp_path / "missing.yaml")
