"""Sharing API test data: P0101 people in two townships of 芝罘区 and one of 福山区, 低保 (P0301) and 残疾人 (P0209)
records, all merged through basedb.merge.merge_batch, and API clients with their tokens."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from basedb.merge import merge_batch
from catalog.models import Subcategory
from regions.models import Region
from sharing.clients import create_client
from tests.basedb.conftest import person, staged_batch
from tests.conftest import COUNTY_A, OTHER_COUNTY, TOWNSHIP_A, TOWNSHIP_B

A_PEOPLE = (1, 2, 3, 4, 5)
B_PEOPLE = (6, 7, 8)
OTHER_PEOPLE = (9, 10)
# (person, monthly amount, birth date) of the 低保 (P0301) records
DIBAO = ((1, 500, "1950-03-01"), (2, 800, "1985-07-15"), (6, 650, "2001-12-31"))


def id_of(n: int) -> str:
    return person(n)["id_number"]


def other_township() -> str:
    return Region.objects.filter(code__startswith=OTHER_COUNTY, code__regex=r"^\d{9}$").order_by("code").first().code


@pytest.fixture
def base_data(catalog, city_officer):
    """Records merged as a data officer would: returns {name: batch}."""
    batches = {
        "p_a": staged_batch(TOWNSHIP_A, [person(n) for n in A_PEOPLE]),
        "p_b": staged_batch(TOWNSHIP_B, [person(n) for n in B_PEOPLE]),
        "p_other": staged_batch(other_township(), [person(n) for n in OTHER_PEOPLE]),
        "dibao": staged_batch(
            TOWNSHIP_A, [person(n, monthly_amount=a, birth_date=d) for n, a, d in DIBAO], subcategory="P0301"
        ),
        "disabled": staged_batch(TOWNSHIP_A, [person(3)], subcategory="P0209"),
    }
    for batch in batches.values():
        merge_batch(batch, acting_user=city_officer)
    return batches


def make_client(name="民政局低保系统", codes=("P0101", "P0301"), region=COUNTY_A, sensitivity="internal", **extra):
    """An ApiClient and its token."""
    return create_client(
        name=name, subcategories=Subcategory.objects.filter(code__in=codes), region=region,
        max_sensitivity=sensitivity, acting_user=None, **extra,
    )  # fmt: skip


def http(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


@pytest.fixture
def client_token(base_data):
    """(client, token) of a county-A client of P0101 and P0301 cleared up to internal."""
    return make_client()


@pytest.fixture
def api(client_token) -> APIClient:
    return http(client_token[1])


def expired_client():
    return make_client(name="过期接入方", expires_at=timezone.now() - timedelta(minutes=1))
