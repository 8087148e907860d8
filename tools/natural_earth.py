"""Make `data/countries.json`, the country borders of Partnerbot's maps, from Natural Earth.

Run once, offline, from a copy of the npm package `world-atlas` 2.0.2 (Mike Bostock's TopoJSON
of Natural Earth 4.1.0 admin-0 countries, 1:50m):

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python -m tools.natural_earth package/countries-50m.json

The TopoJSON is decoded here (arcs are delta-encoded and quantized; a negative index means an
arc walked backwards). Every ring is clipped to the region Partnerbot works in (Africa, Europe,
the Middle East), rounded to 0.01° and stripped of repeated points, so the file stays small.
Exterior rings turn anticlockwise and holes clockwise, which is what a filled path needs.
Countries carry their ISO 3166-1 alpha-2 code (from the numeric one, through Babel's CLDR
aliases) and their Natural Earth name. Natural Earth is in the public domain.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path
from typing import Any

from babel.core import get_global

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "data" / "countries.json"
SOURCE_PACKAGE = "world-atlas 2.0.2 (npm), countries-50m.json"
SOURCE_DATA = "Natural Earth 4.1.0, Admin 0 - Countries, 1:50m"
ATTRIBUTION = "Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com."
#: West, south, east, north in degrees: Africa, Europe, the Middle East and the Atlantic routes.
REGION = (-30.0, -40.0, 60.0, 72.0)
DECIMALS = 2

Point = tuple[float, float]
Ring = list[Point]


def decode_arcs(topology: dict[str, Any]) -> list[Ring]:
    """Every arc in degrees: positions are deltas of quantized integers."""
    (scale_x, scale_y), (shift_x, shift_y) = (
        topology["transform"]["scale"],
        topology["transform"]["translate"],
    )
    arcs: list[Ring] = []
    for encoded in topology["arcs"]:
        x = y = 0
        arc: Ring = []
        for dx, dy in encoded:
            x += dx
            y += dy
            arc.append((x * scale_x + shift_x, y * scale_y + shift_y))
        arcs.append(arc)
    return arcs


def stitch(indexes: list[int], arcs: list[Ring]) -> Ring:
    """A ring from its arcs; each arc begins where the previous one ended."""
    ring: Ring = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(arc if not ring else arc[1:])
    return unwrap(ring)


def unwrap(ring: Ring) -> Ring:
    """The ring without jumps across the antimeridian (Russia's and Fiji's cross it): a step of
    more than 180° in longitude goes the short way, past ±180, so that clipping does not draw a
    band around the world."""
    if not ring:
        return ring
    unwrapped = [ring[0]]
    shift = 0.0
    for (x0, _), (x1, y1) in itertools.pairwise(ring):
        if x1 - x0 > 180:
            shift -= 360
        elif x0 - x1 > 180:
            shift += 360
        unwrapped.append((x1 + shift, y1))
    return unwrapped


def clip(ring: Ring, region: tuple[float, float, float, float] = REGION) -> Ring:
    """The ring cut to the region (Sutherland-Hodgman, one edge of the box at a time).

    A ring that leaves and comes back keeps a seam along the edge of the box; filled, it looks
    the same, and the map never shows beyond the box.
    """
    west, south, east, north = region
    # (axis, bound, whether inside is at or above the bound)
    edges = ((0, west, True), (0, east, False), (1, south, True), (1, north, False))
    points = ring
    for axis, bound, above in edges:

        def inside(
            point: Point, axis: int = axis, bound: float = bound, above: bool = above
        ) -> bool:
            return point[axis] >= bound if above else point[axis] <= bound

        kept: Ring = []
        previous = points[-1] if points else (0.0, 0.0)
        for point in points:
            if inside(point):
                if not inside(previous):
                    kept.append(_crossing(previous, point, axis, bound))
                kept.append(point)
            elif inside(previous):
                kept.append(_crossing(previous, point, axis, bound))
            previous = point
        points = kept
    return points


def _crossing(a: Point, b: Point, axis: int, bound: float) -> Point:
    """Where the segment from a to b meets the line where coordinate `axis` is `bound`."""
    t = (bound - a[axis]) / (b[axis] - a[axis])
    x, y = a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])
    return (bound, y) if axis == 0 else (x, bound)


def _area(ring: Ring) -> float:
    """Twice the signed area: positive when the ring turns anticlockwise."""
    return sum(
        x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True)
    )


def compact(ring: Ring, exterior: bool) -> list[list[float]] | None:
    """The clipped ring rounded, without repeated points, turning the right way; None when
    nothing of it is left."""
    rounded: list[tuple[float, float]] = []
    for x, y in clip(ring):
        point = (round(x, DECIMALS), round(y, DECIMALS))
        if not rounded or point != rounded[-1]:
            rounded.append(point)
    while len(rounded) > 1 and rounded[0] == rounded[-1]:
        rounded.pop()
    if len(rounded) < 3 or _area(rounded) == 0:
        return None
    if (_area(rounded) > 0) != exterior:
        rounded.reverse()
    return [[x, y] for x, y in rounded]


def iso_alpha2(numeric: str | None) -> str | None:
    """ISO 3166-1 alpha-2 for a numeric code, as CLDR's territory aliases give it."""
    if not numeric:
        return None
    codes = get_global("territory_aliases").get(numeric.zfill(3))
    return str(codes[0]) if codes else None


def convert(topology: dict[str, Any]) -> dict[str, Any]:
    """The countries of the region with their polygons (exterior ring first, then holes)."""
    arcs = decode_arcs(topology)
    countries = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        match geometry["type"]:
            case "Polygon":
                shapes = [geometry["arcs"]]
            case "MultiPolygon":
                shapes = geometry["arcs"]
            case _:
                continue
        polygons = []
        for shape in shapes:
            exterior = compact(stitch(shape[0], arcs), exterior=True)
            if exterior is None:
                continue
            holes = [compact(stitch(rings, arcs), exterior=False) for rings in shape[1:]]
            polygons.append([exterior, *(hole for hole in holes if hole is not None)])
        if polygons:
            numeric = geometry.get("id")
            countries.append(
                {
                    "iso": iso_alpha2(numeric),
                    "iso_numeric": numeric,
                    "name": geometry["properties"]["name"],
                    "polygons": polygons,
                }
            )
    countries.sort(key=lambda country: str(country["name"]))
    return {
        "source": SOURCE_DATA,
        "package": SOURCE_PACKAGE,
        "licence": "public domain",
        "attribution": ATTRIBUTION,
        "region": list(REGION),
        "countries": countries,
    }


def write(data: dict[str, Any], target: Path = TARGET) -> None:
    """One country a line: small, and a change shows in a diff as the countries it touches."""
    header = {key: value for key, value in data.items() if key != "countries"}
    lines = [
        json.dumps(country, ensure_ascii=False, separators=(",", ":"))
        for country in data["countries"]
    ]
    body = ",\n".join(lines)
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":"))[:-1]
    target.write_text(f'{head},"countries":[\n{body}\n]}}\n', encoding="utf-8")


def main(arguments: list[str]) -> int:
    """`python -m tools.natural_earth PATH/countries-50m.json`."""
    if len(arguments) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    topology = json.loads(Path(arguments[0]).read_text(encoding="utf-8"))
    data = convert(topology)
    write(data)
    print(f"{len(data['countries'])} countries, {TARGET.stat().st_size // 1024} KB in {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
