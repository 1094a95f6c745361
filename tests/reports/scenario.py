"""A hand-made county whose report figures are known: people of 东山街道 (TOWNSHIP_A) and 向阳街道 (TOWNSHIP_B), merged
through the real merge, with ages that sit exactly on the 60 and 80 year bounds on AS_OF.

东山街道 has two sample communities (示例社区01, 02) and their grids; a person's `grid` item names where they live.
"""

from dataclasses import dataclass
from datetime import date

from basedb.choices import RecordStatus
from basedb.merge import merge_batch
from basedb.models import Record
from basedb.placement import place_records
from collection.models import StagedRow
from regions.samples import generate_sample_villages, sample_village_code
from tests.basedb.conftest import staged_batch
from tests.conftest import COUNTY_A, TOWNSHIP_A, TOWNSHIP_B
from tests.matching.scenario import id_number, merge

AS_OF = date(2026, 3, 31)
VILLAGE_1 = sample_village_code(TOWNSHIP_A, 1)
VILLAGE_2 = sample_village_code(TOWNSHIP_A, 2)


@dataclass
class Person:
    n: int
    name: str
    sex: str
    born: str
    region: str = TOWNSHIP_A
    grid: str = ""  # where the person lives, as a collector writes it
    birth_in_record: bool = True  # False: the age comes from the ID number

    @property
    def id_number(self) -> str:
        return id_number("370602", self.born, self.n * 10 + (1 if self.sex == "1" else 2))

    def values(self) -> dict:
        values = {"name": self.name, "id_number": self.id_number, "sex": self.sex,
                  "current_address": f"芝罘区幸福路{self.n}号", "grid": self.grid}  # fmt: skip
        if self.birth_in_record:
            values["birth_date"] = self.born
        return values


PEOPLE = [
    Person(1, "张一", "1", "1946-03-31", grid="示例社区01第01网格"),  # 80 on AS_OF to the day
    Person(2, "王二", "2", "1946-04-01", grid="示例社区01第02网格"),  # 79 (80 tomorrow)
    Person(3, "李三", "2", "1966-03-31", grid="示例社区02第01网格", birth_in_record=False),  # 60, from the ID
    Person(4, "赵四", "1", "2000-01-01", grid="示例社区02第01网格"),
    Person(5, "钱五", "2", "1966-04-01"),  # 59: not placed below the township
    Person(6, "孙六", "1", "1930-01-01", grid="示例社区01第01网格"),  # 96, retired below: not counted
    Person(7, "周七", "2", "1930-06-15", region=TOWNSHIP_B),  # 95, township B
]
RETIRED = ("孙六",)

# population_overview on AS_OF: (total, male, female, age_60_plus, age_80_plus)
COUNTY_ROWS = {TOWNSHIP_B: (1, 0, 1, 1, 1), TOWNSHIP_A: (5, 2, 3, 3, 1)}
COUNTY_TOTAL = (6, 2, 4, 4, 2)
COLUMNS = ("total", "male", "female", "age_60_plus", "age_80_plus")


def build(people=PEOPLE) -> None:
    """The sample communities of 东山街道, every person's P0101 record merged in its township and placed from its
    grid (as intake places rows; these staged rows skip intake), the retired ones retired (as a revert or a death
    record would leave them)."""
    generate_sample_villages([TOWNSHIP_A], villages=2, grids=2)
    for region in sorted({p.region for p in people}):
        merge(region, "P0101", [p.values() for p in people if p.region == region])
    place_records(TOWNSHIP_A)
    Record.objects.filter(entity__display_name__in=RETIRED).update(status=RecordStatus.RETIRED)


def merge_keyed(region: str, subcategory: str, key_item: str, rows: list[dict]) -> None:
    """Merge rows of a subcategory keyed by `key_item` (houses, enterprises) through a reviewed batch."""
    batch = staged_batch(region, [], subcategory=subcategory)
    StagedRow.objects.bulk_create(
        StagedRow(batch=batch, row=i + 2, values=v, key=v.get(key_item), is_valid=True) for i, v in enumerate(rows)
    )
    batch.rows = len(rows)
    batch.save(update_fields=["rows"])
    merge_batch(batch, acting_user=None)


def values(row: dict) -> tuple:
    return tuple(row["values"][c] for c in COLUMNS)


__all__ = ["AS_OF", "COUNTY_A", "TOWNSHIP_A", "TOWNSHIP_B", "VILLAGE_1", "VILLAGE_2", "build"]
