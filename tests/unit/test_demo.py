"""The demo data: the shipped file is valid and fictional, loading is idempotent, and a
broken file is refused with an error naming the place of each problem."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.console import DEMO_FILE, DEMO_HISTORY_FILE, run_console
from domain.meetings import MeetingKind
from domain.models import LANGUAGES, Role
from services.container import Services
from services.demo import DemoDataError, load_demo, read_demo_file
from services.demo_history import HistoryDataError, read_history_file
from services.meeting_fields import MeetingDraft, local_today
from storage.db import Database

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


# -- the history ------------------------------------------------------------------------------


async def test_the_history_loads_once_with_restricted_pinned_and_overdue_items(
    services: Services, db: Database
) -> None:
    demo = await load_demo(services, DEMO_FILE, DEMO_HISTORY_FILE)
    history = read_history_file(DEMO_HISTORY_FILE)
    assert demo.history.partnerships == ("cop-mauritania-demo", "netcop-demo")
    assert demo.history.meetings == len(history.meetings) >= 40
    assert demo.history.challenges == len(history.challenges) >= 25
    assert demo.history.milestone_updates == len(history.milestone_updates) >= 5
    assert "fictional" in DEMO_HISTORY_FILE.read_text(encoding="utf-8")[:300].lower()

    async def value(sql: str) -> int:
        return int(await db.fetchvalue(sql))

    assert await value("SELECT COUNT(*) FROM meetings") == demo.history.meetings
    assert await value("SELECT COUNT(*) FROM meetings WHERE restricted = 1") >= 5
    assert await value("SELECT COUNT(*) FROM challenges") == demo.history.challenges
    assert await value("SELECT COUNT(*) FROM challenges WHERE restricted = 1") >= 3
    assert await value("SELECT COUNT(*) FROM challenges WHERE latitude IS NOT NULL") >= 20
    assert await value("SELECT COUNT(DISTINCT status) FROM challenges") >= 5
    assert await value("SELECT COUNT(*) FROM challenge_events WHERE note != ''") >= 20
    assert await value("SELECT COUNT(*) FROM challenge_events WHERE kind = 'reopen'") == 1
    assert await value("SELECT COUNT(*) FROM milestone_updates") == demo.history.milestone_updates
    # Everything of the past is dated in the past, spread over about a year.
    now = services.clock()
    oldest = await db.fetchvalue("SELECT MIN(held_at) FROM meetings")
    assert oldest < (now - timedelta(days=300)).isoformat()
    assert await db.fetchvalue("SELECT MAX(created_at) FROM challenges") < now.isoformat()
    # Acknowledgements went through the alerts' buttons, as coordinators press them.
    assert await value("SELECT COUNT(*) FROM challenges WHERE acknowledged_at IS NOT NULL") >= 20

    # Follow-up actions: some done, some open, some overdue against the clock.
    admin = await services.access.identify_known(demo.first_admin.user_id)
    assert admin is not None and admin.membership is not None
    actions = await services.meetings.actions(admin, 0)
    assert actions.overdue >= 5 and actions.total > actions.overdue
    assert await value("SELECT COUNT(*) FROM meeting_actions WHERE done_at IS NOT NULL") >= 20
    today = local_today(now, admin.membership.partnership.timezone)
    assert await services.meetings.due_reminders() == []  # nobody is reminded at start
    assert all(i.action.due_on != today for i in actions.items)

    # No message of the past waits in the outbox, and no escalation is still due.
    assert await value("SELECT COUNT(*) FROM deliveries") > 0
    assert await value("SELECT COUNT(*) FROM deliveries WHERE status != 'sent'") == 0
    assert await value("SELECT COUNT(*) FROM challenge_escalations WHERE done_at IS NULL") == 0
    assert await services.challenges.escalate_due() == 0

    # A second start adds nothing.
    again = await load_demo(services, DEMO_FILE, DEMO_HISTORY_FILE)
    assert again.history.partnerships == ()
    assert await value("SELECT COUNT(*) FROM meetings") == demo.history.meetings
    assert await value("SELECT COUNT(*) FROM challenges") == demo.history.challenges


async def test_a_partnership_already_in_use_gets_no_history(services: Services) -> None:
    await load_demo(services, DEMO_FILE)
    admin = await services.access.identify_known(read_demo_file(DEMO_FILE).people[0].id)
    assert admin is not None and admin.membership is not None
    meeting = MeetingDraft(held_at=services.clock(), title="Our own", kind=MeetingKind.OTHER)
    await services.meetings.save(admin, admin.membership.partnership_id, meeting)
    demo = await load_demo(services, DEMO_FILE, DEMO_HISTORY_FILE)
    assert demo.history.partnerships == ("cop-mauritania-demo",)


def test_a_broken_history_names_its_place(tmp_path: Path) -> None:
    bad = """
meetings:
  - partnership: demo-one
    days_ago: 10
    kind: party
    title: A meeting
    author: awa_diop
    actions:
      - {what: Soon, owner: awa_diop, due_in: 1}
"""
    path = tmp_path / "history.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(HistoryDataError) as caught:
        read_history_file(path)
    assert "meetings[0].kind: Input should be" in str(caught.value)
    assert "must not be due today or tomorrow" in str(caught.value)


async def test_history_with_personal_data_is_refused(services: Services, tmp_path: Path) -> None:
    history = """
challenges:
  - partnership: demo-one
    days_ago: 10
    reporter: seydou_keita
    category: other
    severity: low
    title: Call this smuggler
    description: His number is +221 77 123 45 67.
"""
    path = tmp_path / "history.yaml"
    path.write_text(history, encoding="utf-8")
    with pytest.raises(DemoDataError, match=r"challenges\[0\] refused: PersonalDataSuspected"):
        await load_demo(services, write(tmp_path, MINIMAL), path)


async def test_the_console_starts_on_the_history_and_shows_it(
    settings: Settings, tmp_path: Path
) -> None:
    script = tmp_path / "script.txt"
    script.write_text("/meetings\n/actions\n/challenges\n", encoding="utf-8")
    output = io.StringIO()
    code = await run_console(
        settings,
        database=tmp_path / "console.sqlite3",
        script=script,
        fresh=False,
        output=output,
    )
    out = output.getvalue()
    assert code == 0, out
    meetings, actions, challenges = (
        out.split("Aïssatou> /meetings")[1].split("Aïssatou> /actions")[0],
        out.split("Aïssatou> /actions")[1].split("Aïssatou> /challenges")[0],
        out.split("Aïssatou> /challenges")[1],
    )
    assert "Comité de pilotage n° 8" in meetings  # the newest first: one still to come
    assert "Préparation du comité de pilotage" in meetings
    assert "overdue" in actions.lower()
    assert "Nouveaux points de départ au sud de Conakry" in challenges
    # Nothing of the past was delivered to the console's chats at start.
    before_first_line = out.split("Aïssatou> /meetings")[0]
    assert "Acknowledge" not in before_first_line and "challenge" not in before_first_line.lower()
