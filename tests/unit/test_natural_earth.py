"""The conversion of Natural Earth's TopoJSON into data/countries.json, on tiny topologies."""

from __future__ import annotations

from typing import Any

from tools.natural_earth import clip, compact, convert, decode_arcs, stitch


def topology(arcs: list[list[list[int]]], geometries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "Topology",
        "transform": {"scale": [1, 1], "translate": [0, 0]},
        "arcs": arcs,
        "objects": {"countries": {"type": "GeometryCollection", "geometries": geometries}},
    }


def test_arcs_are_delta_decoded_and_walked_backwards_for_negative_indexes() -> None:
    arcs = decode_arcs(topology([[[0, 0], [10, 0], [0, 10]], [[10, 10], [-10, 0], [0, -10]]], []))

    assert arcs[0] == [(0, 0), (10, 0), (10, 10)]
    assert stitch([0, 1], arcs) == [(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]
    assert stitch([~1], arcs)[0] == (0, 0)


def test_a_ring_across_the_antimeridian_does_not_become_a_band_around_the_world() -> None:
    # A small island at ±180: its points jump from 179 to -179.
    ring = [(179.0, 10.0), (-179.0, 10.0), (-179.0, 12.0), (179.0, 12.0)]
    arcs = [[*ring, ring[0]]]

    assert stitch([0], arcs)[1] == (181.0, 10.0)
    assert compact(stitch([0], arcs), exterior=True) is None


def test_rings_are_cut_to_the_region_and_turn_the_right_way() -> None:
    clipped = clip([(50.0, 0.0), (70.0, 0.0), (70.0, 10.0), (50.0, 10.0)])

    assert max(x for x, _ in clipped) == 60.0
    ring = compact([(0.001, 0.0), (0.0, 10.0), (10.0, 10.0), (10.0, 0.0)], exterior=True)
    assert ring is not None
    assert [0.0, 0.0] in ring  # rounded to 0.01°
    area = sum(
        x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, [*ring[1:], ring[0]], strict=True)
    )
    assert area > 0  # anticlockwise


def test_countries_carry_their_iso_codes_and_names() -> None:
    square = [[[0, 0], [10, 0], [0, 10], [-10, 0], [0, -10]]]
    data = convert(
        topology(
            square,
            [{"type": "Polygon", "arcs": [[0]], "id": "562", "properties": {"name": "Niger"}}],
        )
    )

    (niger,) = data["countries"]
    assert (niger["iso"], niger["iso_numeric"], niger["name"]) == ("NE", "562", "Niger")
    assert len(niger["polygons"][0][0]) == 4
    assert "Natural Earth" in data["attribution"]
