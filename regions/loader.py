"""Loading the region tree from the division-code CSV (code, name, level, parent)."""

import csv
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .choices import LEVEL_CODE_LENGTH
from .models import Region
from .placement import tree_changed

DEFAULT_CSV = Path(settings.BASE_DIR) / "fixtures" / "regions" / "yantai_divisions.csv"


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def read_divisions(path: Path) -> list[dict]:
    """Rows of the CSV, checked: the level must agree with the code length and the parent must be a prefix."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        code, level, parent = row["code"].strip(), row["level"].strip(), row["parent"].strip()
        if LEVEL_CODE_LENGTH.get(level) != len(code) or not code.isdigit():
            raise ValueError(f"区划代码 {code} 与层级 {level} 不符")
        if level != "city" and not code.startswith(parent):
            raise ValueError(f"区划 {code} 的上级 {parent} 不是其代码前缀")
    return rows


@transaction.atomic
def load_divisions(path: Path = DEFAULT_CSV) -> LoadReport:
    """Create or update regions from the CSV; idempotent (a second run reports everything unchanged)."""
    report, changed = LoadReport(), []
    existing = {r.code: r for r in Region.objects.all()}
    for row in sorted(read_divisions(path), key=lambda r: len(r["code"])):
        code, name, level = row["code"].strip(), row["name"].strip(), row["level"].strip()
        parent = row["parent"].strip() if level != "city" else None
        current = existing.get(code)
        if current is None:
            existing[code] = Region.objects.create(code=code, name=name, level=level, parent_id=parent)
            report.created += 1
            changed.append(code)
        elif (current.name, current.level, current.parent_id) != (name, level, parent):
            current.name, current.level, current.parent_id = name, level, parent
            current.save(update_fields=["name", "level", "parent"])
            report.updated += 1
            changed.append(code)
        else:
            report.unchanged += 1
    # A new or renamed region changes how names are read below it: the records there are placed again.
    tree_changed(_topmost(changed))
    return report


def _topmost(codes: list[str]) -> list[str]:
    """The codes not below another of them (a renamed county covers its townships)."""
    kept: list[str] = []
    for code in sorted(codes, key=len):
        if not any(code.startswith(k) for k in kept):
            kept.append(code)
    return kept
