"""Cells of the files Partnerbot exports for spreadsheet programs (CSV now, XLSX alike).

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (tab and
carriage return lead there too), so a value someone typed, such as `=HYPERLINK(...)` in their
own card, would run on the computer of whoever opens the export. Following OWASP's advice
on CSV injection, such a value is written with a `'` in front, which spreadsheets show as
text. Imports remove that `'` again, so an exported file reads back unchanged.
"""

from __future__ import annotations

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def _needs_quote(value: str) -> bool:
    # A value that already starts with quotes before a formula character gets one more, so
    # that removing one on import gives it back exactly ("'=1" is written "''=1").
    return value.lstrip(QUOTE).startswith(FORMULA_STARTS)


def safe_cell(value: str) -> str:
    """A value as it is written into an exported cell: never a formula."""
    return QUOTE + value if _needs_quote(value) else value


def cell_value(cell: str) -> str:
    """The value of an imported cell: `safe_cell` undone (other cells are left as they are)."""
    return cell[1:] if cell.startswith(QUOTE) and _needs_quote(cell) else cell
