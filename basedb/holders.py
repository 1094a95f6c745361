# ruff: noqa: S608  -- SQL strings interpolate only model table names; values are parameters.
"""Which townships hold an entity: where a department's roster row goes when its file names no township; and
which places of a township hold it: whether a village collector reports a person of another village (issue 14).

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
    pg = connection.vendor == "postgresql"
    among = "= ANY(%s)" if pg else "IN (SELECT value FROM json_each(%s))"
    only = f"AND r.subcategory_id = {int(sub.pk)} " if same_subcategory else ""
    sql = (
        f"SELECT DISTINCT e.key, r.region_id FROM {T_ENTITY} AS e JOIN {T_RECORD} AS r ON r.entity_id = e.id "
        f"WHERE e.kind = %s AND r.status = %s {only}AND e.key {among}"
    )
    found: dict[str, set[str]] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(keys), PREVIEW_KEYS_PER_QUERY):
            part = list(keys[start : start + PREVIEW_KEYS_PER_QUERY])
            param = part if pg else json.dumps(part, ensure_ascii=False)
            cursor.execute(sql, [subcategory_kind(sub), RecordStatus.ACTIVE, param])
            for key, region in cursor.fetchall():
                found.setdefault(key, set()).add(region)
    return {key: sorted(regions) for key, regions in found.items()}


def place_holders(subcategory_code: str, keys: list[str], township: str) -> dict[str, list[str]]:
    """{key: sorted places (grid, village or the township itself) of the active records of `subcategory_code` in
    `township` whose entity has this key}; keys without such a record are left out."""
    sub = Subcategory.objects.select_related("category__domain").get(code=subcategory_code)
    pg = connection.vendor == "postgresql"
    among = "= ANY(%s)" if pg else "IN (SELECT value FROM json_each(%s))"
    sql = (
        f"SELECT e.key, r.place_id FROM {T_ENTITY} AS e JOIN {T_RECORD} AS r ON r.entity_id = e.id "
        f"WHERE e.kind = %s AND r.subcategory_id = %s AND r.region_id = %s AND r.status = %s AND e.key {among}"
    )
    found: dict[str, set[str]] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(keys), PREVIEW_KEYS_PER_QUERY):
            part = list(keys[start : start + PREVIEW_KEYS_PER_QUERY])
            param = part if pg else json.dumps(part, ensure_ascii=False)
            cursor.execute(sql, [subcategory_kind(sub), sub.pk, township, RecordStatus.ACTIVE, param])
            for key, place in cursor.fetchall():
                found.setdefault(key, set()).add(place or township)
    return {key: sorted(places) for key, places in found.items()}


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
