"""Fixtures of the collection tests: a signed-in collector of township A and the messy sample batch."""

import pytest
from django.urls import reverse

from collection.models import Batch
from tests.collection.batch_fixtures import DATA, media

__all__ = ["media"]  # fixture used below
from tests.conftest import TOWNSHIP_A


@pytest.fixture
def logged_in(client, collector_a):
    client.force_login(collector_a)
    return client


@pytest.fixture
def messy_batch(logged_in, catalog, media) -> Batch:
    """The messy sample workbook uploaded by township A's collector (verified on upload)."""
    with open(DATA / "sample_p0101_messy.xlsx", "rb") as fh:
        logged_in.post(reverse("collection:batch_upload"), {"file": fh, "region": TOWNSHIP_A})
    return Batch.objects.get()
