"""Placement of written grid and address texts in the region tree (regions/placement.py): known answers against the
sample villages of 东山街道 (TOWNSHIP_A) and 向阳街道 (TOWNSHIP_B)."""

import pytest

from regions.placement import Placer, canonical, canonical_forms, chinese_number
from tests.conftest import GRID_A, GRID_A2, GRID_B, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A


@pytest.mark.parametrize(
    ("text", "number"), [("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23), ("一百零五", 105)]
)
def test_chinese_numbers_are_read(text, number):
    assert chinese_number(text) == number


@pytest.mark.parametrize(
    "written", ["示例社区01第01网格", "示例社区01第1网格", "示例社区01 1网格", "示例社区01一网格", "示例社区01第一网格",
                "示例社区01网格1", "示例社区01 第 1 号网格", "示例社区０１第１网格"],
)  # fmt: skip
def test_the_forms_people_type_for_a_grid_number_compare_equal(written):
    assert canonical(written) == "示例社区01#1"


def test_digits_run_together_with_a_name_are_tried_every_way():
    assert "示例社区01#1" in canonical_forms("示例社区011网格")


def place(township, grids, addresses=None):
    addresses = addresses or [None] * len(grids)
    return Placer().place(township, grids, [addresses])


@pytest.mark.parametrize(
    ("grid", "expected"),
    [
        (GRID_A, GRID_A),  # the code
        ("烟台市芝罘区东山街道示例社区01第01网格", GRID_A),  # the full name
        ("芝罘区东山街道示例社区02第02网格", GRID_A2),
        ("东山街道示例社区01第01网格", GRID_A),  # the region's own name
        ("示例社区01第01网格", GRID_A),  # the name within the township
        ("示例社区02第2网格", GRID_A2),
        ("示例社区02 2网格", GRID_A2),
        ("示例社区02二网格", GRID_A2),
        ("示例社区01", VILLAGE_A),  # a village written in the grid column
        ("第9网格", TOWNSHIP_A),  # no such grid
        ("第1网格", TOWNSHIP_A),  # one in every village: which one is not known
        ("", TOWNSHIP_A),
        (None, TOWNSHIP_A),
    ],
)
def test_a_grid_is_found_from_its_code_full_name_short_name_and_typed_variants(sample_villages, grid, expected):
    assert list(place(TOWNSHIP_A, [grid]).places) == [expected]


def test_a_grid_number_alone_is_found_in_the_village_the_address_names(sample_villages):
    placed = place(
        TOWNSHIP_A,
        ["第2网格", "2网格", "一网格"],
        ["烟台市芝罘区东山街道示例社区02幸福路1号", "示例社区02", "东山街道示例社区01"],
    )
    assert list(placed.places) == [GRID_A2, GRID_A2, GRID_A]


def test_without_a_grid_the_address_places_the_row_in_its_village(sample_villages):
    placed = place(TOWNSHIP_A, [None, "", None], ["东山街道示例社区03海港路5号", "芝罘区示例社区01", "东山路189号"])
    assert list(placed.places) == ["370602002903", VILLAGE_A, TOWNSHIP_A]


def test_the_grid_wins_over_the_village_of_the_address(sample_villages):
    assert list(place(TOWNSHIP_A, ["示例社区02第02网格"], ["东山街道示例社区01"]).places) == [GRID_A2]


def test_the_first_address_naming_a_village_wins(sample_villages):
    placed = Placer().place(TOWNSHIP_A, [None], [["东山路1号"], ["东山街道示例社区03"], ["东山街道示例社区01"]])
    assert list(placed.places) == ["370602002903"]


def test_a_grid_of_another_township_is_named_and_not_used(sample_villages):
    placed = place(TOWNSHIP_A, ["向阳街道示例社区01第01网格", GRID_B, "示例社区01第01网格"])
    assert list(placed.places) == [TOWNSHIP_A, TOWNSHIP_A, GRID_A]
    assert list(placed.foreign) == [(TOWNSHIP_B, "向阳街道"), (TOWNSHIP_B, "向阳街道"), None]


def test_rows_of_several_townships_are_placed_in_their_own(sample_villages):
    placed = Placer().place([TOWNSHIP_A, TOWNSHIP_B], ["示例社区01第01网格", "示例社区01第01网格"], [])
    assert list(placed.places) == [GRID_A, GRID_B]


def test_a_village_floor_keeps_rows_inside_the_village_and_marks_grids_outside(sample_villages):
    placed = Placer().place(TOWNSHIP_A, ["示例社区01第01网格", "示例社区02第02网格", None], [], floor=VILLAGE_A)
    assert list(placed.places) == [GRID_A, VILLAGE_A, VILLAGE_A]
    assert list(placed.outside) == [False, True, False]


def test_a_township_without_villages_places_everything_in_itself(regions):
    assert list(place("370602003", ["示例社区01第01网格"], ["毓璜顶街道示例社区01"]).places) == ["370602003"]


def test_a_name_two_grids_share_places_in_neither(sample_villages):
    from regions.models import Region

    Region.objects.filter(code__in=["370602002901003", "370602002902003"]).update(name="滨海花园网格")
    placed = place(TOWNSHIP_A, ["滨海花园网格", "示例社区01滨海花园网格"])
    assert list(placed.places) == [TOWNSHIP_A, "370602002901003"]
