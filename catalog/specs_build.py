"""Building the verification view (catalog.spec.TableSpec) of subcategories from the loaded catalog.

The intake pipeline calls `current_specs()` (all active subcategories, cached per catalog version) or
`build_table_spec(code)` (one subcategory, always fresh). Queries are per kind, never per item.
"""

import threading
from collections.abc import Iterable, Iterator, Mapping

from grassroots.text import lookup_key

from .choices import ElementType
from .models import CatalogVersion, CodeTable, CodeValue, DataItem, Subcategory
from .spec import CodeTableSpec, CrossRuleSpec, ItemSpec, TableSpec

# ItemSpec field for each catalog rule name (see docs/catalog.md, "rules").
RULE_FIELDS = {
    "min_length": "min_length",
    "max_length": "max_length",
    "pattern": "pattern",
    "pattern_hint": "pattern_hint",
    "min": "min_value",
    "max": "max_value",
    "min_exclusive": "min_exclusive",
    "not_future": "not_future",
    "min_date": "min_date",
}

_cache_lock = threading.Lock()
_cache: dict[str, object] = {"token": None, "specs": None}


def current_version() -> CatalogVersion | None:
    """The catalog version currently loaded, or None before the first `load_catalog`."""
    return CatalogVersion.objects.filter(is_current=True).first()


def build_code_table_spec(table: CodeTable, values: Iterable[CodeValue]) -> CodeTableSpec:
    """A code table's lookup: every code, label and alias (normalised) mapped to its code."""
    lookup: dict[str, str] = {}
    labels: dict[str, str] = {}
    for value in values:
        labels[value.code] = value.label
        for form in (*value.aliases, value.label, value.code):  # the code itself wins over any other form
            lookup[lookup_key(form)] = value.code
    return CodeTableSpec(code=table.code, name=table.name, lookup=lookup, labels=labels, standard=table.standard)


def _code_table_specs(table_ids: set[int]) -> dict[int, CodeTableSpec]:
    tables = {t.pk: t for t in CodeTable.objects.filter(pk__in=table_ids)}
    values: dict[int, list[CodeValue]] = {pk: [] for pk in tables}
    for value in CodeValue.objects.filter(table_id__in=table_ids).order_by("table_id", "order", "code"):
        values[value.table_id].append(value)
    return {pk: build_code_table_spec(table, values[pk]) for pk, table in tables.items()}


def build_item_spec(item: DataItem, code_table: CodeTableSpec | None) -> ItemSpec:
    """One item's spec: header = the item's label (else the element's name); rules = element rules + overrides."""
    element = item.element
    name = item.label or element.name
    aliases = tuple(dict.fromkeys(a for a in (element.name, *element.aliases) if a and a != name))
    rules = {RULE_FIELDS[k]: v for k, v in item.effective_rules.items() if k in RULE_FIELDS}
    return ItemSpec(
        key=element.key,
        name=name,
        aliases=aliases,
        type=element.type,
        required=item.required,
        sensitivity=element.sensitivity,
        code_table=code_table,
        reference_kind=element.refers_to or None,
        roles=tuple(element.roles),
        key_type=element.key_type or None if element.type == ElementType.REFERENCE else None,
        unit=element.unit,
        help_text=item.help_text,
        **rules,
    )


def _cross_rules(rules: list[dict]) -> tuple[CrossRuleSpec, ...]:
    return tuple(
        CrossRuleSpec(
            rule=r["rule"],
            fields={k: v for k, v in r.items() if k not in ("rule", "message")},
            message=r.get("message", ""),
        )
        for r in rules
    )


def build_table_specs(subcategories: Iterable[Subcategory], version: str) -> dict[str, TableSpec]:
    """Specs of the given subcategories in four queries (items, code tables, code values), keyed by code."""
    subs = {s.pk: s for s in subcategories}
    items = list(
        DataItem.objects.filter(subcategory_id__in=list(subs))
        .select_related("element")
        .order_by("subcategory_id", "order")
    )
    tables = _code_table_specs({i.element.code_table_id for i in items if i.element.code_table_id})
    by_sub: dict[int, list[ItemSpec]] = {pk: [] for pk in subs}
    for item in items:
        by_sub[item.subcategory_id].append(build_item_spec(item, tables.get(item.element.code_table_id)))
    return {
        sub.code: TableSpec(
            code=sub.code,
            name=sub.name,
            kind=sub.category.domain.kind,
            catalog_version=version,
            items=tuple(by_sub[pk]),
            key_items=tuple(sub.key_items),
            cross_rules=_cross_rules(sub.cross_rules),
        )
        for pk, sub in subs.items()
    }


def build_table_spec(code: str) -> TableSpec:
    """The spec of one subcategory (active or retired), built fresh; Subcategory.DoesNotExist when unknown."""
    sub = Subcategory.objects.select_related("category__domain").get(code=code)
    version = current_version()
    return build_table_specs([sub], version.version if version else "")[code]


def _token(version: CatalogVersion | None) -> str | None:
    return f"{version.pk}:{version.content_hash}" if version else None


def _cached(token: str | None) -> dict[str, TableSpec] | None:
    with _cache_lock:
        if token is not None and _cache["token"] == token:
            return _cache["specs"]  # type: ignore[return-value]
    return None


def current_specs() -> dict[str, TableSpec]:
    """Specs of all active subcategories keyed by code, cached until the current catalog version changes.

    One query checks the version; a rebuild costs a handful of queries whatever the catalog's size.
    """
    version = current_version()
    token = _token(version)
    cached = _cached(token)
    if cached is not None:
        return cached
    subs = Subcategory.objects.filter(is_active=True).select_related("category__domain").order_by("order", "code")
    specs = build_table_specs(subs, version.version if version else "")
    if token is not None:
        with _cache_lock:
            _cache.update(token=token, specs=specs)
    return specs


def specs_on_demand() -> Mapping[str, TableSpec]:
    """current_specs() if this process has already built them, else a LazySpecs that builds only what is asked for.

    A one-shot process that names its table (`import_workbook --subcategory P0101`) then builds one spec instead of
    all of them (0.3 s of the command's start); iterating the specs builds and caches them all, as before.
    """
    version = current_version()
    cached = _cached(_token(version))
    return cached if cached is not None else LazySpecs(version)


class LazySpecs(Mapping):
    """The active subcategories' specs by code, each built the first time it is looked up by code; values() and
    items() (recognising a table among all of them) build them all through current_specs()."""

    def __init__(self, version: CatalogVersion | None):
        self._version = version.version if version else ""
        active = Subcategory.objects.filter(is_active=True).order_by("order", "code")
        self._codes = list(active.values_list("code", flat=True))
        self._known = frozenset(self._codes)
        self._built: dict[str, TableSpec] = {}
        self._all: dict[str, TableSpec] | None = None

    def __getitem__(self, code: str) -> TableSpec:
        if self._all is not None:
            return self._all[code]
        if code not in self._known:
            raise KeyError(code)
        if code not in self._built:
            subs = Subcategory.objects.filter(code=code, is_active=True).select_related("category__domain")
            self._built.update(build_table_specs(subs, self._version))
        return self._built[code]

    def __contains__(self, code) -> bool:
        return code in self._known

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)

    def _everything(self) -> dict[str, TableSpec]:
        if self._all is None:
            self._all = current_specs()
        return self._all

    def values(self):
        return self._everything().values()

    def items(self):
        return self._everything().items()


def clear_spec_cache() -> None:
    """Forget the cached specs (tests that edit catalog rows without reloading call this)."""
    with _cache_lock:
        _cache.update(token=None, specs=None)
