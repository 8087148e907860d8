"""What officials trip over in everyday use, in the language each was seen in: refusals and
"not found" reach people in their own language."""

from __future__ import annotations

from bot.callbacks import MeetingOpen
from bot.local_api import LocalUser
from domain.models import Partnership, Role
from tests.fakes import BotDriver, texts
from tests.helpers import plain

FATOUMATA = LocalUser(601, "Fatoumata", language_code="fr")
SOPHIE = LocalUser(602, "Sophie", language_code="fr")
MAMADOU = LocalUser(603, "Mamadou", language_code="ar")
JOANA = LocalUser(604, "Joana", language_code="pt")
RUI = LocalUser(605, "Rui", language_code="pt")


async def _join(driver: BotDriver, partnership: Partnership) -> None:
    services = driver.app.services
    for person, role in (
        (FATOUMATA, Role.MEMBER),
        (SOPHIE, Role.OBSERVER),
        (MAMADOU, Role.MEMBER),
        (JOANA, Role.OBSERVER),
        (RUI, Role.MEMBER),
    ):
        await services.partnerships.add_member(
            partnership, user_id=person.id, name=person.first_name, role=role
        )


async def test_refusals_reach_people_in_their_language(
    driver: BotDriver, partnership: Partnership
) -> None:
    await _join(driver, partnership)
    for command in ("/invite", "/broadcast", "/members", "/contacts_import", "/addcontact"):
        refused = texts(await driver.send(FATOUMATA, command))
        assert "Seuls les coordinateurs et les administrateurs" in refused, command
        assert "Only coordinators" not in refused
    assert "Les observateurs peuvent tout lire" in texts(await driver.send(SOPHIE, "/meeting"))
    refused = plain(texts(await driver.send(MAMADOU, "/invite")))
    assert "Only coordinators" not in refused and "لمنسقي الشراكة ومشرفيها" in refused


async def test_not_found_reaches_people_in_their_language(
    driver: BotDriver, partnership: Partnership
) -> None:
    await _join(driver, partnership)
    not_found = "Não encontrei isso"
    assert not_found in texts(await driver.send(JOANA, "/milestone P1.1"))
    assert "لم أعثر على ذلك" in plain(texts(await driver.send(MAMADOU, "/milestone NOPE")))
    await driver.press_forged(RUI, MeetingOpen(4242).pack())
    assert not_found in driver.answers()[-1]
