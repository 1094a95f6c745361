"""Pages that can show personal data are never stored by a browser or a proxy (issue 11 item 9): every page,
download and API response carries Cache-Control: no-store (grassroots.nostore)."""

from basedb.models import Record
from regions.choices import Action
from tests.sharing.conftest import http, make_client


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "") and "private" in response["Cache-Control"]


def test_a_record_page_with_personal_data_is_not_stored(client, officer_a, base_data):
    client.force_login(officer_a)
    record = Record.objects.restrict(officer_a, Action.VIEW).first()
    response = client.get(f"/basedb/records/{record.pk}/")
    assert response.status_code == 200 and no_store(response)


def test_downloads_lists_and_the_login_page_are_not_stored(client, officer_a, base_data):
    assert no_store(client.get("/accounts/login/"))
    client.force_login(officer_a)
    assert no_store(client.get("/basedb/"))
    assert no_store(client.get("/basedb/board.xlsx"))


def test_api_responses_and_errors_are_not_stored(base_data):
    _client, token = make_client()
    api = http(token)
    assert no_store(api.get("/api/v1/records/", {"subcategory": "P0101"}))
    assert no_store(api.get("/api/v1/records/"))  # a 400
    assert no_store(http("gra_bad").get("/api/v1/stats/"))  # a 401
