"""Challenge maps: real PNGs read back by Pillow, real border data from data/countries.json."""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from domain.challenges import Severity
from services.charts import DPI, WIDTH_INCHES
from services.maps import (
    COUNTRIES_FILE,
    HEIGHT_INCHES,
    MAP_HEIGHT,
    MIN_SPAN,
    SEVERITY_COLOURS,
    TITLE_BLOCK,
    MapPoint,
    MapTexts,
    challenge_map,
    country_names,
    data_attribution,
    load_countries,
    map_view,
)

AGADEZ = (16.97, 7.99)
NOUADHIBOU = (20.93, -17.03)
DAKAR = (14.69, -17.44)
LAS_PALMAS = (28.10, -15.41)
TRIPOLI = (32.89, 13.19)
SIZE = (round(WIDTH_INCHES * DPI), round(HEIGHT_INCHES * DPI))

ENGLISH = MapTexts(
    title="Emerging challenges",
    legend={
        Severity.LOW: "Low",
        Severity.MEDIUM: "Medium",
        Severity.HIGH: "High",
        Severity.CRITICAL: "Critical",
    },
    attribution=data_attribution(),
    empty="No challenge with a location in this period.",
    countries=country_names("en"),
)
ARABIC = MapTexts(
    title="التحديات الناشئة",
    legend={
        Severity.LOW: "منخفضة",
        Severity.MEDIUM: "متوسطة",
        Severity.HIGH: "عالية",
        Severity.CRITICAL: "حرجة",
    },
    attribution="صُنعت باستخدام Natural Earth. بيانات خرائط مجانية @ naturalearthdata.com.",
    empty="لا يوجد تحدٍّ له موقع في هذه الفترة.",
    countries=country_names("ar"),
)


def route(agadez: Severity = Severity.CRITICAL) -> list[MapPoint]:
    """Challenges along the Atlantic and central Mediterranean routes."""
    return [
        MapPoint(*AGADEZ, agadez, "#12"),
        MapPoint(*NOUADHIBOU, Severity.HIGH, "#7"),
        MapPoint(*DAKAR, Severity.MEDIUM, "#3"),
        MapPoint(*LAS_PALMAS, Severity.LOW, "#21"),
        MapPoint(*TRIPOLI, Severity.CRITICAL, "#30"),
    ]


def image(png: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(png))
    assert picture.format == "PNG"
    return picture.convert("RGB")


def rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def test_a_route_map_is_a_phone_sized_png_under_a_megabyte() -> None:
    png = challenge_map(route(), ENGLISH)

    assert image(png).size == SIZE
    assert len(png) < 1_000_000


@pytest.mark.parametrize("severity", [Severity.CRITICAL, Severity.LOW])
def test_a_dot_is_drawn_where_the_projection_puts_it_in_its_colour(severity: Severity) -> None:
    points = route(agadez=severity)
    x, y = map_view(points).pixel(*AGADEZ)

    pixel = image(challenge_map(points, ENGLISH)).getpixel((round(x), round(y)))

    assert isinstance(pixel, tuple)
    assert close(pixel, rgb(SEVERITY_COLOURS[severity]))


def test_critical_is_drawn_over_a_lesser_challenge_at_the_same_place() -> None:
    points = [MapPoint(*AGADEZ, Severity.CRITICAL), MapPoint(*AGADEZ, Severity.LOW)]
    x, y = map_view(points).pixel(*AGADEZ)

    pixel = image(challenge_map(points, ENGLISH)).getpixel((round(x), round(y)))

    assert isinstance(pixel, tuple)
    assert close(pixel, rgb(SEVERITY_COLOURS[Severity.CRITICAL]))


def test_the_view_holds_every_point_in_the_map_proportions() -> None:
    view = map_view(route())

    for latitude, longitude in (AGADEZ, NOUADHIBOU, DAKAR, LAS_PALMAS, TRIPOLI):
        x, y = view.pixel(latitude, longitude)
        assert 0 < x < SIZE[0]
        assert 0 < y < SIZE[1]
    assert view.west < -17.44 < 13.19 < view.east
    assert view.south < 14.69 < 32.89 < view.north


def test_one_point_is_shown_with_its_surroundings_not_its_street() -> None:
    view = map_view([MapPoint(*AGADEZ, Severity.HIGH)])

    assert view.north - view.south >= MIN_SPAN
    x, y = view.pixel(*AGADEZ)
    # In the middle of the map, whose side margins are equal.
    assert abs(x - SIZE[0] / 2) < 2
    assert abs(y - (TITLE_BLOCK + MAP_HEIGHT / 2) * DPI) < 2


def test_with_no_point_the_map_is_still_a_png() -> None:
    assert image(challenge_map([], ENGLISH)).size == SIZE
    assert image(challenge_map([], ARABIC, rtl=True)).size == SIZE


def test_an_arabic_map_right_to_left_is_a_png() -> None:
    png = challenge_map(route(), ARABIC, rtl=True)

    assert image(png).size == SIZE
    assert len(png) < 1_000_000


def test_many_points_are_drawn_without_labels() -> None:
    points = [
        MapPoint(10 + index / 10, -10 + index / 5, tuple(Severity)[index % 4], f"#{index}")
        for index in range(120)
    ]

    assert image(challenge_map(points, ENGLISH)).size == SIZE


def test_maps_can_be_drawn_in_worker_threads_at_once() -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        pngs = list(pool.map(lambda _: challenge_map(route(), ENGLISH), range(2)))

    assert pngs[0] == pngs[1]


def test_the_border_file_holds_the_partnership_countries() -> None:
    names = {country.name for country in load_countries()}
    codes = {country.iso for country in load_countries()}

    assert {"Niger", "Mauritania", "Spain", "Libya", "Senegal", "Morocco"} <= names
    assert {"NE", "MR", "ES", "LY"} <= codes
    assert COUNTRIES_FILE.stat().st_size < 600_000
    assert "Natural Earth" in data_attribution()
    region = json.loads(COUNTRIES_FILE.read_text(encoding="utf-8"))["region"]
    west, south, east, north = region
    for country in load_countries():
        (left, bottom), (right, top) = country.path.get_extents().get_points()
        assert west <= left <= right <= east
        assert south <= bottom <= top <= north


def test_country_names_come_in_the_reader_language() -> None:
    assert country_names("en")["NE"] == "Niger"
    assert country_names("fr")["MR"] == "Mauritanie"
    assert country_names("ar")["LY"] == "ليبيا"
    assert country_names("es")["ES"] == "España"


def test_a_name_never_covers_a_dot() -> None:
    # Agadez lies near the middle of Niger, where its name would go.
    points = [MapPoint(*AGADEZ, Severity.CRITICAL, "#12")]
    x, y = map_view(points).pixel(*AGADEZ)
    picture = image(challenge_map(points, ENGLISH))

    for dx, dy in ((0, 0), (-3, 0), (3, 0), (0, -3), (0, 3)):
        pixel = picture.getpixel((round(x) + dx, round(y) + dy))
        assert isinstance(pixel, tuple)
        assert close(pixel, rgb(SEVERITY_COLOURS[Severity.CRITICAL]))
