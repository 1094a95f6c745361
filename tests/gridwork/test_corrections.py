"""Corrections reported from the field by a grid worker: verified, in the officers' review queue, never merged
without review; refused (404, or in Chinese) outside the worker's grid."""

import pytest

from basedb.models import Record
from catalog.models import Subcategory
from collection.choices import BatchStatus
from collection.corrections import submit_correction
from collection.intake import IntakeRefused
from collection.models import Batch
from regions.choices import Action, AuditVerb
from regions.models import AuditEvent
from tests.collection.batch_fixtures import media  # noqa: F401 (fixture)
from tests.conftest import GRID_A, GRID_A2, TOWNSHIP_A

from .conftest import correction_url, placed_person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def mine(sample_villages, catalog):
    return placed_person(1, "张一", GRID_A)


def test_a_grid_workers_correction_waits_in_the_officers_review_queue(client, mine, grid_worker, officer_a):
    client.force_login(grid_worker)
    data = {"item_1": "phone", "value_1": "13912345678", "reason": "电话已变更"}
    response = client.post(correction_url(mine), data, follow=True)
    assert "等待核验员审核" in response.content.decode()
    batch = Batch.objects.restrict(officer_a, Action.REVIEW).get()
    assert (batch.status, batch.region_id, batch.uploaded_by) == (BatchStatus.PENDING_REVIEW, TOWNSHIP_A, grid_worker)
    assert batch.staged_rows.get().values["phone"] == "13912345678"
    mine.refresh_from_db()
    assert mine.values["phone"] == "13800000001"  # nothing changes before review
    assert AuditEvent.objects.get(verb=AuditVerb.UPLOAD).actor_user == grid_worker


def test_the_card_links_the_correction_by_public_id_and_subcategory_never_by_record_id(client, mine, grid_worker):
    client.force_login(grid_worker)
    body = client.get(f"/grid/entities/{mine.entity.public_id}/").content.decode()
    assert f'href="{correction_url(mine)}"' in body and f"/{mine.pk}/" not in body
    assert client.get(f"/grid/records/{mine.pk}/correct/").status_code == 404


def test_the_same_persons_record_placed_in_another_grid_is_not_found(client, mine, grid_worker):
    elsewhere = Record.objects.create(
        entity=mine.entity, subcategory=Subcategory.objects.get(code="P0102"), region_id=TOWNSHIP_A, place_id=GRID_A2,
        values={"id_number": mine.entity.key},
    )  # fmt: skip
    client.force_login(grid_worker)
    assert client.get(correction_url(mine)).status_code == 200
    assert client.get(correction_url(elsewhere)).status_code == 404
    data = {"item_1": "phone", "value_1": "13912345678", "reason": "电话已变更"}
    assert client.post(correction_url(elsewhere), data).status_code == 404 and not Batch.objects.exists()


def test_a_subcategory_the_person_is_not_in_is_not_found(client, mine, grid_worker):
    client.force_login(grid_worker)
    assert client.get(f"/grid/entities/{mine.entity.public_id}/H0101/correct/").status_code == 404


def test_a_correction_needs_an_item_and_a_reason(client, mine, grid_worker):
    client.force_login(grid_worker)
    response = client.post(correction_url(mine), {"item_1": "", "reason": ""})
    assert response.status_code == 200 and not Batch.objects.exists()
    assert "请至少选择一个需要更正的数据项" in response.content.decode()


def test_a_correction_outside_the_workers_grid_is_refused_in_chinese(mine, grid_worker):
    with pytest.raises(IntakeRefused, match=r"没有为.*报告更正的权限"):
        submit_correction("P0101", TOWNSHIP_A, mine.values, acting_user=grid_worker, reason="x", place=GRID_A2)
    assert not Batch.objects.exists()


def test_a_grid_worker_may_not_upload_for_the_township(mine, grid_worker):
    with pytest.raises(IntakeRefused):
        submit_correction("P0101", TOWNSHIP_A, mine.values, acting_user=grid_worker, reason="x")
