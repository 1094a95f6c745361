"""Grid work fixtures: persons placed directly in the sample grids (records written as the merge leaves them)."""

import pytest

from basedb.models import Entity, Record
from catalog.models import Subcategory
from regions.choices import Role
from tests.conftest import GRID_A, TOWNSHIP_A, make_user
from tests.matching.scenario import id_number


def person_values(n: int, name: str) -> dict:
    """A valid P0101 row: a real check digit, so a correction of it verifies clean."""
    return {
        "name": name, "id_number": id_number("370602", "1980-05-17", n * 10 + 1), "sex": "1", "ethnicity": "01",
        "birth_date": "1980-05-17", "phone": f"1380000{n:04d}", "current_address": f"东山路{n}号",
    }  # fmt: skip


def placed_person(n: int, name: str, place: str, *, subcategory: str = "P0101") -> Record:
    """An active record of person n placed at `place` (a grid, village or township) of its township."""
    values = person_values(n, name)
    entity = Entity.objects.create(kind="person", key=values["id_number"], region_id=place[:9], display_name=name)
    return Record.objects.create(
        entity=entity, subcategory=Subcategory.objects.get(code=subcategory), region_id=place[:9], place_id=place,
        values=values,
    )  # fmt: skip


def correction_url(record: Record) -> str:
    """The field correction of a record: addressed by its entity's public id and its subcategory."""
    return f"/grid/entities/{record.entity.public_id}/{record.subcategory.code}/correct/"


@pytest.fixture
def grid_worker(sample_villages):
    return make_user("grid_worker_a", Role.GRID_WORKER, GRID_A)


@pytest.fixture
def township_a_collector(regions):
    return make_user("collector_township", Role.COLLECTOR, TOWNSHIP_A)
