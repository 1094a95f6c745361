"""Conflicts surface at verification, not after approval: a row whose object another township already holds in the
base database (a record of the same subcategory) gets a warning naming that township, so the collector can check
it (a person who moved in) before the officer meets it as a conflict. A village collector's row whose object its
own township holds placed outside the village (another village, or the township only) gets a warning naming who
holds it: the village may not change it, and the merge makes it a conflict for the township's officer."""

from django.db.models import F

from catalog.choices import EntityKind
from regions.models import Region
from regions.placement import VILLAGE_LENGTH

from .choices import IssueRule
from .handoff import base_database
from .models import Batch, BatchIssue, StagedRow
from .pipeline.types import WARNING

CHUNK = 5000  # keys looked up per round


def flag_held_elsewhere(batch: Batch) -> int:
    """Add a 跨乡镇冲突 warning to each keyed row whose record another township holds; returns how many rows."""
    if not batch.subcategory_id:
        return 0
    rows = list(batch.staged_rows.exclude(key=None).values_list("id", "row", "key", "place"))
    flagged: list[tuple[int, int, list[str]]] = []
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        holders = base_database().township_holders(batch.subcategory_code, [r[2] for r in part], same_subcategory=True)
        for pk, row, key, place in part:
            own = (place or batch.region_id)[:9]
            others = [code for code in holders.get(key, ()) if code != own]
            if others:
                flagged.append((pk, row, others))
    if flagged:
        _store(batch, flagged)
    return len(flagged) + flag_held_in_other_villages(batch, rows)


def village_of(batch: Batch) -> str | None:
    """The village of a village collector's batch (its owner, below its township), None for any other batch."""
    owner = batch.owner_id or ""
    return owner if len(owner) == VILLAGE_LENGTH and owner.startswith(batch.region_id) else None


def flag_held_in_other_villages(batch: Batch, rows: list[tuple]) -> int:
    """Warn at each row of a village collector's batch whose object the township holds outside the village."""
    village = village_of(batch)
    if village is None:
        return 0
    flagged: list[tuple[int, int, list[str]]] = []
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        holders = base_database().place_holders(batch.subcategory_code, [r[2] for r in part], batch.region_id)
        for pk, row, key, _place in part:
            outside = [place for place in holders.get(key, ()) if not place.startswith(village)]
            if outside:
                flagged.append((pk, row, sorted({place[:VILLAGE_LENGTH] for place in outside})))
    if flagged:
        person = batch.subcategory.category.domain.kind == EntityKind.PERSON
        _store(batch, flagged, lambda holders: village_message(holders, "此人" if person else "此对象"))
    return len(flagged)


def _store(batch: Batch, flagged: list[tuple[int, int, list[str]]], message=None) -> None:
    names = dict(Region.objects.filter(code__in={c for _pk, _row, codes in flagged for c in codes}).values_list(
        "code", "name"))  # fmt: skip
    key_item = _key_item(batch)
    column = batch.column_map.get(key_item, {})
    BatchIssue.objects.bulk_create(
        BatchIssue(
            batch=batch, staged_row_id=pk, row=row, column=column.get("header", "")[:200],
            column_index=column.get("index"), item=key_item, rule=IssueRule.CONFLICT, severity=WARNING,
            message=(message or held_message)("、".join(_name(names, c, batch) for c in codes)), value="",
        )
        for pk, row, codes in flagged
    )  # fmt: skip
    StagedRow.objects.unrestricted("intake: rows of the batch being verified").filter(
        pk__in=[pk for pk, _row, _codes in flagged]
    ).update(warnings=F("warnings") + 1)


def _name(names: dict, code: str, batch: Batch) -> str:
    if code == batch.region_id and village_of(batch):  # held by the township, placed in no village
        return f"{names.get(code, code)}（未落到村、社区）"
    return names.get(code, code)


def village_message(holders: str, subject: str = "此人") -> str:
    return (
        f"{subject}已由{holders}登记，本村（社区）不能修改其信息：审核入库时本行不会改动该记录，"
        "将转为冲突，由乡镇（街道）数据核验员处理；如已迁入本村（社区），请联系乡镇（街道）核验员"
    )


def held_message(townships: str) -> str:
    return (
        f"基础库中{townships}已登记此对象：审核入库时将作为跨乡镇冲突，由两乡镇共同的上级核验员处理；"
        "如已迁入本乡镇（街道），请在备注中说明"
    )


def _key_item(batch: Batch) -> str:
    from catalog.specs_build import build_table_spec

    keys = build_table_spec(batch.subcategory_code).key_items
    return keys[0] if keys else ""
