"""A record's history says who reported which value when."""

import pytest

from basedb.history import entity_records, record_versions, value_provenance
from basedb.merge import merge_batch
from basedb.models import Entity, Record
from regions.models import Region
from tests.conftest import TOWNSHIP_A

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions")


def test_each_current_value_is_traced_to_the_uploader_township_and_batch(officer_a, city_officer, collector_a):
    collector_a.first_name, collector_a.last_name = "小明", "王"
    collector_a.save()
    first = staged_batch(TOWNSHIP_A, [person(1)], user=collector_a)
    merge_batch(first, acting_user=officer_a)
    second = staged_batch(TOWNSHIP_A, [person(1, phone="13900000000")])
    merge_batch(second, acting_user=city_officer)
    record = Record.objects.get()
    provenance = value_provenance(record)
    phone, name = provenance["phone"], provenance["name"]
    assert (phone.batch_id, phone.reporter, phone.approver, phone.version) == (second.pk, None, "officer_city", 2)
    assert (name.batch_id, name.action, name.approver) == (first.pk, "create", "officer_a")
    assert name.reporter == collector_a.get_full_name() and name.reporter != collector_a.username
    assert name.township == Region.objects.get(pk=TOWNSHIP_A).name and name.at == first.created_at
    assert [v.version for v in record_versions(record)] == [2, 1]
    assert entity_records(Entity.objects.get()) == [record]
