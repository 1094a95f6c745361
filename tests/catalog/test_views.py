"""Catalog pages: everyone signed in may read; anonymous visitors go to the login page."""

import pytest

from catalog.views import search_catalog

pytestmark = pytest.mark.django_db

PAGES = [
    "/catalog/",
    "/catalog/search/?q=身份证号",
    "/catalog/categories/P01/",
    "/catalog/subcategories/P0101/",
    "/catalog/elements/id_number/",
    "/catalog/code-tables/",
    "/catalog/code-tables/GB_T_3304/",
    "/catalog/templates/P0101.xlsx",
    "/catalog/templates/P01.xlsx",
]


def test_anonymous_visitors_are_sent_to_the_login_page(client, catalog):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_a_collector_of_any_township_may_read_every_catalog_page(client, catalog, collector_b):
    client.force_login(collector_b)
    for url in PAGES:
        assert client.get(url).status_code == 200, url


def test_the_index_shows_domains_categories_and_template_buttons(client, catalog, collector_a):
    client.force_login(collector_a)
    page = client.get("/catalog/").content.decode()
    assert "P01 常住人口" in page and "户籍人口" in page
    assert 'href="/catalog/templates/P0101.xlsx"' in page and 'href="/catalog/templates/P01.xlsx"' in page
    assert 'class="active">数据目录' in page


def test_the_index_takes_a_fixed_number_of_queries(client, catalog, collector_a, django_assert_max_num_queries):
    client.force_login(collector_a)
    with django_assert_max_num_queries(12):
        client.get("/catalog/")


def test_the_subcategory_page_lists_items_with_rules_in_chinese(client, catalog, collector_a):
    client.force_login(collector_a)
    page = client.get("/catalog/subcategories/H0101/").content.decode()
    assert "房屋地址" in page and "1 至 200" in page and "大于 0" in page
    page = client.get("/catalog/subcategories/P0101/").content.decode()
    assert "出生日期须与公民身份号码中的出生日期一致" in page
    assert "个人敏感" in page and "身份证号码" in page and 'href="/catalog/code-tables/GB_T_2261_1/"' in page


def test_the_template_download_is_an_xlsx_attachment(client, catalog, collector_a):
    client.force_login(collector_a)
    response = client.get("/catalog/templates/P0101.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_an_unknown_template_is_404(client, catalog, collector_a):
    client.force_login(collector_a)
    assert client.get("/catalog/templates/Z99.xlsx").status_code == 404
    assert client.get("/catalog/subcategories/Z9901/").status_code == 404


def test_search_finds_elements_by_alias_and_subcategories_by_name(catalog):
    assert "id_number" in [e.key for e in search_catalog("身份证号")["elements"]]
    assert "P0101" in [s.code for s in search_catalog("户籍")["subcategories"]]
    assert [s.code for s in search_catalog("P0102")["subcategories"]] == ["P0102"]


def test_search_finds_item_labels(catalog):
    assert ("H0101", "address") in [(i.subcategory.code, i.element.key) for i in search_catalog("房屋地址")["items"]]


def test_the_search_page_says_when_nothing_matches(client, catalog, collector_a):
    client.force_login(collector_a)
    assert "没有找到" in client.get("/catalog/search/?q=不存在的东西").content.decode()


def test_the_admin_shows_the_catalog_read_only(client, catalog, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", password="x-Pass-2026!")
    client.force_login(admin_user)
    assert client.get("/admin/catalog/subcategory/").status_code == 200
    pk = client.get("/admin/catalog/subcategory/?q=P0101").context["cl"].result_list[0].pk
    assert client.get(f"/admin/catalog/subcategory/{pk}/change/").status_code == 200
    assert client.get("/admin/catalog/subcategory/add/").status_code == 403


def test_the_index_names_each_domain_once(client, catalog, collector_a):
    client.force_login(collector_a)
    page = client.get("/catalog/").content.decode()
    assert "<h2>人 <small>领域代码 P</small></h2>" in page
    assert "P 人" not in page


def test_the_subcategory_table_keeps_short_columns_on_one_line(client, catalog, collector_a):
    client.force_login(collector_a)
    page = client.get("/catalog/subcategories/P0101/").content.decode()
    assert '<table class="grid items">' in page
    assert '<th class="nowrap">必填</th>' in page and '<th class="nowrap">敏感级别</th>' in page
    assert '<span class="item-name">公民身份号码</span>' in page
