"""Verify-and-patch workbooks (核对式采集): a township's current records of a subcategory as a pre-filled template.

The workbook is the blank template of catalog.templates_xlsx (same sheets, formats, drop-downs and hidden metadata)
with one row per active record of the township. The township corrects what changed and uploads it as any other file;
the merge writes and versions only the items that really changed, the other rows come back "unchanged".

Personal items come in clear only to those who correct the township's data (its collectors and reviewing officers:
issue 11 item 8's exception, people must fix what they typed), and each such download is written to the
personal-data access log with the keyed hash of every record's key (regions.disclosure); anyone else who may view the
township gets them masked, as on the pages (such a user cannot upload for the township anyway; a collector who was
handed a masked file should download their own: masked ID numbers, phones and dates fail verification).
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
from regions.disclosure import Disclosure, record_disclosure

from .choices import RecordStatus
from .labels import PERSONAL, masked
from .models import Record

REASON = "核对式采集：本乡镇数据核对更正"
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


def _write_rows(ws, spec: TableSpec, rows, *, clear: bool) -> int:
    count = 0
    for offset, values in enumerate(rows):
        for col, item in enumerate(spec.items, start=1):
            value = values.get(item.key)
            if not clear and item.sensitivity == PERSONAL and value not in (None, ""):
                value = masked(item, value).text
            else:
                value = cell_value(item, value)
            if value is None:
                continue
            cell = ws.cell(FIRST_DATA_ROW + offset, col)
            if isinstance(value, str):
                put_value(cell, value)  # never a formula, even for text starting with "="
            else:
                cell.value = value
        count += 1
    return count


def may_correct_township(user, region_code: str, subcategory_code: str) -> bool:
    """Those who collect or review the township's data of the subcategory get its 核对表 with clear values."""
    return can(user, Action.UPLOAD, region_code, subcategory_code) or can(
        user, Action.REVIEW, region_code, subcategory_code
    )


def export_patch_workbook(subcategory_code: str, region_code: str, *, user) -> tuple[str, bytes]:
    """The pre-filled template of `region_code`'s active records of a subcategory: (file name, xlsx bytes); personal
    items in clear (and the download logged) for those who correct the township's data, masked for anyone else.

    PermissionDenied when the user may not view that township's records.
    """
    if not can(user, Action.VIEW, region_code):
        raise PermissionDenied("您没有查看该乡镇（街道）数据的权限。")
    spec = build_table_spec(subcategory_code)
    records = (
        Record.objects.restrict(user, Action.VIEW)
        .filter(subcategory__code=spec.code, region_id=region_code, status=RecordStatus.ACTIVE)
        .order_by("id")
    )
    total = records.count()
    clear = may_correct_township(user, region_code, spec.code)
    workbook = build_template([spec], rows=total + SPARE_ROWS)
    rows = records.values_list("values", flat=True).iterator(chunk_size=2000)
    _write_rows(workbook[table_sheet_title(spec)], spec, rows, clear=clear)
    buffer = io.BytesIO()
    workbook.save(buffer)
    if clear:
        keys = list(records.values_list("entity__key", flat=True))
        record_disclosure(Disclosure(user=user, region=region_code, endpoint="patch", reason=REASON, records=total,
                                     keys=keys, params={"subcategory": spec.code, "file": "核对表"}))  # fmt: skip
    return f"{spec.code}{spec.name}_{region_code}_核对表.xlsx", buffer.getvalue()
