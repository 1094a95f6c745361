"""A hand-made town whose answers are known: who is insured, who is 80, who died, who is paid.

Everyone has a 户籍人口 (P0101) record; the department lists are merged through the real merge (basedb.merge),
so the records, versions and change feed are exactly what production writes. Reference date: AS_OF.
"""

import io
import json
from dataclasses import dataclass, field
from datetime import date

from django.core.management import call_command

from basedb.merge import merge_batch
from matching.models import WorkEntry
from tests.basedb.conftest import staged_batch
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B

AS_OF = date(2026, 6, 30)


@dataclass
class Person:
    n: int
    name: str
    born: str
    region: str = TOWNSHIP_A
    birth_in_record: bool = True  # False: the birth date is empty and the age comes from the ID number
    lists: tuple[str, ...] = ()  # department lists (subcategories) holding the person
    extra: dict = field(default_factory=dict)  # item values per subcategory, e.g. {"P0209": {...}}

    @property
    def sex(self) -> str:
        return "1" if self.n % 2 else "2"

    @property
    def id_number(self) -> str:
        """A valid resident ID number: area, birth date, a sequence whose parity is the sex, the check digit."""
        return id_number("370602", self.born, self.n * 10 + (1 if self.sex == "1" else 2))

    def values(self, subcategory: str) -> dict:
        values = {"name": self.name, "id_number": self.id_number, "sex": self.sex,
                  "current_address": f"芝罘区幸福路{self.n}号", "phone": f"1380000{self.n:04d}"}  # fmt: skip
        if self.birth_in_record:
            values["birth_date"] = self.born
        return values | DEFAULTS.get(subcategory, {}) | self.extra.get(subcategory, {})


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(area: str, born: str, sequence: int) -> str:
    body = f"{area}{born.replace('-', '')}{sequence:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


DEFAULTS = {
    "P0307": {"medical_insurance_type": "2", "insured_status": "1"},
    "P0106": {"death_date": "2026-03-01"},
    "P0209": {"disability_cert_no": "37060219800101123X41", "disability_type": "1", "disability_level": "3"},
    "P0301": {"assistance_category": "1"},
    "P0304": {"disability_subsidy_type": "1"},
    "P0305": {"allowance_tier": "1"},
    "P0313": {"pension_insurance_type": "1"},
}

PEOPLE = [
    Person(1, "张一", "1981-05-01", lists=("P0307",)),
    Person(2, "王二", "1996-02-10"),  # not insured
    Person(3, "李三", "1938-01-15", lists=("P0106", "P0305")),  # died, still on the elderly allowance
    Person(4, "赵四", "1941-03-02", lists=("P0307",)),  # 85, no allowance
    Person(5, "钱五", "1946-06-30", birth_in_record=False, lists=("P0307",)),  # 80 on AS_OF, age from the ID number
    Person(6, "孙六", "1946-07-01", lists=("P0307",)),  # 79 on AS_OF
    Person(7, "周七", "1936-09-09", lists=("P0307", "P0305")),  # 89, has the allowance
    Person(8, "吴八", "1944-01-01", region=TOWNSHIP_B),  # township B: 82, not insured
    Person(9, "郑九", "1976-04-04", lists=("P0307", "P0209", "P0301")),  # disabled, 低保, no subsidy
    Person(10, "冯十", "1970-10-10", lists=("P0307", "P0209", "P0301", "P0304")),  # disabled, 低保, subsidised
    Person(11, "陈十一", "1985-11-11", lists=("P0307", "P0209")),  # disabled, not 低保
    Person(12, "褚十二", "1950-12-12", lists=("P0106", "P0301", "P0313")),  # died, 低保 and pension still paid
    Person(13, "卫十三", "1960-01-13", lists=("P0106",)),  # died, nothing paid
]
BY_NAME = {p.name: p for p in PEOPLE}

# The exact work lists of the pinned rules: rule -> {(township, name)}.
EXPECTED = {
    "medical_insurance_gap": {(TOWNSHIP_A, "王二"), (TOWNSHIP_B, "吴八")},
    "elderly_allowance_gap": {(TOWNSHIP_A, "赵四"), (TOWNSHIP_A, "钱五"), (TOWNSHIP_B, "吴八")},
    "deceased_still_paid": {(TOWNSHIP_A, "李三"), (TOWNSHIP_A, "褚十二")},
    "disability_subsidy_gap": {(TOWNSHIP_A, "郑九")},
}
PINNED = tuple(EXPECTED)


def merge(region: str, subcategory: str, rows: list[dict], user=None):
    """Merge rows into the base database through a reviewed batch, as an approving officer (or the system) would."""
    batch = staged_batch(region, rows, subcategory=subcategory)
    return merge_batch(batch, acting_user=user)


def build(people=PEOPLE) -> None:
    """Every person's P0101 record in its township, then each department list, township by township."""
    for region in sorted({p.region for p in people}):
        here = [p for p in people if p.region == region]
        merge(region, "P0101", [p.values("P0101") for p in here])
        for subcategory in sorted({s for p in here for s in p.lists}):
            merge(region, subcategory, [p.values(subcategory) for p in here if subcategory in p.lists])


def evaluate_json(*args, as_of: date = AS_OF) -> list[dict]:
    """`manage.py evaluate_rules --json ...` run for real; its stdout parsed."""
    out = io.StringIO()
    call_command("evaluate_rules", "--json", "--as-of", as_of.isoformat(), *args, stdout=out)
    return json.loads(out.getvalue())


def listed(rule: str) -> set[tuple[str, str]]:
    """The open entries of a rule as {(township, name)}."""
    entries = WorkEntry.objects.filter(rule__code=rule, closed_at__isnull=True)
    return set(entries.values_list("region_id", "entity__display_name"))
