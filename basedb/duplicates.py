"""Probable duplicates for subcategories without a strong key (composite keys such as name + address + date).

An exact key match is an update or a conflict (merge.py). Here a row whose key is new is compared with the township's
existing records of the subcategory: same values of the other key items (e.g. the visit date), same first character
of the normalised name, then rapidfuzz similarity of name + address over a threshold → a warning for the reviewer.
Blocking keeps it cheap: one query per batch, a handful of comparisons per row.
"""

from collections import defaultdict

from rapidfuzz import fuzz, process

from collection.choices import IssueRule, MergeState, Severity
from collection.models import Batch, BatchIssue, StagedRow
from grassroots.text import lookup_key

from .choices import RecordStatus
from .models import Record

THRESHOLD = 90.0


def normalise(text) -> str:
    """The text's lookup key (nothing for None): 芝罘区 东山路１号 and 芝罘区东山路1号 compare equal."""
    return lookup_key(text or "")


def weak_key_items(key_items: list[str]) -> tuple[str, list[str]] | None:
    """(name item, other key items) when the key is composite and holds a name; None for a strong key."""
    if len(key_items) < 2:
        return None
    names = [k for k in key_items if "name" in k]
    if not names:
        return None
    return names[0], [k for k in key_items if k != names[0] and "address" not in k]


def _address(values: dict) -> str:
    return next((normalise(v) for k, v in values.items() if "address" in k and v), "")


def _block(values: dict, name_item: str, others: list[str]) -> tuple | None:
    name = normalise(values.get(name_item))
    return (name[:1], *(normalise(values.get(k)) for k in others)) if name else None


def _text(values: dict, name_item: str) -> str:
    return f"{normalise(values.get(name_item))} {_address(values)}".strip()


def flag_probable_duplicates(batch: Batch, *, threshold: float = THRESHOLD) -> int:
    """Add a `conflict` warning (疑似重复) to each pending valid row of `batch` whose key is new but whose name and
    address closely match an existing record of the same township; returns how many rows were flagged."""
    sub = batch.subcategory
    weak = weak_key_items(list(sub.key_items or [])) if sub else None
    if weak is None:
        return 0
    name_item, others = weak
    existing = Record.objects.filter(subcategory=sub, region_id=batch.region_id, status=RecordStatus.ACTIVE)
    blocks: dict[tuple, list[tuple[str, int, dict]]] = defaultdict(list)
    keys = set()
    for record_id, key, values in existing.values_list("id", "entity__key", "values").iterator(chunk_size=5000):
        keys.add(key)
        block = _block(values, name_item, others)
        if block:
            blocks[block].append((_text(values, name_item), record_id, values))
    rows = StagedRow.objects.filter(batch=batch, is_valid=True, merge_state=MergeState.PENDING)
    issues = []
    for staged in rows.only("id", "row", "key", "values").iterator(chunk_size=5000):
        candidates = blocks.get(_block(staged.values, name_item, others) or ())
        if not candidates or staged.key in keys:
            continue
        match = process.extractOne(_text(staged.values, name_item), [c[0] for c in candidates],
                                   scorer=fuzz.ratio, score_cutoff=threshold)  # fmt: skip
        if match:
            _text_found, score, index = match
            _, record_id, values = candidates[index]
            issues.append(_issue(batch, staged, name_item, record_id, values, score))
    BatchIssue.objects.bulk_create(issues, batch_size=2000)
    return len(issues)


def _issue(batch, staged, name_item: str, record_id: int, values: dict, score: float) -> BatchIssue:
    where = _address(values)
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
