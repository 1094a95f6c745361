# ruff: noqa: S608  -- SQL strings interpolate only model table names; values are parameters.
"""Which townships hold an entity: where a department's roster row goes when its file names no township, and whether
a house an upload names is another township's (issue 15 item 14); and which places of a township hold it: whether a
village collector reports a person of another village (issue 14).

The townships of the entity's active records (in any subcategory), read for a whole chunk of keys at once: a few
thousand keys per statement with the keys as one parameter (an array on PostgreSQL, a JSON list on SQLite).
"""

import json

from django.db import connection

from catalog.models import Subcategory

from .choices import RecordStatus
from .outcomes import PREVIEW_KEYS_PER_QUERY, T_ENTITY, T_RECORD, subcategory_kind


def township_holders(subcategory_code: str, keys: list[str], *, same_subcategory: bool = False) -> dict[str, list[str]]:
    """{key: sorted codes of the townships holding active records of the entity with this key} for the entity
    kind of `subcategory_code` (`same_subcategory`: records of that subcategory only, those a merge would conflict
    with); keys without an entity or without active records are left out."""
    sub = Subcategory.objects.select_related("category__domain").get(code=subcategory_code)
    only = f"AND r.subcategory_id = {int(sub.pk)} " if same_subcategory else ""
    sql = (
        f"SELECT DISTINCT e.key, r.region_id FROM {T_ENTITY} AS e JOIN {T_RECORD} AS r ON r.entity_id = e.id "
        f"WHERE e.kind = %s AND r.status = %s {only}AND e.key {_among()}"
    )
    found: dict[str, set[str]] = {}
    for key, region in _rows_for_keys(sql, [subcategory_kind(sub), RecordStatus.ACTIVE], keys):
        found.setdefault(key, set()).add(region)
    return {key: sorted(regions) for key, regions in found.items()}


def entity_holders(kind: str, keys: list[str], subcategory_code: str) -> dict[str, dict[str, bool]]:
    """{key: {township: whether it holds the entity's record of `subcategory_code`}} for the townships holding active
    records (of any subcategory) of the entity (`kind`, key); keys without an entity or active records are left out.
    A house code's house, whatever the subcategory of the upload naming it (collection/placing.py)."""
    sub = Subcategory.objects.filter(code=subcategory_code).values_list("pk", flat=True).first()
    sql = (
        f"SELECT e.key, r.region_id, MAX(CASE WHEN r.subcategory_id = %s THEN 1 ELSE 0 END) "
        f"FROM {T_ENTITY} AS e JOIN {T_RECORD} AS r ON r.entity_id = e.id "
        f"WHERE e.kind = %s AND r.status = %s AND e.key {_among()} GROUP BY e.key, r.region_id"
    )
    found: dict[str, dict[str, bool]] = {}
    for key, region, same in _rows_for_keys(sql, [sub or 0, kind, RecordStatus.ACTIVE], keys):
        found.setdefault(key, {})[region] = bool(same)
    return found


def place_holders(subcategory_code: str, keys: list[str], township: str) -> dict[str, list[str]]:
    """{key: sorted places (grid, village or the township itself) of the active records of `subcategory_code` in
    `township` whose entity has this key}; keys without such a record are left out."""
    sub = Subcategory.objects.select_related("category__domain").get(code=subcategory_code)
    sql = (
        f"SELECT e.key, r.place_id FROM {T_ENTITY} AS e JOIN {T_RECORD} AS r ON r.entity_id = e.id "
        f"WHERE e.kind = %s AND r.subcategory_id = %s AND r.region_id = %s AND r.status = %s AND e.key {_among()}"
    )
    found: dict[str, set[str]] = {}
    for key, place in _rows_for_keys(sql, [subcategory_kind(sub), sub.pk, township, RecordStatus.ACTIVE], keys):
        found.setdefault(key, set()).add(place or township)
    return {key: sorted(places) for key, places in found.items()}


def _among() -> str:
    """The SQL testing a value against the list of keys passed as one parameter."""
    return "= ANY(%s)" if connection.vendor == "postgresql" else "IN (SELECT value FROM json_each(%s))"


def _rows_for_keys(sql: str, params: list, keys: list[str]):
    """The rows of `sql` (whose last parameter is the list of keys) for all `keys`, a few thousand per statement."""
    pg = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for start in range(0, len(keys), PREVIEW_KEYS_PER_QUERY):
            part = list(keys[start : start + PREVIEW_KEYS_PER_QUERY])
            cursor.execute(sql, [*params, part if pg else json.dumps(part, ensure_ascii=False)])
            yield from cursor.fetchall()


def merge_counts_by_township(batch) -> dict[str, dict[str, int]]:
    """{township: {"created": n, "updated": n}} of what merging `batch` wrote, from its versions (a restore counts
    as created, as in MergeResult): the per-township part of a department roster's summary."""
    from django.db.models import Count

    from .choices import VersionAction
    from .models import RecordVersion

    counts: dict[str, dict[str, int]] = {}
    actions = (VersionAction.CREATE, VersionAction.RESTORE, VersionAction.UPDATE)
    rows = (
        RecordVersion.objects.unrestricted("merge summary: the versions the batch wrote")
        .filter(batch=batch, action__in=actions)
        .values_list("region_id", "action")
    )
    rows = rows.annotate(n=Count("id"))
    for region, action, n in rows.order_by():
        name = "updated" if action == VersionAction.UPDATE else "created"
        entry = counts.setdefault(region, {"created": 0, "updated": 0})
        entry[name] += n
    return counts
