"""A record's history says who reported which value when."""

import pytest

from basedb.history import entity_records, record_versions, value_provenance
from basedb.merge import merge_batch
from basedb.models import Entity, Record
from tests.conftest import TOWNSHIP_A

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog_loaded", "regions")


def test_each_current_value_is_traced_to_the_batch_and_user_that_reported_it(officer_a, city_officer):
    first = staged_batch(TOWNSHIP_A, [person(1)])
    merge_batch(first, acting_user=officer_a)
    second = staged_batch(TOWNSHIP_A, [person(1, phone="13900000000")])
    merge_batch(second, acting_user=city_officer)
    record = Record.objects.get()
    provenance = value_provenance(record)
    assert (provenance["phone"].batch_id, provenance["phone"].user, provenance["phone"].version) == (
        second.pk, "officer_city", 2
    )  # fmt: skip
    assert (provenance["name"].batch_id, provenance["name"].user, provenance["name"].action) == (
        first.pk, "officer_a", "create"
    )  # fmt: skip
    assert [v.version for v in record_versions(record)] == [2, 1]
    assert entity_records(Entity.objects.get()) == [record]
