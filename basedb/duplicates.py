"""Probable duplicates for subcategories without a strong key (composite keys such as name + address + date).

An exact key match is an update or a conflict (merge.py). Here a row whose key is new is compared with the township's
existing records of the subcategory: same values of the other key items (e.g. the visit date), same first character
of the normalised name, then rapidfuzz similarity of name + address over a threshold → a warning for the reviewer.
Blocking keeps it cheap: one query per batch, a handful of comparisons per row.
"""

from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from catalog.spec import ADDRESS_ROLE, NAME_ROLE, TableSpec
from catalog.specs_build import build_table_spec
from collection.choices import IssueRule, MergeState, Severity
from collection.models import Batch, BatchIssue, StagedRow
from grassroots.text import lookup_key

from .choices import RecordStatus
from .models import Record

THRESHOLD = 90.0


def normalise(text) -> str:
    """The text's lookup key (nothing for None): 芝罘区 东山路１号 and 芝罘区东山路1号 compare equal."""
    return lookup_key(text or "")


@dataclass(frozen=True)
class WeakKey:
    """A composite key holding a name: rows are compared by that name and the table's addresses (catalog roles)."""

    name_item: str
    others: tuple[str, ...]  # the other key items but addresses, compared exactly (e.g. the visit date)
    addresses: tuple[str, ...]  # the table's address items, the first one written is compared with the name


def weak_key_items(spec: TableSpec) -> WeakKey | None:
    """The weak key of a subcategory whose key is composite and holds a name item; None for a strong key."""
    names = [k for k in spec.key_items if k in spec.keys_with_role(NAME_ROLE)]
    if len(spec.key_items) < 2 or not names:
        return None
    addresses = spec.keys_with_role(ADDRESS_ROLE)
    others = tuple(k for k in spec.key_items if k != names[0] and k not in addresses)
    return WeakKey(names[0], others, addresses)


def _address(values: dict, weak: WeakKey) -> str:
    return next((normalise(values[k]) for k in weak.addresses if values.get(k)), "")


def _block(values: dict, weak: WeakKey) -> tuple | None:
    name = normalise(values.get(weak.name_item))
    return (name[:1], *(normalise(values.get(k)) for k in weak.others)) if name else None


def _text(values: dict, weak: WeakKey) -> str:
    return f"{normalise(values.get(weak.name_item))} {_address(values, weak)}".strip()


def flag_probable_duplicates(batch: Batch, *, threshold: float = THRESHOLD) -> int:
    """Add a `conflict` warning (疑似重复) to each pending valid row of `batch` whose key is new but whose name and
    address closely match an existing record of the same township; returns how many rows were flagged."""
    sub = batch.subcategory
    weak = weak_key_items(build_table_spec(sub.code)) if sub else None
    if weak is None:
        return 0
    existing = Record.objects.unrestricted("intake: probable duplicates within the batch's own township").filter(
        subcategory=sub, region_id=batch.region_id, status=RecordStatus.ACTIVE
    )
    blocks: dict[tuple, list[tuple[str, int, dict]]] = defaultdict(list)
    keys = set()
    for record_id, key, values in existing.values_list("id", "entity__key", "values").iterator(chunk_size=5000):
        keys.add(key)
        block = _block(values, weak)
        if block:
            blocks[block].append((_text(values, weak), record_id, values))
    rows = StagedRow.objects.unrestricted("intake: the rows of the batch being verified").filter(
        batch=batch, is_valid=True, merge_state=MergeState.PENDING
    )
    issues = []
    for staged in rows.only("id", "row", "key", "values").iterator(chunk_size=5000):
        candidates = blocks.get(_block(staged.values, weak) or ())
        if not candidates or staged.key in keys:
            continue
        match = process.extractOne(_text(staged.values, weak), [c[0] for c in candidates],
                                   scorer=fuzz.ratio, score_cutoff=threshold)  # fmt: skip
        if match:
            _text_found, score, index = match
            _, record_id, values = candidates[index]
            issues.append(_issue(batch, staged, weak, record_id, values, score))
    BatchIssue.objects.bulk_create(issues, batch_size=2000)
    return len(issues)


def _issue(batch, staged, weak: WeakKey, record_id: int, values: dict, score: float) -> BatchIssue:
    name_item, where = weak.name_item, _address(values, weak)
    found = f"“{values.get(name_item)}”" + (f"（{where}）" if where else "")
    return BatchIssue(
        batch=batch,
        staged_row=staged,
        row=staged.row,
        item=name_item,
        rule=IssueRule.CONFLICT,
        severity=Severity.WARNING,
        message=f"疑似重复：与本乡镇已有记录{found}（记录 {record_id}）相似度 {score:.0f}%，请核实是否为同一对象",
        value=str(staged.values.get(name_item) or ""),
    )
