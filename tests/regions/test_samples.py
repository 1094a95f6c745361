import pytest
from django.core.management import CommandError, call_command

from regions.choices import RegionLevel
from regions.models import Region
from regions.samples import generate_sample_villages
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B


def run(*args):
    call_command("generate_sample_villages", *args)


def test_it_generates_the_requested_villages_and_grids_per_township(regions):
    run("--townships", f"{TOWNSHIP_B},{TOWNSHIP_A}", "--villages", "5", "--grids", "3")
    samples = Region.objects.filter(is_sample=True)
    assert samples.filter(level=RegionLevel.VILLAGE).count() == 10
    assert samples.filter(level=RegionLevel.GRID).count() == 30


def test_sample_regions_are_clearly_labelled_with_their_township(regions):
    generate_sample_villages([TOWNSHIP_A], villages=1, grids=1)
    village = Region.objects.get(level=RegionLevel.VILLAGE)
    grid = Region.objects.get(level=RegionLevel.GRID)
    assert (village.name, grid.name) == ("东山街道示例社区01", "东山街道示例社区01第01网格")
    assert village.is_sample and grid.is_sample


def test_sample_villages_of_a_town_are_called_villages(regions):
    town = Region.objects.townships().exclude(name__endswith="街道").first()
    generate_sample_villages([town.code], villages=1, grids=1)
    assert Region.objects.get(level=RegionLevel.VILLAGE).name == f"{town.name}示例村01"


def test_sample_codes_have_12_and_15_digits_and_nest_by_prefix(regions):
    generate_sample_villages([TOWNSHIP_A], villages=2, grids=2)
    for region in Region.objects.filter(is_sample=True):
        assert len(region.code) == (12 if region.level == RegionLevel.VILLAGE else 15)
        assert region.code.startswith(region.parent_id)
    assert Region.objects.subtree(TOWNSHIP_A).count() == 1 + 2 + 4


def test_generating_twice_creates_nothing_new(regions):
    generate_sample_villages([TOWNSHIP_A], villages=2, grids=2)
    report = generate_sample_villages([TOWNSHIP_A], villages=2, grids=2)
    assert (report.created, report.unchanged) == (0, 6)


def test_asking_for_more_later_adds_only_the_missing_ones(regions):
    generate_sample_villages([TOWNSHIP_A], villages=1, grids=1)
    assert generate_sample_villages([TOWNSHIP_A], villages=2, grids=2).created == 6 - 2


def test_it_refuses_a_code_that_is_not_a_loaded_township(regions):
    with pytest.raises(CommandError, match="370602"):
        run("--townships", "370602")


def test_it_refuses_more_than_99_villages(regions):
    with pytest.raises(CommandError):
        run("--townships", TOWNSHIP_A, "--villages", "100")


def test_the_real_tree_is_not_marked_as_sample(regions):
    assert not Region.objects.filter(is_sample=True).exists()
