"""Whose row: every issue row names its person (name, masked ID number, address) and the rows are found by row
number, name or ID number; a full ID number never appears in a URL or in the page's search echo."""

import pytest
from django.urls import reverse

from collection.rowsearch import IdentityItems, parse_search
from tests.collection.batch_fixtures import media

__all__ = ["media"]

ROW7_ID = "120101195901154750"  # 于义, a wrong check digit


def _page(client, batch, **get) -> str:
    return client.get(reverse("collection:batch_detail", args=[batch.pk]), get).content.decode()


def _search(client, batch, q: str):
    return client.post(reverse("collection:batch_detail", args=[batch.pk]), {"q": q})


@pytest.mark.parametrize(
    ("typed", "kind"),
    [("107", "row"), ("第 107 行", "row"), ("于义", "name"), (ROW7_ID, "id"), ("120101*4750", "pattern"),
     ("*4750", "pattern"), ("120101195901154750".lower(), "id")],
)  # fmt: skip
def test_a_search_is_read_as_a_row_number_a_name_or_an_id_number(typed, kind):
    assert parse_search(typed).kind == kind


def test_a_pattern_with_too_few_digits_finds_nothing_rather_than_everything():
    assert parse_search("*12") is None and parse_search("   ") is None


def test_the_identity_of_a_row_masks_its_id_number(catalog):
    from catalog.specs_build import build_table_spec

    items = IdentityItems.of(build_table_spec("P0101"))
    who = items.identify({"name": "于义", "id_number": ROW7_ID, "current_address": "东山路1号"})
    assert who["name"] == "于义" and who["id"] == "120101********4750"
    assert who["address"]


def test_every_issue_row_names_its_person_with_a_masked_id(logged_in, messy_batch):
    page = _page(logged_in, messy_batch)
    assert 'class="who-name">于义<' in page and "120101********4750" in page
    label = page.split('id="row-7"')[1].split('class="rownum"')[1].split("</td>")[0]
    assert "于义" in label and ROW7_ID not in label  # the row's label never shows it in full
    assert "东山街道三马路136号5单元201室" in page


def test_a_row_is_found_by_its_name(logged_in, messy_batch):
    response = _search(logged_in, messy_batch, "于义")
    page = response.content.decode()
    assert response.status_code == 200 and 'id="row-7"' in page and 'id="row-8"' not in page
    assert "找到 1 行" in page


def test_a_row_is_found_by_its_full_id_number_and_the_page_repeats_it_masked(logged_in, messy_batch):
    page = _search(logged_in, messy_batch, ROW7_ID).content.decode()
    assert 'id="row-7"' in page and "找到 1 行" in page
    assert 'value="120101********4750"' in page


def test_a_row_is_found_by_a_masked_pattern_in_the_query_string(logged_in, messy_batch):
    page = _page(logged_in, messy_batch, q="120101*4750")
    assert 'id="row-7"' in page and "找到 1 行" in page


def test_a_full_id_number_or_a_name_in_the_query_string_is_ignored(logged_in, messy_batch):
    for q in (ROW7_ID, "于义"):
        page = _page(logged_in, messy_batch, q=q)
        assert 'id="search-result"' not in page


def test_a_row_without_issues_is_found_and_says_it_passed(logged_in, messy_batch):
    page = _search(logged_in, messy_batch, "郭荷真").content.decode()
    assert 'id="row-4"' in page and "本行通过核验，没有问题" in page


def test_a_row_is_found_by_its_row_number(logged_in, messy_batch):
    page = _page(logged_in, messy_batch, q="7")
    assert 'id="row-7"' in page and "找到 1 行" in page


def test_a_search_that_finds_nothing_says_so(logged_in, messy_batch):
    page = _search(logged_in, messy_batch, "没有这个人").content.decode()
    assert "没有找到" in page


def test_another_township_cannot_search_a_batch(client, collector_b, messy_batch):
    client.force_login(collector_b)
    assert _search(client, messy_batch, "于义").status_code == 404


def test_the_row_filters_use_the_summarys_labels_with_counts(logged_in, messy_batch):
    from collection.summaries import issue_counts

    counts = issue_counts(messy_batch)
    page = _page(logged_in, messy_batch)
    checksum = counts["by_rule"]["checksum"]
    assert f'<option value="checksum">校验位错误（{checksum}）</option>' in page
    assert f"错误（{counts['errors']}）" in page and "全部问题类型" in page


def test_many_rows_of_issues_get_page_numbers_and_a_jump(logged_in, messy_batch, monkeypatch):
    monkeypatch.setattr("collection.views.ROWS_PER_PAGE", 5)
    page = _page(logged_in, messy_batch)
    assert 'class="page-jump"' in page and 'aria-label="第 2 页"' in page


def test_label_to_code_mappings_are_shown_apart_and_not_counted_as_corrections(logged_in, messy_batch):
    response = logged_in.get(reverse("collection:batch_detail", args=[messy_batch.pk]))
    page = response.content.decode()
    mapped = sum(n for _label, n in response.context["mappings"])
    assert mapped > 0 and "名称转为标准代码" in page.split('id="mappings"')[1].split("</p>")[0]
    assert response.context["corrected"] == messy_batch.corrections - mapped
    assert f'id="count-corrected">{messy_batch.corrections - mapped}<' in page
