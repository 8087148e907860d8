"""Inline keyboards; their callback data comes from the button families of bot/callbacks.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import CALLBACK_LIMIT, CallbackData


def callback(*parts: object) -> str:
    """Callback data `prefix:part:part` (while the handlers move to bot/callbacks.py)."""
    data = ":".join(str(part) for part in parts)
    if not 1 <= len(data.encode()) <= CALLBACK_LIMIT:
        raise ValueError(f"callback data out of Telegram's 1-64 bytes: {data!r}")
    return data


def button(text: str, data: CallbackData | object, *parts: object) -> InlineKeyboardButton:
    """A button that sends `data`."""
    if isinstance(data, CallbackData):
        return InlineKeyboardButton(text, callback_data=data.pack())
    return InlineKeyboardButton(text, callback_data=callback(data, *parts))


def keyboard(rows: Iterable[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    """A keyboard from rows of buttons."""
    return InlineKeyboardMarkup([list(row) for row in rows])


def in_rows(
    buttons: Sequence[InlineKeyboardButton], per_row: int
) -> list[list[InlineKeyboardButton]]:
    """Lay buttons out `per_row` to a row."""
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def country_rows(
    countries: Sequence[str], family: Callable[[int], CallbackData] | str, *parts: object
) -> list[list[InlineKeyboardButton]]:
    """A partnership's countries as buttons, two to a row, each sending its index."""
    if isinstance(family, str):
        return in_rows([button(n, family, *parts, i) for i, n in enumerate(countries)], 2)
    buttons = [button(name, family(index)) for index, name in enumerate(countries)]
    return in_rows(buttons, 2)
