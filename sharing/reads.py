"""The sharing API's reads: records, one entity, batch matching, the change feed and counts.

Each function takes the request's principal (a sharing.auth.ClientPrincipal), scopes through
regions.access.restrict (regions) and scoping.restrict_subcategories (subcategories), masks through
client_values.ItemInfo, and returns a `Read`: the body plus what the access log needs (records returned, personal?).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count

from basedb.choices import RecordStatus
from basedb.history import change_pairs
from basedb.models import Entity, Record, RecordVersion
from catalog.spec import ID_CARD, USCC
from grassroots.text import entity_key
from regions.access import restrict
from regions.models import prefix_bounds

from .client_values import ItemInfo
from .query import Condition, apply_conditions
from .scoping import allowed_subcategories, client_subcategory, restrict_subcategories, spec_for

MAX_PAGE_SIZE = 100
MAX_MATCH_KEYS = 10_000
MATCH_KEYS_PER_QUERY = 5_000  # well under the bound-parameter limits of SQLite (32766) and PostgreSQL (65535)


@dataclass
class Read:
    """What an endpoint returns and what the access log needs to know about it."""

    body: dict
    records: int = 0
    personal: bool = False
    log_params: dict = field(default_factory=dict)
    matched: set[str] = field(default_factory=set)  # of a lookup by keys: the normalised keys found in scope


def _is_key_lookup(condition: Condition) -> bool:
    return condition.item_type in (ID_CARD, USCC) and condition.operator in ("eq", "in")


def lookup_keys(conditions: list[Condition]) -> list[str] | None:
    """The ID numbers (or credit codes) a /records filter looks up (`v.id_number=`, `v.id_number__in=`), or None."""
    keys = [v for c in conditions if _is_key_lookup(c) for v in (c.value if c.operator == "in" else [c.value])]
    return keys or None


def _lookup_matches(queryset, conditions: list[Condition]) -> set[str]:
    """The looked-up keys that the filtered, scoped queryset holds (all of them, not only the page's)."""
    found = set()
    for condition in filter(_is_key_lookup, conditions):
        found |= {entity_key(v) for v in queryset.values_list(f"values__{condition.item}", flat=True).distinct()}
    return found


def _redacted(conditions: list[Condition]) -> dict:
    """Access log parameters of the key filters: how many keys, never the ID numbers (they are logged hashed)."""
    params = {}
    for c in filter(_is_key_lookup, conditions):
        param = f"v.{c.item}" + ("" if c.operator == "eq" else f"__{c.operator}")
        params[param] = f"{len(c.value) if c.operator == 'in' else 1} 个标识（摘要见访问日志标识）"
    return params


def _scoped_records(user):
    return restrict_subcategories(restrict(Record.objects.filter(status=RecordStatus.ACTIVE), user), user.api_client)


def _region_filter(queryset, region: str | None, field: str = "region_id"):
    if not region:
        return queryset
    low, high = prefix_bounds(region)
    return queryset.filter(**{f"{field}__gte": low, f"{field}__lt": high})


def records_page(
    user,
    *,
    subcategory: str,
    region: str | None = None,
    updated_since: datetime | None = None,
    fields: list[str] | None = None,
    conditions: list[Condition] = (),
    after: tuple[str, int] | None = None,
    size: int = MAX_PAGE_SIZE,
) -> Read:
    """One keyset page of the client's records of one subcategory, ordered by (region, id) after the cursor `after`.

    The order follows the index (subcategory, region, id), so a page reads about `size` index entries whatever the
    region's share of the table (ordering by id alone scans and discards the other regions' rows)."""
    client = user.api_client
    sub_id, spec = client_subcategory(client, subcategory)
    info = ItemInfo(spec)
    queryset = _region_filter(_scoped_records(user).filter(subcategory_id=sub_id), region)
    if updated_since is not None:
        queryset = queryset.filter(updated_at__gte=updated_since)
    queryset = filtered = apply_conditions(queryset, list(conditions)).order_by("region_id", "id")
    if after is not None:
        # A row-value comparison, which the index serves as one range; the ORM has no public spelling for it.
        # Only the model's table name is interpolated; the cursor's values are bound parameters.
        where = f'("{Record._meta.db_table}"."region_id", "{Record._meta.db_table}"."id") > (%s, %s)'
        queryset = queryset.extra(where=[where], params=list(after))  # noqa: S610
    rows = list(
        queryset.values_list(
            "id", "entity__kind", "entity__key", "entity__public_id", "region_id", "values", "version", "updated_at"
        )[: size + 1]
    )  # fmt: skip
    more = len(rows) > size
    results, personal = [], False
    for pk, kind, key, public_id, region_id, values, version, updated_at in rows[:size]:
        shown_key, key_personal = info.entity_key(key, client.max_sensitivity)
        shown, values_personal = info.values(values, client.max_sensitivity, fields, key=key)
        personal = personal or key_personal or values_personal
        results.append(
            {
                "id": pk, "entity": {"kind": kind, "key": shown_key, "id": public_id}, "subcategory": subcategory,
                "region": region_id, "version": version, "updated_at": updated_at, "values": shown,
            }
        )  # fmt: skip
    cursor = f"{results[-1]['region']}_{results[-1]['id']}" if more else None
    read = Read({"results": results, "next_cursor": cursor}, len(results), personal, _redacted(list(conditions)))
    if lookup_keys(list(conditions)) is not None:
        read.matched = _lookup_matches(filtered, list(conditions))
    return read


def find_entity(*, kind: str | None = None, key: str | None = None, public_id: str | None = None) -> Entity | None:
    """The entity named by (kind, key) — a POST look-up — or by its public id (GET /entities/{id}/), if any."""
    if public_id is not None:
        return (
            Entity.objects.unrestricted("API look-up: its records are restricted after, none -> 404")
            .filter(public_id=public_id)
            .first()
        )
    return (
        Entity.objects.unrestricted("API look-up: its records are restricted after, none -> 404")
        .filter(kind=kind, key=entity_key(key))
        .first()
    )


def entity_detail(user, entity: Entity | None, *, kind_sent: str | None = None) -> Read:
    """One entity with every record the client may see; an empty body (→ 404) when it sees none. `kind_sent`: the
    client looked the entity up by kind and key, so the key is shown as sent; else (by public id) the key is shown
    as the client's sensitivity allows."""
    key_sent = kind_sent is not None
    client = user.api_client
    records = [] if entity is None else list(
        _scoped_records(user).filter(entity=entity).order_by("id")
        .values_list("id", "subcategory__code", "region_id", "values", "version", "updated_at")
    )  # fmt: skip
    personal, results, shown_key = False, [], None
    for pk, code, region_id, values, version, updated_at in records:
        info = ItemInfo(spec_for(code))
        shown, values_personal = info.values(values, client.max_sensitivity, key=entity.key)
        personal = personal or values_personal or info.key_personal
        if shown_key is None:
            shown_key = entity.key if key_sent else info.entity_key(entity.key, client.max_sensitivity)[0]
        results.append(
            {"id": pk, "subcategory": code, "region": region_id, "version": version, "updated_at": updated_at,
             "values": shown}
        )  # fmt: skip
    # A lookup of a person's ID number is a read of personal data even when nothing is found.
    personal = personal or kind_sent == "person"
    matched = {entity.key} if results else set()
    if not results:
        return Read({}, 0, personal, matched=matched)
    body = {"id": entity.public_id, "kind": entity.kind, "key": shown_key, "records": results}
    return Read(body, len(results), personal, matched=matched)


def match_keys(user, *, keys: list[str], subcategories: list[str], fields: list[str]) -> Read:
    """Batch matching: for each key (as sent), which of `subcategories` hold it within scope, and the `fields`."""
    client = user.api_client
    subs = {code: client_subcategory(client, code, param="subcategories") for code in subcategories}
    infos = {code: ItemInfo(spec) for code, (_pk, spec) in subs.items()}
    code_of = {pk: code for code, (pk, _spec) in subs.items()}
    normalised = {entity_key(k) for k in keys}
    found: dict[str, dict[str, dict]] = defaultdict(dict)
    personal = any(info.key_personal for info in infos.values())
    for kind in {spec.kind for _pk, spec in subs.values()}:
        sub_ids = [pk for pk, spec in subs.values() if spec.kind == kind]
        ordered = sorted(normalised)
        for start in range(0, len(ordered), MATCH_KEYS_PER_QUERY):
            chunk = ordered[start : start + MATCH_KEYS_PER_QUERY]
            queryset = _scoped_records(user).filter(
                subcategory_id__in=sub_ids, entity__kind=kind, entity__key__in=chunk
            )
            # Only the requested items come back from the database, not whole values documents.
            columns = ("entity__key", "subcategory_id", *(f"values__{f}" for f in fields))
            for key, sub_id, *picked in queryset.order_by().values_list(*columns):
                code = code_of[sub_id]
                shown = {}
                if fields:
                    present = {f: v for f, v in zip(fields, picked, strict=True) if v is not None}
                    shown, values_personal = infos[code].values(present, client.max_sensitivity, key=key)
                    personal = personal or values_personal
                found[key][code] = shown
    results = []
    for raw in keys:
        held = found.get(entity_key(raw), {})
        entry = {"key": raw, "matched": [c for c in subcategories if c in held]}
        if fields:
            entry["records"] = {c: held[c] for c in entry["matched"]}
        results.append(entry)
    matched = sum(1 for r in results if r["matched"])
    body = {"results": results, "matched_keys": matched}
    log_params = {"keys": len(keys), "subcategories": subcategories, "fields": fields}
    return Read(body, sum(len(v) for v in found.values()), personal, log_params, set(found))


def changes_page(user, *, after: int = 0, size: int = MAX_PAGE_SIZE, subcategory: str | None = None) -> Read:
    """The feed of record versions (create, update, retire, restore, resolve) after version id `after`, in id order.

    Exactly once across pages: every writer of versions (merge, revert, conflict resolution) takes
    basedb.history.lock_change_feed() before its first version and holds it to commit, so version ids become
    visible in increasing order and a reader never steps over a version committed later."""
    client = user.api_client
    queryset = restrict_subcategories(restrict(RecordVersion.objects.all(), user), client)
    if subcategory:
        queryset = queryset.filter(subcategory_id=client_subcategory(client, subcategory)[0])
    rows = list(
        queryset.filter(id__gt=after).order_by("id").values_list(
            "id", "record_id", "record__entity__kind", "record__entity__key", "record__entity__public_id",
            "subcategory_id", "region_id", "action", "version", "changes", "created_at",
        )[: size + 1]
    )  # fmt: skip
    more = len(rows) > size
    code_of = {pk: code for code, pk in allowed_subcategories(client).items()}
    infos: dict[str, ItemInfo] = {}
    results, personal = [], False
    for pk, record_id, kind, key, public_id, sub_id, region_id, action, version, changes, created_at in rows[:size]:
        code = code_of[sub_id]
        info = infos.get(code) or infos.setdefault(code, ItemInfo(spec_for(code)))
        shown_key, key_personal = info.entity_key(key, client.max_sensitivity)
        shown, hidden, changes_personal = info.changes(change_pairs(action, changes), client.max_sensitivity, key)
        personal = personal or key_personal or changes_personal
        results.append(
            {
                "id": pk, "record": record_id, "entity": {"kind": kind, "key": shown_key, "id": public_id},
                "subcategory": code,
                "region": region_id, "action": action, "version": version, "changes": shown,
                "hidden_items": hidden, "time": created_at,
            }
        )  # fmt: skip
    cursor = results[-1]["id"] if results else after
    return Read({"results": results, "next_cursor": cursor, "has_more": more}, len(results), personal)


def record_counts(user, *, region: str | None = None) -> Read:
    """Active records by township and subcategory within the client's scope."""
    client = user.api_client
    code_of = {pk: code for code, pk in allowed_subcategories(client).items()}
    rows = (
        _region_filter(_scoped_records(user), region)
        .values("region_id", "subcategory_id")
        .annotate(n=Count("id"))
        .order_by("region_id", "subcategory_id")
    )
    counts = [{"region": r["region_id"], "subcategory": code_of[r["subcategory_id"]], "count": r["n"]} for r in rows]
    by_sub: dict[str, int] = defaultdict(int)
    for row in counts:
        by_sub[row["subcategory"]] += row["count"]
    return Read({"counts": counts, "by_subcategory": dict(sorted(by_sub.items())), "total": sum(by_sub.values())})
