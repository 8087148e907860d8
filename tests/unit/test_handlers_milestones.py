"""/milestones, /milestone and the update flow as members use them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.callbacks import MilestoneUpdateAsked
from bot.i18n import translator
from bot.local_api import LocalUser
from bot.views.milestones import chart_of
from domain.milestones import MilestoneStatus
from domain.models import Partnership, PartnershipKind, Role
from services.errors import NotAllowed
from services.milestones import ChartData
from services.plan_file import PlanRefused, parse_plan
from storage import milestones as store
from tests.fakes import BotDriver, texts
from tests.helpers import buttons
from tests.people import ADMIN, COORDINATOR, MEMBER, OBSERVER


async def test_overview_drill_down_and_history(driver: BotDriver, partnership: Partnership) -> None:
    overview = await driver.send(OBSERVER, "/milestones")
    text = texts(overview)
    assert "Renewed EU action plan against migrant smuggling (2021-2025)" in text
    assert "Overall progress: 97 % · 37 of 38 milestones done" in text
    assert "✅ 27 done · 🔄 0 in progress · 🗓 1 planned · ⚠️ 0 overdue · 96 %" in text
    assert "Nothing is overdue" in text and "Nothing is due in the next 30 days" in text
    assert buttons(overview[-1])[-1] == "📈 Chart"
    await driver.press(OBSERVER, "P1")
    page = driver.text_of(OBSERVER.id)
    assert "M02" in page and "Page 1 of 4" in page
    await driver.press(OBSERVER, "›")
    assert "Page 2 of 4" in driver.text_of(OBSERVER.id)
    await driver.press(OBSERVER, "M18")
    detail = driver.text_of(OBSERVER.id)
    assert "due Jun 6, 2023" in detail and "Owner: European Commission" in detail
    assert "No updates yet." in detail
    assert "✏️ Update" not in buttons(driver.last_keyboard_message(OBSERVER.id))
    await driver.press(OBSERVER, "« P1")
    await driver.press(OBSERVER, "Overview")
    assert "Overall progress" in driver.text_of(OBSERVER.id)
    assert "could not find" in texts(await driver.send(OBSERVER, "/milestone X99"))
    assert "e.g. /milestone M07" in texts(await driver.send(OBSERVER, "/milestone"))


async def test_coordinator_updates_a_milestone_with_bad_input_on_the_way(
    driver: BotDriver, partnership: Partnership
) -> None:
    shown = await driver.send(COORDINATOR, "/milestone m37")
    assert "Second Common Operational Partnership Senegal ends" in texts(shown)
    await driver.press(COORDINATOR, "Update")
    assert "choose its status" in driver.text_of(COORDINATOR.id)
    assert "choose one of the buttons below" in texts(await driver.send(COORDINATOR, "nearly done"))
    await driver.press(COORDINATOR, "in progress")
    for bad in ("abc", "140", "-5", "12.5"):
        assert "not a percentage" in texts(await driver.send(COORDINATOR, bad))
    # A read-only command answers in the middle of the update, which keeps its step.
    assert "Overall progress" in texts(await driver.send(COORDINATOR, "/milestones"))
    await driver.send(COORDINATOR, "/back")
    await driver.press(COORDINATOR, "planned")
    await driver.send(COORDINATOR, "٤٠ %")  # Arabic-Indic digits are numbers too
    assert "at most 500 fit" in texts(await driver.send(COORDINATOR, "x" * 600))
    saved = texts(await driver.send(COORDINATOR, "Funding <confirmed> & staff hired"))
    assert "Saved." in saved and "Status: planned · 40 %" in saved
    assert "Carlos: planned, 40 % — <i>Funding &lt;confirmed&gt; &amp; staff hired</i>" in saved
    # Done needs no progress step; /skip leaves no note.
    await driver.press(COORDINATOR, "Update")
    await driver.press(COORDINATOR, "done")
    saved = texts(await driver.send(COORDINATOR, "/skip"))
    assert "Status: done · 100 %" in saved
    milestone = await store.by_code(driver.app.services.db, partnership.id, "M37")
    assert milestone.completed_at == driver.app.services.clock()
    history = await store.history(driver.app.services.db, milestone.id, 10)
    assert [(u.author_name, u.progress, u.note) for u in history] == [
        ("Carlos", 100, ""),
        ("Carlos", 40, "Funding <confirmed> & staff hired"),
    ]


async def test_members_update_only_what_they_own(
    driver: BotDriver, partnership: Partnership
) -> None:
    shown = await driver.send(MEMBER, "/milestone M05")
    assert "✏️ Update" not in buttons(shown[-1])
    # A forged button press is refused by the service, not only by the menu.
    milestone = await store.by_code(driver.app.services.db, partnership.id, "M05")
    await driver.press_data(MEMBER, shown[-1], MilestoneUpdateAsked(milestone.id).pack())
    assert "Only coordinators" in driver.answers()[-1]
    # Saying he works for the owner organisation gives Moussa nothing by itself...
    await driver.send(MEMBER, "/profile")
    await driver.send(MEMBER, "European Commission")
    saved = texts(await driver.send(MEMBER, "Senegal"))
    assert "shown as unconfirmed and give you no rights" in saved
    shown = await driver.send(MEMBER, "/milestone M05")
    assert "✏️ Update" not in buttons(shown[-1])
    await driver.press_data(MEMBER, shown[-1], MilestoneUpdateAsked(milestone.id).pack())
    assert "Only coordinators" in driver.answers()[-1]
    # ...until a coordinator confirms it in /members.
    await driver.send(COORDINATOR, "/members")
    await driver.press(COORDINATOR, "Moussa")
    assert "European Commission (unconfirmed)" in driver.text_of(COORDINATOR.id)
    await driver.press(COORDINATOR, "Confirm organisation: European Commission")
    assert "European Commission ✓ confirmed" in driver.text_of(COORDINATOR.id)
    shown = await driver.send(MEMBER, "/milestone M05")
    assert "✏️ Update" in buttons(shown[-1])
    await driver.press(MEMBER, "Update")
    await driver.press(MEMBER, "cancelled")
    await driver.press(MEMBER, "25 %")
    assert "Stopped" in texts(await driver.send(MEMBER, "/cancel"))
    unchanged = await store.by_code(driver.app.services.db, partnership.id, "M05")
    assert unchanged.status.value == "done"


async def test_a_member_cannot_cancel_europols_milestone_by_claiming_to_be_europol(
    driver: BotDriver, partnership: Partnership
) -> None:
    europol = [m for m in await store.all_of(driver.app.services.db, partnership.id)
               if m.owner == "Europol"]  # fmt: skip
    assert europol, "the default plan has a milestone owned by Europol"
    await driver.send(MEMBER, "/profile")
    await driver.send(MEMBER, "Europol")
    await driver.send(MEMBER, "/skip")
    shown = await driver.send(MEMBER, f"/milestone {europol[0].code}")
    assert "✏️ Update" not in buttons(shown[-1])
    await driver.press_data(MEMBER, shown[-1], MilestoneUpdateAsked(europol[0].id).pack())
    assert "Only coordinators" in driver.answers()[-1]
    # Nor may the service be asked directly to cancel it.
    caller = await driver.app.services.access.identify_known(MEMBER.id)
    assert caller is not None
    with pytest.raises(NotAllowed):
        await driver.app.services.milestones.update(
            caller, europol[0].id, status=MilestoneStatus.CANCELLED, progress=None, note=""
        )
    after = await store.get(driver.app.services.db, partnership.id, europol[0].id)
    assert after is not None and after.status is europol[0].status
    # Once a coordinator confirmed that he works for Europol, he may.
    await driver.send(COORDINATOR, "/members")
    await driver.press(COORDINATOR, "Moussa")
    await driver.press(COORDINATOR, "Confirm organisation: Europol")
    shown = await driver.send(MEMBER, f"/milestone {europol[0].code}")
    assert "✏️ Update" in buttons(shown[-1])
    caller = await driver.app.services.access.identify_known(MEMBER.id)
    assert caller is not None
    await driver.app.services.milestones.update(
        caller, europol[0].id, status=MilestoneStatus.CANCELLED, progress=None, note=""
    )


ASSIGNED_PLAN = """\
title: Assignments
pillars:
  - code: P1
    title: Partnerships
    milestones:
      - {code: A1, title: Joint report, due: 2027-01-15, assignees: ['@moussa_d']}
      - {code: A2, title: Seminar, due: 2027-02-15, assignees: ['@not_yet_here']}
"""


async def test_assignees_by_username_follow_the_person_not_the_name(
    driver: BotDriver, partnership: Partnership
) -> None:
    services = driver.app.services
    moussa = LocalUser(MEMBER.id, "Moussa", username="moussa_d")
    other = LocalUser(3100, "Other", username="someone_else")
    await services.partnerships.add_member(partnership, user_id=other.id, name="Other",
                                           role=Role.MEMBER)  # fmt: skip
    await driver.introduce(moussa, other)
    report = await services.milestones.import_plan(
        partnership, parse_plan(ASSIGNED_PLAN), source="assigned.yaml"
    )
    a1 = await store.by_code(services.db, partnership.id, "A1")
    a2 = await store.by_code(services.db, partnership.id, "A2")
    # Moussa changes his Telegram username; another member takes his old one.
    renamed = LocalUser(MEMBER.id, "Moussa", username="moussa_new")
    await driver.send(renamed, "/help")
    taker = LocalUser(other.id, "Other", username="moussa_d")
    shown = await driver.send(taker, "/milestone A1")
    assert "✏️ Update" not in buttons(shown[-1])
    await driver.press_data(taker, shown[-1], MilestoneUpdateAsked(a1.id).pack())
    assert "Only coordinators" in driver.answers()[-1]
    # Moussa keeps the milestone assigned to him.
    shown = await driver.send(renamed, "/milestone A1")
    assert "✏️ Update" in buttons(shown[-1])
    # A name that matched nobody at import gives nothing to whoever takes it later.
    latecomer = LocalUser(3101, "Late", username="not_yet_here")
    await services.partnerships.add_member(partnership, user_id=latecomer.id, name="Late",
                                           username="not_yet_here", role=Role.MEMBER)  # fmt: skip
    shown = await driver.send(latecomer, "/milestone A2")
    await driver.press_data(latecomer, shown[-1], MilestoneUpdateAsked(a2.id).pack())
    assert "Only coordinators" in driver.answers()[-1]
    # The import stored Moussa's user id, and kept the name nobody had as text.
    assert report.unresolved == ["@not_yet_here"]
    assert (a1.assignees, a2.assignees) == ((MEMBER.id,), ("@not_yet_here",))
    # The export writes user ids, and imports back to the same assignments.
    exported, _count = await services.milestones.export_plan(partnership)
    assert f"- {MEMBER.id}" in exported and "'@not_yet_here'" in exported
    await services.milestones.import_plan(partnership, parse_plan(exported), source="again.yaml")
    again = await store.by_code(services.db, partnership.id, "A1")
    assert again.assignees == (MEMBER.id,)


async def test_chart_is_a_png_in_the_members_language(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(ADMIN, "/language")
    await driver.press(ADMIN, "العربية")
    await driver.send(ADMIN, "/milestones chart")
    photo = driver.calls("sendPhoto")[-1]
    assert photo.params["chat_id"] in (ADMIN.id, str(ADMIN.id))
    uploaded = [f for f in driver.api.files.values() if f.file_name == "action-plan.png"]
    assert uploaded and uploaded[-1].content.startswith(b"\x89PNG")
    assert len(str(photo.params["caption"])) <= 1024
    await driver.send(MEMBER, "/milestones")
    await driver.press(MEMBER, "Chart")
    assert len(driver.calls("sendPhoto")) == 2


async def test_milestones_are_private(driver: BotDriver, partnership: Partnership) -> None:
    group = driver.updates.group_chat(-100999, "COP team")
    assert "private chat" in texts(await driver.send(MEMBER, "/milestones", chat=group))


def test_the_charts_subtitle_keeps_name_and_date_apart_right_to_left() -> None:
    """In Arabic the partnership's name and the date are each isolated, so the line reads
    name · date from the right, not one mixed run ("2026/12/COP Senegal · 06")."""
    partnership = Partnership(
        1, "cop", "COP Senegal", PartnershipKind.COP, (), "UTC", "fr", datetime(2026, 1, 1)
    )
    data = ChartData(pillars=[], due=[], done=[], today=date(2026, 12, 6))
    arabic = chart_of(translator("ar"), data, partnership).texts.subtitle
    assert arabic == "\u2068COP Senegal\u2069 · \u206806\u200f/12\u200f/2026\u2069"
    assert chart_of(translator("en"), data, partnership).texts.subtitle == (
        "COP Senegal · Dec 6, 2026"
    )


async def test_the_plans_name_reads_in_the_members_language(
    driver: BotDriver, partnership: Partnership
) -> None:
    for language, title in (
        ("Français", "Un plan d'action renouvelé de l'UE contre le trafic de migrants"),
        ("العربية", "خطة العمل المتجددة للاتحاد الأوروبي لمكافحة تهريب المهاجرين"),
    ):
        await driver.send(MEMBER, "/language")
        await driver.press(MEMBER, language)
        assert title in texts(await driver.send(MEMBER, "/milestones")).replace("&#39;", "'")


async def test_a_plan_named_in_one_text_or_per_language_exports_as_it_came(
    driver: BotDriver, partnership: Partnership
) -> None:
    services = driver.app.services
    one = "title: Plan commun\npillars:\n  - code: P1\n    title: Un\n    milestones: []\n"
    await services.milestones.import_plan(partnership, parse_plan(one.encode()), source="a.yaml")
    exported, _ = await services.milestones.export_plan(partnership)
    assert parse_plan(exported.encode()).title == {"en": "Plan commun"}
    await driver.send(MEMBER, "/language")
    await driver.press(MEMBER, "Français")
    assert "Plan commun" in texts(await driver.send(MEMBER, "/milestones"))
    with pytest.raises(PlanRefused, match="unknown language 'xx'"):
        parse_plan(one.replace("title: Plan commun", "title: {xx: Plan}").encode())


async def test_portuguese_dates_are_portugals(driver: BotDriver, partnership: Partnership) -> None:
    """Babel's "pt" is Brazil's ("6 de jun. de 2023"); Portugal writes 06/06/2023."""
    await driver.send(MEMBER, "/language")
    await driver.press(MEMBER, "Português")
    detail = texts(await driver.send(MEMBER, "/milestone M18"))
    assert "06/06/2023" in detail and "jun. de 2023" not in detail
