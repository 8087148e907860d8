"""/challenges: lists of challenges with filters and text search, their pages, the summary for
30 or 90 days, and `/challenges map`: those with a location on a map."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from markupsafe import Markup
from telegram import InlineKeyboardButton, Update
from telegram.constants import ChatAction

from bot.callbacks import (
    CallbackData,
    ChallengeFilterField,
    ChallengeFilterMenu,
    ChallengeList,
    ChallengeOpen,
    ChallengeSearch,
    ChallengeSearchFilterMenu,
    ChallengeSummary,
    ListKey,
    StatusFilter,
)
from bot.context import BotContext
from bot.documents import files
from bot.documents.files import map_texts
from bot.i18n import N_, Translator
from bot.messaging import answer, show
from bot.throttling import spend
from bot.views import challenges as views
from bot.views import texts
from bot.views.keyboards import button, in_rows, keyboard, pager
from domain.challenges import Category, Severity, Status
from services.access import Capability
from services.challenges import (
    OPEN_STATUSES,
    SUMMARY_PERIODS,
    Filter,
)
from services.challenges_input import match_word, vocabulary
from services.maps import MapPoint, challenge_map
from services.text import clean, fold
from services.throttle import Expense

#: Where the searched words of challenge lists are kept for their buttons.
SEARCHES = "challenge_searches"
MAX_SEARCH = 200
#: Searched lists kept for their buttons: a filter menu makes one per option.
KEPT_SEARCHES = 40
FILTER_LABELS: dict[ChallengeFilterField, str] = {
    "cat": N_("Category"),
    "sev": N_("Severity"),
    "st": N_("Status"),
    "days": N_("Period"),
}
PERIODS = (7, 30, 90, 365)
#: The word after /challenges that asks for a map (besides the English "map").
MAP_WORD = N_("map")
MAP_TITLE = N_("{partnership}: challenges, {period}")
#: A map's period unless another is typed.
MAP_DAYS = 90


def _summary_label(_: Translator, days: int) -> str:
    """The button of the summary over the last `days` days."""
    return str(_.plural("📊 Summary, {count} day", "📊 Summary, {count} days", days))


FilterCode = tuple[Category | Literal["-"], Severity | Literal["-"], StatusFilter, int]


def _encode(wanted: Filter) -> FilterCode:
    """A filter without words as the fields of a list's buttons."""
    statuses: StatusFilter
    if wanted.statuses == OPEN_STATUSES:
        statuses = "open"
    elif not wanted.statuses:
        statuses = "all"
    else:
        statuses = wanted.statuses[0]
    return (wanted.category or "-", wanted.severity or "-", statuses, wanted.days)


def _decode(pressed: ChallengeList | ChallengeFilterMenu) -> Filter:
    """The filter a list's button carries."""
    status_filter: tuple[Status, ...]
    if pressed.statuses == "open":
        status_filter = OPEN_STATUSES
    elif pressed.statuses == "all":
        status_filter = ()
    else:
        status_filter = (pressed.statuses,)
    return Filter(
        category=pressed.category if pressed.category != "-" else None,
        severity=pressed.severity if pressed.severity != "-" else None,
        statuses=status_filter,
        days=pressed.days,
    )


def _list_button(context: BotContext, wanted: Filter, page: int) -> CallbackData:
    """The data of a button showing a list: its filters in the data, or, with searched words
    (too long for callback data), kept for the list's buttons under a key."""
    if not wanted.text:
        return ChallengeList(*_encode(wanted), page)
    return ChallengeSearch(_kept(context, wanted), page)


def _menu_button(context: BotContext, field: ChallengeFilterField, wanted: Filter) -> CallbackData:
    if not wanted.text:
        return ChallengeFilterMenu(field, *_encode(wanted))
    return ChallengeSearchFilterMenu(field, _kept(context, wanted))


def _kept(context: BotContext, wanted: Filter) -> ListKey:
    return ListKey(context.remember(SEARCHES, _filter_json(wanted), keep=KEPT_SEARCHES))


def _filter_json(wanted: Filter) -> dict[str, Any]:
    return {
        "category": wanted.category,
        "severity": wanted.severity,
        "statuses": list(wanted.statuses),
        "days": wanted.days,
        "text": wanted.text,
    }


def _recalled(context: BotContext, key: str) -> Filter | None:
    """A searched list's filters, kept for its buttons; None if long forgotten."""
    kept = context.recall(SEARCHES, key)
    if kept is None:
        return None
    return Filter(
        category=Category(kept["category"]) if kept.get("category") else None,
        severity=Severity(kept["severity"]) if kept.get("severity") else None,
        statuses=tuple(Status(s) for s in kept.get("statuses", [])),
        days=int(kept.get("days", 0)),
        text=str(kept.get("text", "")),
    )


def _typed_filter(context: BotContext, words: list[str]) -> Filter:
    """`/challenges critical route 30`: words naming a category, a severity, a status or a
    number of days; the other words are searched in the challenges' texts."""
    _ = context._
    categories = vocabulary(views.category_words(_))
    severities = vocabulary(views.severity_words(_))
    statuses = vocabulary({s: (views.STATUS_NAMES[s], views.status_name(_, s)) for s in Status})
    wanted = Filter()
    searched: list[str] = []
    for word in words:
        days = word.rstrip("dj")  # 30, 30d, 30j
        if days.isdigit():
            wanted = replace(wanted, days=min(int(days), 3650))
        elif (severity := match_word(word, severities)) is not None:
            wanted = replace(wanted, severity=severity)
        elif (category := match_word(word, categories)) is not None:
            wanted = replace(wanted, category=category)
        elif (status := match_word(word, statuses)) is not None:
            wanted = replace(wanted, statuses=(status,))
        else:
            searched.append(word)
    return replace(wanted, text=clean(" ".join(searched))[:MAX_SEARCH])


async def list_command(update: Update, context: BotContext) -> None:
    """/challenges, optionally with filter words; `/challenges map [filters]` draws them."""
    words = list(context.args or [])
    if words and fold(words[0]) in _map_words(context._):
        await _send_map(update, context, _typed_filter(context, words[1:]))
        return
    if words:
        spend(context, Expense.SEARCH)
    await _show_list(update, context, _typed_filter(context, words), 0)


def _map_words(_: Translator) -> set[str]:
    """The word that asks for a map, in English and in the reader's language."""
    return {"map", fold(_.text(MAP_WORD))}


async def _send_map(update: Update, context: BotContext, wanted: Filter) -> None:
    """The challenges that match and have a location, on a map (drawn in a worker thread);
    ninety days unless another period was typed."""
    _ = context._
    spend(context, Expense.CHART)
    caller = context.require_caller()
    partnership = caller.require(Capability.READ).partnership
    wanted = wanted if wanted.days else replace(wanted, days=MAP_DAYS)
    found = await context.services.challenges.pinned(caller, wanted)
    chat = update.effective_chat
    assert chat is not None
    await chat.send_action(ChatAction.UPLOAD_PHOTO)
    period = views.period_text(_, wanted.days).lower()
    title = _.text(MAP_TITLE).format(partnership=partnership.name, period=period)
    points = [
        MapPoint(c.latitude, c.longitude, c.severity, f"#{c.id}")
        for c in found
        if c.latitude is not None and c.longitude is not None
    ]
    png = await files.in_worker(challenge_map, points, map_texts(_, title), rtl=_.rtl)
    caption = _.plural(
        "{count} challenge with a location, by severity. /challenges lists them.",
        "{count} challenges with a location, by severity. /challenges lists them.",
        len(points),
    )
    await chat.send_photo(
        photo=png,
        filename=f"{partnership.slug}-challenges-map.png",
        caption=caption,
        protect_content=any(c.restricted for c in found),
    )


async def list_pressed(update: Update, context: BotContext) -> None:
    """A page or a filter chosen on a button."""
    pressed = ChallengeList.of(update)
    await _show_list(update, context, _decode(pressed), pressed.page)


async def search_pressed(update: Update, context: BotContext) -> None:
    """A page of a list with searched words."""
    pressed = ChallengeSearch.of(update)
    wanted = _recalled(context, pressed.key)
    if wanted is None:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return
    await _show_list(update, context, wanted, pressed.page)


async def _show_list(update: Update, context: BotContext, wanted: Filter, page: int) -> None:
    _ = context._
    caller = context.require_caller()
    result = await context.services.challenges.page(caller, wanted, page)
    partnership = caller.require_membership().partnership
    rows: list[list[InlineKeyboardButton]] = in_rows(
        [
            button(str(number), ChallengeOpen(c.id))
            for number, c in enumerate(result.challenges, start=1)
        ],
        4,
    )
    paging = pager(result.page, result.pages, lambda n: _list_button(context, wanted, n))
    if paging:
        rows.append(paging)
    rows.append(
        [
            button(_.text(label), _menu_button(context, field, wanted))
            for field, label in FILTER_LABELS.items()
        ]
    )
    rows.append(
        [button(_summary_label(_, days), ChallengeSummary(days)) for days in SUMMARY_PERIODS]
    )
    await show(update, views.list_text(_, result, wanted, partnership), keyboard(rows))


async def filter_menu(update: Update, context: BotContext) -> None:
    """The choices of one filter; each shows the list filtered."""
    _ = context._
    wanted: Filter | None
    if (searched := ChallengeSearchFilterMenu.parse(_query_data(update))) is not None:
        field, wanted = searched.field, _recalled(context, searched.key)
    else:
        pressed = ChallengeFilterMenu.of(update)
        field, wanted = pressed.field, _decode(pressed)
    if wanted is None:
        await answer(update, _.text(texts.BUTTON_EXPIRED))
        return
    options: list[tuple[str, Filter]] = []
    if field == "cat":
        options.append((_.text(views.ANY_CATEGORY), _with(wanted, category=None)))
        options += [(views.category_name(_, c), _with(wanted, category=c)) for c in Category]
    elif field == "sev":
        options.append((_.text(views.ANY_SEVERITY), _with(wanted, severity=None)))
        options += [(views.severity_label(_, s), _with(wanted, severity=s)) for s in Severity]
    elif field == "st":
        options.append((_.text(views.OPEN_ONLY), _with(wanted, statuses=OPEN_STATUSES)))
        options.append((_.text(views.ALL_STATUSES), _with(wanted, statuses=())))
        options += [(views.status_name(_, s), _with(wanted, statuses=(s,))) for s in Status]
    else:
        options.append((_.text(views.ANY_TIME), _with(wanted, days=0)))
        options += [(views.period_text(_, d), _with(wanted, days=d)) for d in PERIODS]
    buttons = [button(label, _list_button(context, f, 0)) for label, f in options]
    rows = in_rows(buttons, 1 if field == "cat" else 2)
    rows.append([button("«", _list_button(context, wanted, 0))])
    await show(update, _("Show:") + Markup(" ") + _(FILTER_LABELS[field]), keyboard(rows))


def _query_data(update: Update) -> str | None:
    return update.callback_query.data if update.callback_query else None


def _with(wanted: Filter, **changes: Any) -> Filter:
    return replace(wanted, **changes)


async def summary_pressed(update: Update, context: BotContext) -> None:
    """Challenges of the last 30 or 90 days by category and severity."""
    _ = context._
    days = ChallengeSummary.of(update).days
    caller = context.require_caller()
    summary = await context.services.challenges.summary(caller, days)
    partnership = caller.require_membership().partnership
    rows = [
        [button(_summary_label(_, d), ChallengeSummary(d)) for d in SUMMARY_PERIODS if d != days],
        [button("«", ChallengeList(*_encode(Filter()), 0))],
    ]
    await show(update, views.summary_text(_, summary, partnership), keyboard(rows))
