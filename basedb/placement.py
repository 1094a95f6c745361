# ruff: noqa: S608  -- SQL strings interpolate only model table names and constants; values are parameters.
"""Where records are placed: the lowest region known inside their township (a grid, else a village, else the
township), derived from their grid and address items (catalog roles grid, location, address) by
regions/placement.py, never typed in twice.

Who places:
- intake places each staged row (collection/placing.py) and the merge gives that place to the records it creates;
- the merge places again the records whose grid or address items it changed (merge.py, from the merged values);
- `refresh_places` places given records again (revert, conflict resolution), `place_records` (the command of the
  same name) every record of a region: after the region tree changed, which regions/placement.tree_changed reports
  (generate_sample_villages, load_regions);
- `place_manually`: the unplaced-records page. A manual place wins over derivation until the record's placement items
  change (the merge resets it then; `place_records` leaves it alone).

Reading is column-wise: the placement items come out of the JSON values in SQL (`values ->> 'grid'`), whole columns
are placed with pandas, and only the changed places are written back with one UPDATE ... FROM a temporary table.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.fields.json import KT

from catalog.choices import ElementRole
from catalog.models import DataElement
from collection.staging import insert_rows
from regions.access import can
from regions.audit import record_event
from regions.choices import Action, AuditVerb, RegionLevel
from regions.models import Region, prefix_bounds
from regions.placement import TOWNSHIP_LENGTH, Placer

from .choices import RecordStatus
from .models import Record
from .summaries import compact_counts, count_moves_sql

READ_CHUNK = 50_000
T_RECORD = Record._meta.db_table


def placement_keys() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(grid items, address items) of the whole catalog, as TableSpec.placement_keys orders them for one table:
    the grid items, then where the entity is (location) before the other addresses."""
    roles = list(DataElement.objects.order_by("pk").values_list("key", "roles"))
    grids = tuple(k for k, r in roles if ElementRole.GRID in (r or ()))
    locations = tuple(k for k, r in roles if ElementRole.LOCATION in (r or ()))
    others = tuple(k for k, r in roles if ElementRole.ADDRESS in (r or ()) and k not in locations)
    return grids, locations + others


def first_filled(columns: list[np.ndarray], n: int) -> np.ndarray:
    """Per row, the first of these columns with a non-empty value (None when none has one)."""
    result = np.full(n, None, dtype=object)
    for column in columns:
        empty = np.array([v is None or v == "" for v in result], dtype=bool)
        result = np.where(empty, column, result)
    return result


def derive_places(placer: Placer, townships, rows: list[dict], keys=None, floor: str | None = None) -> np.ndarray:
    """The place of each of these value documents (dicts) in its township (one code, or one per row); `floor`, a
    village code: every place stays inside it (a village collector's batch)."""
    grid_keys, address_keys = keys or placement_keys()
    n = len(rows)
    grids = first_filled([np.array([r.get(k) for r in rows], dtype=object) for k in grid_keys], n)
    addresses = [np.array([r.get(k) for r in rows], dtype=object) for k in address_keys]
    return placer.place(townships, grids, addresses, floor=floor).places


@dataclass
class PlaceReport:
    """What a placement pass did: records read, places changed, and how many end at each level."""

    records: int = 0
    changed: int = 0
    levels: dict[str, int] = field(default_factory=dict)

    def add_levels(self, places: np.ndarray) -> None:
        lengths = {12: RegionLevel.VILLAGE, 15: RegionLevel.GRID}
        for place in places:
            level = lengths.get(len(place), RegionLevel.TOWNSHIP)
            self.levels[level] = self.levels.get(level, 0) + 1


def _write_places(changed: list[tuple[int, str]], *, manual: bool | None = False) -> None:
    """Set the place of these (record id, place) pairs in one UPDATE ... FROM a temporary table; `manual` sets
    place_manual too (None leaves it)."""
    if not changed:
        return
    pg = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS placement_new")
        columns = "record_id bigint PRIMARY KEY, place varchar(15)"
        cursor.execute(f"CREATE TEMPORARY TABLE placement_new ({columns}){' ON COMMIT DROP' if pg else ''}")
        insert_rows(cursor, "placement_new", ("record_id", "place"), changed)
        # The board's counts move with the active records (before the update: the old places are still there).
        source = f"FROM {T_RECORD} AS r JOIN placement_new AS n ON n.record_id = r.id WHERE r.status = %s"
        count_moves_sql(cursor, source, "n.place", [RecordStatus.ACTIVE])
        flag, params = ("", []) if manual is None else (", place_manual = %s", [manual])
        cursor.execute(
            f"UPDATE {T_RECORD} SET place_id = n.place{flag} FROM placement_new AS n WHERE {T_RECORD}.id = n.record_id",
            params,
        )
        cursor.execute("DROP TABLE placement_new")


def _place_rows(placer: Placer, rows: list[tuple], keys, report: PlaceReport) -> list[tuple[int, str]]:
    """Place rows of (id, region, place, *grid items, *address items); the (id, new place) pairs that changed."""
    grid_keys, address_keys = keys
    n = len(rows)
    columns = list(zip(*rows, strict=True)) if rows else [()] * (3 + len(grid_keys) + len(address_keys))
    ids, townships, current = columns[0], np.array(columns[1], dtype=object), columns[2]
    grid_columns = [np.array(c, dtype=object) for c in columns[3 : 3 + len(grid_keys)]]
    grids = first_filled(grid_columns, n)
    addresses = [np.array(c, dtype=object) for c in columns[3 + len(grid_keys) :]]
    places = placer.place(townships, grids, addresses).places
    report.records += n
    report.add_levels(places)
    return [(i, p) for i, p, old in zip(ids, places, current, strict=True) if p != old]


def _placement_rows(records, keys) -> Iterable[list[tuple]]:
    """Chunks of (id, region, place, *grid items, *address items) of these records, by id."""
    grid_keys, address_keys = keys
    extracted = {f"k{n}": KT(f"values__{key}") for n, key in enumerate((*grid_keys, *address_keys))}
    columns = ("id", "region_id", "place_id", *extracted)
    last = 0
    while True:
        page = records.filter(id__gt=last).annotate(**extracted).order_by("id").values_list(*columns)
        chunk = list(page[:READ_CHUNK])
        if not chunk:
            return
        yield chunk
        last = chunk[-1][0]


def _replace(records, *, placer: Placer | None = None) -> PlaceReport:
    placer, keys, report = placer or Placer(), placement_keys(), PlaceReport()
    for chunk in _placement_rows(records, keys):
        placer.preload({row[1] for row in chunk})
        changed = _place_rows(placer, chunk, keys, report)
        _write_places(changed)
        report.changed += len(changed)
    if report.changed:
        notify_placement_changed()
    return report


@transaction.atomic
def place_records(region: str | None = None, *, include_manual: bool = False) -> PlaceReport:
    """Place every record of `region` (a code prefix; None: the whole database) again from its items; manual places
    are kept unless `include_manual`. Idempotent: a second pass changes nothing."""
    records = Record.objects.unrestricted(
        "placement: the place_records command and region-tree changes place every record"
    ).all()
    if region:
        low, high = prefix_bounds(region)
        records = records.filter(region_id__gte=low, region_id__lt=high)
    if not include_manual:
        records = records.filter(place_manual=False)
    report = _replace(records)
    if report.changed:  # a pass that moved records is on record (the command line's, or the region tree's change)
        compact_counts(region)
        record_event(AuditVerb.PLACE, actor=None, object_type="regions.region", object_id=region or "",
                     label=f"重新落位 {region or '全部'}", region=region or None,
                     after={"records": report.records, "changed": report.changed, **report.levels})  # fmt: skip
    return report


def refresh_places(record_ids: Iterable[int]) -> PlaceReport:
    """Place these records again from their items, manual places included (their items changed, or their township):
    revert and conflict resolution call it for the records they changed."""
    ids = sorted(set(record_ids))
    report = PlaceReport()
    for start in range(0, len(ids), READ_CHUNK):
        part = ids[start : start + READ_CHUNK]
        report_part = _replace(
            Record.objects.unrestricted("placement: records a merge, revert or conflict resolution changed").filter(
                id__in=part
            )
        )
        Record.objects.unrestricted("placement: records a merge, revert or conflict resolution changed").filter(
            id__in=part, place_manual=True
        ).update(place_manual=False)
        report.records += report_part.records
        report.changed += report_part.changed
    return report


WHOLE_PASS_TOWNSHIPS = 20  # more changed townships than this: one pass over every record


def places_on_tree_change(townships: list[str]) -> None:
    """regions.placement.tree_changed subscriber: the townships' villages or grids changed, place their records."""
    if len(townships) > WHOLE_PASS_TOWNSHIPS:
        place_records()
        return
    for township in townships:
        place_records(township)


# ---- placing by hand ----------------------------------------------------------------------------------------------


def placement_choices(township: str) -> list[Region]:
    """The villages and grids of a township a record may be placed in by hand, in code order."""
    _low, high = prefix_bounds(township)
    below = Region.objects.filter(code__gt=township, code__lt=high, level__in=[RegionLevel.VILLAGE, RegionLevel.GRID])
    return list(below.only("code", "name", "level").order_by("code"))


@transaction.atomic
def place_manually(record_ids: Iterable[int], place: str, *, acting_user) -> int:
    """Place these records by hand in `place` (a village or grid): it wins over derivation until their placement
    items change. The acting user must be allowed to upload in each record's township; records of another township
    than the place's are refused. Returns how many records were placed."""
    target = Region.objects.filter(code=place, level__in=[RegionLevel.VILLAGE, RegionLevel.GRID]).first()
    if target is None:
        raise ValidationError("请选择要落到的村（社区）或网格。")
    township = place[:TOWNSHIP_LENGTH]
    if not can(acting_user, Action.UPLOAD, township):
        raise PermissionDenied("您没有调整该乡镇（街道）记录落位的权限。")
    ids = sorted(set(record_ids))
    records = Record.objects.restrict(acting_user, Action.UPLOAD).filter(id__in=ids)
    elsewhere = records.filter(~Q(region_id=township)).count()
    if elsewhere or records.count() != len(ids):
        raise ValidationError(f"所选记录须都属于{target.name}所在的乡镇（街道）。")
    _write_places([(i, place) for i in ids], manual=True)
    _log_manual(acting_user, target, len(ids))
    record_event(AuditVerb.PLACE, actor=acting_user, obj=target, region=township, label=str(target),
                 after={"place": place, "records": len(ids)})  # fmt: skip
    notify_placement_changed()
    return len(ids)


def _log_manual(user, target: Region, count: int) -> None:
    """The manual placement in the admin's change log (who, when, how many, where)."""
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.create(
        user_id=user.pk, content_type=ContentType.objects.get_for_model(Region), object_id=target.code,
        object_repr=str(target)[:200], action_flag=CHANGE, change_message=f"人工落位：{count} 条记录落到{target.name}",
    )  # fmt: skip


# ---- counting -----------------------------------------------------------------------------------------------------


def unplaced(records):
    """The active records among `records` placed no lower than their township (no village or grid known)."""
    return records.filter(status=RecordStatus.ACTIVE, place_id=F("region_id"))


# Apps above basedb that copy a record's place (matching's work-list entries) register here and are called after a
# transaction changed places without changing values (values changes go through basedb.history's change feed).
_placement_subscribers: list[Callable[[], None]] = []


def subscribe_to_placement(callback: Callable[[], None]) -> None:
    """Run `callback()` after every committed transaction that moved records to other places. Idempotent."""
    if callback not in _placement_subscribers:
        _placement_subscribers.append(callback)


def notify_placement_changed() -> None:
    for callback in list(_placement_subscribers):
        transaction.on_commit(callback)
