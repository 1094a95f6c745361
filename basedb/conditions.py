"""The condition language of base-database records, shared by every app that selects records by what they hold:
matching rules (matching/definition.py) and report columns (reports/definition.py) write their conditions the same
way, are checked by the same `ConditionParser` and compiled by the same code (basedb/conditions_sql.py).

A subject subcategory's active records are selected by

    when:                                  # conditions on the subject record, all must hold
      - {item: sex, eq: "2"}               # comparisons: eq ne in not_in gt gte lt lte empty
      - age: {gte: 80}                     # age on the reference date: birth date, else the ID number
      - any: [ {...}, {...} ]              # at least one of these holds
    has: [P0209]                           # the same entity has an active record in each of these
    has_any: [P0301, P0304]                # ... in at least one of these
    has_none: [P0305, P0106]               # ... in none of these
                                           # each also as {subcategory: P0307, when: [...]}: a record that holds

Comparison values: codes of the item's code table, numbers, dates as YYYY-MM-DD or relative to the reference date
(参考日, 参考日-1年, 参考日-6月, 参考日+30天), true/false for yes/no items. An empty item satisfies no comparison;
`empty: true` asks for an empty one. Every problem is reported in Chinese, naming its place, all at once.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from catalog.spec import BOOLEAN, DATE, DECIMAL, ID_CARD, INTEGER, USCC, ItemSpec, TableSpec
from grassroots.text import lookup_key

PRESENCE_KEYS = ("has", "has_any", "has_none")
OPERATORS = {
    "eq": "等于", "ne": "不等于", "in": "属于", "not_in": "不属于", "gt": "大于", "gte": "不小于", "lt": "小于",
    "lte": "不大于", "empty": "为空",
}  # fmt: skip
RANGE_OPERATORS = ("gt", "gte", "lt", "lte")
LIST_OPERATORS = ("in", "not_in")
NUMERIC = (INTEGER, DECIMAL)
RELATIVE_DATE = re.compile(r"^参考日(?:([+-])(\d{1,3})(年|月|天))?$")
MAX_AGE = 150
BIRTH_ITEM, ID_ITEM = "birth_date", "id_number"


@dataclass(frozen=True)
class Comparison:
    """`item op value` on the subject record (or on a record of a presence condition)."""

    item: str
    op: str
    value: object  # str for codes/text/dates (a date may be relative: 参考日-1年), Decimal, bool, list for in/not_in
    item_type: str


@dataclass(frozen=True)
class Age:
    """Age in whole years on the reference date, from `birth_item` or else from the ID number `id_item`."""

    op: str
    years: int
    birth_item: str | None
    id_item: str | None


@dataclass(frozen=True)
class AnyOf:
    """At least one of `conditions` holds."""

    conditions: tuple


@dataclass(frozen=True)
class Presence:
    """The same entity has an active record in `subcategory` (for which `conditions` hold)."""

    subcategory: str
    conditions: tuple = ()


@dataclass(frozen=True)
class Selection:
    """Which active records of `subject` are selected: those for which every `when` condition holds, whose entity
    has a record in each of `has`, in at least one of `has_any` and in none of `has_none`."""

    subject: str
    when: tuple = ()
    has: tuple[Presence, ...] = ()
    has_any: tuple[Presence, ...] = ()
    has_none: tuple[Presence, ...] = ()

    @property
    def subcategories(self) -> set[str]:
        """Every subcategory the selection reads: a change to any of them may change what it selects."""
        return {self.subject, *(p.subcategory for p in (*self.has, *self.has_any, *self.has_none))}

    @property
    def empty(self) -> bool:
        return not (self.when or self.has or self.has_any or self.has_none)


def flatten(conditions) -> list:
    """The conditions with every `any` replaced by its members (for listing the items or ages they read)."""
    flat = []
    for condition in conditions:
        flat.extend(flatten(condition.conditions) if isinstance(condition, AnyOf) else [condition])
    return flat


def items_read(conditions) -> list[str]:
    """Items named by `conditions` (a comparison's item, an age's birth and ID items), in order, once each."""
    found: list[str] = []
    for condition in flatten(conditions):
        names = [condition.item] if isinstance(condition, Comparison) else []
        if isinstance(condition, Age):
            names = [n for n in (condition.birth_item, condition.id_item) if n]
        found.extend(n for n in names if n not in found)
    return found


class ConditionParser:
    """Parses conditions against the catalog (`specs`: subcategory code -> TableSpec), collecting every error instead
    of stopping at the first, so a writer fixes them all in one go. Subclasses parse the documents around them."""

    def __init__(self, specs):
        self.specs = specs
        self.errors: list[str] = []

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}：{message}" if where else message)

    def subcategory(self, raw, where: str) -> TableSpec | None:
        code = text(raw)
        if not code:
            return None
        spec = self.specs.get(code)
        if spec is None:
            self.error(where, f"子类 {code} 不在数据目录中（或已停用）")
        return spec

    def selection(self, data: dict, subject: TableSpec | None, when_where: str = "when（主体条件）") -> Selection:
        """The `when`, `has`, `has_any` and `has_none` keys of `data` on the records of `subject`."""
        when = self.conditions(data.get("when"), subject, when_where)
        presences = {key: self.presences(data.get(key), subject, key) for key in PRESENCE_KEYS}
        return Selection(subject.code if subject else "", when, **presences)

    # -- presence ---------------------------------------------------------------------------------------------------

    def presences(self, raw, subject: TableSpec | None, key: str) -> tuple[Presence, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.error(key, "应为子类代码（或 {subcategory: 代码, when: [...]}）的列表")
            return ()
        return tuple(p for n, entry in enumerate(raw, 1) if (p := self.presence(entry, subject, f"{key} 第 {n} 项")))

    def presence(self, entry, subject: TableSpec | None, where: str) -> Presence | None:
        if isinstance(entry, dict):
            unknown = [str(k) for k in entry if k not in ("subcategory", "when")]
            if unknown:
                self.error(where, f"未知的字段 {'、'.join(unknown)}；可用：subcategory、when")
            code, conditions = text(entry.get("subcategory")), entry.get("when")
        else:
            code, conditions = text(entry), None
        spec = self.specs.get(code)
        if spec is None:
            self.error(where, f"子类 {code or '（空）'} 不在数据目录中（或已停用）")
            return None
        if subject is not None and not self.same_entity(subject, spec, where):
            return None
        return Presence(code, self.conditions(conditions, spec, where))

    def same_entity(self, subject: TableSpec, other: TableSpec, where: str) -> bool:
        """Records of `other` describe the subject's entities only when kind and key items are the same."""
        if subject.kind == other.kind and tuple(subject.key_items) == tuple(other.key_items):
            return True
        self.error(
            where,
            f"子类 {other.code}（{other.name}）以“{key_names(other)}”识别主体，主体子类 {subject.code}"
            f"（{subject.name}）以“{key_names(subject)}”识别，不是同一种主体，不能按同一主体匹配",
        )
        return False

    # -- conditions -------------------------------------------------------------------------------------------------

    def conditions(self, raw, spec: TableSpec | None, where: str) -> tuple:
        if raw is None or spec is None:
            return ()
        if not isinstance(raw, list):
            self.error(where, "条件应为列表，每项一个条件")
            return ()
        parsed = []
        for n, entry in enumerate(raw, 1):
            parsed.extend(self.condition(entry, spec, f"{where} 第 {n} 条"))
        return tuple(parsed)

    def condition(self, entry, spec: TableSpec, where: str) -> list:
        if not isinstance(entry, dict):
            self.error(where, "条件应写成映射，如 {item: sex, eq: '2'}、{age: {gte: 80}} 或 {any: [...]}")
            return []
        if "any" in entry:
            return self.any_of(entry, spec, where)
        if "age" in entry:
            return self.age(entry, spec, where)
        return self.comparison(entry, spec, where)

    def any_of(self, entry: dict, spec: TableSpec, where: str) -> list:
        if len(entry) != 1 or not isinstance(entry["any"], list) or len(entry["any"]) < 2:
            self.error(where, "any 应单独成条，且列出至少两个条件：{any: [条件1, 条件2]}")
            return []
        return [AnyOf(self.conditions(entry["any"], spec, f"{where} any"))]

    def age(self, entry: dict, spec: TableSpec, where: str) -> list:
        unknown = [str(k) for k in entry if k not in ("age", "birth_item", "id_item")]
        if unknown:
            self.error(where, f"未知的字段 {'、'.join(unknown)}；年龄条件可用：age、birth_item、id_item")
        birth = entry.get("birth_item", BIRTH_ITEM if has_item(spec, BIRTH_ITEM, DATE) else None)
        id_item = entry.get("id_item", ID_ITEM if has_item(spec, ID_ITEM, ID_CARD) else None)
        if birth is not None and not has_item(spec, birth, DATE):
            self.error(where, f"子类 {spec.code} 没有日期数据项 {birth}")
            birth = None
        if id_item is not None and not has_item(spec, id_item, ID_CARD):
            self.error(where, f"子类 {spec.code} 没有公民身份号码数据项 {id_item}")
            id_item = None
        if birth is None and id_item is None:
            self.error(where, f"年龄条件需要子类 {spec.code}（{spec.name}）有出生日期或公民身份号码数据项")
            return []
        bounds = entry["age"]
        if not isinstance(bounds, dict) or not bounds:
            self.error(where, "年龄条件应写成 {age: {gte: 80}}（可用 eq ne gt gte lt lte）")
            return []
        ages = []
        for op, years in bounds.items():
            if op not in ("eq", "ne", *RANGE_OPERATORS):
                self.error(where, f"年龄不支持运算 {op}；可用：eq ne gt gte lt lte")
            elif isinstance(years, bool) or not isinstance(years, int) or not 0 <= years <= MAX_AGE:
                self.error(where, f"年龄“{years}”应为 0–{MAX_AGE} 的整数（周岁）")
            else:
                ages.append(Age(op, years, birth, id_item))
        return ages

    def comparison(self, entry: dict, spec: TableSpec, where: str) -> list:
        item_key = text(entry.get("item"))
        ops = {k: v for k, v in entry.items() if k != "item"}
        unknown = [str(k) for k in ops if k not in OPERATORS]
        if not item_key:
            self.error(where, "缺少 item（数据项标识），如 {item: sex, eq: '2'}")
            return []
        item = item_of(spec, item_key)
        if item is None:
            self.error(where, f"子类 {spec.code}（{spec.name}）没有数据项 {item_key}")
            return []
        if unknown or not ops:
            self.error(where, f"未知的运算 {'、'.join(unknown) or '（无）'}；可用：{'、'.join(OPERATORS)}")
            return []
        return [c for op, raw in ops.items() if (c := self.compare(item, op, raw, f"{where}（{item.name}）"))]

    def compare(self, item: ItemSpec, op: str, raw, where: str) -> Comparison | None:
        if op == "empty":
            if not isinstance(raw, bool):
                self.error(where, "empty 应为 true（为空）或 false（不为空）")
                return None
            return Comparison(item.key, op, raw, item.type)
        if op in RANGE_OPERATORS and item.type not in (*NUMERIC, DATE):
            self.error(where, f"{op}（{OPERATORS[op]}）只适用于数字和日期数据项")
            return None
        if item.type == BOOLEAN and op not in ("eq", "ne"):
            self.error(where, "是/否数据项只能用 eq、ne 或 empty")
            return None
        if op in LIST_OPERATORS:
            if not isinstance(raw, list) or not raw:
                self.error(where, f"{op} 应为非空列表，如 {op}: ['1', '2']")
                return None
            values = [self.value(item, v, where) for v in raw]
            return None if any(v is None for v in values) else Comparison(item.key, op, values, item.type)
        value = self.value(item, raw, where)
        return None if value is None else Comparison(item.key, op, value, item.type)

    def value(self, item: ItemSpec, raw, where: str):
        """A comparison value in the form the records store (codes, canonical numbers, ISO dates)."""
        if isinstance(raw, list | dict) or raw is None:
            self.error(where, f"“{raw}”不是单个取值")
            return None
        if item.type == BOOLEAN:
            if isinstance(raw, bool):
                return raw
            self.error(where, f"“{raw}”应为 true（是）或 false（否）")
            return None
        if item.type in NUMERIC:
            return self.number(item, raw, where)
        if item.type == DATE:
            return self.date(raw, where)
        if item.code_table is not None:
            return self.code(item, raw, where)
        value = str(raw).strip()
        return value.upper() if item.type in (ID_CARD, USCC) else value

    def number(self, item: ItemSpec, raw, where: str) -> Decimal | None:
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or isinstance(raw, bool):
            self.error(where, f"“{raw}”不是数字")
            return None
        if item.type == INTEGER and number != number.to_integral_value():
            self.error(where, f"“{raw}”不是整数")
            return None
        return number

    def date(self, raw, where: str) -> str | None:
        value = raw.isoformat() if isinstance(raw, date) else str(raw).strip()
        if RELATIVE_DATE.match(value):
            return value
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            self.error(
                where, f"“{value}”不是日期：应为 YYYY-MM-DD，或相对参考日的 参考日、参考日-1年、参考日-6月、参考日+30天"
            )
            return None

    def code(self, item: ItemSpec, raw, where: str) -> str | None:
        table = item.code_table
        value = str(raw).strip()
        if value in table.labels:
            return value
        known = "、".join(f"{c} {label}" for c, label in list(table.labels.items())[:12])
        more = " 等" if len(table.labels) > 12 else ""
        hint = table.lookup.get(lookup_key(value))
        tip = f"（“{value}”对应的代码是 {hint}）" if hint else ""
        self.error(where, f"代码表“{table.name}”中没有代码“{value}”{tip}；可用：{known}{more}")
        return None


def text(value) -> str:
    return "" if value is None else str(value).strip()


def item_of(spec: TableSpec, key: str) -> ItemSpec | None:
    return next((i for i in spec.items if i.key == key), None)


def has_item(spec: TableSpec, key: str, item_type: str | None = None) -> bool:
    item = item_of(spec, key)
    return item is not None and (item_type is None or item.type == item_type)


def key_names(spec: TableSpec) -> str:
    return "、".join(i.name for k in spec.key_items if (i := item_of(spec, k))) or "（无主键）"
