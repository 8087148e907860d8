"""Inline keyboards and their callback data (always under Telegram's 64 bytes)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

CALLBACK_LIMIT = 64


def callback(*parts: object) -> str:
    """Callback data `prefix:part:part`; refuses data Telegram would reject."""
    data = ":".join(str(part) for part in parts)
    if not 1 <= len(data.encode()) <= CALLBACK_LIMIT:
        raise ValueError(f"callback data out of Telegram's 1-64 bytes: {data!r}")
    return data


def button(text: str, *parts: object) -> InlineKeyboardButton:
    """A button that sends callback data."""
    return InlineKeyboardButton(text, callback_data=callback(*parts))


def keyboard(rows: Iterable[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    """A keyboard from rows of buttons."""
    return InlineKeyboardMarkup([list(row) for row in rows])


def in_rows(
    buttons: Sequence[InlineKeyboardButton], per_row: int
) -> list[list[InlineKeyboardButton]]:
    """Lay buttons out `per_row` to a row."""
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def country_rows(countries: Sequence[str], *prefix: object) -> list[list[InlineKeyboardButton]]:
    """A partnership's countries as buttons, two to a row, each sending `prefix:index`."""
    buttons = [button(name, *prefix, index) for index, name in enumerate(countries)]
    return in_rows(buttons, 2)
