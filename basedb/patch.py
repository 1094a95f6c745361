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

from datetime import date
from functools import partial

from django.core.exceptions import PermissionDenied

from catalog.choices import ElementType
from catalog.spec import ItemSpec, TableSpec
from catalog.specs_build import build_table_spec
from catalog.templates_xlsx import build_template
from regions.access import can
from regions.choices import Action
from regions.disclosure import Disclosure, record_disclosure

from .choices import RecordStatus
from .labels import PERSONAL, masked
from .models import Record

REASON = "核对式采集：本乡镇数据核对更正"
SPARE_ROWS = 200  # empty formatted rows after the records, for new entries
CHUNK_ROWS = 2000  # records read from the database at a time
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


def _converter(item: ItemSpec):
    """`cell_value` of one item as a function of the value alone; text and code items (most columns) take a shortcut
    with the same result."""
    if item.type == ElementType.BOOLEAN or item.type == ElementType.DATE or item.type in NUMERIC:
        return partial(cell_value, item)
    labels = item.code_table.labels if item.code_table is not None and item.code_table.labels else {}

    def text(value):
        if value is None or value == "":
            return None
        value = str(value)
        return labels.get(value, value)

    return text


def _row_values(spec: TableSpec, clear: bool):
    """The function that turns a record's stored values into its row of the 核对表 (cells in item order)."""
    items = [(item.key, item, _converter(item), not clear and item.sensitivity == PERSONAL) for item in spec.items]

    def row(values: dict) -> list:
        cells = []
        for key, item, convert, hide in items:
            value = values.get(key)
            cells.append(masked(item, value).text if hide and value not in (None, "") else convert(value))
        return cells

    return row


def may_correct_township(user, region_code: str, subcategory_code: str) -> bool:
    """Those who collect or review the township's data of the subcategory get its 核对表 with clear values."""
    return can(user, Action.UPLOAD, region_code, subcategory_code) or can(
        user, Action.REVIEW, region_code, subcategory_code
    )


def export_patch_workbook(subcategory_code: str, region_code: str, target, *, user) -> str:
    """Write the pre-filled template of `region_code`'s active records of a subcategory into `target` (a path or a
    binary file object) and return its file name; personal items in clear (and the download logged) for those who
    correct the township's data, masked for anyone else.

    The records are read in chunks and written as they come (XlsxWriter's constant-memory mode), so memory does not
    grow with the township. PermissionDenied (before anything is written) when the user may not view that township's
    records.
    """
    if not can(user, Action.VIEW, region_code):
        raise PermissionDenied("您没有查看该乡镇（街道）数据的权限。")
    spec = build_table_spec(subcategory_code)
    records = (
        Record.objects.restrict(user, Action.VIEW)
        .filter(subcategory__code=spec.code, region_id=region_code, status=RecordStatus.ACTIVE)
        .order_by("id")
    )
    clear = may_correct_township(user, region_code, spec.code)
    row_values, keys = _row_values(spec, clear), []

    def rows():
        for key, values in records.values_list("entity__key", "values").iterator(chunk_size=CHUNK_ROWS):
            keys.append(key)  # the people written, for the access log
            yield row_values(values)

    build_template([spec], target, rows=SPARE_ROWS, data={spec.code: rows()})
    if clear:
        record_disclosure(Disclosure(user=user, region=region_code, endpoint="patch", reason=REASON, records=len(keys),
                                     keys=keys, params={"subcategory": spec.code, "file": "核对表"}))  # fmt: skip
    return f"{spec.code}{spec.name}_{region_code}_核对表.xlsx"
