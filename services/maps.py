"""Maps of challenges as PNG images: located challenges as dots coloured by severity over
country borders, drawn offline with matplotlib's Agg renderer.

The borders are Natural Earth's (public domain), shipped in `data/countries.json` (see
`data/NATURAL_EARTH.md`); nothing is fetched. The projection is equirectangular, with
longitudes shortened by the cosine of the view's middle latitude so that shapes keep their
proportions near it. The view fits the points, never closer than a region some 2,000
kilometres across; with no point it shows West Africa and the Mediterranean. Texts arrive
translated; Arabic is shaped and laid out right to left as on the progress charts, with the
title, legend and attribution on the right. Countries are named in the reader's language
(`country_names`, from CLDR through Babel) where there is room: never over a dot, its label,
another name or the message of an empty map. Only the Agg renderer is used, and the borders are
read once and never changed, so maps can be drawn in worker threads.
"""

from __future__ import annotations

import functools
import io
import json
import math
import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from babel import Locale

from domain.challenges import Severity
from services.charts import DPI, FONT, TEXT_COLOUR, WIDTH_INCHES, Side, visual

# numpy and matplotlib (some 60 MB and a third of a second) are imported by the functions that
# draw, not with this module: the bot imports it at start for its data types, and most
# processes never draw a map (see tests/unit/test_startup.py).
if TYPE_CHECKING:
    import numpy as np
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.path import Path as GeoPath

COUNTRIES_FILE = Path(__file__).resolve().parent.parent / "data" / "countries.json"
HEIGHT_INCHES = 8.0
SEVERITY_COLOURS: dict[Severity, str] = {
    Severity.LOW: "#2e7d32",
    Severity.MEDIUM: "#f9a825",
    Severity.HIGH: "#ef6c00",
    Severity.CRITICAL: "#c62828",
}
LAND_COLOUR = "#e0e0e0"
BORDER_COLOUR = "#ffffff"
SEA_COLOUR = "#d6e9f5"
MUTED_COLOUR = "#555555"
NAME_COLOUR = "#7a7a7a"
NAME_SIZE = 8.5
#: Characters per line of a country's name.
NAME_WIDTH = 14
EMPTY_SIZE = 15
#: Characters per line of the message shown when no challenge has a place.
EMPTY_WIDTH = 36
#: A country is named when its largest part covers at least this share of the map.
MIN_NAMED_SHARE = 0.004
#: Dots carry their labels ("#12") only up to this many; beyond, labels hide the map.
MAX_LABELS = 25
#: West, south, east, north in degrees: West Africa and the Mediterranean, shown with no point.
DEFAULT_REGION = (-20.0, 3.0, 37.0, 47.0)
#: The smallest view, in degrees of latitude: one point shows its country and its neighbours'
#: coasts, not its street.
MIN_SPAN = 18.0
#: Space left around the points, as a share of their spread, and at least this many degrees.
MARGIN_SHARE = 0.12
MARGIN_DEGREES = 1.5

# The page, in inches from the top: the title, the map, then the legend and the attribution.
SIDE_MARGIN = 0.2
TITLE_BLOCK = 0.8
LEGEND_BLOCK = 0.5
ATTRIBUTION_BLOCK = 0.35
MAP_WIDTH = WIDTH_INCHES - 2 * SIDE_MARGIN
MAP_HEIGHT = HEIGHT_INCHES - TITLE_BLOCK - LEGEND_BLOCK - ATTRIBUTION_BLOCK


@dataclass(frozen=True)
class MapPoint:
    """One located challenge: where it is, how serious, and its short label (such as "#12")."""

    latitude: float
    longitude: float
    severity: Severity
    label: str = ""


@dataclass(frozen=True)
class MapTexts:
    """Every word on the map, already in the reader's language."""

    title: str
    legend: dict[Severity, str]
    attribution: str
    empty: str
    #: Country names by ISO 3166-1 alpha-2 code (see `country_names`); without, none is shown.
    countries: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Country:
    """A country's codes and name, and its borders as one path in longitude and latitude."""

    iso: str | None
    name: str
    path: GeoPath


@dataclass(frozen=True)
class MapView:
    """What the map shows, in degrees, and where that lands in the image."""

    west: float
    south: float
    east: float
    north: float

    @property
    def middle(self) -> tuple[float, float]:
        """Latitude and longitude of the middle of the view."""
        return (self.south + self.north) / 2, (self.west + self.east) / 2

    def pixel(self, latitude: float, longitude: float) -> tuple[float, float]:
        """Where a place is drawn in the PNG, in pixels from its top left corner."""
        x = (longitude - self.west) / (self.east - self.west)
        y = (self.north - latitude) / (self.north - self.south)
        return (
            (SIDE_MARGIN + x * MAP_WIDTH) * DPI,
            (TITLE_BLOCK + y * MAP_HEIGHT) * DPI,
        )


@functools.cache
def load_countries(path: Path = COUNTRIES_FILE) -> tuple[Country, ...]:
    """The countries of `data/countries.json`, read once; their paths are read-only, so the
    drawing threads share them."""
    import numpy as np
    from matplotlib.path import Path as GeoPath

    data = json.loads(path.read_text(encoding="utf-8"))
    countries = []
    for country in data["countries"]:
        vertices: list[list[float]] = []
        codes: list[np.ndarray[tuple[int], np.dtype[np.uint8]]] = []
        for polygon in country["polygons"]:
            for ring in polygon:
                vertices.extend([*ring, ring[0]])
                ring_codes = np.full(len(ring) + 1, GeoPath.LINETO, dtype=np.uint8)
                ring_codes[0], ring_codes[-1] = GeoPath.MOVETO, GeoPath.CLOSEPOLY
                codes.append(ring_codes)
        path_ = GeoPath(np.array(vertices), np.concatenate(codes), readonly=True)
        countries.append(Country(iso=country["iso"], name=country["name"], path=path_))
    return tuple(countries)


def _visible_middle(country: Country, view: MapView) -> tuple[tuple[float, float] | None, float]:
    """Where the country's name goes on this view: the centroid of its largest part within the
    view, with that part's area in square degrees. No place where the centroid falls outside
    that part (a crescent), since the name would then sit on a neighbour."""
    import numpy as np
    from matplotlib.path import Path as GeoPath
    from matplotlib.transforms import Bbox

    box = Bbox([[view.west, view.south], [view.east, view.north]])
    if not box.overlaps(country.path.get_extents()):
        return None, 0.0
    middle: tuple[float, float] | None = None
    largest = 0.0
    for ring in country.path.clip_to_bbox(box).to_polygons(closed_only=True):
        points = np.asarray(ring, dtype=np.float64)
        xs, ys = points[:, 0], points[:, 1]
        cross = xs * np.roll(ys, -1) - np.roll(xs, -1) * ys
        area = float(cross.sum()) / 2
        if abs(area) <= largest:
            continue
        largest = abs(area)
        centre = (
            float(((xs + np.roll(xs, -1)) * cross).sum()) / (6 * area),
            float(((ys + np.roll(ys, -1)) * cross).sum()) / (6 * area),
        )
        middle = centre if GeoPath(points).contains_point(centre) else None
    return middle, largest


@functools.cache
def country_names(language: str) -> dict[str, str]:
    """The map's country names in a language (Babel's CLDR territory names), by ISO code."""
    territories = Locale.parse(language).territories
    return {
        country.iso: str(territories[country.iso])
        for country in load_countries()
        if country.iso and country.iso in territories
    }


@functools.cache
def data_attribution(path: Path = COUNTRIES_FILE) -> str:
    """The credit Natural Earth suggests, as the borders file states it."""
    return str(json.loads(path.read_text(encoding="utf-8"))["attribution"])


def map_view(points: Sequence[MapPoint]) -> MapView:
    """The view that shows every point with room around it, in the map's proportions."""
    if not points:
        west, south, east, north = DEFAULT_REGION
    else:
        latitudes = [point.latitude for point in points]
        longitudes = [point.longitude for point in points]
        lat_margin = max((max(latitudes) - min(latitudes)) * MARGIN_SHARE, MARGIN_DEGREES)
        lon_margin = max((max(longitudes) - min(longitudes)) * MARGIN_SHARE, MARGIN_DEGREES)
        south, north = min(latitudes) - lat_margin, max(latitudes) + lat_margin
        west, east = min(longitudes) - lon_margin, max(longitudes) + lon_margin
    south, north = _widen(south, north, MIN_SPAN, -85.0, 85.0)
    middle = (south + north) / 2
    # Degrees of longitude are shorter than degrees of latitude by cos(latitude).
    shrink = max(math.cos(math.radians(middle)), 0.2)
    west, east = _widen(west, east, MIN_SPAN / shrink, -180.0, 180.0)
    # Widen the narrower side until the view has the map's proportions.
    wanted = MAP_WIDTH / MAP_HEIGHT
    width, height = (east - west) * shrink, north - south
    if width / height < wanted:
        west, east = _widen(west, east, height * wanted / shrink, -180.0, 180.0)
    else:
        south, north = _widen(south, north, width / wanted, -85.0, 85.0)
    return MapView(west=west, south=south, east=east, north=north)


def _widen(
    low: float, high: float, span: float, floor: float, ceiling: float
) -> tuple[float, float]:
    """The interval grown around its middle to at least `span`, moved to stay within bounds."""
    if high - low >= span:
        return low, high
    middle = (low + high) / 2
    low, high = middle - span / 2, middle + span / 2
    if low < floor:
        low, high = floor, floor + span
    elif high > ceiling:
        low, high = ceiling - span, ceiling
    return low, high


def _wrapped(text: str, width: int, rtl: bool, lines: int = 2) -> str:
    """Wrapped in logical order, then each line shaped (a shaped line may not be cut)."""
    wrapped = textwrap.wrap(text, width, max_lines=lines, placeholder=" …") or [""]
    return "\n".join(visual(line, rtl) for line in wrapped)


def challenge_map(points: Sequence[MapPoint], texts: MapTexts, *, rtl: bool = False) -> bytes:
    """The map as PNG bytes: `points` over country borders, with title, legend and credit."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure

    view = map_view(points)
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.set_facecolor("white")
    side: Side = "right" if rtl else "left"
    x_text = 1 - SIDE_MARGIN / WIDTH_INCHES if rtl else SIDE_MARGIN / WIDTH_INCHES

    def from_top(inches: float) -> float:
        return 1 - inches / HEIGHT_INCHES

    figure.text(
        x_text,
        from_top(TITLE_BLOCK / 2),
        _wrapped(texts.title, 48, rtl),
        ha=side,
        va="center",
        fontsize=17,
        fontweight="bold",
        family=FONT,
        color=TEXT_COLOUR,
        linespacing=1.15,
    )
    axes = figure.add_axes(
        (
            SIDE_MARGIN / WIDTH_INCHES,
            from_top(TITLE_BLOCK + MAP_HEIGHT),
            MAP_WIDTH / WIDTH_INCHES,
            MAP_HEIGHT / HEIGHT_INCHES,
        )
    )
    axes.set_facecolor(SEA_COLOUR)
    axes.add_collection(
        PathCollection(
            [country.path for country in load_countries()],
            facecolors=LAND_COLOUR,
            edgecolors=BORDER_COLOUR,
            linewidths=0.7,
        ),
        autolim=False,
    )
    axes.set_xlim(view.west, view.east)
    axes.set_ylim(view.south, view.north)
    empty = textwrap.wrap(texts.empty, EMPTY_WIDTH, max_lines=3, placeholder=" …")
    # With no dot, the message covers the middle of the map: no name goes under it.
    reserved = [] if points else [_text_box(view.pixel(*view.middle), empty, EMPTY_SIZE, 1.0)]
    _draw_names(axes, view, texts.countries, points, reserved, rtl)
    axes.set_xticks([])
    axes.set_yticks([])
    for spine in axes.spines.values():
        spine.set_edgecolor("#9e9e9e")
        spine.set_linewidth(0.8)
    if points:
        _draw_points(axes, view, points, rtl)
        _draw_legend(figure, points, texts, rtl, from_top(TITLE_BLOCK + MAP_HEIGHT + 0.05))
    else:
        axes.text(
            0.5,
            0.5,
            "\n".join(visual(line, rtl) for line in empty),
            transform=axes.transAxes,
            ha="center",
            va="center",
            fontsize=EMPTY_SIZE,
            family=FONT,
            color=TEXT_COLOUR,
            linespacing=1.3,
            bbox={"boxstyle": "round,pad=0.6", "facecolor": "white", "edgecolor": "#9e9e9e"},
        )
    figure.text(
        x_text,
        from_top(HEIGHT_INCHES - ATTRIBUTION_BLOCK / 2),
        _wrapped(texts.attribution, 100, rtl),
        ha=side,
        va="center",
        fontsize=8.5,
        family=FONT,
        color=MUTED_COLOUR,
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


Box = tuple[float, float, float, float]


def _text_box(centre: tuple[float, float], lines: Sequence[str], size: float, pad: float) -> Box:
    """Left, top, right, bottom in pixels of text centred there, estimated from its letters
    (good enough to keep texts apart without measuring each); `pad` in multiples of `size`."""
    half_width = (max((len(line) for line in lines), default=0) * 0.3 + pad) * size * DPI / 72
    half_height = (len(lines) * 0.6 + pad) * size * DPI / 72
    x, y = centre
    return (x - half_width, y - half_height, x + half_width, y + half_height)


def _draw_names(
    axes: Axes,
    view: MapView,
    names: Mapping[str, str],
    points: Sequence[MapPoint],
    reserved: Sequence[Box],
    rtl: bool,
) -> None:
    """Names of the countries large enough on this map, largest first, over no other name and
    no dot or its label (moved a line down or up where that frees them)."""
    view_area = (view.east - view.west) * (view.north - view.south)
    left, top = view.pixel(view.north, view.west)
    right, bottom = view.pixel(view.south, view.east)
    taken = list(reserved)
    for point in points:
        # A dot, and its label beside it, above, on the reading side.
        x, y = view.pixel(point.latitude, point.longitude)
        reach = 60 if point.label and len(points) <= MAX_LABELS else 12
        taken.append((x - (reach if rtl else 12), y - 40, x + (12 if rtl else reach), y + 12))
    places = [
        (country, *_visible_middle(country, view))
        for country in load_countries()
        if country.iso is not None and country.iso in names
    ]
    for country, middle, area in sorted(places, key=lambda place: place[2], reverse=True):
        if area / view_area < MIN_NAMED_SHARE:
            break
        if middle is None or country.iso is None:
            continue
        wrapped = textwrap.wrap(names[country.iso], NAME_WIDTH, max_lines=3, placeholder="…")
        if not wrapped:
            continue
        longitude, latitude = middle
        x, y = view.pixel(latitude, longitude)
        left_, top_, right_, bottom_ = _text_box((x, y), wrapped, NAME_SIZE, 0.0)
        width, height = right_ - left_, bottom_ - top_
        # Where it fits: in the middle, else a line or two below or above, else beside.
        shifts = [(0.0, 0.0), (0.0, 1.1 * height), (0.0, -1.1 * height), (0.0, 2.2 * height)]
        shifts += [(0.0, -2.2 * height), (1.1 * width, 0.0), (-1.1 * width, 0.0)]
        for dx, dy in shifts:
            box = (left_ + dx, top_ + dy, right_ + dx, bottom_ + dy)
            if box[0] < left or box[2] > right or box[1] < top or box[3] > bottom:
                continue
            if not any(
                box[0] < other[2] and other[0] < box[2] and box[1] < other[3] and other[1] < box[3]
                for other in taken
            ):
                break
        else:
            continue
        taken.append(box)
        axes.annotate(
            "\n".join(visual(text, rtl) for text in wrapped),
            (longitude, latitude),
            # Points, upwards; pixels were counted downwards.
            xytext=(dx * 72 / DPI, -dy * 72 / DPI),
            textcoords="offset points",
            ha="center",
            va="center",
            fontsize=NAME_SIZE,
            family=FONT,
            color=NAME_COLOUR,
            linespacing=1.1,
            zorder=2,
        )


def _draw_legend(
    figure: Figure, points: Sequence[MapPoint], texts: MapTexts, rtl: bool, top: float
) -> None:
    """One row under the map, most serious first in reading order, each with its count."""
    from matplotlib.lines import Line2D

    counts = Counter(point.severity for point in points)
    severities = sorted(Severity, key=lambda severity: severity.rank, reverse=True)
    if rtl:
        # Right to left, the row is read from the right: the most serious goes there.
        severities.reverse()
    handles = [
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=10,
            markerfacecolor=SEVERITY_COLOURS[severity],
            markeredgecolor="white",
            label=visual(f"{texts.legend[severity]} ({counts[severity]})", rtl),
        )
        for severity in severities
    ]
    figure.legend(
        handles=handles,
        loc="upper right" if rtl else "upper left",
        bbox_to_anchor=(1 - SIDE_MARGIN / WIDTH_INCHES if rtl else SIDE_MARGIN / WIDTH_INCHES, top),
        ncols=len(handles),
        frameon=False,
        markerfirst=not rtl,
        borderaxespad=0,
        borderpad=0,
        handletextpad=0.3,
        columnspacing=1.4,
        prop={"family": FONT, "size": 12},
    )


def _draw_points(axes: Axes, view: MapView, points: Sequence[MapPoint], rtl: bool) -> None:
    """Dots by severity, the critical on top, and their labels while there are few."""
    from matplotlib import patheffects

    size = 110 if len(points) <= MAX_LABELS else 60 if len(points) <= 200 else 30
    # Least serious first, so that the critical ones are drawn on top.
    for layer, severity in enumerate(Severity):
        chosen = [point for point in points if point.severity is severity]
        if not chosen:
            continue
        axes.scatter(
            [point.longitude for point in chosen],
            [point.latitude for point in chosen],
            s=size,
            c=SEVERITY_COLOURS[severity],
            edgecolors="white",
            linewidths=1.2,
            zorder=3 + layer,
        )
    if len(points) > MAX_LABELS:
        return
    outline = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    placed: list[tuple[float, float]] = []
    # The most serious labelled first, nearest their dots; labels of dots drawn at about the
    # same place are stacked above one another instead of printed over one another.
    for point in sorted(points, key=lambda point: point.severity.rank, reverse=True):
        if not point.label:
            continue
        x, y = view.pixel(point.latitude, point.longitude)
        crowd = sum(1 for px, py in placed if abs(px - x) < 30 and abs(py - y) < 14)
        placed.append((x, y))
        axes.annotate(
            point.label,
            (point.longitude, point.latitude),
            xytext=(-7 if rtl else 7, 5 + 12 * crowd),
            textcoords="offset points",
            ha="right" if rtl else "left",
            va="bottom",
            fontsize=9.5,
            family=FONT,
            color=TEXT_COLOUR,
            path_effects=outline,
            zorder=8,
        )
