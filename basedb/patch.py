"""Verify-and-patch workbooks (核对式采集): a township's current records of a subcategory as a pre-filled template.

The workbook is the blank template of catalog.templates_xlsx (same sheets, formats, drop-downs and hidden metadata)
with one row per active record of the township. The township corrects what changed and uploads it as any other file;
the merge writes and versions only the items that really changed, the other rows come back "unchanged".
"""

import io
from datetime import date

from django.core.exceptions import PermissionDenied

from catalog.choices import ElementType
from catalog.spec import ItemSpec, TableSpec
from catalog.specs_build import build_table_spec
from catalog.templates_xlsx import FIRST_DATA_ROW, build_template, table_sheet_title
from grassroots.xlsx import put_value
from regions.access import can
from regions.choices import Action

from .choices import RecordStatus
from .models import Record

SPARE_ROWS = 200  # empty formatted rows after the records, for new entries
NUMERIC = (ElementType.INTEGER, ElementType.DECIMAL)


def cell_value(item: ItemSpec, value):
    """A stored (normalised) value as the township would type it: code labels, 是/否, dates, numbers, else text."""
    if value is None or value == "":
        return None
    if item.type == ElementType.BOOLEAN:
        return "是" if value in (True, "true", "1", 1) else "否"
    if item.code_table is not None and item.code_table.labels and str(value) in item.code_table.labels:
        return item.code_table.labels[str(value)]
    if item.type == ElementType.DATE:
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            return str(value)
    if item.type in NUMERIC and isinstance(value, int | float):
        return value
    return str(value)


def _write_rows(ws, spec: TableSpec, rows) -> int:
    count = 0
    for offset, values in enumerate(rows):
        for col, item in enumerate(spec.items, start=1):
            value = cell_value(item, values.get(item.key))
            if value is None:
                continue
            cell = ws.cell(FIRST_DATA_ROW + offset, col)
            if isinstance(value, str):
                put_value(cell, value)  # never a formula, even for text starting with "="
            else:
                cell.value = value
        count += 1
    return count


def export_patch_workbook(subcategory_code: str, region_code: str, *, user) -> tuple[str, bytes]:
    """The pre-filled template of `region_code`'s active records of a subcategory: (file name, xlsx bytes).

    PermissionDenied when the user may not view that township's records.
    """
    if not can(user, Action.VIEW, region_code):
        raise PermissionDenied("您没有查看该乡镇（街道）数据的权限。")
    spec = build_table_spec(subcategory_code)
    records = (
        Record.objects.restrict(user, Action.VIEW)
        .filter(subcategory__code=spec.code, region_id=region_code, status=RecordStatus.ACTIVE)
        .order_by("id")
        .values_list("values", flat=True)
    )
    total = records.count()
    workbook = build_template([spec], rows=total + SPARE_ROWS)
    _write_rows(workbook[table_sheet_title(spec)], spec, records.iterator(chunk_size=2000))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return f"{spec.code}{spec.name}_{region_code}_核对表.xlsx", buffer.getvalue()
