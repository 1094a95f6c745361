"""Loading the catalog source into the database: validate, then upsert everything in one transaction.

`load_catalog(path)` is idempotent: rows are matched by natural key (codes, element keys), created or updated in
bulk, and what disappeared from the source is retired — a subcategory is deactivated (its records and past
batches keep pointing at it), an item of an active subcategory is removed, and elements, code tables, categories
and domains no longer used by anything are deleted. A `CatalogVersion` is recorded only when the source's content
hash changes, so a second run reports no change and creates no version.
"""

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import models, transaction

from regions.audit import record_event
from regions.choices import AuditVerb

from .models import CatalogVersion, Category, CodeTable, CodeValue, DataElement, DataItem, Domain, Subcategory
from .pointers import pointers_changed, pointing_items
from .source import CatalogSource, read_source
from .specs_build import clear_spec_cache

DEFAULT_SOURCE = Path(settings.BASE_DIR) / "fixtures" / "catalog"
KIND_LABELS = {
    "domains": "领域",
    "categories": "大类",
    "subcategories": "子类",
    "elements": "数据元",
    "items": "数据项",
    "code_tables": "代码表",
    "code_values": "代码值",
}
BATCH_SIZE = 500


@dataclass
class KindChanges:
    added: int = 0
    changed: int = 0
    retired: int = 0

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.retired)


@dataclass
class LoadReport:
    """What one load did (or, with dry_run, would do), per kind of catalog row."""

    version: str
    content_hash: str
    kinds: dict[str, KindChanges] = field(default_factory=lambda: {k: KindChanges() for k in KIND_LABELS})
    counts: dict[str, int] = field(default_factory=dict)
    version_created: bool = False
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.version_created or any(k.any for k in self.kinds.values())

    def lines(self) -> list[str]:
        """The report in Chinese, one line per kind, for the management command."""
        lines = [
            f"{KIND_LABELS[name]}：新增 {k.added}，变更 {k.changed}，停用/移除 {k.retired}"
            for name, k in self.kinds.items()
        ]
        if self.version_created:
            lines.append(f"已记录目录版本 {self.version}（{self.content_hash[:12]}）")
        elif not self.changed:
            lines.append(f"目录无变化（版本 {self.version}）")
        return lines


def _sync(model, existing: dict, wanted: dict[object, dict], make_key, changes: KindChanges) -> None:
    """Create rows whose natural key is new and update rows whose fields differ, in bulk."""
    to_create, to_update, fields = [], [], set()
    for key, values in wanted.items():
        obj = existing.get(key)
        if obj is None:
            to_create.append(model(**make_key(key), **values))
            continue
        differing = [name for name, value in values.items() if getattr(obj, name) != value]
        if differing:
            for name in differing:
                setattr(obj, name, values[name])
            fields.update(differing)
            to_update.append(obj)
    model.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    if to_update:
        model.objects.bulk_update(to_update, sorted(fields), batch_size=BATCH_SIZE)
    changes.added += len(to_create)
    changes.changed += len(to_update)


def _ids(model, key_field: str = "code") -> dict[str, int]:
    return dict(model.objects.values_list(key_field, "id"))


def _delete(queryset: models.QuerySet, changes: KindChanges) -> None:
    changes.retired += queryset.count()
    queryset.delete()


class _Loader:
    """One load: the steps run in dependency order, each bulk and set-based."""

    def __init__(self, source: CatalogSource, report: LoadReport):
        self.source, self.report = source, report

    def run(self) -> None:
        self.sync_domains_and_categories()
        self.sync_code_tables()
        self.sync_elements()
        self.sync_subcategories()
        self.sync_items()
        self.retire_unused()
        self.record_version()

    def sync_domains_and_categories(self) -> None:
        existing = {d.code: d for d in Domain.objects.all()}
        _sync(Domain, existing, self.source.domains, lambda c: {"code": c}, self.report.kinds["domains"])
        domain_ids = _ids(Domain)
        wanted = {
            code: {"name": c["name"], "domain_id": domain_ids[c["domain"]], "order": c["order"]}
            for code, c in self.source.categories.items()
        }
        existing = {c.code: c for c in Category.objects.all()}
        _sync(Category, existing, wanted, lambda c: {"code": c}, self.report.kinds["categories"])

    def sync_code_tables(self) -> None:
        existing = {t.code: t for t in CodeTable.objects.all()}
        _sync(CodeTable, existing, self.source.code_tables, lambda c: {"code": c}, self.report.kinds["code_tables"])
        table_ids = _ids(CodeTable)
        by_id = {v: k for k, v in table_ids.items()}
        existing_values = {(by_id[v.table_id], v.code): v for v in CodeValue.objects.all()}
        _sync(
            CodeValue,
            existing_values,
            self.source.code_values,
            lambda key: {"table_id": table_ids[key[0]], "code": key[1]},
            self.report.kinds["code_values"],
        )
        gone = [v.pk for key, v in existing_values.items() if key not in self.source.code_values]
        _delete(CodeValue.objects.filter(pk__in=gone), self.report.kinds["code_values"])

    def sync_elements(self) -> None:
        table_ids = _ids(CodeTable)
        wanted = {
            key: {**{k: v for k, v in e.items() if k != "code_table"}, "code_table_id": table_ids.get(e["code_table"])}
            for key, e in self.source.elements.items()
        }
        existing = {e.key: e for e in DataElement.objects.all()}
        _sync(DataElement, existing, wanted, lambda k: {"key": k}, self.report.kinds["elements"])

    def sync_subcategories(self) -> None:
        category_ids = _ids(Category)
        wanted = {
            code: {**{k: v for k, v in s.items() if k != "category"}, "category_id": category_ids[s["category"]]}
            | {"is_active": True}
            for code, s in self.source.subcategories.items()
        }
        existing = {s.code: s for s in Subcategory.objects.all()}
        _sync(Subcategory, existing, wanted, lambda c: {"code": c}, self.report.kinds["subcategories"])
        retired = Subcategory.objects.filter(is_active=True).exclude(code__in=list(self.source.subcategories))
        self.report.kinds["subcategories"].retired += retired.update(is_active=False)

    def sync_items(self) -> None:
        sub_ids, element_ids = _ids(Subcategory), _ids(DataElement, "key")
        sub_codes, element_keys = {v: k for k, v in sub_ids.items()}, {v: k for k, v in element_ids.items()}
        existing = {(sub_codes[i.subcategory_id], element_keys[i.element_id]): i for i in DataItem.objects.all()}
        _sync(
            DataItem,
            existing,
            self.source.items,
            lambda key: {"subcategory_id": sub_ids[key[0]], "element_id": element_ids[key[1]]},
            self.report.kinds["items"],
        )
        # Items leave only active subcategories; a retired subcategory keeps its last item list for its history.
        gone = [
            i.pk for key, i in existing.items() if key[0] in self.source.subcategories and key not in self.source.items
        ]
        _delete(DataItem.objects.filter(pk__in=gone), self.report.kinds["items"])

    def retire_unused(self) -> None:
        kinds = self.report.kinds
        _delete(
            DataElement.objects.exclude(key__in=list(self.source.elements)).filter(items__isnull=True),
            kinds["elements"],
        )
        unused_tables = CodeTable.objects.exclude(code__in=list(self.source.code_tables)).filter(elements__isnull=True)
        kinds["code_values"].retired += CodeValue.objects.filter(table__in=unused_tables).count()
        _delete(unused_tables, kinds["code_tables"])
        _delete(
            Category.objects.exclude(code__in=list(self.source.categories)).filter(subcategories__isnull=True),
            kinds["categories"],
        )
        _delete(
            Domain.objects.exclude(code__in=list(self.source.domains)).filter(categories__isnull=True), kinds["domains"]
        )

    def record_version(self) -> None:
        current = CatalogVersion.objects.filter(is_current=True).first()
        if current and current.content_hash == self.report.content_hash:
            return
        if current and current.version == self.source.version:
            self.report.warnings.append(
                f"目录内容已变化，但版本号仍为 {current.version}：发布前请在 catalog.yaml 中更新 version"
            )
        CatalogVersion.objects.filter(is_current=True).update(is_current=False)
        CatalogVersion.objects.create(
            version=self.source.version,
            content_hash=self.report.content_hash,
            is_current=True,
            summary=self.report.counts,
        )
        self.report.version_created = True


def load_catalog(path: Path = DEFAULT_SOURCE, *, dry_run: bool = False, acting_user=None) -> LoadReport:
    """Validate the catalog source at `path` and upsert it in one transaction; with dry_run, roll back at the end.

    Raises catalog.source.CatalogSourceError (listing every problem) when the source is invalid; nothing is written.
    """
    source = read_source(Path(path))
    report = LoadReport(
        version=source.version,
        content_hash=source.content_hash(),
        counts=source.counts(),
        dry_run=dry_run,
        warnings=list(source.warnings),
    )
    with transaction.atomic():
        pointers = pointing_items()
        _Loader(source, report).run()
        if dry_run:
            transaction.set_rollback(True)
        elif report.changed:
            # In the same transaction: the base database's link index follows the catalog's pointing items.
            pointers_changed(pointers, pointing_items())
            kinds = {name: vars(k) for name, k in report.kinds.items() if k.any}
            after = {"version": report.version, "version_created": report.version_created, **kinds}
            record_event(
                AuditVerb.CHANGE_CATALOG, actor=acting_user, object_type="catalog.catalogversion",
                object_id=report.content_hash[:12], label=f"数据目录 {report.version}", after=after,
            )  # fmt: skip
    if report.changed and not dry_run:
        clear_spec_cache()
    return report
