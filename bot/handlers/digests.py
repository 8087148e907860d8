"""/digest: the digest now; /digest settings: weekly, daily or off, the day and the hour.

In a linked group chat, /digest shows the partnership's digest for the group, and admins of
the partnership choose the group's schedule with /digest settings (groups get none until
then).
"""

from __future__ import annotations

import functools

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from bot.callbacks import (
    DigestDayChosen,
    DigestFollowPartnership,
    DigestFrequencyChosen,
    DigestHourChosen,
    DigestHours,
    DigestSettingsMenu,
    Hour,
    MilestonesOverview,
    Weekday,
)
from bot.context import BotContext
from bot.i18n import N_, translator
from bot.messaging import reply, show
from bot.views import digests as views
from bot.views.keyboards import button, in_rows, keyboard
from domain.models import LANGUAGES
from services.digests import DigestSettings, Frequency
from services.text import fold


@functools.cache
def settings_words() -> frozenset[str]:
    """The settings word in every shipped language (folded: no case, no accents), and synonyms
    people type; whatever the reader's language, each opens the settings. Read on first use:
    at import it would load every language's catalogue before the bot starts."""
    return frozenset(
        {
            *(fold(translator(language).text(views.SETTINGS_WORD)) for language in LANGUAGES),
            *("settings", "reglages", "parametres", "definicoes", "configuracoes", "ajustes"),
            *("configuracion", "اعدادات"),
        }
    )


HOUR_BUTTON = N_("🕗 Hour: {time}")
FOLLOW_BUTTON = N_("Use the partnership's schedule")


def _group_chat(update: Update) -> int | None:
    """The group's chat id when the update comes from a group, else None."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return None
    return chat.id


async def digest_command(update: Update, context: BotContext) -> None:
    """/digest, or /digest settings (the word in any language); anything else is explained
    and sends nothing, so a mistyped word never moves the digest's "since"."""
    if context.args:
        if fold(" ".join(context.args)) in settings_words():
            await settings(update, context)
            return
        _ = context._
        await reply(
            update,
            _(
                "/digest sends your digest now, and /digest {settings} opens its schedule."
                " I do not know {word} after /digest.",
                settings=_.text(views.SETTINGS_WORD),
                word=" ".join(context.args),
            ),
        )
        return
    caller = context.require_caller()
    group = _group_chat(update)
    digests = context.services.digests
    if group is not None:
        digest = await digests.for_group(caller, group)
        await reply(update, views.digest_text(context._, digest))
        return
    digest = await digests.for_caller(caller)
    _ = context._
    buttons = keyboard(
        [
            [
                button(_.text(views.MILESTONES_BUTTON), MilestonesOverview()),
                button(_.text(views.SETTINGS_BUTTON), DigestSettingsMenu()),
            ]
        ]
    )
    await reply(update, views.digest_text(_, digest), buttons)


async def settings(update: Update, context: BotContext) -> None:
    """The schedule with its buttons (also the « button of the hour picker)."""
    found = await context.services.digests.settings(context.require_caller(), _group_chat(update))
    await _show_settings(update, context, found)


async def _show_settings(update: Update, context: BotContext, found: DigestSettings) -> None:
    _ = context._
    schedule = found.schedule
    rows: list[list[InlineKeyboardButton]] = [
        [
            button(
                ("✓ " if schedule.frequency is frequency else "")
                + _.text(views.FREQUENCY_NAMES[frequency]),
                DigestFrequencyChosen(frequency),
            )
            for frequency in Frequency
        ]
    ]
    if schedule.frequency is Frequency.WEEKLY:
        days = [
            button(
                ("✓ " if schedule.weekday == weekday else "")
                + views.weekday_name(weekday, _.language, "abbreviated"),
                DigestDayChosen(Weekday(weekday)),
            )
            for weekday in range(7)
        ]
        rows += [days[:4], days[4:]]
    if schedule.frequency is not Frequency.OFF:
        label = _.text(HOUR_BUTTON).format(time=views.hour_text(schedule.hour, _.language))
        rows.append([button(label, DigestHours())])
    if found.own and not found.group:
        rows.append([button(_.text(FOLLOW_BUTTON), DigestFollowPartnership())])
    await show(update, views.settings_text(_, found), InlineKeyboardMarkup(rows))


async def hours(update: Update, context: BotContext) -> None:
    """The 24 hours to choose from."""
    found = await context.services.digests.settings(context.require_caller(), _group_chat(update))
    _ = context._
    buttons = [
        button(
            ("✓ " if found.schedule.hour == hour else "") + views.hour_text(hour, _.language),
            DigestHourChosen(Hour(hour)),
        )
        for hour in range(24)
    ]
    await show(
        update,
        _("At what time? ({timezone})", timezone=found.partnership.timezone),
        keyboard([*in_rows(buttons, 4), [button("«", DigestSettingsMenu())]]),
    )


async def frequency_chosen(update: Update, context: BotContext) -> None:
    """Weekly, daily or off was pressed: store it and show the schedule again."""
    await _choose(update, context, frequency=DigestFrequencyChosen.of(update).frequency)


async def day_chosen(update: Update, context: BotContext) -> None:
    """A day of the week was pressed."""
    await _choose(update, context, weekday=DigestDayChosen.of(update).weekday)


async def hour_chosen(update: Update, context: BotContext) -> None:
    """An hour was pressed."""
    await _choose(update, context, hour=DigestHourChosen.of(update).hour)


async def _choose(
    update: Update,
    context: BotContext,
    *,
    frequency: Frequency | None = None,
    weekday: int | None = None,
    hour: int | None = None,
) -> None:
    found = await context.services.digests.choose(
        context.require_caller(),
        group_chat=_group_chat(update),
        frequency=frequency,
        weekday=weekday,
        hour=hour,
    )
    await _show_settings(update, context, found)


async def follow_partnership(update: Update, context: BotContext) -> None:
    """Drop one's own schedule and follow the partnership's again."""
    found = await context.services.digests.choose(context.require_caller(), follow_partnership=True)
    await _show_settings(update, context, found)
