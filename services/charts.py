"""Progress charts as PNG images, drawn from plain data with matplotlib's Agg renderer.

Texts arrive translated; Arabic is shaped and laid out right to left (see `visual`).
Right-to-left charts are mirrored: titles and labels on the right, bars growing leftwards.
DejaVu Sans, which ships with matplotlib, has the Arabic glyphs. The figure is portrait and
the type large, to be read on a phone. Only the Agg renderer is used (no display, no pyplot
state), so charts can be drawn in worker threads.
"""

from __future__ import annotations

import functools
import io
import textwrap
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

# matplotlib (with numpy, some 60 MB and a third of a second), and the Arabic shaping libraries,
# are imported by the functions that draw, not with this module: the bot imports it at start for
# its data types, and most processes never draw a chart (see tests/unit/test_startup.py).
if TYPE_CHECKING:
    from matplotlib.axes import Axes

FONT = "DejaVu Sans"
WIDTH_INCHES = 7.2
DPI = 150
DONE_COLOUR = "#2e7d32"
PLANNED_COLOUR = "#1565c0"
TRACK_COLOUR = "#e0e0e0"
TEXT_COLOUR = "#212121"
#: Characters per line of a pillar's name above its bar.
LABEL_WIDTH = 44
RIGHT_TO_LEFT_MARK = "\u200f"
Side = Literal["left", "right"]
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


@dataclass(frozen=True, slots=True)
class ChartTexts:
    """Every word on the chart, already in the reader's language."""

    title: str
    subtitle: str
    pillars_title: str
    timeline_title: str
    planned: str
    done: str
    today: str
    milestones_axis: str


@dataclass(frozen=True, slots=True)
class PillarBar:
    """One pillar's bar: its name, mean progress (0-100), done and counted milestones."""

    label: str
    progress: int
    done: int
    total: int


@dataclass(frozen=True, slots=True)
class ProgressChart:
    """What the chart shows: pillars, and due and completion days for planned versus done."""

    texts: ChartTexts
    pillars: list[PillarBar]
    due: list[date]
    done: list[date]
    today: date
    rtl: bool = False


@functools.cache
def native_layout() -> bool:
    """True when matplotlib lays out complex scripts itself (libraqm, `text.language`)."""
    import matplotlib

    return "text.language" in matplotlib.rcParams


def _has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in text)


def visual(text: str, rtl: bool = False, *, native: bool | None = None) -> str:
    """Text as matplotlib must be given it; `rtl` makes the line a right-to-left paragraph
    (Latin names and numbers inside keep their own order).

    Matplotlib with libraqm (3.10 and later) shapes Arabic and orders it itself: it only needs
    a right-to-left mark to start an Arabic paragraph. Without it, characters are drawn one by
    one from left to right, so letters are joined (arabic-reshaper) and runs put in display
    order (python-bidi) first; doing that for libraqm too would reverse Arabic twice.
    """
    if native_layout() if native is None else native:
        return RIGHT_TO_LEFT_MARK + text if rtl else text
    if not _has_rtl(text):
        return text
    import arabic_reshaper
    from bidi import get_display

    return str(get_display(arabic_reshaper.reshape(text), base_dir="R" if rtl else None))


def isolated_run(text: str, rtl: bool) -> str:
    """A part of a line laid out on its own (Unicode first-strong isolate), where the line is
    right to left; as it is otherwise."""
    return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}" if rtl else text


def _lines(text: str, width: int, rtl: bool) -> str:
    """Wrap in logical order first, then shape each line (a line may not be cut later)."""
    wrapped = textwrap.wrap(text, width, max_lines=2, placeholder=" …") or [""]
    return "\n".join(visual(line, rtl) for line in wrapped)


#: Heights in inches: the title block, one pillar, the timeline plot, margins between.
TITLE_BLOCK = 1.25
SECTION_TITLE = 0.45
PILLAR_ROW = 0.95
TIMELINE = 3.8
GAP = 0.55
BOTTOM = 0.55


def render_progress_chart(chart: ProgressChart) -> bytes:
    """The chart as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = max(len(chart.pillars), 1)
    pillars_height = rows * PILLAR_ROW
    height = TITLE_BLOCK + 2 * SECTION_TITLE + pillars_height + GAP + TIMELINE + BOTTOM
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.set_facecolor("white")
    left, right = 0.07, 0.93
    side: Side = "right" if chart.rtl else "left"
    x_title = right if chart.rtl else left

    def from_top(inches: float) -> float:
        return 1 - inches / height

    figure.text(
        x_title,
        from_top(0.3),
        visual(chart.texts.title, chart.rtl),
        ha=side,
        va="top",
        fontsize=20,
        fontweight="bold",
        family=FONT,
        color=TEXT_COLOUR,
    )
    figure.text(
        x_title,
        from_top(0.78),
        visual(chart.texts.subtitle, chart.rtl),
        ha=side,
        va="top",
        fontsize=14,
        family=FONT,
        color="#555555",
    )
    top = TITLE_BLOCK + SECTION_TITLE
    pillars = figure.add_axes(
        (left, from_top(top + pillars_height), right - left, pillars_height / height)
    )
    _draw_pillars(pillars, chart)
    top += pillars_height + GAP + SECTION_TITLE
    timeline = figure.add_axes(
        (left + 0.06, from_top(top + TIMELINE), right - left - 0.12, TIMELINE / height)
    )
    _draw_timeline(timeline, chart)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def _draw_pillars(axes: Axes, chart: ProgressChart) -> None:
    side: Side = "right" if chart.rtl else "left"
    axes.set_title(
        visual(chart.texts.pillars_title, chart.rtl),
        loc=side,
        fontsize=15,
        fontweight="bold",
        family=FONT,
        pad=14,
    )
    count = len(chart.pillars)
    # One unit per pillar, top to bottom: its name above, its bar below.
    positions = [count - 1 - index + 0.25 for index in range(count)]
    axes.barh(positions, [100] * count, height=0.3, color=TRACK_COLOUR)
    axes.barh(positions, [p.progress for p in chart.pillars], height=0.3, color=DONE_COLOUR)
    for position, pillar in zip(positions, chart.pillars, strict=True):
        # x = 0 is where bars start: the left, or the right once the axis is reversed.
        axes.text(
            0,
            position + 0.2,
            _lines(pillar.label, LABEL_WIDTH, chart.rtl),
            ha=side,
            va="bottom",
            fontsize=12.5,
            family=FONT,
            color=TEXT_COLOUR,
            linespacing=1.25,
        )
        axes.text(
            100,
            position + 0.2,
            f"{pillar.progress} % · {pillar.done}/{pillar.total}",
            ha="left" if chart.rtl else "right",
            va="bottom",
            fontsize=12.5,
            family=FONT,
            color=DONE_COLOUR,
            fontweight="bold",
        )
    axes.set_xlim((100, 0) if chart.rtl else (0, 100))
    axes.set_ylim(0, count)
    axes.axis("off")


def _day(day: date) -> float:
    """A day as matplotlib's date axis counts it (days since 1970-01-01)."""
    return float(day.toordinal() - _EPOCH)


_EPOCH = date(1970, 1, 1).toordinal()


def _draw_timeline(axes: Axes, chart: ProgressChart) -> None:
    side: Side = "right" if chart.rtl else "left"
    axes.set_title(
        visual(chart.texts.timeline_title, chart.rtl),
        loc=side,
        fontsize=15,
        fontweight="bold",
        family=FONT,
        pad=14,
    )
    days = [*chart.due, *chart.done, chart.today]
    start = min(days) - timedelta(days=60)
    end = max(days) + timedelta(days=60)
    axis = sorted({start, end, chart.today, *chart.due, *chart.done})
    x = [_day(day) for day in axis]
    planned = [sum(1 for d in chart.due if d <= point) for point in axis]
    done = [sum(1 for d in chart.done if d <= point) for point in axis]
    # Planned is drawn wide and pale under done: where both agree, both stay visible.
    axes.step(
        x,
        planned,
        where="post",
        color=PLANNED_COLOUR,
        linewidth=6,
        alpha=0.35,
        label=visual(chart.texts.planned, chart.rtl),
    )
    axes.step(
        x,
        done,
        where="post",
        color=DONE_COLOUR,
        linewidth=2.4,
        label=visual(chart.texts.done, chart.rtl),
    )
    axes.fill_between(x, done, step="post", color=DONE_COLOUR, alpha=0.1)
    axes.axvline(_day(chart.today), color="#c62828", linestyle="--", linewidth=1.6)
    highest = max([*planned, *done, 1])
    axes.text(
        _day(chart.today),
        highest * 1.05,
        visual(chart.texts.today, chart.rtl),
        ha="center",
        va="bottom",
        fontsize=12,
        family=FONT,
        color="#c62828",
        bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
    )
    axes.set_ylim(0, highest * 1.18)
    axes.set_xlim(_day(start), _day(end))
    # A tick at the start of every year, or every few years, so that about six show.
    step = max((end.year - start.year) // 6 + 1, 1)
    years = range(start.year + 1, end.year + 1, step)
    axes.set_xticks([_day(date(year, 1, 1)) for year in years], [str(year) for year in years])
    axes.set_ylabel(visual(chart.texts.milestones_axis, chart.rtl), fontsize=13, family=FONT)
    if chart.rtl:
        axes.yaxis.tick_right()
        axes.yaxis.set_label_position("right")
    axes.tick_params(labelsize=12)
    axes.grid(axis="y", color="#eeeeee")
    for spine in ("top", "left" if chart.rtl else "right"):
        axes.spines[spine].set_visible(False)
    axes.legend(loc="upper left", frameon=False, prop={"family": FONT, "size": 12.5})
