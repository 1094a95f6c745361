from regions.choices import RegionLevel
from regions.models import Region, prefix_bounds


def test_it_loads_yantai_with_13_counties_and_159_townships(regions):
    city = Region.objects.subtree("3706")
    assert city.filter(level=RegionLevel.COUNTY).count() == 13
    assert city.filter(level=RegionLevel.TOWNSHIP).count() == 159


def test_every_township_hangs_under_a_county_of_yantai(regions):
    counties = set(Region.objects.filter(level=RegionLevel.COUNTY).values_list("code", flat=True))
    townships = Region.objects.townships()
    assert {t.parent_id for t in townships} <= counties
    assert all(t.code.startswith(t.parent_id) for t in townships)


def test_a_county_subtree_is_its_code_prefix(regions):
    zhifu = Region.objects.subtree("370602")
    assert zhifu.filter(level=RegionLevel.TOWNSHIP).count() == Region.objects.filter(parent_id="370602").count()
    assert all(r.code.startswith("370602") for r in zhifu)


def test_a_subtree_query_is_one_range_filter_on_the_primary_key(regions):
    where = str(Region.objects.subtree("370602").query).split("WHERE")[1]
    assert '"code" >= ' in where and '"code" < ' in where
    assert "LIKE" not in where.upper() and "parent" not in where


def test_a_township_subtree_does_not_include_its_neighbour_with_a_longer_number(regions):
    assert set(Region.objects.subtree("370602001").values_list("code", flat=True)) == {"370602001"}


def test_prefix_bounds_is_the_half_open_range_of_codes_starting_with_the_prefix():
    assert prefix_bounds("370602") == ("370602", "370603")
    assert prefix_bounds("37060200") == ("37060200", "37060201")


def test_a_region_knows_its_ancestors_and_full_name(regions):
    dongshan = Region.objects.get(code="370602002")
    assert [r.code for r in dongshan.ancestors()] == ["3706", "370602"]
    assert dongshan.full_name == "芝罘区东山街道"


def test_the_level_of_a_code_is_given_by_its_length():
    assert Region.level_for_code("3706") == RegionLevel.CITY
    assert Region.level_for_code("370602002001001") == RegionLevel.GRID
    assert Region.level_for_code("37060") is None
    assert Region.level_for_code("37060x") is None


def test_loading_the_regions_twice_changes_nothing(regions):
    from regions.loader import load_divisions

    report = load_divisions()
    assert (report.created, report.updated) == (0, 0)
    assert report.unchanged == Region.objects.count()
