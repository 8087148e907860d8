"""What tests of the bot share: reading buttons and replies, finding alerts, and running the
bot as a process that can be restarted on the same SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.app import build_application, running
from bot.config import Settings
from bot.local_api import JSON, LocalBotApi, LocalUser
from domain.models import Partnership, PartnershipKind, Role
from services.container import Services
from tests.fakes import BotDriver, FakeClock

BOT_USERNAME = "partnerbot_test_bot"


def plain(text: str) -> str:
    """Without the isolates that surround values in right-to-left languages."""
    return text.replace("\u2068", "").replace("\u2069", "")


def buttons(message: JSON) -> list[str]:
    """The labels of a message's inline buttons, row after row (none without a keyboard)."""
    return [b["text"] for row in _keyboard(message) for b in row]


def callback_data(message: JSON) -> list[str]:
    """The callback data of a message's inline buttons, row after row."""
    return [b["callback_data"] for row in _keyboard(message) for b in row]


def data_of(message: JSON, label: str) -> str:
    """The callback data of the first button whose label contains `label`."""
    for row in _keyboard(message):
        for b in row:
            if label in b["text"]:
                return str(b["callback_data"])
    raise AssertionError(f"no button {label!r} in {buttons(message)}")


def _keyboard(message: JSON) -> list[list[JSON]]:
    return list(message.get("reply_markup", {}).get("inline_keyboard", []))


def last(driver: BotDriver, person: LocalUser) -> str:
    """The current text of the newest message in a person's private chat, as `plain` text."""
    return plain(driver.text_of(person.id))


def alert_to(driver: BotDriver, chat: LocalUser | int, marker: str = "#") -> JSON:
    """The newest alert (a message with an Open button) in a person's private chat, or in a
    chat given by id, whose text holds `marker` (a challenge's alert holds its #number)."""
    chat_id = chat if isinstance(chat, int) else chat.id
    for message in reversed(driver.api.sent_to(chat_id)):
        if any("Open" in label for label in buttons(message)) and marker in message["text"]:
            return message
    raise AssertionError(f"no alert with {marker!r} in chat {chat_id}")


@asynccontextmanager
async def bot_process(
    settings: Settings, clock: FakeClock, *, first_update_id: int = 1
) -> AsyncIterator[BotDriver]:
    """The bot as one process on the SQLite file of `settings`, with its in-process Bot API
    and a driver. Two in a row are a restart: nothing in memory survives, only the file; the
    second driver starts at a higher `first_update_id`, as Telegram's update ids go on."""
    api = LocalBotApi(bot_username=BOT_USERNAME)
    application = build_application(settings, request=api, clock=clock, rate_limiter=False)
    async with running(application):
        yield BotDriver(application, api, first_update_id=first_update_id)


async def jit_niger(
    services: Services, *people: tuple[LocalUser, Role], language: str = "fr"
) -> Partnership:
    """JIT Niger, the partnership of the restart tests, with `people` in their roles."""
    created = await services.partnerships.create(
        name="JIT Niger", kind=PartnershipKind.JIT, countries=("Niger",),
        timezone="Africa/Niamey", language=language,
    )  # fmt: skip
    for person, role in people:
        await services.partnerships.add_member(
            created, user_id=person.id, name=person.first_name, role=role
        )
    return created
