"""Action plans: the default plan, importing and exporting YAML, validation by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from domain.milestones import MilestoneStatus
from domain.models import Partnership, PartnershipKind, Role
from services.access import Caller, TelegramIdentity
from services.container import Services
from services.errors import InvalidInput, NotAllowed
from services.plan_file import PlanRefused, default_plan, parse_plan
from storage import milestones as store
from tests.fakes import FakeClock

PLAN = """\
title: Test plan
pillars:
  - code: P1
    title: {en: Partnerships, fr: Partenariats}
    milestones:
      - code: A1
        title: Steering committee
        due: 2026-12-10
        status: in_progress
        progress: 40
      - code: A2
        title: Regional seminar
        due: 2026-11-01
  - code: P2
    title: Awareness
    milestones:
      - code: B1
        title: Campaign launched
        due: 2026-06-01
        status: done
"""


async def new_partnership(services: Services, plan: str | None = PLAN) -> Partnership:
    return await services.partnerships.create(
        name="JIT Niger",
        kind=PartnershipKind.JIT,
        countries=("Niger", "Spain"),
        timezone="Africa/Niamey",
        language="fr",
        plan=parse_plan(plan) if plan else None,
    )


async def coordinator(services: Services, partnership: Partnership, user_id: int = 7) -> Caller:
    await services.partnerships.add_member(
        partnership, user_id=user_id, name="Carla", role=Role.COORDINATOR
    )
    return await services.access.identify(TelegramIdentity(user_id, "Carla", None, "en"))


async def test_a_new_partnership_gets_the_eu_action_plan(services: Services) -> None:
    partnership = await services.partnerships.create(
        name="COP Guinée",
        kind=PartnershipKind.COP,
        countries=("Guinea",),
        timezone="Africa/Conakry",
        language="fr",
    )
    pillars = await store.pillars(services.db, partnership.id)
    assert [p.code for p in pillars] == ["P1", "P2", "P3", "P4", "P5"]
    assert pillars[0].title("ar") == "الشراكات العملياتية مع البلدان الشريكة"
    assert pillars[0].title("de") == "Operational partnerships with partner countries"
    milestones = {m.code: m for m in await store.all_of(services.db, partnership.id)}
    assert len(milestones) == len(list(default_plan().milestones()))
    adopted = milestones["M05"]
    assert (adopted.status, adopted.progress, str(adopted.due_on)) == (
        MilestoneStatus.DONE,
        100,
        "2021-09-29",
    )
    assert milestones["M36"].date_inferred and not milestones["M18"].date_inferred
    # Checked against public sources: the days are known, M34 was not a step of the plan.
    assert (str(milestones["M08"].due_on), str(milestones["M18"].due_on)) == (
        "2021-12-14",
        "2023-06-06",
    )
    assert str(milestones["M39"].due_on) == "2024-06-13" and "M34" not in milestones
    assert milestones["M37"].status is MilestoneStatus.PLANNED
    # Everything dated before today is done; the rest is still planned.
    today = FakeClock().now.date()
    assert all(
        (m.status is MilestoneStatus.DONE) == (m.due_on is not None and m.due_on < today)
        for m in milestones.values()
    )
    none = await services.partnerships.create(
        name="Bilateral", kind=PartnershipKind.BILATERAL, countries=(), timezone="UTC",
        language="en", plan=None,
    )  # fmt: skip
    assert await store.all_of(services.db, none.id) == []


async def test_export_reads_back_as_the_same_plan(services: Services) -> None:
    partnership = await services.partnerships.create(
        name="NETCOP", kind=PartnershipKind.NETWORK, countries=(), timezone="Africa/Dakar",
        language="fr",
    )  # fmt: skip
    exported, count = await services.milestones.export_plan(partnership)
    assert count == 38 and exported.startswith("# Action plan of NETCOP")
    assert parse_plan(exported) == default_plan()


async def test_reimport_keeps_history_where_codes_match(
    services: Services, clock: FakeClock
) -> None:
    partnership = await new_partnership(services)
    carla = await coordinator(services, partnership)
    a1 = await store.by_code(services.db, partnership.id, "A1")
    await services.milestones.update(
        carla, a1.id, status=MilestoneStatus.IN_PROGRESS, progress=60, note="Venue booked"
    )
    clock.advance(days=1)
    # A1 without status keeps its state; A2 becomes done (recorded as an import change);
    # B1 is dropped with its history; C1 is new, in a new pillar; P2 disappears.
    replacement = """\
title: Test plan, second edition
pillars:
  - code: p1
    title: Partnerships
    milestones:
      - {code: a1, title: Steering committee (moved), due: 2027-01-15}
      - {code: A2, title: Regional seminar, due: 2026-11-01, status: done}
  - code: P3
    title: Research
    milestones:
      - {code: C1, title: Study published, due: 2027-03-01}
"""
    report = await services.milestones.import_plan(
        partnership, parse_plan(replacement), source="second.yaml"
    )
    assert (report.added, sorted(report.updated), report.removed) == (["C1"], ["A2", "a1"], ["B1"])
    kept = await store.by_code(services.db, partnership.id, "A1")
    assert kept.id == a1.id and kept.title == "Steering committee (moved)"
    assert (kept.status, kept.progress, str(kept.due_on)) == (
        MilestoneStatus.IN_PROGRESS,
        60,
        "2027-01-15",
    )
    history = await store.history(services.db, kept.id, 10)
    assert [(u.author_name, u.note) for u in history] == [("Carla", "Venue booked")]
    a2 = await store.by_code(services.db, partnership.id, "A2")
    assert a2.completed_at == clock.now
    changes = await store.history(services.db, a2.id, 9)
    assert [(u.author_name, u.status, u.note) for u in changes] == [
        ("plan import", MilestoneStatus.DONE, "second.yaml")
    ]
    assert [p.code for p in await store.pillars(services.db, partnership.id)] == ["p1", "P3"]


@pytest.mark.parametrize(
    ("change", "line", "field", "message"),
    [
        (
            ("        title: Regional seminar\n", ""),
            11,
            "pillars[0].milestones[1].title",
            "required",
        ),
        (("due: 2026-11-01", "due: 2026-11-31"), 13, "pillars[0].milestones[1].due", "day value"),
        (("due: 2026-11-01", "due: 01/11/2026"), 13, "pillars[0].milestones[1].due", "YYYY-MM-DD"),
        (("code: B1", "code: a1"), 17, "pillars[1].milestones[0].code", "already used on line 6"),
        (("progress: 40", "progress: 140"), 10, "pillars[0].milestones[0].progress", "100"),
        (("status: done", "status: finished"), 20, "pillars[1].milestones[0].status", "planned"),
        (("    title: Awareness\n", "    titel: Awareness\n"), 15, "pillars[1].titel", "unknown"),
    ],
)
async def test_invalid_plans_name_the_line_and_change_nothing(
    services: Services,
    change: tuple[str, str],
    line: int,
    field: str,
    message: str,
) -> None:
    partnership = await new_partnership(services)
    before, _ = await services.milestones.export_plan(partnership)
    with pytest.raises(PlanRefused) as refused:
        await services.milestones.import_plan(
            partnership, parse_plan(PLAN.replace(*change)), source="bad.yaml"
        )
    problems = [(p.line, p.field) for p in refused.value.problems]
    assert (line, field) in problems, refused.value.problems
    assert any(message in p.message for p in refused.value.problems)
    assert (await services.milestones.export_plan(partnership))[0] == before


def test_broken_yaml_and_repeated_keys_are_named_by_line() -> None:
    with pytest.raises(PlanRefused) as refused:
        parse_plan("title: x\npillars:\n  - code: P1\n    title: [unclosed\n")
    assert refused.value.problems[0].line == 5
    with pytest.raises(PlanRefused) as refused:
        parse_plan(
            PLAN.replace("        status: done\n", "        status: done\n        code: X\n")
        )
    assert refused.value.problems[0].describe() == (
        "line 21, pillars[1].milestones[0].code: this key appears twice"
    )
    with pytest.raises(PlanRefused):
        parse_plan(b"\xff\xfe not utf-8")


async def test_a_failure_while_writing_rolls_the_whole_import_back(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    partnership = await new_partnership(services)
    before, _ = await services.milestones.export_plan(partnership)
    bigger = PLAN + "      - {code: B2, title: Second campaign, due: 2027-02-01}\n"

    async def broken(*args: object, **kwargs: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(store, "insert_milestone", broken)
    with pytest.raises(OSError, match="disk full"):
        await services.milestones.import_plan(partnership, parse_plan(bigger), source="x.yaml")
    assert (await services.milestones.export_plan(partnership))[0] == before


async def test_who_may_update_a_milestone(services: Services) -> None:
    partnership = await new_partnership(services)
    a1 = await store.by_code(services.db, partnership.id, "A1")
    for user_id, role, organisation in (
        (21, Role.MEMBER, None),
        (22, Role.MEMBER, "Frontex"),
        (23, Role.OBSERVER, None),
    ):
        await services.partnerships.add_member(
            partnership, user_id=user_id, name=str(user_id), role=role, organisation=organisation
        )
    member, owner_org, observer = [
        await services.access.identify(TelegramIdentity(i, str(i), None, "en"))
        for i in (21, 22, 23)
    ]
    with pytest.raises(NotAllowed):
        await services.milestones.update(
            member, a1.id, status=MilestoneStatus.DONE, progress=None, note=""
        )
    # Owners: by organisation (from /profile), or named among the assignees.
    await services.milestones.import_plan(
        partnership,
        parse_plan(PLAN.replace("        progress: 40\n", "        progress: 40\n"
                                "        owner: frontex\n        assignees: [21, '@olga_obs']\n")),
        source="owners.yaml",
    )  # fmt: skip
    done = await services.milestones.update(
        owner_org, a1.id, status=MilestoneStatus.DONE, progress=10, note=" Closed  early "
    )
    assert (done.milestone.progress, done.history[0].note) == (100, "Closed early")
    await services.milestones.update(
        member, a1.id, status=MilestoneStatus.IN_PROGRESS, progress=None, note=""
    )
    with pytest.raises(NotAllowed):
        await services.milestones.update(
            observer, a1.id, status=MilestoneStatus.DONE, progress=None, note=""
        )
    with pytest.raises(InvalidInput):
        await services.milestones.update(
            member, a1.id, status=MilestoneStatus.DONE, progress=None, note="x" * 501
        )


def test_plan_commands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "cli.sqlite3"))
    own = tmp_path / "own.yaml"
    own.write_text(PLAN, encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(PLAN.replace("due: 2026-06-01", "due: June"), encoding="utf-8")
    assert main(["partnership", "create", "--name", "JIT Mauritanie", "--kind", "jit",
                 "--plan", str(broken)]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert f"{broken}: line 19, pillars[1].milestones[0].due: write the date as YYYY-MM-DD" in err
    assert main(["partnership", "list"]) == 0
    assert "no partnerships" in capsys.readouterr().out
    assert main(["partnership", "create", "--name", "JIT Mauritanie", "--kind", "jit",
                 "--plan", str(own)]) == 0  # fmt: skip
    assert main(["plan", "export", "--partnership", "jit-mauritanie"]) == 0
    assert "code: A1" in capsys.readouterr().out
    assert main(["plan", "import", "--partnership", "jit-mauritanie", str(broken)]) == 1
    assert "Nothing was imported" in capsys.readouterr().err
    default = tmp_path / "default.yaml"
    assert main(["partnership", "create", "--name", "COP Mali", "--kind", "cop"]) == 0
    assert main(["plan", "export", "--partnership", "cop-mali", str(default)]) == 0
    assert main(["plan", "import", "--partnership", "jit-mauritanie", str(default)]) == 0
    out = capsys.readouterr().out
    assert "38 milestones added, 0 updated, 0 unchanged, 3 removed" in out and "A1, A2, B1" in out
    # The same file again changes nothing, and says so.
    assert main(["plan", "import", "--partnership", "jit-mauritanie", str(default)]) == 0
    assert "0 milestones added, 0 updated, 38 unchanged, 0 removed" in capsys.readouterr().out
    assert main(["digest", "schedule", "--partnership", "cop-mali", "--frequency", "daily",
                 "--hour", "7"]) == 0  # fmt: skip
    assert "daily at 07:00 (UTC)" in capsys.readouterr().out
    for argv in (["plan", "import", "--help"], ["plan", "export", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        assert "usage:" in capsys.readouterr().out


def test_every_problem_is_listed_at_once_repeated_codes_included() -> None:
    """A repeated code (in any case) is listed with the file's other problems, in file order."""
    broken = PLAN.replace("code: B1", "code: a1").replace("progress: 40", "progress: 140")
    with pytest.raises(PlanRefused) as refused:
        parse_plan(broken.replace("due: 2026-11-01", "due: 2026-11-31"))
    found = [(p.line, p.field) for p in refused.value.problems]
    assert found == [
        (10, "pillars[0].milestones[0].progress"),
        (13, "pillars[0].milestones[1].due"),
        (17, "pillars[1].milestones[0].code"),
    ]
