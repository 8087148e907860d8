"""Inline keyboards; their callback data comes from the button families of bot/callbacks.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import CallbackData


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    """A button that sends `data`."""
    return InlineKeyboardButton(text, callback_data=data.pack())


def keyboard(rows: Iterable[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    """A keyboard from rows of buttons."""
    return InlineKeyboardMarkup([list(row) for row in rows])


def in_rows(
    buttons: Sequence[InlineKeyboardButton], per_row: int
) -> list[list[InlineKeyboardButton]]:
    """Lay buttons out `per_row` to a row."""
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def pager(
    page: int,
    pages: int,
    to: Callable[[int], CallbackData],
    *,
    middle: Sequence[InlineKeyboardButton] = (),
    arrows: tuple[str, str] = ("«", "»"),
) -> list[InlineKeyboardButton]:
    """The row that pages through a list: « to the page before, » to the one after (each only
    where there is one), around `middle` buttons; `to(n)` is the data of page n."""
    row = [button(arrows[0], to(page - 1))] if page > 0 else []
    row += middle
    if page < pages - 1:
        row.append(button(arrows[1], to(page + 1)))
    return row


def country_rows(
    countries: Sequence[str], family: Callable[[int], CallbackData]
) -> list[list[InlineKeyboardButton]]:
    """A partnership's countries as buttons, two to a row, each sending its index."""
    buttons = [button(name, family(index)) for index, name in enumerate(countries)]
    return in_rows(buttons, 2)
