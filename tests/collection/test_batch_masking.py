"""A batch's rows as typed are shown only to those who fix or review it (issue 11 item 8's exception): a grid worker
of the village may see the village's batch but reads neither its rows nor its workbooks."""

import pytest

from collection.choices import BatchStatus
from regions.choices import Role
from tests.collection.batch_fixtures import make_batch
from tests.conftest import TOWNSHIP_A, VILLAGE_A, make_user

ID_NUMBER = "370602199001000001"


@pytest.fixture
def village_batch(sample_villages):
    batch = make_batch(TOWNSHIP_A, None, status=BatchStatus.NEEDS_FIX, owner_id=VILLAGE_A)
    batch.staged_rows.update(values={"name": "张三", "id_number": ID_NUMBER})
    batch.issues.update(item="id_number", value=ID_NUMBER)
    return batch


def test_a_grid_worker_of_the_village_sees_the_batch_without_its_rows(client, village_batch):
    client.force_login(make_user("grid_village", Role.GRID_WORKER, VILLAGE_A))
    body = client.get(f"/collection/batches/{village_batch.pk}/").content.decode()
    assert ID_NUMBER not in body and 'id="rows-withheld"' in body and "下载批注版工作簿" not in body
    assert client.get(f"/collection/batches/{village_batch.pk}/report.xlsx").status_code == 403


def test_the_village_collector_sees_its_rows_as_typed(client, village_batch):
    client.force_login(make_user("collector_village", Role.COLLECTOR, VILLAGE_A))
    body = client.get(f"/collection/batches/{village_batch.pk}/").content.decode()
    assert ID_NUMBER in body and 'id="rows-withheld"' not in body


def test_the_batch_api_gives_the_grid_worker_no_issue_values(village_batch):
    from rest_framework.test import APIClient

    from regions.tokens import issue_user_token

    api = APIClient()
    token = issue_user_token(make_user("grid_village", Role.GRID_WORKER, VILLAGE_A), "t")[1]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(f"/api/v1/batches/{village_batch.pk}/").status_code == 200
    response = api.get(f"/api/v1/batches/{village_batch.pk}/issues/")
    assert response.status_code == 403 and ID_NUMBER not in response.content.decode()
