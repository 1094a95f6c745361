"""Conflicts surface at verification, not after approval: a row whose object another township already holds in the
base database (a record of the same subcategory) gets a warning naming that township, so the collector can check
it (a person who moved in) before the officer meets it as a conflict."""

from django.db.models import F

from regions.models import Region

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
    return len(flagged)


def _store(batch: Batch, flagged: list[tuple[int, int, list[str]]]) -> None:
    names = dict(Region.objects.filter(code__in={c for _pk, _row, codes in flagged for c in codes}).values_list(
        "code", "name"))  # fmt: skip
    key_item = _key_item(batch)
    column = batch.column_map.get(key_item, {})
    BatchIssue.objects.bulk_create(
        BatchIssue(
            batch=batch, staged_row_id=pk, row=row, column=column.get("header", "")[:200],
            column_index=column.get("index"), item=key_item, rule=IssueRule.CONFLICT, severity=WARNING,
            message=held_message("、".join(names.get(c, c) for c in codes)), value="",
        )
        for pk, row, codes in flagged
    )  # fmt: skip
    StagedRow.objects.unrestricted("intake: rows of the batch being verified").filter(
        pk__in=[pk for pk, _row, _codes in flagged]
    ).update(warnings=F("warnings") + 1)


def held_message(townships: str) -> str:
    return (
        f"基础库中{townships}已登记此对象：审核入库时将作为跨乡镇冲突，由两乡镇共同的上级核验员处理；"
        "如已迁入本乡镇（街道），请在备注中说明"
    )


def _key_item(batch: Batch) -> str:
    from catalog.specs_build import build_table_spec

    keys = build_table_spec(batch.subcategory_code).key_items
    return keys[0] if keys else ""
