from regions.choices import RegionLevel
from regions.models import Region


def test_it_loads_yantai_with_13_counties_and_159_townships(regions):
    city = Region.objects.subtree("3706")
    assert city.filter(level=RegionLevel.COUNTY).count() == 13
    assert city.filter(level=RegionLevel.TOWNSHIP).count() == 159


def test_a_county_subtree_is_its_code_prefix(regions):
    zhifu = Region.objects.subtree("370602")
    assert zhifu.filter(level=RegionLevel.TOWNSHIP).count() == Region.objects.filter(parent_id="370602").count()
    assert all(r.code.startswith("370602") for r in zhifu)
