"""A batch imported from the command line (no user) does not break the record and person pages (issue 11 item 13)."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from basedb.merge import merge_batch
from basedb.models import Record
from collection.models import Batch
from tests.collection.batch_fixtures import DATA, media  # noqa: F401 (fixture)
from tests.conftest import TOWNSHIP_A, login

pytestmark = pytest.mark.usefixtures("catalog", "regions", "media")


def test_record_and_person_pages_of_a_cli_batch_render(client, collector_a, officer_a):
    call_command("import_workbook", str(DATA / "sample_p0101_clean.xlsx"), "--region", TOWNSHIP_A,
                 stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    batch = Batch.objects.get()
    if batch.status != "merged":
        merge_batch(batch, acting_user=None)
    record = Record.objects.select_related("entity").order_by("id").first()
    for user in (collector_a, officer_a):
        login(client, user)
        for url in (reverse("basedb:record_detail", args=[record.pk]),
                    reverse("basedb:entity_detail", args=[record.entity.public_id]),
                    reverse("collection:batch_detail", args=[batch.pk]), reverse("basedb:record_list")):  # fmt: skip
            assert client.get(url).status_code == 200, url
